function Sync-AzsUsage {
    <#
    .SYNOPSIS
    Brings a local usage store up to date with the stamp: every row exactly once, resumable at any point.

    .DESCRIPTION
    Syncs provider usage (every direct tenant of a provider subscription, or one -SubscriberId) or tenant
    usage (one subscription) into a usage store, by default the per-user SQLite file
    (~/.local/share/azs-billing/usage.db, on Windows %LOCALAPPDATA%\azs-billing\usage.db; -Store names
    another). The store keeps a cursor per stamp, API, subscription, subscriber and granularity: the first
    sync starts at -StartTime, every later one goes on from the cursor's watermark (the reported time up to
    which everything is stored), so running the same command on a schedule fetches only what was reported
    since, including rows the service reported late. Nothing new is a no-op (Windows 0).

    Why not re-pull the last days: the usage APIs hand out rows by REPORTED time, and the rows of one usage
    hour can be reported hours later; pulling "the last N days" again counts rows twice, pulling "yesterday"
    misses late ones. Here each reported-time window is stored with the watermark's move in one transaction,
    and a row key (see docs/warehouse.md) refuses any row twice.

    The sync stops -SettleMarginMinutes (default 120) before now, aligned down to the hour (Hourly) or the UTC
    midnight (Daily), since the service may still be reporting the latest hours. Pages are fetched by up to
    -Concurrency requests at once (default 8); when the stamp throttles (429 or 503 with Retry-After), every
    request waits as asked and the concurrency drops, rising again slowly.

    Progress (Write-Progress) shows windows, rows, rows per second and the time left; -Verbose writes a line
    per committed window. Ctrl+C stops the sync: the window in progress is rolled back, every committed
    window stays, and the next run goes on from there. A failure of the service or the network after the
    connection's retries is a non-terminating error (the windows before it stay committed; the cursor
    records the error, see Get-AzsUsageSyncState); invalid arguments stop the command before anything is
    sent. The library's own retry log lines are not shown during a sync (it works on threads of its own);
    the report's Throttled property counts the throttling answers.

    .PARAMETER StartTime
    Reported time of the cursor's first window: a DateTime, a DateTimeOffset or an ISO 8601 string, on a UTC
    hour (Hourly) or a UTC midnight (Daily); a time without a zone is this computer's local time, as for
    Get-AzsSubscriberUsage. Later syncs of the same cursor must give the same start.

    .PARAMETER Store
    The store: a file path (a SQLite file, created when absent; relative to the current location), a URL
    sqlite:PATH, or a PostgreSQL database postgresql://USER@HOST:PORT/DATABASE (the database must exist; its
    tables are created on first use; the password from $env:PGPASSWORD, or in the URL; the connection is not
    encrypted, so use loopback, a Unix socket or a tunnel). Several collectors may sync into one PostgreSQL
    database at once: a cursor another collector is syncing is a non-terminating error saying so, with
    nothing fetched. The store is shown (Store property, -Verbose) without a password. Default: the
    per-user store.

    .PARAMETER AggregationGranularity
    Hourly (default: local days and months in any time zone can be summed exactly) or Daily.

    .PARAMETER Api
    Provider (default on an admin endpoint: the usage of the provider subscription's direct tenants) or
    Tenant (default elsewhere: one subscription's own usage).

    .PARAMETER SubscriptionId
    Provider: the provider subscription (default: the Default Provider Subscription). Tenant: the tenant
    subscription (default: the connection's only subscription).

    .PARAMETER SubscriberId
    Provider only: the usage of this one direct tenant (its own cursor); default: every direct tenant.

    .PARAMETER Until
    Sync up to this reported time (aligned down), not to the settled end; not in the future.

    .PARAMETER SettleMarginMinutes
    How long after a reported hour the service is taken to have all of it (default 120).

    .PARAMETER WindowHours
    Reported time per transaction (default 24; whole days for Daily).

    .PARAMETER SliceHours
    Hourly: reported time per query, so the slices of a window are fetched in parallel (default 6).

    .PARAMETER Concurrency
    Page requests in flight at most, 1 to 64 (default 8, sized for a real stamp).

    .PARAMETER Connection
    The connection to sync from (an object Connect-AzsBillingEnvironment returned); default: the current one.

    .EXAMPLE
    Sync-AzsUsage -StartTime '2026-11-01T00:00:00Z'

    Every direct tenant's hourly usage since 1 November into the per-user store; run it again (hourly, from
    a runbook) to add what was reported since.

    .EXAMPLE
    Sync-AzsUsage -Store ./usage.db -StartTime ([datetime]::UtcNow.Date.AddDays(-30)) -AggregationGranularity Daily -Verbose

    The last 30 days of daily usage into ./usage.db, with a line per committed window.

    .EXAMPLE
    $report = Sync-AzsUsage -StartTime '2026-11-01T00:00:00Z' -ErrorAction Stop
    "$($report.Rows) new rows; everything before $($report.Watermark.ToString('u')) is stored"

    A runbook step that fails the job when the sync fails (what was committed stays).

    .OUTPUTS
    AzsBilling.UsageSyncReport
    #>
    [CmdletBinding()]
    [OutputType('AzsBilling.UsageSyncReport')]
    param(
        # [object]: read by the time rule in the help, as Get-AzsSubscriberUsage's times are.
        [Parameter(Mandatory)]
        [object] $StartTime,

        [string] $Store,

        [ValidateSet('Hourly', 'Daily')]
        [string] $AggregationGranularity = 'Hourly',

        [ValidateSet('Provider', 'Tenant')]
        [string] $Api,

        [string] $SubscriptionId,

        [string] $SubscriberId,

        [object] $Until,

        [int] $SettleMarginMinutes,

        [int] $WindowHours,

        [int] $SliceHours,

        [int] $Concurrency,

        [psobject] $Connection
    )
    $resolved = Resolve-AzsBillingConnection -Cmdlet $PSCmdlet -Connection $Connection
    $source = Resolve-AzsUsageSource -Cmdlet $PSCmdlet -Connection $resolved.Connection -Api $Api -SubscriptionId $SubscriptionId -SubscriberId $SubscriberId
    $Api = $source.Api
    $SubscriptionId = $source.SubscriptionId
    $start = ConvertTo-AzsQueryInstant -Cmdlet $PSCmdlet -Name StartTime -Value $StartTime
    Write-Verbose "-StartTime is $($start.How)."
    $options = [ordered]@{
        api             = $Api.ToLowerInvariant()
        subscription_id = $SubscriptionId
        granularity     = $AggregationGranularity
        start_time      = $start.Utc.ToString($script:QueryTimeFormat, $script:Invariant)
    }
    if ($SubscriberId) { $options.subscriber_id = $SubscriberId }
    if ($PSBoundParameters.ContainsKey('Until')) {
        $until = ConvertTo-AzsQueryInstant -Cmdlet $PSCmdlet -Name Until -Value $Until
        Write-Verbose "-Until is $($until.How)."
        $options.until = $until.Utc.ToString($script:QueryTimeFormat, $script:Invariant)
    }
    foreach ($pair in @(
            @('SettleMarginMinutes', 'settle_margin_minutes'), @('WindowHours', 'window_hours'),
            @('SliceHours', 'slice_hours'), @('Concurrency', 'concurrency'))) {
        if ($PSBoundParameters.ContainsKey($pair[0])) { $options[$pair[1]] = $PSBoundParameters[$pair[0]] }
    }
    $opened = Open-AzsStore -Cmdlet $PSCmdlet -Store $Store
    try {
        Invoke-AzsUsageSync -Cmdlet $PSCmdlet -Client $resolved.Client -Store $opened -Options $options
    } finally {
        $opened.Handle.Dispose()
    }
}

function Get-AzsUsageSyncState {
    <#
    .SYNOPSIS
    Shows where each cursor of a usage store stands: watermark, rows, last run and last error.

    .DESCRIPTION
    One object per cursor (stamp, API, subscription, subscriber, granularity) that Sync-AzsUsage keeps in the
    store. Watermark is the reported time up to which everything is stored; the next sync starts there.
    LastRunFinished is empty while a sync runs or when its process died; LastError is the last run's error
    (a cancel included), empty when it succeeded. Nothing is sent to the stamp.

    .PARAMETER Store
    The store: a file path, a URL sqlite:PATH, or postgresql://USER@HOST:PORT/DATABASE, as for Sync-AzsUsage. Default: the per-user store. A store
    that does not exist is an error (nothing is created).

    .EXAMPLE
    Get-AzsUsageSyncState | Where-Object LastError

    The cursors whose last sync failed, with the error.

    .EXAMPLE
    Get-AzsUsageSyncState -Store ./usage.db | Where-Object { $_.Watermark -lt [datetime]::UtcNow.AddHours(-6) }

    Cursors more than six hours behind: a schedule that stopped running.

    .OUTPUTS
    AzsBilling.UsageSyncState
    #>
    [CmdletBinding()]
    [OutputType('AzsBilling.UsageSyncState')]
    param(
        [string] $Store
    )
    $opened = Open-AzsStore -Cmdlet $PSCmdlet -Store $Store -MustExist
    try {
        $json = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call { [AzsBilling.Native.WarehouseApi]::SyncState($opened.Handle) }
        ConvertFrom-AzsCursorState -Json $json -Store $opened.Url
    } finally {
        $opened.Handle.Dispose()
    }
}

function Get-AzsStoredUsage {
    <#
    .SYNOPSIS
    Reads the usage a store holds: the rows, or their exact sums per day or month, subscription and meter.

    .DESCRIPTION
    Reads what Sync-AzsUsage stored, nothing is sent to the stamp. Without -GroupBy: every stored row whose
    usage start is in [-From, -To), in usage-time order, as AzsBilling.StoredUsageRow objects (a page at a
    time, so memory stays flat however many there are). With -GroupBy Day or Month: their quantities summed
    per period, subscription and meter, with the meter's name and unit. Periods are the calendar days or
    months of -TimeZone (default UTC); a row counts in the period its usage start falls in.

    Quantity is a [decimal] in both: the store keeps each quantity exactly as the service sent it and sums
    exactly, with no floating-point drift (so a month's sum equals the sum of its days to the last digit;
    note that Measure-Object -Sum adds in [double]: sum with a [decimal] loop to keep that).

    Filters narrow rows and sums alike: -SubscriptionId, -Owner (the owner in the newest tenant list a
    provider sync stored), -MeterId, -Category (a meter catalogue category: Compute, Storage, Network, ...),
    -ResourceGroup, -ResourceType and -Tag.

    Rows of the -AggregationGranularity's cursors are read (hourly and daily rows of one usage are that
    usage twice). A store holding two cursors over the same usage (a provider cursor and a tenant cursor of
    one of its tenants) has it twice: narrow with -SubscriptionId, or keep such cursors in separate stores.

    .PARAMETER From
    Usage time, inclusive: a DateTime, a DateTimeOffset or an ISO 8601 string. A time without a zone is a
    wall-clock time of -TimeZone when it is given (so -From 2026-11-01 -TimeZone Europe/Berlin is Berlin's
    midnight), else of this computer's zone.

    .PARAMETER To
    Usage time, exclusive; the same forms as -From.

    .PARAMETER GroupBy
    Day or Month: sum per period, subscription and meter instead of returning the rows.

    .PARAMETER TimeZone
    The zone whose days and months are the periods, and in which a zone-less -From and -To are read: an IANA
    id (Europe/Berlin), a Windows id (W. Europe Standard Time) or a TimeZoneInfo. Default: UTC periods.

    .PARAMETER AggregationGranularity
    Which cursors' rows: Hourly (default) or Daily.

    .PARAMETER SubscriptionId
    One tenant subscription's usage only.

    .PARAMETER Owner
    The usage of the subscriptions this owner holds (any case), as the newest tenant list a provider sync
    stored names them. A store of tenant syncs only knows no owners: nothing matches.

    .PARAMETER MeterId
    One meter's usage only (any case, with or without hyphens).

    .PARAMETER Category
    The usage of one meter category of the catalogue (Get-AzsUsageMeter shows them): Compute, Storage,
    Network, Managed Disks, SQL, MySQL, Key Vault, App Service, ...

    .PARAMETER ResourceGroup
    One resource group's usage only (any case).

    .PARAMETER ResourceType
    Microsoft.Compute/virtualMachines (namespace and type) or the type alone (virtualMachines), any case.

    .PARAMETER Tag
    The usage of resources carrying a tag: @{ environment = 'production' } (the name in any case, the value
    exactly), @{ environment = $null } or 'environment' for any value. One tag.

    .PARAMETER Store
    The store: a file path, a URL sqlite:PATH, or postgresql://USER@HOST:PORT/DATABASE, as for Sync-AzsUsage. Default: the per-user store. A store
    that does not exist is an error (nothing is created).

    .EXAMPLE
    Get-AzsStoredUsage -From '2026-11-01' -To '2026-12-01' -GroupBy Month -TimeZone Europe/Berlin -Category Compute

    November in Berlin: compute usage per tenant and meter.

    .EXAMPLE
    Get-AzsStoredUsage -From ([datetime]::UtcNow.Date.AddDays(-7)) -To ([datetime]::UtcNow.Date) -Tag @{ environment = 'production' } |
        Export-Csv production.csv

    Last week's rows of production resources, as they were stored.

    .EXAMPLE
    $total = [decimal]0
    Get-AzsStoredUsage -From '2026-11-01T00:00:00Z' -To '2026-12-01T00:00:00Z' -Owner 'ops@contoso.com' -MeterId 'FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5' |
        ForEach-Object { $total += $_.Quantity }

    An owner's November virtual core hours, summed exactly.

    .OUTPUTS
    AzsBilling.StoredUsageRow

    .OUTPUTS
    AzsBilling.StoredUsageSummary
    #>
    [CmdletBinding(DefaultParameterSetName = 'Rows')]
    [OutputType('AzsBilling.StoredUsageRow', ParameterSetName = 'Rows')]
    [OutputType('AzsBilling.StoredUsageSummary', ParameterSetName = 'GroupBy')]
    param(
        [Parameter(Mandatory)]
        [object] $From,

        [Parameter(Mandatory)]
        [object] $To,

        [Parameter(Mandatory, ParameterSetName = 'GroupBy')]
        [ValidateSet('Day', 'Month')]
        [string] $GroupBy,

        [object] $TimeZone,

        [ValidateSet('Hourly', 'Daily')]
        [string] $AggregationGranularity = 'Hourly',

        [string] $SubscriptionId,

        [string] $Owner,

        [string] $MeterId,

        [string] $Category,

        [string] $ResourceGroup,

        [string] $ResourceType,

        [object] $Tag,

        [string] $Store
    )
    $zone = Resolve-AzsTimeZone -Cmdlet $PSCmdlet -TimeZone $TimeZone
    $query = New-AzsStoredUsageQuery -Cmdlet $PSCmdlet -Bound $PSBoundParameters -Zone $zone -Granularity $AggregationGranularity
    if ($GroupBy) {
        $query.period = $GroupBy.ToLowerInvariant()
        if ($zone) { $query.time_zone = $zone.Iana }
    }
    $json = $query | ConvertTo-Json -Compress
    Write-Verbose "Stored usage query: $json"
    $opened = Open-AzsStore -Cmdlet $PSCmdlet -Store $Store -MustExist
    try {
        if ($GroupBy) {
            $answer = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Reword { param($e) ConvertTo-AzsStoredUsageException $e } `
                -Call { [AzsBilling.Native.WarehouseApi]::Aggregate($opened.Handle, $json) }
            ConvertFrom-AzsAggregate -Json $answer -Period $GroupBy
            return
        }
        Read-AzsStoredRows -Cmdlet $PSCmdlet -Store $opened -Query $json
    } finally {
        $opened.Handle.Dispose()
    }
}

function Export-AzsUsage {
    <#
    .SYNOPSIS
    Writes usage, from a store or straight from the API, to a CSV or NDJSON file or a Parquet dataset,
    streaming, in constant memory.

    .DESCRIPTION
    From a store (-From and -To): writes the rows Sync-AzsUsage stored whose usage start is in [-From, -To)
    to -Path, in usage-time order, a page at a time inside the library (no PowerShell object per row, so
    millions of rows take seconds and little memory). The same filters as Get-AzsStoredUsage narrow the
    rows. Nothing is sent to the stamp.

    Straight from the API (-ReportedStartTime and -ReportedEndTime): writes the rows of that usage query,
    page by page in the order the service sends them, with no store: what Get-AzsSubscriberUsage (or
    Get-AzsTenantUsage) piped to Export-Csv does, streamed in the library. Each row carries the query's
    reported window and CursorId 0; provider rows carry their subscription's owner. The times follow
    Get-AzsSubscriberUsage's rules and are checked before anything is sent. A page that still fails after
    the connection's retries is a non-terminating error and leaves no file.

    Csv (default) writes a header and the columns usage_start, usage_end, subscription_id, owner, meter_id,
    meter_name, unit, category, quantity, resource_uri, resource_group, provider, resource_type,
    resource_name, location, tags, additional_info, vm_size, reported_start, reported_end, cursor_id,
    record_id: ISO 8601 UTC times, exact decimal quantities with '.', tags and additionalInfo as compact JSON,
    the same in every culture (Export-Csv would write the culture's dates and numbers). -Layout
    Usagesummary writes exactly the columns of AzureStack-Tools' Usagesummary.ps1 instead (UsageStartTime,
    UsageEndTime, MeterName, Quantity, resourceType, location, resourceGroup, resourceName, subowner, tags,
    MeterId, additionalInfo, subscription, resourceUri), so spreadsheets built on its output keep working.
    NdJson writes one JSON object per row and line (the fields of docs/c-abi.md's "Stored row"). Parquet
    writes a dataset directory at -Path with one Snappy-compressed file per usage day in Hive-style
    partitions (granularity=Hourly/usage_date=2026-11-03/part-0.parquet), typed columns (UTC timestamps, the
    quantity as DECIMAL(38, 18), text), which DuckDB, Spark, Fabric and pandas read as one table.

    What is written appears at -Path only when complete: a failed export leaves no short file there, and an
    earlier export at -Path is replaced only by a whole new one (-NoClobber refuses to replace it).

    .PARAMETER Path
    The file (Parquet: the dataset directory) to write, relative to the current location; its parent must
    exist. An existing directory is replaced only when it is empty or an earlier Parquet export; one that
    holds anything else is refused.

    .PARAMETER Format
    Csv (default), NdJson or Parquet.

    .PARAMETER Layout
    Csv only: Standard (default, every field) or Usagesummary (Usagesummary.ps1's columns).

    .PARAMETER NoClobber
    Refuse to replace an existing file at -Path.

    .PARAMETER ReportedStartTime
    Live: start of the reported-time window (inclusive), as for Get-AzsSubscriberUsage.

    .PARAMETER ReportedEndTime
    Live: end of the reported-time window (exclusive); not in the future.

    .PARAMETER Api
    Live: Provider (default on an admin endpoint) or Tenant (default elsewhere), as for Sync-AzsUsage.

    .PARAMETER SubscriberId
    Live, provider usage: one direct tenant's rows only.

    .PARAMETER Connection
    Live: the connection to read from; default: the current one.

    .PARAMETER From
    Usage time, inclusive, as for Get-AzsStoredUsage.

    .PARAMETER To
    Usage time, exclusive.

    .PARAMETER TimeZone
    The zone in which a zone-less -From and -To are read (an IANA or Windows id, or a TimeZoneInfo); times
    in the file stay UTC.

    .PARAMETER AggregationGranularity
    Which cursors' rows: Hourly (default) or Daily.

    .PARAMETER SubscriptionId
    From a store: one tenant subscription's rows only. Live: the provider subscription (default: the
    Default Provider Subscription) or, with -Api Tenant, the tenant subscription (default: the connection's).

    .PARAMETER Owner
    The rows of the subscriptions this owner holds, as for Get-AzsStoredUsage.

    .PARAMETER MeterId
    One meter's rows only.

    .PARAMETER Category
    One meter category's rows only (Compute, Storage, Network, ...).

    .PARAMETER ResourceGroup
    One resource group's rows only.

    .PARAMETER ResourceType
    Microsoft.Compute/virtualMachines or virtualMachines.

    .PARAMETER Tag
    @{ name = 'value' }, or a tag name for any value.

    .PARAMETER Store
    The store: a file path, a URL sqlite:PATH, or postgresql://USER@HOST:PORT/DATABASE, as for Sync-AzsUsage. Default: the per-user store.

    .EXAMPLE
    Export-AzsUsage -Path november.csv -From '2026-11-01' -To '2026-12-01' -TimeZone Europe/Berlin

    November (Berlin's midnights) into a CSV any spreadsheet or database reads the same way.

    .EXAMPLE
    Export-AzsUsage -Path UsageSummary.csv -Layout Usagesummary -From ([datetime]::UtcNow.Date.AddDays(-1)) -To ([datetime]::UtcNow.Date) -AggregationGranularity Daily

    Yesterday in Usagesummary.ps1's columns, from daily rows.

    .EXAMPLE
    Export-AzsUsage -Path usage.ndjson -Format NdJson -From '2026-11-01T00:00:00Z' -To '2026-12-01T00:00:00Z' -Category Compute

    November's compute rows as NDJSON, for jq, DuckDB or a log pipeline.

    .EXAMPLE
    Export-AzsUsage -Path UsageSummary.csv -Layout Usagesummary -ReportedStartTime '2026-11-01T00:00:00Z' -ReportedEndTime '2026-11-02T00:00:00Z' -AggregationGranularity Daily

    One reported day straight from the stamp in Usagesummary.ps1's columns, without a store.

    .EXAMPLE
    Export-AzsUsage -Path ./usage-dataset -Format Parquet -From '2026-01-01T00:00:00Z' -To '2027-01-01T00:00:00Z'

    The year as a Parquet dataset; DuckDB: SELECT usage_date, sum(quantity) FROM read_parquet('usage-dataset/**/*.parquet', hive_partitioning = true) GROUP BY 1.

    .OUTPUTS
    AzsBilling.UsageExportReport
    #>
    [CmdletBinding(DefaultParameterSetName = 'Store')]
    [OutputType('AzsBilling.UsageExportReport')]
    param(
        [Parameter(Mandatory)]
        [string] $Path,

        [Parameter(Mandatory, ParameterSetName = 'Store')]
        [object] $From,

        [Parameter(Mandatory, ParameterSetName = 'Store')]
        [object] $To,

        [Parameter(Mandatory, ParameterSetName = 'Live')]
        [object] $ReportedStartTime,

        [Parameter(Mandatory, ParameterSetName = 'Live')]
        [object] $ReportedEndTime,

        [ValidateSet('Csv', 'NdJson', 'Parquet')]
        [string] $Format = 'Csv',

        [ValidateSet('Standard', 'Usagesummary')]
        [string] $Layout = 'Standard',

        [switch] $NoClobber,

        [ValidateSet('Hourly', 'Daily')]
        [string] $AggregationGranularity = 'Hourly',

        [string] $SubscriptionId,

        [Parameter(ParameterSetName = 'Live')]
        [ValidateSet('Provider', 'Tenant')]
        [string] $Api,

        [Parameter(ParameterSetName = 'Live')]
        [string] $SubscriberId,

        [Parameter(ParameterSetName = 'Live')]
        [psobject] $Connection,

        [Parameter(ParameterSetName = 'Store')]
        [object] $TimeZone,

        [Parameter(ParameterSetName = 'Store')]
        [string] $Owner,

        [Parameter(ParameterSetName = 'Store')]
        [string] $MeterId,

        [Parameter(ParameterSetName = 'Store')]
        [string] $Category,

        [Parameter(ParameterSetName = 'Store')]
        [string] $ResourceGroup,

        [Parameter(ParameterSetName = 'Store')]
        [string] $ResourceType,

        [Parameter(ParameterSetName = 'Store')]
        [object] $Tag,

        [Parameter(ParameterSetName = 'Store')]
        [string] $Store
    )
    if ($Format -ne 'Csv' -and $Layout -ne 'Standard') {
        $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'InvalidArgument' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) -TargetObject 'Layout' `
                    -Message "-Layout chooses CSV columns: leave it out with -Format $Format, or use -Format Csv."))
    }
    $file = Resolve-AzsPath $PSCmdlet $Path
    if ($NoClobber -and (Test-Path -LiteralPath $file)) {
        $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'FileExists' -Category ResourceExists `
                    -ExceptionType ([System.IO.IOException]) -TargetObject $file `
                    -Message "-Path '$Path' exists ($file) and -NoClobber is set: give another path, or leave -NoClobber out to replace it."))
    }
    $formatName = if ($Format -ne 'Csv') { $Format.ToLowerInvariant() } elseif ($Layout -eq 'Usagesummary') { 'csv_usagesummary' } else { 'csv' }
    $options = @{ format = $formatName; path = $file } | ConvertTo-Json -Compress
    $reword = { param($e) ConvertTo-AzsStoredUsageException $e }
    if ($PSCmdlet.ParameterSetName -eq 'Live') {
        $resolved = Resolve-AzsBillingConnection -Cmdlet $PSCmdlet -Connection $Connection
        $source = Resolve-AzsUsageSource -Cmdlet $PSCmdlet -Connection $resolved.Connection -Api $Api -SubscriptionId $SubscriptionId -SubscriberId $SubscriberId
        $window = ConvertTo-AzsQueryWindow -Cmdlet $PSCmdlet -Start $ReportedStartTime -End $ReportedEndTime -Granularity $AggregationGranularity
        $query = New-AzsUsageQuery -Api $source.Api.ToLowerInvariant() -SubscriptionId $source.SubscriptionId -Window $window `
            -Granularity $AggregationGranularity -SubscriberId $SubscriberId | ConvertTo-Json -Compress
        Write-Verbose "Live export query: $query; options: $options"
        $answer = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -NonTerminating -Reword $reword -Extra @{ Path = $file } `
            -Call { [AzsBilling.Native.QueryApi]::UsageExport($resolved.Client, $query, $options) }
        if (Test-AzsBillingFailed $answer) { return }
        $answer = $answer | ConvertFrom-Json
    } else {
        $zone = Resolve-AzsTimeZone -Cmdlet $PSCmdlet -TimeZone $TimeZone
        $query = New-AzsStoredUsageQuery -Cmdlet $PSCmdlet -Bound $PSBoundParameters -Zone $zone -Granularity $AggregationGranularity | ConvertTo-Json -Compress
        Write-Verbose "Export query: $query; options: $options"
        $opened = Open-AzsStore -Cmdlet $PSCmdlet -Store $Store -MustExist
        try {
            $answer = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Reword $reword `
                -Call { [AzsBilling.Native.WarehouseApi]::Export($opened.Handle, $query, $options) } | ConvertFrom-Json
        } finally {
            $opened.Handle.Dispose()
        }
    }
    [pscustomobject]@{
        PSTypeName = 'AzsBilling.UsageExportReport'
        Path       = [string]$answer.path
        Format     = $Format
        Layout     = if ($Format -eq 'Csv') { $Layout } else { $null }
        Rows       = [long]$answer.rows
        Files      = [long]$answer.files
        Bytes      = [long]$answer.bytes
    }
}
