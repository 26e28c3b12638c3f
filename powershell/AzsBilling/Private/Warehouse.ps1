# The usage warehouse: which store a command means, the sync's progress loop, and the library's JSON as objects.

function Resolve-AzsStoreUrl {
    # -Store as the library's store URL, or $null for the per-user store. A path (no scheme) is a SQLite
    # file; a relative path, bare or after 'sqlite:', is PowerShell's location's (the process's current
    # directory, which the library would use, is another). Other URLs pass as given, for the library to judge.
    param([System.Management.Automation.PSCmdlet] $Cmdlet, [string] $Store)
    if (-not $Store) { return $null }
    if ($Store -match '^(?i)sqlite:(//)?(?<path>.*)$') {
        $path = $Matches.path
        if ($path -eq '' -or $path -eq ':memory:' -or [System.IO.Path]::IsPathRooted($path)) { return $Store }
        return 'sqlite:' + (Resolve-AzsPath $Cmdlet $path)
    }
    if ($Store -match '^[A-Za-z][A-Za-z0-9+.-]+://') { return $Store }
    'sqlite:' + (Resolve-AzsPath $Cmdlet $Store)
}

function Open-AzsStore {
    # The store -Store names (see Resolve-AzsStoreUrl), opened; a failure is terminating. Returns the handle
    # and the URL to show. -MustExist (the commands that only read): a store that does not exist is the
    # library's NotFound, not a new empty store at a mistyped path.
    param([Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet, [string] $Store, [switch] $MustExist)
    $url = Resolve-AzsStoreUrl $Cmdlet $Store
    $reword = { param($e) ConvertTo-AzsSyncException $e }
    $handle = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Reword $reword -Call { [AzsBilling.Native.WarehouseApi]::StoreOpen($url, [bool]$MustExist) }
    # The library's URL, not -Store's: a PostgreSQL URL may hold a password, which is never shown.
    $shown = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Reword $reword -Call { [AzsBilling.Native.WarehouseApi]::StoreUrl($handle) }
    Write-Verbose "Store: $shown"
    [pscustomobject]@{ Handle = $handle; Url = $shown }
}

function ConvertFrom-AzsUtcText {
    # A library time (ISO 8601 with Z) as a DateTime of Kind Utc; $null stays $null.
    param([AllowNull()] [object] $Text)
    if ($null -eq $Text -or $Text -eq '') { return $null }
    if ($Text -is [datetime]) { return $Text.ToUniversalTime() }
    [datetimeoffset]::Parse([string]$Text, $script:Invariant).UtcDateTime
}

function ConvertFrom-AzsDecimalText {
    # A library quantity (a decimal string, exact) as [decimal].
    param([string] $Text)
    [decimal]::Parse($Text, [System.Globalization.NumberStyles]::Float, $script:Invariant)
}

function ConvertTo-AzsApiName {
    param([string] $Api)
    if ($Api -eq 'tenant') { 'Tenant' } else { 'Provider' }
}

function ConvertFrom-AzsSyncReport {
    param([string] $Json, [string] $Store)
    $r = ConvertFrom-Json -InputObject $Json
    [pscustomobject]@{
        PSTypeName        = 'AzsBilling.UsageSyncReport'
        Store             = $Store
        CursorId          = [long]$r.cursor_id
        RunId             = [long]$r.run_id
        Windows           = [long]$r.windows
        Rows              = [long]$r.rows
        DuplicatesSkipped = [long]$r.duplicates_skipped
        Tenants           = if ($null -ne $r.tenants) { [long]$r.tenants } else { $null }
        Watermark         = ConvertFrom-AzsUtcText $r.watermark
        Until             = ConvertFrom-AzsUtcText $r.until
        Throttled         = [long]$r.throttled
        LowestConcurrency = [int]$r.lowest_concurrency
    }
}

function ConvertFrom-AzsCursorState {
    param([string] $Json, [string] $Store)
    foreach ($c in (ConvertFrom-Json -InputObject $Json -NoEnumerate)) {
        [pscustomobject]@{
            PSTypeName             = 'AzsBilling.UsageSyncState'
            Store                  = $Store
            CursorId               = [long]$c.cursor_id
            Stamp                  = [string]$c.stamp
            Api                    = ConvertTo-AzsApiName $c.api
            SubscriptionId         = [string]$c.subscription_id
            SubscriberId           = if ($c.subscriber_id) { [string]$c.subscriber_id } else { $null }
            AggregationGranularity = [string]$c.granularity
            StartTime              = ConvertFrom-AzsUtcText $c.start_time
            Watermark              = ConvertFrom-AzsUtcText $c.watermark
            Rows                   = [long]$c.rows
            LastRunStarted         = ConvertFrom-AzsUtcText $c.last_run_started
            LastRunFinished        = ConvertFrom-AzsUtcText $c.last_run_finished
            LastError              = if ($c.last_error) { [string]$c.last_error } else { $null }
        }
    }
}

function ConvertFrom-AzsAggregate {
    param([string] $Json, [string] $Period)
    foreach ($a in (ConvertFrom-Json -InputObject $Json -NoEnumerate)) {
        [pscustomobject]@{
            PSTypeName     = 'AzsBilling.StoredUsageSummary'
            Period         = [string]$a.period
            PeriodKind     = $Period
            PeriodStart    = ConvertFrom-AzsUtcText $a.period_start
            SubscriptionId = [string]$a.subscription_id
            MeterId        = [string]$a.meter_id_normalized
            MeterName      = if ($a.meter_name) { [string]$a.meter_name } else { $null }
            Unit           = if ($a.unit) { [string]$a.unit } else { $null }
            Quantity       = ConvertFrom-AzsDecimalText $a.quantity
            Rows           = [long]$a.rows
        }
    }
}

function Invoke-AzsUsageSync {
    # Runs a sync on the library's thread (see AzsBilling.Native.UsageSync) while this, the pipeline thread,
    # shows its progress; a stopped pipeline (Ctrl+C) cancels it in the finally block, which waits for the
    # window in progress to roll back. Returns the report object, or nothing after writing the error.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [AzsBilling.Native.ClientHandle] $Client,
        [Parameter(Mandatory)] [psobject] $Store,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Options
    )
    $json = $Options | ConvertTo-Json -Compress
    Write-Verbose "Sync options: $json"
    $activity = "$($Cmdlet.MyInvocation.MyCommand.Name): $($Options.api) usage of $($Options.subscription_id) ($($Options.granularity)) into $($Store.Url)"
    $progressId = Get-Random -Minimum 1000 -Maximum 1000000
    $sync = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Call { [AzsBilling.Native.WarehouseApi]::SyncStart($Client, $Store.Handle, $json) }
    try {
        while (-not $sync.IsCompleted) {
            $text = $sync.TakeProgress(250)
            if ($null -eq $text) { continue }
            $p = ConvertFrom-Json -InputObject $text
            $watermark = (ConvertFrom-AzsUtcText $p.watermark).ToString('yyyy-MM-dd HH:mm', $script:Invariant) + 'Z'
            $status = "$($p.windows_done) of $($p.windows_total) windows, $($p.rows) rows, $([math]::Round([double]$p.rows_per_second)) rows/s, watermark $watermark"
            Write-Verbose "Committed: $status"
            $shown = @{ Id = $progressId; Activity = $activity; Status = $status }
            if ($p.windows_total -gt 0) { $shown.PercentComplete = [int](100 * $p.windows_done / $p.windows_total) }
            if ($null -ne $p.eta_seconds) { $shown.SecondsRemaining = [int][math]::Ceiling([double]$p.eta_seconds) }
            Write-Progress @shown
        }
        $report = Invoke-AzsBillingNative -Cmdlet $Cmdlet -NonTerminating -Extra @{ Store = $Store.Url } `
            -Reword { param($e) ConvertTo-AzsSyncException $e } -Call { $sync.Result }
    } finally {
        $sync.Dispose()
        Write-Progress -Id $progressId -Activity $activity -Completed
    }
    if (Test-AzsBillingFailed $report) {
        Write-Verbose 'The sync stopped: every window committed before the failure stays; Get-AzsUsageSyncState shows the watermark and the error, and running the same command again goes on from there.'
        return
    }
    ConvertFrom-AzsSyncReport -Json $report -Store $Store.Url
}

function Resolve-AzsTimeZone {
    # -TimeZone (an IANA id, a Windows id or a TimeZoneInfo) as the zone and its IANA id, which the library
    # takes; $null for none (UTC).
    param([System.Management.Automation.PSCmdlet] $Cmdlet, [AllowNull()] [object] $TimeZone)
    $v = if ($TimeZone -is [psobject]) { $TimeZone.PSObject.BaseObject } else { $TimeZone }
    if ($null -eq $v -or $v -eq '') { return $null }
    $info = $null
    if ($v -is [System.TimeZoneInfo]) {
        $info = $v
    } else {
        try { $info = [System.TimeZoneInfo]::FindSystemTimeZoneById([string]$v) } catch { $info = $null }
    }
    $iana = $null
    if ($null -ne $info) {
        if ($info.HasIanaId) { $iana = $info.Id } elseif (-not [System.TimeZoneInfo]::TryConvertWindowsIdToIanaId($info.Id, [ref]$iana)) { $iana = $null }
    }
    if (-not $iana) {
        $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'InvalidArgument' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) -TargetObject 'TimeZone' `
                    -Message "-TimeZone '$v' is not a time zone this computer knows: give an IANA id such as Europe/Berlin or America/New_York, or a TimeZoneInfo."))
    }
    [pscustomobject]@{ Info = $info; Iana = $iana }
}

