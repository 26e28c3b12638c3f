function Add-AzsCustomerSubscription {
    <#
    .SYNOPSIS
    Maps a CSP customer's Azure subscription to the stamp's registration, so that tenant's usage is billed to it.

    .DESCRIPTION
    PUTs Microsoft.AzureStack/registrations/{name}/customerSubscriptions/{CustomerSubscriptionId} (what the CSP
    documentation does with New-AzResource). The registration must use the PayAsYouUse billing model. A mapping
    that exists is replaced (one subscription per tenant); running it again converges.

    .PARAMETER RegistrationName
    The stamp's registration resource (usually azurestack-<CloudId>).

    .PARAMETER CustomerSubscriptionId
    The customer's Azure (CSP) subscription id.

    .PARAMETER TenantId
    The customer's directory tenant id.

    .PARAMETER ResourceGroupName
    The registration's resource group (default azurestack).

    .PARAMETER AzureContext
    The Azure connection (the registration's subscription); default: the current connection.

    .EXAMPLE
    Add-AzsCustomerSubscription -RegistrationName "azurestack-$cloudId" -CustomerSubscriptionId $customerSub -TenantId $customerTenant
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('AzsBilling.CustomerSubscription')]
    param(
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $RegistrationName,
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [Alias('SubscriptionId')] [ValidateNotNullOrEmpty()] [string] $CustomerSubscriptionId,
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $TenantId,
        [ValidateNotNullOrEmpty()] [string] $ResourceGroupName = 'azurestack',
        [psobject] $AzureContext
    )
    begin { $azure = Resolve-AzsAzureContext -Cmdlet $PSCmdlet -AzureContext $AzureContext }
    process {
        if (-not $PSCmdlet.ShouldProcess("customer subscription $CustomerSubscriptionId (tenant $TenantId)", "Map to registration '$RegistrationName'")) { return }
        $mapping = Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method PutCustomerSubscription -Client $azure.Client -Arguments ([ordered]@{
                subscription_id = $azure.SubscriptionId; resource_group = $ResourceGroupName; registration_name = $RegistrationName
                customer_subscription_id = $CustomerSubscriptionId; tenant_id = $TenantId
            })
        ConvertTo-AzsCustomerSubscriptionObject $mapping $RegistrationName
    }
}

function Get-AzsCustomerSubscription {
    <#
    .SYNOPSIS
    Lists the CSP customer subscriptions mapped to the stamp's registration, or gets one.

    .DESCRIPTION
    Reads Microsoft.AzureStack/registrations/{name}/customerSubscriptions: which customer subscriptions (and
    their tenants) the stamp's usage is billed to. An unknown -CustomerSubscriptionId is an ObjectNotFound error
    with the service's code CustomerSubscriptionNotFound.

    .PARAMETER RegistrationName
    The stamp's registration resource.

    .PARAMETER CustomerSubscriptionId
    One customer subscription; default: all of them.

    .PARAMETER ResourceGroupName
    The registration's resource group (default azurestack).

    .PARAMETER AzureContext
    The Azure connection; default: the current connection.

    .EXAMPLE
    Get-AzsCustomerSubscription -RegistrationName "azurestack-$cloudId"
    #>
    [CmdletBinding()]
    [OutputType('AzsBilling.CustomerSubscription')]
    param(
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $RegistrationName,
        [string] $CustomerSubscriptionId,
        [ValidateNotNullOrEmpty()] [string] $ResourceGroupName = 'azurestack',
        [psobject] $AzureContext
    )
    $azure = Resolve-AzsAzureContext -Cmdlet $PSCmdlet -AzureContext $AzureContext
    $arguments = [ordered]@{ subscription_id = $azure.SubscriptionId; resource_group = $ResourceGroupName; registration_name = $RegistrationName }
    if ($CustomerSubscriptionId) {
        $arguments.customer_subscription_id = $CustomerSubscriptionId
        $mapping = Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method GetCustomerSubscription -Client $azure.Client -Arguments $arguments
        ConvertTo-AzsCustomerSubscriptionObject $mapping $RegistrationName
        return
    }
    foreach ($mapping in @(Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method ListCustomerSubscriptions -Client $azure.Client -Arguments $arguments)) {
        if ($null -ne $mapping) { ConvertTo-AzsCustomerSubscriptionObject $mapping $RegistrationName }
    }
}

function Remove-AzsCustomerSubscription {
    <#
    .SYNOPSIS
    Removes a CSP customer subscription's mapping from the stamp's registration.

    .DESCRIPTION
    DELETEs the customerSubscriptions resource. The tenant's later usage is billed to the registration's own
    subscription. Removing a mapping that does not exist succeeds (Removed is then false).

    .PARAMETER RegistrationName
    The stamp's registration resource.

    .PARAMETER CustomerSubscriptionId
    The customer subscription to unmap.

    .PARAMETER ResourceGroupName
    The registration's resource group (default azurestack).

    .PARAMETER AzureContext
    The Azure connection; default: the current connection.

    .EXAMPLE
    Get-AzsCustomerSubscription -RegistrationName $name | Where-Object TenantId -eq $leaving | Remove-AzsCustomerSubscription -RegistrationName $name
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('AzsBilling.CustomerSubscriptionRemoval')]
    param(
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $RegistrationName,
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)] [ValidateNotNullOrEmpty()] [string] $CustomerSubscriptionId,
        [ValidateNotNullOrEmpty()] [string] $ResourceGroupName = 'azurestack',
        [psobject] $AzureContext
    )
    begin { $azure = Resolve-AzsAzureContext -Cmdlet $PSCmdlet -AzureContext $AzureContext }
    process {
        if (-not $PSCmdlet.ShouldProcess("customer subscription $CustomerSubscriptionId", "Unmap from registration '$RegistrationName'")) { return }
        $result = Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method RemoveCustomerSubscription -Client $azure.Client -Arguments ([ordered]@{
                subscription_id = $azure.SubscriptionId; resource_group = $ResourceGroupName; registration_name = $RegistrationName
                customer_subscription_id = $CustomerSubscriptionId
            })
        [pscustomobject]@{
            PSTypeName             = 'AzsBilling.CustomerSubscriptionRemoval'
            RegistrationName       = $RegistrationName
            CustomerSubscriptionId = $CustomerSubscriptionId
            Removed                = [bool]$result.removed
        }
    }
}
