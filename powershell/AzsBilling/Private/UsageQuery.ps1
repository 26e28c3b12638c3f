# Usage queries: the UTC wire form of times and the pager that streams rows page by page.

function ConvertTo-AzsQueryInstant {
    # One time argument as a UTC DateTime. The rule: a value that names its instant (a DateTimeOffset, a
    # DateTime of Kind Utc or Local, a string with 'Z' or an offset) is that instant; one that does not (a
    # DateTime of Kind Unspecified, a string without a zone) is a wall-clock time of this computer's zone, as
    # DateTime.ToUniversalTime() and PowerShell's [datetime] casts take it. Returns the UTC time, the local
    # wall-clock time when it was read as local time (else $null), and a sentence saying how it was read.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [string] $Name,
        [AllowNull()] [object] $Value
    )
    $v = if ($Value -is [psobject]) { $Value.PSObject.BaseObject } else { $Value }
    $wall = $null
    if ($v -is [datetimeoffset]) {
        $utc = $v.UtcDateTime
        $how = "the DateTimeOffset $($v.ToString('o', $script:Invariant))"
    } elseif ($v -is [datetime] -and $v.Kind -eq [System.DateTimeKind]::Utc) {
        $utc = $v
        $how = 'a DateTime of Kind Utc, used as it is'
    } elseif ($v -is [datetime]) {
        $wall = [datetime]::SpecifyKind($v, 'Unspecified')
        $utc = $v.ToUniversalTime()
        $how = "a DateTime of Kind $($v.Kind) $($wall.ToString('s', $script:Invariant)), read as local time"
    } elseif ($v -is [string]) {
        $text = $v.Trim()
        $styles = [System.Globalization.DateTimeStyles]::AssumeLocal
        $parsed = [datetimeoffset]::MinValue
        $kind = [datetime]::MinValue
        if (-not [datetimeoffset]::TryParse($text, $script:Invariant, $styles, [ref]$parsed) -or
            -not [datetime]::TryParse($text, $script:Invariant, [System.Globalization.DateTimeStyles]::RoundtripKind, [ref]$kind)) {
            $shown = if ($text.Length -gt 40) { $text.Substring(0, 40) + '...' } else { $text }
            $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'InvalidArgument' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) -TargetObject $Name `
                        -Message "-$Name '$shown' is not a date and time: give a DateTime, a DateTimeOffset or an ISO 8601 string such as '2026-01-05T00:00:00Z'."))
        }
        $utc = $parsed.UtcDateTime
        if ($kind.Kind -eq [System.DateTimeKind]::Unspecified) {
            $wall = $parsed.DateTime
            $how = "the string '$text' (no zone), read as local time"
        } else {
            $how = "the string '$text'"
        }
    } else {
        $type = if ($null -eq $v) { 'null' } else { $v.GetType().FullName }
        $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'InvalidArgument' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) -TargetObject $Name `
                    -Message "-$Name is a $type, not a time: give a DateTime, a DateTimeOffset or an ISO 8601 string such as '2026-01-05T00:00:00Z'."))
    }
    if ($null -ne $wall) {
        $offset = [System.TimeZoneInfo]::Local.GetUtcOffset($utc)
        $how += " ($([System.TimeZoneInfo]::Local.Id), UTC$(Format-AzsUtcOffset $offset) then)"
    }
    [pscustomobject]@{ Utc = $utc; Wall = $wall; How = $how }
}

function Format-AzsUtcOffset {
    param([timespan] $Offset)
    $sign = if ($Offset -lt [timespan]::Zero) { '-' } else { '+' }
    '{0}{1:hh\:mm}' -f $sign, $Offset.Duration()
}