function ConvertTo-AzsZonedInstant {
    # A usage-time bound in the library's UTC form. With a zone, a time that names no instant (a DateTime of
    # Kind Unspecified, a string without a zone) is a wall-clock time of that zone; everything else follows
    # ConvertTo-AzsQueryInstant's rule.
    param([System.Management.Automation.PSCmdlet] $Cmdlet, [string] $Name, [AllowNull()] [object] $Value, [AllowNull()] [psobject] $Zone)
    $read = ConvertTo-AzsQueryInstant -Cmdlet $Cmdlet -Name $Name -Value $Value
    $v = if ($Value -is [psobject]) { $Value.PSObject.BaseObject } else { $Value }
    $utc = $read.Utc
    $how = $read.How
    $local = $v -is [datetime] -and $v.Kind -eq [System.DateTimeKind]::Local
    if ($null -ne $Zone -and $null -ne $read.Wall -and -not $local) {
        $wall = [datetime]::SpecifyKind($read.Wall, 'Unspecified')
        if ($Zone.Info.IsInvalidTime($wall)) {
            $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'InvalidArgument' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) -TargetObject $Name `
                        -Message "-$Name $($wall.ToString('s', $script:Invariant)) does not exist in $($Zone.Iana) (the clocks skip it): give a time outside the daylight saving change, or one with an offset."))
        }
        $utc = [System.TimeZoneInfo]::ConvertTimeToUtc($wall, $Zone.Info)
        $how = "$($wall.ToString('s', $script:Invariant)) (no zone), read in -TimeZone $($Zone.Iana)"
    }
    $wire = $utc.ToString($script:QueryTimeFormat, $script:Invariant)
    Write-Verbose "-$Name is ${how}: $wire."
    $wire
}

function ConvertTo-AzsTagFilter {
    # -Tag as the library's tag filter: a one-entry hashtable (a $null value: any value) or a tag name.
    param([System.Management.Automation.PSCmdlet] $Cmdlet, [AllowNull()] [object] $Tag)
    $v = if ($Tag -is [psobject]) { $Tag.PSObject.BaseObject } else { $Tag }
    if ($v -is [System.Collections.IDictionary] -and $v.Count -eq 1) {
        $key = @($v.Keys)[0]
        $value = $v[$key]
        return [ordered]@{ key = [string]$key; value = if ($null -eq $value) { $null } else { [string]$value } }
    }
    if ($v -is [string] -and $v.Trim()) { return [ordered]@{ key = $v.Trim(); value = $null } }
    $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'InvalidArgument' -Category InvalidArgument `
                -ExceptionType ([System.ArgumentException]) -TargetObject 'Tag' `
                -Message "-Tag takes one tag: @{ environment = 'production' }, or a tag name such as 'environment' for any value."))
}

function ConvertTo-AzsStoredUsageException {
    # A refusal of a stored-usage query, in Get-AzsStoredUsage's parameters.
    param([AzsBilling.Native.AzsBillingException] $Exception)
    Set-AzsExceptionMessage $Exception (ConvertTo-AzsParameterWords -Message $Exception.Message `
            -Fields $script:StoredUsageFieldParameters -Words $script:StoredUsageWordParameters)
}

