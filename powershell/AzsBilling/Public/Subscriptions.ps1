function Get-AzsUserSubscription {
    <#
    .SYNOPSIS
    Gets the tenant (user) subscriptions of a provider subscription, with their owners.

    .DESCRIPTION
    Lists Microsoft.Subscriptions.Admin/subscriptions under the provider subscription on the connected admin
    endpoint (following every page), as Azs.Subscriptions.Admin's Get-AzsUserSubscription does. Use it to tie
    usage rows (SubscriptionId) to owners and offers.

    .PARAMETER SubscriptionId
    Only this tenant subscription; an unknown id writes an ObjectNotFound error.

    .PARAMETER Filter
    An OData $filter passed to the service, e.g. "state eq 'Enabled'".

    .PARAMETER ProviderSubscriptionId
    The provider subscription; default: the Default Provider Subscription of the connection.

    .EXAMPLE
    Get-AzsUserSubscription | Select-Object SubscriptionId, DisplayName, Owner, State

    Every tenant subscription and its owner.

    .EXAMPLE
    $owners = @{}; Get-AzsUserSubscription | ForEach-Object { $owners[$_.SubscriptionId] = $_.Owner }
    Get-AzsSubscriberUsage -ReportedStartTime $start -ReportedEndTime $end | Select-Object *, @{ n = 'Owner'; e = { $owners[$_.SubscriptionId] } }

    Usage rows with the owner of each subscription.

    .OUTPUTS
    AzsBilling.UserSubscription
    #>
    [CmdletBinding()]
    [OutputType('AzsBilling.UserSubscription')]
    param(
        [Parameter(Position = 0)]
        [string] $SubscriptionId,

        [string] $Filter,

        [string] $ProviderSubscriptionId
    )
    $client = Get-AzsBillingClient -Cmdlet $PSCmdlet
    if (-not $ProviderSubscriptionId) {
        $ProviderSubscriptionId = $script:Connection.DefaultProviderSubscriptionId
        if (-not $ProviderSubscriptionId) {
            $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NoProviderSubscription' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) `
                        -Message 'The connection has no Default Provider Subscription (is it an admin endpoint?): give -ProviderSubscriptionId.'))
        }
    }
    $json = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call {
        [AzsBilling.Native.Api]::UserSubscriptions($client, $ProviderSubscriptionId, $Filter)
    }
    $found = $false
    foreach ($s in (ConvertFrom-Json -InputObject $json -NoEnumerate)) {
        if ($SubscriptionId -and $s.subscriptionId -ne $SubscriptionId) { continue }
        $found = $true
        [pscustomobject]@{
            PSTypeName                      = 'AzsBilling.UserSubscription'
            SubscriptionId                  = $s.subscriptionId
            DisplayName                     = $s.displayName
            Owner                           = $s.owner
            State                           = $s.state
            OfferId                         = $s.offerId
            TenantId                        = $s.tenantId
            DelegatedProviderSubscriptionId = $s.delegatedProviderSubscriptionId
            RoutingResourceManagerType      = $s.routingResourceManagerType
        }
    }
    if ($SubscriptionId -and -not $found) {
        $PSCmdlet.WriteError((New-AzsBillingSimpleError -ErrorId 'SubscriptionNotFound' -Category ObjectNotFound `
                    -ExceptionType ([System.Management.Automation.ItemNotFoundException]) -TargetObject $SubscriptionId `
                    -Message "The subscription '$SubscriptionId' is not a tenant subscription of provider subscription $ProviderSubscriptionId."))
    }
}
