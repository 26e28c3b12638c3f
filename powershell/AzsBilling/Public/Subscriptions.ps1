function Get-AzsUserSubscription {
    <#
    .SYNOPSIS
    Gets the tenant (user) subscriptions of a provider subscription, with their owners.

    .DESCRIPTION
    Lists Microsoft.Subscriptions.Admin/subscriptions under the provider subscription on the connected admin
    endpoint (following every page), as Azs.Subscriptions.Admin's Get-AzsUserSubscription does, with its
    parameter meanings: -SubscriptionId is the PROVIDER subscription to list under, -TargetSubscriptionId the
    one tenant subscription to get (also the first positional argument). Scripts written for earlier
    versions of this module, where -SubscriptionId was the tenant subscription, must use
    -TargetSubscriptionId. Use it to tie usage rows (SubscriptionId) to owners and offers.

    IsDirectTenant says whether Get-AzsSubscriberUsage of that provider subscription reports the
    subscription's usage. It is False for a delegated provider's (reseller's) tenant: a tenant who bought a
    delegated offer acts as a provider with its own provider subscription and resells to its own tenants;
    those subscriptions are listed here with that reseller's subscription as DelegatedProviderSubscriptionId,
    but the provider usage API reports only direct tenants, and -SubscriberId with one of them writes the
    service's SubscriberIdIsNotDirectTenant error. Their usage is reported to the delegated provider. The
    library decides IsDirectTenant (DelegatedProviderSubscriptionId is the provider subscription listed under).

    A failure of the service is a non-terminating error (-ErrorAction decides); with several -SubscriptionId
    values the others are still listed. A -TargetSubscriptionId or -SubscriptionId that is not a GUID is
    refused before any request is sent.

    .PARAMETER TargetSubscriptionId
    Only this tenant subscription (a GUID), got by its id rather than by listing them all; one the provider
    subscription does not have writes an ObjectNotFound error. Not with -Filter, as in Azs.Subscriptions.Admin.

    .PARAMETER SubscriptionId
    The provider subscription(s) to list under; default: the Default Provider Subscription of the
    connection. (Alias: -ProviderSubscriptionId.)

    .PARAMETER Filter
    An OData $filter passed to the service when listing, e.g. "state eq 'Enabled'".

    .PARAMETER Connection
    The connection to query (an object Connect-AzsBillingEnvironment returned); default: the current one.

    .EXAMPLE
    Get-AzsUserSubscription | Select-Object SubscriptionId, DisplayName, Owner, State, IsDirectTenant

    Every tenant subscription, its owner, and whether the operator's usage reports it.

    .EXAMPLE
    Get-AzsUserSubscription -TargetSubscriptionId 8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b

    One tenant subscription.

    .EXAMPLE
    $owners = @{}; Get-AzsUserSubscription | ForEach-Object { $owners[$_.SubscriptionId] = $_.Owner }
    Get-AzsSubscriberUsage -ReportedStartTime $start -ReportedEndTime $end | Select-Object *, @{ n = 'Owner'; e = { $owners[$_.SubscriptionId] } }

    Usage rows with the owner of each subscription.

    .OUTPUTS
    AzsBilling.UserSubscription
    #>
    [CmdletBinding(DefaultParameterSetName = 'List')]
    [OutputType('AzsBilling.UserSubscription')]
    param(
        [Parameter(Position = 0, ParameterSetName = 'Get')]
        [string] $TargetSubscriptionId,

        [Alias('ProviderSubscriptionId')]
        [string[]] $SubscriptionId,

        [Parameter(ParameterSetName = 'List')]
        [string] $Filter,

        [psobject] $Connection
    )
    $target = $null
    if ($PSBoundParameters.ContainsKey('TargetSubscriptionId')) {
        $parsed = [guid]::Empty
        if (-not [guid]::TryParse($TargetSubscriptionId, [ref]$parsed)) {
            $shown = if ($TargetSubscriptionId.Length -gt 40) { $TargetSubscriptionId.Substring(0, 40) + '...' } else { $TargetSubscriptionId }
            $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'InvalidArgument' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) -TargetObject 'TargetSubscriptionId' `
                        -Message "-TargetSubscriptionId '$shown' is not a GUID: give the id of a tenant subscription, like 8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b."))
        }
        $target = $parsed
    }
    $resolved = Resolve-AzsBillingConnection -Cmdlet $PSCmdlet -Connection $Connection
    if (-not $SubscriptionId) {
        if (-not $resolved.Connection.DefaultProviderSubscriptionId) {
            $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NoProviderSubscription' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) `
                        -Message 'The connection has no Default Provider Subscription (is it an admin endpoint?): give -SubscriptionId (the provider subscription).'))
        }
        $SubscriptionId = @($resolved.Connection.DefaultProviderSubscriptionId)
    }
    $client = $resolved.Client
    $found = $false
    $listed = @()
    $hints = @()
    foreach ($provider in $SubscriptionId) {
        if ($null -ne $target) {
            # The one subscription, got from the service (a 404 comes back as $null): not the whole list.
            $notFound = $null
            $json = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -NonTerminating -AllowNotFound -NotFoundMessage ([ref]$notFound) -Extra @{ SubscriptionId = $provider } -Call {
                [AzsBilling.Native.QueryApi]::UserSubscription($client, $provider, $target.ToString())
            }
            # The library names the subscription whose directory (tenant) id was given instead of its id.
            if ($notFound -and $notFound -match '(\S+ is the directory \(tenant\) id of subscription .*)$') { $hints += $Matches[1] }
        } else {
            $json = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -NonTerminating -Extra @{ SubscriptionId = $provider } -Call {
                [AzsBilling.Native.QueryApi]::UserSubscriptions($client, $provider, $Filter)
            }
        }
        if (Test-AzsBillingFailed $json) { continue }
        $listed += $provider
        if ($null -eq $json) { continue }
        foreach ($s in (ConvertFrom-Json -InputObject $json -NoEnumerate)) {
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
                IsDirectTenant                  = [bool]$s.isDirectTenant
            }
        }
    }
    if ($null -ne $target -and -not $found -and $listed.Count -gt 0) {
        $PSCmdlet.WriteError((New-AzsBillingSimpleError -ErrorId 'SubscriptionNotFound' -Category ObjectNotFound `
                    -ExceptionType ([System.Management.Automation.ItemNotFoundException]) -TargetObject $TargetSubscriptionId `
                    -Message ("The subscription '$TargetSubscriptionId' is not a tenant subscription of provider subscription $($listed -join ', ')." +
                        $(if ($hints) { ' ' + ($hints | Select-Object -Unique -First 1) + '.' } else { '' }))))
    }
}