function Read-AzsStoredRows {
    # Streams the rows of a row query page by page (one page in memory), with progress.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [psobject] $Store,
        [Parameter(Mandatory)] [string] $Query
    )
    $reword = { param($e) ConvertTo-AzsStoredUsageException $e }
    $rows = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Reword $reword -Call { [AzsBilling.Native.WarehouseApi]::RowsOpen($Store.Handle, $Query) }
    $activity = "$($Cmdlet.MyInvocation.MyCommand.Name): $($Store.Url)"
    $progressId = Get-Random -Minimum 1000 -Maximum 1000000
    $count = 0
    try {
        while ($true) {
            $page = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Reword $reword -Call { , [AzsBilling.Native.WarehouseApi]::RowsNext($rows, 1000) }
            if ($null -eq $page) { break }
            $count += $page.Length
            $Cmdlet.WriteObject($page, $true)
            $page = $null
            Write-Progress -Id $progressId -Activity $activity -Status "$count rows"
        }
    } finally {
        $rows.Dispose()
        Write-Progress -Id $progressId -Activity $activity -Completed
    }
    Write-Verbose "$count stored rows."
}

function New-AzsStoredUsageQuery {
    # The row query of Get-AzsStoredUsage and Export-AzsUsage (docs/c-abi.md, "Row query") from their bound
    # parameters: the usage window, read in -TimeZone when given, the granularity and the filters.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Bound,
        [AllowNull()] [psobject] $Zone,
        [Parameter(Mandatory)] [string] $Granularity
    )
    $query = [ordered]@{
        from        = ConvertTo-AzsZonedInstant -Cmdlet $Cmdlet -Name From -Value $Bound['From'] -Zone $Zone
        to          = ConvertTo-AzsZonedInstant -Cmdlet $Cmdlet -Name To -Value $Bound['To'] -Zone $Zone
        granularity = $Granularity
    }
    foreach ($pair in @(
            @('SubscriptionId', 'subscription_id'), @('Owner', 'owner'), @('MeterId', 'meter_id'), @('Category', 'category'),
            @('ResourceGroup', 'resource_group'), @('ResourceType', 'resource_type'))) {
        if ($Bound[$pair[0]]) { $query[$pair[1]] = $Bound[$pair[0]] }
    }
    if ($Bound.ContainsKey('Tag')) { $query.tag = ConvertTo-AzsTagFilter -Cmdlet $Cmdlet -Tag $Bound['Tag'] }
    $query
}

