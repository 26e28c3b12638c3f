# Get-AzsSubscriberUsage over a window, for bench/c-abi-and-powershell.sh: prints one JSON line with rows,
# seconds, rows/s and peak working set, like irm-baseline.ps1.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ReadyPath,
    [Parameter(Mandatory)] [datetime] $Start,
    [Parameter(Mandatory)] [datetime] $End
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath
$ready = Get-Content -Raw $ReadyPath | ConvertFrom-Json
$operator = $ready.service_principals | Where-Object name -eq 'operator'
$secret = ConvertTo-SecureString $operator.client_secret -AsPlainText -Force
$credential = [pscredential]::new($operator.client_id, $secret)
$null = Connect-AzsBillingEnvironment -ArmEndpoint $ready.admin_arm -Tenant $ready.tenant_id -Credential $credential -CaBundlePath $ready.ca_pem
$watch = [System.Diagnostics.Stopwatch]::StartNew()
$rows = 0
$quantity = 0.0
Get-AzsSubscriberUsage -ReportedStartTime $Start.ToUniversalTime() -ReportedEndTime $End.ToUniversalTime() -AggregationGranularity Hourly |
    ForEach-Object { $rows++; $quantity += $_.Quantity }
$watch.Stop()
$peak = [System.Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB
[pscustomobject]@{ rows = $rows; seconds = [math]::Round($watch.Elapsed.TotalSeconds, 3)
    rows_per_second = [math]::Round($rows / $watch.Elapsed.TotalSeconds); peak_rss_mb = [math]::Round($peak, 1)
    quantity = [math]::Round($quantity, 3) } | ConvertTo-Json -Compress
