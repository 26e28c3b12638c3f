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

    Times: the service wants UTC, on the hour for Hourly and at midnight for Daily; the start is inclusive and
    the end exclusive, and the end cannot be in the future. A DateTime of Kind Utc is used as it is, one of
    Kind Local is converted to UTC, and one of Kind Unspecified is taken as LOCAL time, as
    DateTime.ToUniversalTime() does. PowerShell turns a string such as '2026-01-05T00:00:00Z' into a local
    DateTime of the same instant, so ISO strings with Z or an offset are safe; give [datetime]::SpecifyKind(
    ..., 'Utc') or a 'Z' string for UTC wall-clock times. The times are checked before any request is sent.

    .PARAMETER ReportedStartTime
    Start of the reported-time window (inclusive).

    .PARAMETER ReportedEndTime
    End of the reported-time window (exclusive); not in the future.

    .PARAMETER AggregationGranularity
    Daily (default) or Hourly.

    .PARAMETER SubscriberId
    Only the usage of this tenant subscription (a direct tenant of the provider subscription).

    .PARAMETER ContinuationToken
    Resume a query from this token (from the target object of an error that ended an earlier query, or from
    -Verbose output); the other parameters must be the same as in that query.

    .PARAMETER SubscriptionId
    The provider subscription(s); default: the Default Provider Subscription of the connection.

    .EXAMPLE
    Get-AzsSubscriberUsage -ReportedStartTime '2026-01-05T00:00:00Z' -ReportedEndTime '2026-01-06T00:00:00Z' -AggregationGranularity Daily

    The daily usage of every tenant for 5 January 2026 (UTC).

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
        [Parameter(Mandatory)]
        [datetime] $ReportedStartTime,

        [Parameter(Mandatory)]
        [datetime] $ReportedEndTime,

        [ValidateSet('Daily', 'Hourly')]
        [string] $AggregationGranularity = 'Daily',

        [string] $SubscriberId,

        [string] $ContinuationToken,

        [string[]] $SubscriptionId
    )
    $null = Get-AzsBillingClient -Cmdlet $PSCmdlet
    if (-not $SubscriptionId) {
        if (-not $script:Connection.DefaultProviderSubscriptionId) {
            $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NoProviderSubscription' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) `
                        -Message 'The connection has no Default Provider Subscription (is it an admin endpoint?): give -SubscriptionId.'))
        }
        $SubscriptionId = @($script:Connection.DefaultProviderSubscriptionId)
    }
    foreach ($subscription in $SubscriptionId) {
        $query = [ordered]@{
            api                    = 'provider'
            subscriptionId         = $subscription
            reportedStartTime      = ConvertTo-AzsQueryTime $ReportedStartTime
            reportedEndTime        = ConvertTo-AzsQueryTime $ReportedEndTime
            aggregationGranularity = $AggregationGranularity
        }
        if ($SubscriberId) { $query.subscriberId = $SubscriberId }
        if ($ContinuationToken) { $query.continuationToken = $ContinuationToken }
        Invoke-AzsUsageQuery -Cmdlet $PSCmdlet -Query $query
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

    Times follow the rules described in Get-AzsSubscriberUsage: UTC, aligned to the hour (Hourly) or midnight
    (Daily), start inclusive, end exclusive and not in the future; Unspecified DateTimes are taken as local time.

    .PARAMETER ReportedStartTime
    Start of the reported-time window (inclusive).

    .PARAMETER ReportedEndTime
    End of the reported-time window (exclusive); not in the future.

    .PARAMETER AggregationGranularity
    Daily (default) or Hourly.

    .PARAMETER ContinuationToken
    Resume a query from this token (see Get-AzsSubscriberUsage).

    .PARAMETER SubscriptionId
    The tenant subscription; default: the only subscription the connection can see (required when it sees several).

    .PARAMETER ShowDetails
    Accepted for compatibility with Get-UsageAggregates and ignored: Azure Stack Hub does not support it
    (instance details are always returned).

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
        [Parameter(Mandatory)]
        [datetime] $ReportedStartTime,

        [Parameter(Mandatory)]
        [datetime] $ReportedEndTime,

        [ValidateSet('Daily', 'Hourly')]
        [string] $AggregationGranularity = 'Daily',

        [string] $ContinuationToken,

        [string] $SubscriptionId,

        [bool] $ShowDetails = $true
    )
    $client = Get-AzsBillingClient -Cmdlet $PSCmdlet
    if ($PSBoundParameters.ContainsKey('ShowDetails')) {
        Write-Verbose '-ShowDetails is ignored: Azure Stack Hub does not support it (instance details are always returned).'
    }
    if (-not $SubscriptionId) {
        $visible = @($script:Connection.Subscriptions)
        if ($visible.Count -eq 0 -and $script:Connection.EndpointType -ne 'Admin') {
            # Connecting looked the subscriptions up but tolerated a failure: ask again now. (On an admin
            # endpoint ARM lists the provider's own subscriptions, never a tenant's, so there is no default.)
            $json = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call { [AzsBilling.Native.Api]::ClientSubscriptions($client) }
            $visible = @(ConvertFrom-Json -InputObject $json -NoEnumerate | ForEach-Object { $_ } | ForEach-Object { $_.subscriptionId })
        }
        if ($visible.Count -ne 1) {
            $seen = if ($visible.Count -eq 0) { 'none' } else { $visible -join ', ' }
            $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NoSubscription' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) `
                        -Message "Give -SubscriptionId: the connection does not see exactly one subscription (it sees $seen)."))
        }
        $SubscriptionId = $visible[0]
    }
    $query = [ordered]@{
        api                    = 'tenant'
        subscriptionId         = $SubscriptionId
        reportedStartTime      = ConvertTo-AzsQueryTime $ReportedStartTime
        reportedEndTime        = ConvertTo-AzsQueryTime $ReportedEndTime
        aggregationGranularity = $AggregationGranularity
    }
    if ($ContinuationToken) { $query.continuationToken = $ContinuationToken }
    Invoke-AzsUsageQuery -Cmdlet $PSCmdlet -Query $query
}
