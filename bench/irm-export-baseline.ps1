# Baseline: the plain PowerShell way to export usage to CSV, Invoke-RestMethod following nextLink with the
# rows piped to Export-Csv. Prints one JSON line: rows, seconds, rows/s, peak working set, file size.
param(
    [Parameter(Mandatory)] [string] $Url,
    [Parameter(Mandatory)] [string] $Token,
    [Parameter(Mandatory)] [string] $Path
)
$ErrorActionPreference = 'Stop'
$watch = [System.Diagnostics.Stopwatch]::StartNew()
$rows = 0
# -SkipCertificateCheck: the emulator's CA is not in the machine store; skipping validation only makes the
# baseline cheaper, never slower.
& {
    $next = $Url
    while ($next) {
        $page = Invoke-RestMethod -Uri $next -Headers @{ Authorization = "Bearer $Token" } -SkipCertificateCheck
        foreach ($row in $page.value) {
            $p = $row.properties
            [pscustomobject]@{
                UsageStartTime = $p.usageStartTime; UsageEndTime = $p.usageEndTime; SubscriptionId = $p.subscriptionId
                MeterId = $p.meterId; Quantity = $p.quantity; InstanceData = $p.instanceData
            }
        }
        $next = $page.nextLink
    }
} | ForEach-Object { $rows++; $_ } | Export-Csv -Path $Path -NoTypeInformation
$watch.Stop()
$peak = [System.Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB
[pscustomobject]@{ rows = $rows; seconds = [math]::Round($watch.Elapsed.TotalSeconds, 3)
    rows_per_second = [math]::Round($rows / $watch.Elapsed.TotalSeconds); peak_rss_mb = [math]::Round($peak, 1)
    file_mb = [math]::Round((Get-Item $Path).Length / 1MB, 1) } | ConvertTo-Json -Compress