function Resolve-AzsUsageSource {
    # Which usage API and subscription a sync or live export reads: -Api, else Provider on an admin endpoint
    # and Tenant elsewhere; -SubscriptionId, else the Default Provider Subscription (Provider) or the
    # connection's working subscription (Tenant). -SubscriberId belongs to provider usage only.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [psobject] $Connection,
        [string] $Api,
        [string] $SubscriptionId,
        [string] $SubscriberId
    )
    if (-not $Api) { $Api = if ($Connection.EndpointType -eq 'Admin') { 'Provider' } else { 'Tenant' } }
    if ($Api -eq 'Tenant' -and $SubscriberId) {
        $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'InvalidArgument' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) -TargetObject 'SubscriberId' `
                    -Message '-SubscriberId chooses a tenant of provider usage: leave it out with -Api Tenant, or use -Api Provider.'))
    }
    if (-not $SubscriptionId) {
        $SubscriptionId = if ($Api -eq 'Provider') { $Connection.DefaultProviderSubscriptionId } else { $Connection.SubscriptionId }
        if (-not $SubscriptionId) {
            $which = if ($Api -eq 'Provider') { 'no Default Provider Subscription (is it an admin endpoint?)' } else { 'no working subscription' }
            $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NoSubscription' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) -Message "The connection has ${which}: give -SubscriptionId."))
        }
    }
    [pscustomobject]@{ Api = $Api; SubscriptionId = $SubscriptionId }
}
