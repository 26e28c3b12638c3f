# Baseline: the plain PowerShell way to page a usage query, Invoke-RestMethod following nextLink.
# Prints one JSON line: rows, seconds, rows/s, peak working set.
param(
    [Parameter(Mandatory)] [string] $Url,
    [Parameter(Mandatory)] [string] $Token
)
$ErrorActionPreference = 'Stop'
# -SkipCertificateCheck: the emulator's CA is not in the machine store; skipping validation only makes the
# baseline cheaper, never slower.
$watch = [System.Diagnostics.Stopwatch]::StartNew()
$rows = 0
$quantity = 0.0
$next = $Url
while ($next) {
    $page = Invoke-RestMethod -Uri $next -Headers @{ Authorization = "Bearer $Token" } -SkipCertificateCheck
    foreach ($row in $page.value) { $rows++; $quantity += $row.properties.quantity }
    $next = $page.nextLink
}
$watch.Stop()
$peak = [System.Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB
[pscustomobject]@{ rows = $rows; seconds = [math]::Round($watch.Elapsed.TotalSeconds, 3)
    rows_per_second = [math]::Round($rows / $watch.Elapsed.TotalSeconds); peak_rss_mb = [math]::Round($peak, 1)
    quantity = [math]::Round($quantity, 3) } | ConvertTo-Json -Compress
