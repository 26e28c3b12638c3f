function Get-AzsSubscriberUsage {
    <#
    .SYNOPSIS
    Gets the usage of the tenant subscriptions of a provider subscription (operator view).

    .DESCRIPTION
    Calls Microsoft.Commerce.Admin/subscriberUsageAggregates on the connected admin endpoint and streams one
    object per usage aggregate, following every page (progress shows pages and rows so far). Parameters and
    output properties are those of Get-AzsSubscriberUsage in Azs.Commerce.Admin, so existing scripts (for
    example AzureStack-Tools Usage/Usagesummary.ps1) keep working; the output also carries the meter name,
    unit and category, and the resource fields parsed from InstanceData.

    Times. The service counts usage in UTC: the start is inclusive, the end exclusive and not in the future,
    both on the hour for Hourly and at midnight for Daily. The rule for reading a time: a value that names its
    instant is that instant (a [datetimeoffset], a DateTime of Kind Utc or Local, a string ending in Z or an
    offset such as '2026-01-05T00:00:00Z'); a value that does not (a DateTime of Kind Unspecified, such as
    [datetime]'2026-01-05', or a string without a zone) is a wall-clock time in this computer's time zone.
    So (Get-Date).Date is the LOCAL midnight, which Daily usage refuses outside UTC; use
    [datetime]::UtcNow.Date for today's UTC midnight. -Verbose says how each time was read; a window given as
    local times across a daylight saving change gets a warning (it covers 23 or 25 hours for a 24-hour wall
    clock span). The times are checked before any request is sent.

    CSV. Export-Csv writes Tags, Tag and AdditionalInfo as compact JSON. UsageStartTime and UsageEndTime stay
    [datetime] values (Kind Utc) for scripts, and Export-Csv writes a [datetime] in the current culture
    without its zone; for ISO 8601 UTC text in the file, add text columns:
    ... | Select-Object *, @{ n = 'UsageStartTimeUtc'; e = { $_.UsageStartTime.ToString('o') } },
    @{ n = 'UsageEndTimeUtc'; e = { $_.UsageEndTime.ToString('o') } } | Export-Csv usage.csv

    Delegated-provider (reseller) tenants. An operator can sell a delegated offer to a tenant, who then acts
    as a delegated provider (a reseller) with its own provider subscription and its own tenants. Those
    tenants' subscriptions appear in Get-AzsUserSubscription with IsDirectTenant False (their
    DelegatedProviderSubscriptionId is the reseller's subscription), but the provider usage API of the
    Default Provider Subscription reports only its direct tenants: their rows are not in this command's
    output, and -SubscriberId with such a subscription writes the service's SubscriberIdIsNotDirectTenant
    error. Their usage is reported to the delegated provider, which queries it with its own provider
    subscription (-SubscriptionId, on a connection that has access to it), and to each tenant with
    Get-AzsTenantUsage.

    Errors. A failure of the service or the network (a refusal such as SubscriberIdIsNotDirectTenant, or a
    page that still fails after the connection's retries) is a non-terminating error that ends that one
    query, as in the Azs.* modules: `$rows = Get-AzsSubscriberUsage ... -ErrorAction SilentlyContinue`
    assigns what was read (nothing for a refused query), -ErrorAction Stop makes it terminating, and with
    several -SubscriptionId values the others still run. A query that failed part-way has returned a short
    result: its error's TargetObject carries ContinuationToken, PagesRead and RowsRead; run the same command
    with -ContinuationToken to read the rest. Invalid arguments stop the command before anything is sent.

    .PARAMETER ReportedStartTime
    Start of the reported-time window (inclusive): a DateTime, a DateTimeOffset or an ISO 8601 string (see
    Times in the description).

    .PARAMETER ReportedEndTime
    End of the reported-time window (exclusive); not in the future. Same forms as -ReportedStartTime.

    .PARAMETER AggregationGranularity
    Daily (default) or Hourly.

    .PARAMETER SubscriberId
    Only the usage of this tenant subscription. It must be a direct tenant of the provider subscription
    (Get-AzsUserSubscription shows IsDirectTenant); a delegated provider's tenant writes the error
    SubscriberIdIsNotDirectTenant and returns no rows.

    .PARAMETER ContinuationToken
    Resume a query from this token (from the target object of an error that ended an earlier query, or from
    -Verbose output); the other parameters must be the same as in that query.

    .PARAMETER SubscriptionId
    The provider subscription(s); default: the Default Provider Subscription of the connection. Each is its
    own query: one that fails writes its error and the others still run.

    .PARAMETER Connection
    The connection to query (an object Connect-AzsBillingEnvironment returned); default: the current one.

    .EXAMPLE
    Get-AzsSubscriberUsage -ReportedStartTime '2026-01-05T00:00:00Z' -ReportedEndTime '2026-01-06T00:00:00Z' -AggregationGranularity Daily

    The daily usage of every tenant for 5 January 2026 (UTC).

    .EXAMPLE
    Get-AzsSubscriberUsage -ReportedStartTime ([datetime]::UtcNow.Date.AddDays(-7)) -ReportedEndTime ([datetime]::UtcNow.Date)

    The last seven whole UTC days, in any time zone.

    .EXAMPLE
    foreach ($s in Get-AzsUserSubscription | Where-Object IsDirectTenant) {
        $rows = Get-AzsSubscriberUsage -ReportedStartTime $start -ReportedEndTime $end -SubscriberId $s.SubscriptionId -ErrorAction SilentlyContinue -ErrorVariable failed
        if ($failed) { Write-Warning "$($s.SubscriptionId): $($failed[0])" }
        $rows | Export-Csv usage.csv -Append
    }

    Per-tenant usage into one CSV, as AzureStack-Tools Usagesummary.ps1 does; a tenant whose query fails
    adds no rows (never the previous tenant's again).

    .EXAMPLE
    $start = [datetime]::SpecifyKind([datetime]'2026-01-05', 'Utc')
    Get-AzsSubscriberUsage -ReportedStartTime $start -ReportedEndTime $start.AddHours(6) -AggregationGranularity Hourly -SubscriberId $sub |
        Group-Object MeterName | ForEach-Object { [pscustomobject]@{ Meter = $_.Name; Quantity = ($_.Group | Measure-Object Quantity -Sum).Sum } }

    Totals per meter for one tenant over six hours.

    .OUTPUTS
    AzsBilling.UsageAggregate
    #>
    [CmdletBinding()]
    [OutputType('AzsBilling.UsageAggregate')]
    param(
        # [object]: a DateTime, a DateTimeOffset or a string, read by the rule in the help (a [datetime]
        # parameter would lose a DateTimeOffset's offset and the Kind a string had).
        [Parameter(Mandatory)]
        [object] $ReportedStartTime,

        [Parameter(Mandatory)]
        [object] $ReportedEndTime,

        [ValidateSet('Daily', 'Hourly')]
        [string] $AggregationGranularity = 'Daily',

        [string] $SubscriberId,

        [string] $ContinuationToken,

        [string[]] $SubscriptionId,

        [psobject] $Connection
    )
    $resolved = Resolve-AzsBillingConnection -Cmdlet $PSCmdlet -Connection $Connection
    if (-not $SubscriptionId) {
        if (-not $resolved.Connection.DefaultProviderSubscriptionId) {
            $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NoProviderSubscription' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) `
                        -Message 'The connection has no Default Provider Subscription (is it an admin endpoint?): give -SubscriptionId.'))
        }
        $SubscriptionId = @($resolved.Connection.DefaultProviderSubscriptionId)
    }
    if ($ContinuationToken -and @($SubscriptionId).Count -gt 1) {
        $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'InvalidArgument' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) `
                    -Message '-ContinuationToken resumes one query: give the one -SubscriptionId whose query it came from.'))
    }
    $window = ConvertTo-AzsQueryWindow -Cmdlet $PSCmdlet -Start $ReportedStartTime -End $ReportedEndTime -Granularity $AggregationGranularity
    foreach ($subscription in $SubscriptionId) {
        $query = New-AzsUsageQuery -Api provider -SubscriptionId $subscription -Window $window -Granularity $AggregationGranularity `
            -SubscriberId $SubscriberId -ContinuationToken $ContinuationToken
        Invoke-AzsUsageQuery -Cmdlet $PSCmdlet -Client $resolved.Client -Query $query
    }
}