function ConvertTo-AzsQueryWindow {
    # The reported-time window of a usage query in its UTC wire form. -Verbose says how each bound was read;
    # a bound read as local time that is not aligned in UTC is refused here, where the message can say why
    # (the README's old (Get-Date).Date example); a window whose local bounds span a daylight saving change
    # gets a warning, since it covers an hour more or less than the wall clock suggests.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [AllowNull()] [object] $Start,
        [AllowNull()] [object] $End,
        [Parameter(Mandatory)] [string] $Granularity
    )
    $bounds = [ordered]@{
        ReportedStartTime = ConvertTo-AzsQueryInstant -Cmdlet $Cmdlet -Name ReportedStartTime -Value $Start
        ReportedEndTime   = ConvertTo-AzsQueryInstant -Cmdlet $Cmdlet -Name ReportedEndTime -Value $End
    }
    foreach ($name in $bounds.Keys) {
        $b = $bounds[$name]
        $wire = $b.Utc.ToString($script:QueryTimeFormat, $script:Invariant)
        Write-Verbose "-$name is $($b.How): $wire."
        if ($null -eq $b.Wall) { continue }
        $aligned = if ($Granularity -eq 'Daily') { $b.Utc.TimeOfDay -eq [timespan]::Zero } else { $b.Utc.Ticks % [timespan]::TicksPerHour -eq 0 }
        $wallAligned = if ($Granularity -eq 'Daily') { $b.Wall.TimeOfDay -eq [timespan]::Zero } else { $b.Wall.Ticks % [timespan]::TicksPerHour -eq 0 }
        if (-not $aligned -and $wallAligned) {
            $want = if ($Granularity -eq 'Daily') { 'a UTC midnight' } else { 'the start of a UTC hour' }
            $example = if ($Granularity -eq 'Daily') { '[datetime]::UtcNow.Date.AddDays(-7)' } else { '[datetime]::UtcNow.Date.AddHours(6)' }
            $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'InvalidArgument' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) -TargetObject $name `
                        -Message "-$name is $($b.How), which is $wire, not $want as $Granularity usage needs. Give a UTC time: $example, [datetimeoffset], or a string ending in Z such as '2026-01-05T00:00:00Z'."))
        }
    }
    $s = $bounds.ReportedStartTime
    $e = $bounds.ReportedEndTime
    if ($null -ne $s.Wall -and $null -ne $e.Wall) {
        $utcHours = ($e.Utc - $s.Utc).TotalHours
        $wallHours = ($e.Wall - $s.Wall).TotalHours
        if ($utcHours -ne $wallHours) {
            $zone = [System.TimeZoneInfo]::Local
            $from = Format-AzsUtcOffset $zone.GetUtcOffset($s.Utc)
            $to = Format-AzsUtcOffset $zone.GetUtcOffset($e.Utc)
            $Cmdlet.WriteWarning("The window was given as local times ($($zone.Id)) across a daylight saving change (UTC$from at the start, UTC$to at the end): " +
                "it covers $utcHours hours of usage, not the $wallHours between the wall-clock times. Give UTC times (Kind Utc, [datetimeoffset] or strings ending in Z) to choose the hours exactly.")
        }
    }
    [pscustomobject]@{
        Start = $s.Utc.ToString($script:QueryTimeFormat, $script:Invariant)
        End   = $e.Utc.ToString($script:QueryTimeFormat, $script:Invariant)
    }
}

function New-AzsUsageQuery {
    # The query JSON's fields (docs/c-abi.md, "Usage query"), in the library's snake_case; optional ones only
    # when given, as the service drops empty optional parameters.
    param(
        [Parameter(Mandatory)] [ValidateSet('provider', 'tenant')] [string] $Api,
        [Parameter(Mandatory)] [string] $SubscriptionId,
        [Parameter(Mandatory)] [psobject] $Window,
        [Parameter(Mandatory)] [string] $Granularity,
        [string] $SubscriberId,
        [string] $ContinuationToken
    )
    $query = [ordered]@{
        api                     = $Api
        subscription_id         = $SubscriptionId
        reported_start_time     = $Window.Start
        reported_end_time       = $Window.End
        aggregation_granularity = $Granularity
    }
    if ($SubscriberId) { $query.subscriber_id = $SubscriberId }
    if ($ContinuationToken) { $query.continuation_token = $ContinuationToken }
    $query
}

function Invoke-AzsUsageQuery {
    # Opens a usage query, pages through it with Write-Progress and streams every row as its page is parsed
    # (one page in memory at a time). Any failure of the service or the network is a non-terminating error of
    # the calling cmdlet (see Invoke-AzsBillingNative -NonTerminating) that ends this query only: a failed
    # page never looks like the end of the data, and its error's target object carries the continuation token
    # to resume from with -ContinuationToken, and the pages and rows read before it.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [AzsBilling.Native.ClientHandle] $Client,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Query
    )
    $json = $Query | ConvertTo-Json -Compress
    Write-Verbose "Usage query: $json"
    $token = $Query['continuation_token']
    $progress = @{ ContinuationToken = $token; PagesRead = 0; RowsRead = 0; SubscriptionId = $Query.subscription_id; SubscriberId = $Query['subscriber_id'] }
    $handle = Invoke-AzsBillingNative -Cmdlet $Cmdlet -NonTerminating -Extra $progress -Call { [AzsBilling.Native.QueryApi]::UsageOpen($Client, $json) }
    if (Test-AzsBillingFailed $handle) { return }
    $activity = "$($Cmdlet.MyInvocation.MyCommand.Name): $($Query.reported_start_time) to $($Query.reported_end_time) ($($Query.aggregation_granularity)), subscription $($Query.subscription_id)"
    $progressId = Get-Random -Minimum 1000 -Maximum 1000000
    $pages = 0
    $rows = 0
    $failed = $false
    try {
        while ($true) {
            $progress = @{ ContinuationToken = $token; PagesRead = $pages; RowsRead = $rows; SubscriptionId = $Query.subscription_id; SubscriberId = $Query['subscriber_id'] }
            $page = Invoke-AzsBillingNative -Cmdlet $Cmdlet -NonTerminating -Extra $progress -Call {
                [AzsBilling.Native.QueryApi]::UsageNextRows($handle)
            }
            if (Test-AzsBillingFailed $page) { $failed = $true; break }
            if ($null -eq $page) { break }
            $pages++
            $rows += $page.Length
            $token = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Call { [AzsBilling.Native.Api]::UsageContinuationToken($handle) }
            # The shim shapes the rows (AzsBilling.UsageAggregate, see UsageRows.cs): a script loop per row
            # cost more than fetching and parsing the page.
            $Cmdlet.WriteObject($page, $true)
            $page = $null
            Write-Verbose "Page $pages read, $rows rows so far; continuation token: $(if ($token) { $token } else { '(none: last page)' })"
            Write-Progress -Id $progressId -Activity $activity -Status "$pages pages, $rows rows"
        }
    } finally {
        $handle.Dispose()
        Write-Progress -Id $progressId -Activity $activity -Completed
    }
    if ($failed) {
        Write-Verbose "Stopped after $rows rows in $pages pages: the query is incomplete; resume it with -ContinuationToken from the error's target object."
    } else {
        Write-Verbose "Done: $rows rows in $pages pages."
    }
}