function Get-AzsTenantUsage {
    <#
    .SYNOPSIS
    Gets the usage of one tenant subscription (Microsoft.Commerce/usageAggregates).

    .DESCRIPTION
    The tenant's own usage on an Azure Stack Hub user endpoint (management.*). It replaces AzureRM's
    Get-UsageAggregates and Az's Get-UsageAggregate for Azure Stack Hub tenants, with the same parameters
    (-ReportedStartTime, -ReportedEndTime, -AggregationGranularity, -ContinuationToken, -ShowDetails) and
    -SubscriptionId instead of the Az context's subscription. Unlike those cmdlets it follows every page
    itself and streams one object per usage aggregate, with the same properties as Get-AzsSubscriberUsage.
    The name does not clash with the Az cmdlets, so both modules can be loaded together.

    Times and errors follow Get-AzsSubscriberUsage (see its help): UTC, aligned to the hour (Hourly) or
    midnight (Daily), start inclusive, end exclusive and not in the future; a DateTimeOffset, a Utc or Local
    DateTime and a string with Z or an offset are that instant, while an Unspecified DateTime or a string
    without a zone is local time. A failure of the service is a non-terminating error whose TargetObject
    carries the ContinuationToken to resume from. CSV output follows Get-AzsSubscriberUsage too (Tags, Tag
    and AdditionalInfo as JSON; UsageStartTimeUtc/UsageEndTimeUtc columns for ISO 8601 UTC times).

    .PARAMETER ReportedStartTime
    Start of the reported-time window (inclusive): a DateTime, a DateTimeOffset or an ISO 8601 string.

    .PARAMETER ReportedEndTime
    End of the reported-time window (exclusive); not in the future. Same forms as -ReportedStartTime.

    .PARAMETER AggregationGranularity
    Daily (default) or Hourly.

    .PARAMETER ContinuationToken
    Resume a query from this token (see Get-AzsSubscriberUsage).

    .PARAMETER SubscriptionId
    The tenant subscription; default: the only subscription the connection can see (required when it sees several).

    .PARAMETER Connection
    The connection to query (an object Connect-AzsBillingEnvironment returned); default: the current one.

    .PARAMETER ShowDetails
    Accepted for compatibility with Get-UsageAggregates and ignored: Azure Stack Hub does not support it
    (instance details are always returned).

    .EXAMPLE
    Get-AzsTenantUsage -ReportedStartTime ([datetime]::UtcNow.Date.AddDays(-2)) -ReportedEndTime ([datetime]::UtcNow.Date)

    The last two whole UTC days of the connected tenant's subscription, in any time zone.

    .EXAMPLE
    Get-AzsTenantUsage -ReportedStartTime '2026-01-05T00:00:00Z' -ReportedEndTime '2026-01-07T00:00:00Z'

    Two days of daily usage of the connected tenant's subscription.

    .EXAMPLE
    Get-AzsTenantUsage -ReportedStartTime $start -ReportedEndTime $end -AggregationGranularity Hourly -SubscriptionId $sub | Export-Csv usage.csv

    Hourly usage of one subscription written to a CSV file.

    .OUTPUTS
    AzsBilling.UsageAggregate
    #>
    [CmdletBinding()]
    [OutputType('AzsBilling.UsageAggregate')]
    param(
        # [object]: see Get-AzsSubscriberUsage.
        [Parameter(Mandatory)]
        [object] $ReportedStartTime,

        [Parameter(Mandatory)]
        [object] $ReportedEndTime,

        [ValidateSet('Daily', 'Hourly')]
        [string] $AggregationGranularity = 'Daily',

        [string] $ContinuationToken,

        [string] $SubscriptionId,

        [bool] $ShowDetails = $true,

        [psobject] $Connection
    )
    $resolved = Resolve-AzsBillingConnection -Cmdlet $PSCmdlet -Connection $Connection
    $client = $resolved.Client
    if ($PSBoundParameters.ContainsKey('ShowDetails')) {
        Write-Verbose '-ShowDetails is ignored: Azure Stack Hub does not support it (instance details are always returned).'
    }
    if (-not $SubscriptionId) {
        $visible = @($resolved.Connection.Subscriptions)
        $json = ConvertTo-Json -Compress -InputObject @($visible | ForEach-Object { @{ subscriptionId = [string]$_ } })
        if ($visible.Count -eq 0 -and $resolved.Connection.EndpointType -ne 'Admin') {
            # Connecting looked the subscriptions up but tolerated a failure: ask again now. (On an admin
            # endpoint ARM lists the provider's own subscriptions, never a tenant's, so there is no default.)
            $json = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call { [AzsBilling.Native.Api]::ClientSubscriptions($client) }
            $visible = @(ConvertFrom-Json -InputObject $json -NoEnumerate | ForEach-Object { $_ } | ForEach-Object { $_.subscriptionId })
        }
        # The library's default, as after signing in: the only subscription the connection sees.
        $working = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call { [AzsBilling.Native.Api]::WorkingSubscription($json, $null) } | ConvertFrom-Json
        if (-not $working.subscription_id) {
            $seen = if ($visible.Count -eq 0) { 'none' } else { $visible -join ', ' }
            $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NoSubscription' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) `
                        -Message "Give -SubscriptionId: the connection does not see exactly one subscription (it sees $seen)."))
        }
        $SubscriptionId = [string]$working.subscription_id
    }
    $window = ConvertTo-AzsQueryWindow -Cmdlet $PSCmdlet -Start $ReportedStartTime -End $ReportedEndTime -Granularity $AggregationGranularity
    $query = New-AzsUsageQuery -Api tenant -SubscriptionId $SubscriptionId -Window $window -Granularity $AggregationGranularity `
        -ContinuationToken $ContinuationToken
    Invoke-AzsUsageQuery -Cmdlet $PSCmdlet -Client $client -Query $query
}
