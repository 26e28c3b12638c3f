function Set-AzsRegistration {
    <#
    .SYNOPSIS
    Registers an Azure Stack Hub stamp with Azure and activates it (connected scenario).

    .DESCRIPTION
    The connected registration of RegisterWithAzure.psm1, with its parameters, parameter sets and defaults:
    reads the stamp's information from the privileged endpoint (PEP), has the PEP create the Azure bridge
    service principal from the signed-in user's refresh token, mints the registration token on the PEP,
    creates (or renews) the Microsoft.AzureStack/registrations resource in Azure with its CanNotDelete lock,
    gives the bridge service principal the "Azure Stack Registration Owner" role on it, fetches the activation
    key and activates the stamp on the PEP. Every step converges when run again: re-run it with the same
    -RegistrationName and -ResourceGroupName to renew, change the billing model or re-register.

    The billing model rules are checked before anything is sent: Capacity needs -AgreementNumber and turns
    usage reporting off; Custom and Ruggedized need -MsAssetTag; PayAsYouUse cannot turn usage reporting off.

    Azure sign-in: Connect-AzsBillingEnvironment -Cloud AzureCloud -UseDeviceAuthentication -SubscriptionId ...
    (a user sign-in: the PEP needs that user's refresh token); pass the connection as -AzureContext or leave it
    the current connection.

    -Reregister reads the billing model, resource group and flags of the existing registration from the stamp's
    activation (through the stamp's admin endpoint, signed in with -AzureStackAdminCredential) and from Azure,
    then registers again with them. The agreement number and asset tag cannot be recovered: give them again.

    .PARAMETER PrivilegedEndpointCredential
    The PEP credential (<AzureStackDomain>\CloudAdmin).

    .PARAMETER PrivilegedEndpoint
    The PEP: the ERCS VM's name or IP address (e.g. AzS-ERCS01), reached by PowerShell remoting to its
    'PrivilegedEndpoint' JEA configuration. A URL here is refused: the emulator's PEP model is given as
    -EmulatedPrivilegedEndpoint.

    .PARAMETER EmulatedPrivilegedEndpoint
    Instead of -PrivilegedEndpoint: the https:// URL of the emulator's model of the PEP (its ready line's
    pep.url), reached through the library rather than PowerShell remoting, with -PrivilegedEndpointCredential
    (trusted with -CaBundlePath, else the CA bundle of the Azure connection). For tests and demonstrations
    against azs-emulator; a real stamp's PEP is never a URL.

    .PARAMETER Session
    An open session to the PEP, instead of -PrivilegedEndpoint and -PrivilegedEndpointCredential.

    .PARAMETER CaBundlePath
    A PEM file of CA certificates to trust for -EmulatedPrivilegedEndpoint (the emulator's ready-line
    ca_pem), for a session with no connection to that stamp. Not for PowerShell remoting.

    .PARAMETER RegistrationName
    The name of the registration resource in Azure (unique per stamp; usually azurestack-<CloudId>).

    .PARAMETER AzureContext
    The Azure connection (Connect-AzsBillingEnvironment's output); default: the current connection.

    .PARAMETER ResourceGroupName
    The resource group of the registration (default azurestack).

    .PARAMETER ResourceGroupLocation
    Its location (default per cloud: westcentralus, ChinaEast, usgovvirginia).

    .PARAMETER BillingModel
    Capacity, PayAsYouUse, Development (default), Custom or Ruggedized.

    .PARAMETER MarketplaceSyndicationEnabled
    Marketplace syndication (default on).

    .PARAMETER UsageReportingEnabled
    Usage reporting (default per model: on for PayAsYouUse, Development and Ruggedized).

    .PARAMETER AgreementNumber
    The EA agreement number (Capacity).

    .PARAMETER MsAssetTag
    The Microsoft asset tag (Custom, Ruggedized).

    .PARAMETER AzureStackAdminCredential
    -Reregister: a credential for the stamp's admin endpoint (service principal id and secret).

    .PARAMETER Reregister
    Register again with the settings of the existing registration.

    .EXAMPLE
    $azure = Connect-AzsBillingEnvironment -Cloud AzureCloud -Tenant contoso.onmicrosoft.com -UseDeviceAuthentication -SubscriptionId $subscriptionId
    Set-AzsRegistration -PrivilegedEndpoint AzS-ERCS01 -PrivilegedEndpointCredential $cloudAdmin -RegistrationName "azurestack-$cloudId" -BillingModel PayAsYouUse

    Registers the stamp pay-as-you-use, with usage reporting and marketplace syndication.

    .EXAMPLE
    Set-AzsRegistration -PrivilegedEndpoint AzS-ERCS01 -PrivilegedEndpointCredential $cloudAdmin -RegistrationName $name -BillingModel Capacity -AgreementNumber 1234567 -WhatIf

    Shows what a change to the Capacity model would do.

    .OUTPUTS
    AzsBilling.RegistrationStatus
    #>
    [CmdletBinding(DefaultParameterSetName = 'Register', SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('AzsBilling.RegistrationStatus')]
    param(
        [pscredential] $PrivilegedEndpointCredential,
        [string] $PrivilegedEndpoint,
        [System.Management.Automation.Runspaces.PSSession] $Session,
        [uri] $EmulatedPrivilegedEndpoint,
        [string] $CaBundlePath,

        [Parameter(Mandatory, ParameterSetName = 'Register')]
        [ValidateNotNullOrEmpty()]
        [string] $RegistrationName,

        [psobject] $AzureContext,

        [Parameter(ParameterSetName = 'Register')]
        [ValidateNotNullOrEmpty()]
        [string] $ResourceGroupName = 'azurestack',

        [Parameter(ParameterSetName = 'Register')]
        [string] $ResourceGroupLocation,

        [Parameter(ParameterSetName = 'Register')]
        [ValidateSet('Capacity', 'PayAsYouUse', 'Development', 'Custom', 'Ruggedized')]
        [string] $BillingModel = 'Development',

        [Parameter(ParameterSetName = 'Register')]
        [switch] $MarketplaceSyndicationEnabled = $true,

        [Parameter(ParameterSetName = 'Register')]
        [switch] $UsageReportingEnabled,

        [ValidateNotNull()]
        [string] $AgreementNumber,

        [ValidateNotNull()]
        [string] $MsAssetTag,

        [Parameter(ParameterSetName = 'Reregister')]
        [pscredential] $AzureStackAdminCredential,

        [Parameter(Mandatory, ParameterSetName = 'Reregister')]
        [switch] $Reregister
    )
    $azure = Resolve-AzsAzureContext -Cmdlet $PSCmdlet -AzureContext $AzureContext
    # The library knows which sign-ins leave a refresh token (a user's device code sign-in).
    $credential = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call { [AzsBilling.Native.Api]::ClientCredential($azure.Client) } | ConvertFrom-Json
    if (-not $credential.holds_refresh_token) {
        $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'UserSignInRequired' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) -TargetObject $azure.Connection `
                    -Message "Set-AzsRegistration needs an Azure user sign-in (Connect-AzsBillingEnvironment -UseDeviceAuthentication): the privileged endpoint creates the bridge service principal from that user's refresh token, and a $($azure.Connection.CredentialType) connection has none. A service principal can run the disconnected steps (Register-AzsEnvironment, Get-AzsActivationKey)."))
    }
    $activity = 'Set-AzsRegistration'
    $pep = Open-AzsPep -Cmdlet $PSCmdlet -PrivilegedEndpoint $PrivilegedEndpoint -PrivilegedEndpointCredential $PrivilegedEndpointCredential `
        -Session $Session -EmulatedPrivilegedEndpoint $EmulatedPrivilegedEndpoint -Connection $azure.Connection -CaBundlePath $CaBundlePath
    try {
        $stamp = Invoke-AzsPepCommand -Cmdlet $PSCmdlet -Pep $pep -Name 'Get-AzureStackStampInformation' -Activity $activity
        # -Reregister works in the subscription the existing registration is in (the original switched context).
        $subscriptionId = $azure.SubscriptionId
        if ($Reregister) {
            $existing = Get-AzsExistingRegistrationSettings -Cmdlet $PSCmdlet -Azure $azure -Stamp $stamp -Credential $AzureStackAdminCredential
            $subscriptionId = $existing.SubscriptionId
            $RegistrationName = $existing.Name
            $ResourceGroupName = $existing.ResourceGroupName
            $BillingModel = $existing.BillingModel
            $settings = [ordered]@{
                billing_model                   = $BillingModel
                connected                       = $true
                usage_reporting_enabled         = $existing.UsageReportingEnabled
                marketplace_syndication_enabled = $existing.MarketplaceSyndicationEnabled
            }
        } else {
            $settings = [ordered]@{
                billing_model                   = $BillingModel
                connected                       = $true
                marketplace_syndication_enabled = [bool]$MarketplaceSyndicationEnabled
            }
            if ($PSBoundParameters.ContainsKey('UsageReportingEnabled')) { $settings.usage_reporting_enabled = [bool]$UsageReportingEnabled }
        }
        if ($PSBoundParameters.ContainsKey('AgreementNumber')) { $settings.agreement_number = $AgreementNumber }
        if ($PSBoundParameters.ContainsKey('MsAssetTag')) { $settings.ms_asset_tag = $MsAssetTag }
        $resolved = Resolve-AzsRegistrationSettings -Cmdlet $PSCmdlet -Settings $settings
        $target = "registration '$RegistrationName' in resource group '$ResourceGroupName' of subscription $subscriptionId for cloud $($stamp.CloudID)"
        if (-not $PSCmdlet.ShouldProcess($target, "Register ($($resolved.billing_model), usage reporting $($resolved.usage_reporting_enabled), syndication $($resolved.marketplace_syndication_enabled)) and activate")) {
            return
        }
        $refreshToken = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call { [AzsBilling.Native.RegistrationApi]::RefreshToken($azure.Client) }
        $bridge = Invoke-AzsPepCommand -Cmdlet $PSCmdlet -Pep $pep -Name 'New-AzureBridgeServicePrincipal' -Activity $activity -Parameters @{
            RefreshToken     = $refreshToken
            AzureEnvironment = [string]$azure.Connection.Environment
            TenantId         = [string]$azure.Connection.TenantId
        }
        $refreshToken = $null
        $token = New-AzsRegistrationToken -Cmdlet $PSCmdlet -Pep $pep -Settings $resolved -StampInfo $stamp -Activity $activity
        Write-Progress -Activity $activity -Status "Creating the registration resource '$RegistrationName' in Azure"
        $create = [ordered]@{ subscription_id = $subscriptionId; resource_group = $ResourceGroupName; name = $RegistrationName; token = $token }
        # Without -ResourceGroupLocation the library takes the original's default for the cloud.
        if ($ResourceGroupLocation) { $create.location = $ResourceGroupLocation }
        $registration = Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method Create -Client $azure.Client -Arguments $create
        Write-Progress -Activity $activity -Status 'Granting the bridge service principal Azure Stack Registration Owner'
        $null = Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method EnsureRoleAssignment -Client $azure.Client -Arguments ([ordered]@{
                scope = $registration.id; principal_id = [string]$bridge.ObjectId
            })
        Write-Progress -Activity $activity -Status 'Getting the activation key'
        $key = (Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method ActivationKey -Client $azure.Client -Arguments ([ordered]@{
                    subscription_id = $subscriptionId; resource_group = $ResourceGroupName; name = $RegistrationName
                })).activation_key
        $null = Invoke-AzsPepCommand -Cmdlet $PSCmdlet -Pep $pep -Name 'New-AzureStackActivation' -Activity $activity -Parameters @{
            ActivationKey = $key
        }
        Write-Verbose 'Your environment is now registered and activated using the provided parameters.'
        New-AzsRegistrationStatus -Cmdlet $PSCmdlet -Registration $registration -StampCloudId ([string]$stamp.CloudID) -ActivationKey $key
    } finally {
        Write-Progress -Activity $activity -Completed
        Close-AzsPep $pep
    }
}

function Remove-AzsRegistration {
    <#
    .SYNOPSIS
    Deactivates the stamp and removes its registration from Azure (connected scenario).

    .DESCRIPTION
    As RegisterWithAzure.psm1's Remove-AzsRegistration: reads the stamp's cloud id from the privileged
    endpoint, checks that the registration in Azure belongs to this stamp, removes the activation on the
    PEP, then removes the registration's lock and the registration itself and checks that it is gone. The
    resource group and the bridge service principal stay. Running it again after success changes nothing.

    The output's ActivationRemoved is $true once the PEP's Remove-AzureStackActivation has succeeded: the
    stamp is then not activated, whether or not it was before (the PEP does not say). RegistrationRemoved is
    $true when a registration resource was found and deleted, $false when there was none.

    .PARAMETER PrivilegedEndpointCredential
    The PEP credential (<AzureStackDomain>\CloudAdmin).

    .PARAMETER PrivilegedEndpoint
    The PEP: the ERCS VM's name or IP address (e.g. AzS-ERCS01), reached by PowerShell remoting to its
    'PrivilegedEndpoint' JEA configuration. A URL here is refused: the emulator's PEP model is given as
    -EmulatedPrivilegedEndpoint.

    .PARAMETER EmulatedPrivilegedEndpoint
    Instead of -PrivilegedEndpoint: the https:// URL of the emulator's model of the PEP (its ready line's
    pep.url), reached through the library rather than PowerShell remoting, with -PrivilegedEndpointCredential
    (trusted with -CaBundlePath, else the CA bundle of the Azure connection). For tests and demonstrations
    against azs-emulator; a real stamp's PEP is never a URL.

    .PARAMETER Session
    An open session to the PEP.

    .PARAMETER CaBundlePath
    A PEM file of CA certificates to trust for -EmulatedPrivilegedEndpoint (the emulator's ready-line
    ca_pem), for a session with no connection to that stamp. Not for PowerShell remoting.

    .PARAMETER RegistrationName
    The registration resource's name.

    .PARAMETER ResourceGroupName
    Its resource group (default azurestack).

    .PARAMETER AzureContext
    The Azure connection; default: the current connection.

    .EXAMPLE
    Remove-AzsRegistration -PrivilegedEndpoint AzS-ERCS01 -PrivilegedEndpointCredential $cloudAdmin -RegistrationName $name
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('AzsBilling.RegistrationRemoval')]
    param(
        [pscredential] $PrivilegedEndpointCredential,
        [string] $PrivilegedEndpoint,
        [System.Management.Automation.Runspaces.PSSession] $Session,
        [uri] $EmulatedPrivilegedEndpoint,
        [string] $CaBundlePath,
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $RegistrationName,
        [ValidateNotNullOrEmpty()] [string] $ResourceGroupName = 'azurestack',
        [psobject] $AzureContext
    )
    $azure = Resolve-AzsAzureContext -Cmdlet $PSCmdlet -AzureContext $AzureContext
    $activity = 'Remove-AzsRegistration'
    $pep = Open-AzsPep -Cmdlet $PSCmdlet -PrivilegedEndpoint $PrivilegedEndpoint -PrivilegedEndpointCredential $PrivilegedEndpointCredential `
        -Session $Session -EmulatedPrivilegedEndpoint $EmulatedPrivilegedEndpoint -Connection $azure.Connection -CaBundlePath $CaBundlePath
    try {
        $stamp = Invoke-AzsPepCommand -Cmdlet $PSCmdlet -Pep $pep -Name 'Get-AzureStackStampInformation' -Activity $activity
        $arguments = [ordered]@{ subscription_id = $azure.SubscriptionId; resource_group = $ResourceGroupName; name = $RegistrationName }
        $registration = Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method Get -Client $azure.Client -Arguments $arguments -AllowNotFound
        if ($registration -and -not (Get-AzsRegistrationStatus -Cmdlet $PSCmdlet -Registration $registration -StampCloudId ([string]$stamp.CloudID)).cloud_id_matches_stamp) {
            $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'CloudIdMismatch' -Category InvalidArgument -TargetObject $registration.id `
                        -Message "The registration resource found does not correlate the current environment's Cloud-Id: it is for $($registration.properties.cloudId), this stamp is $($stamp.CloudID). Check -RegistrationName, -ResourceGroupName and the subscription (portal: Region management > Properties)."))
        }
        if (-not $PSCmdlet.ShouldProcess("registration '$RegistrationName' of cloud $($stamp.CloudID)", 'Deactivate the stamp and remove the registration')) { return }
        $null = Invoke-AzsPepCommand -Cmdlet $PSCmdlet -Pep $pep -Name 'Remove-AzureStackActivation' -Activity $activity
        $removed = $false
        if ($registration) {
            Write-Progress -Activity $activity -Status "Removing the registration resource '$RegistrationName'"
            $removed = [bool](Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method Remove -Client $azure.Client -Arguments $arguments).removed
        } else {
            Write-Verbose "No registration '$RegistrationName' in resource group '$ResourceGroupName': only the activation was removed."
        }
        [pscustomobject]@{
            PSTypeName          = 'AzsBilling.RegistrationRemoval'
            RegistrationName    = $RegistrationName
            ResourceGroupName   = $ResourceGroupName
            SubscriptionId      = $azure.SubscriptionId
            CloudId             = $stamp.CloudID
            ActivationRemoved   = $true
            RegistrationRemoved = $removed
        }
    } finally {
        Write-Progress -Activity $activity -Completed
        Close-AzsPep $pep
    }
}

function Get-AzsRegistrationToken {
    <#
    .SYNOPSIS
    Creates a registration token on the privileged endpoint (disconnected scenario).

    .DESCRIPTION
    As RegisterWithAzure.psm1's Get-AzsRegistrationToken: the billing model is mandatory and limited to the
    models a disconnected stamp can use (Capacity, Development, Custom); usage reporting and marketplace
    syndication default to off. The token parameters follow the stamp's build (MsAssetTag from 1.1912.0.19,
    TokenVersion from 1.2008.0.49). Returns the token, and writes it to -TokenOutputFilePath when given.

    .PARAMETER PrivilegedEndpointCredential
    The PEP credential (<AzureStackDomain>\CloudAdmin).

    .PARAMETER PrivilegedEndpoint
    The PEP: the ERCS VM's name or IP address (e.g. AzS-ERCS01), reached by PowerShell remoting to its
    'PrivilegedEndpoint' JEA configuration. A URL here is refused: the emulator's PEP model is given as
    -EmulatedPrivilegedEndpoint.

    .PARAMETER EmulatedPrivilegedEndpoint
    Instead of -PrivilegedEndpoint: the https:// URL of the emulator's model of the PEP (its ready line's
    pep.url), reached through the library rather than PowerShell remoting, with -PrivilegedEndpointCredential
    (trusted with -CaBundlePath, else the CA bundle of the current connection). For tests and demonstrations
    against azs-emulator; a real stamp's PEP is never a URL.

    .PARAMETER Session
    An open session to the PEP.

    .PARAMETER CaBundlePath
    A PEM file of CA certificates to trust for -EmulatedPrivilegedEndpoint (the emulator's ready-line
    ca_pem), for a session with no connection to that stamp. Not for PowerShell remoting.

    .PARAMETER BillingModel
    Capacity, Development or Custom.

    .PARAMETER TokenOutputFilePath
    A file to write the token to (UTF-8; created with its folder when missing).

    .PARAMETER UsageReportingEnabled
    Usage reporting (default off).

    .PARAMETER MarketplaceSyndicationEnabled
    Marketplace syndication (default off).

    .PARAMETER AgreementNumber
    The EA agreement number (Capacity).

    .PARAMETER MsAssetTag
    The Microsoft asset tag (Custom).

    .EXAMPLE
    Get-AzsRegistrationToken -PrivilegedEndpoint AzS-ERCS01 -PrivilegedEndpointCredential $cloudAdmin -BillingModel Capacity -AgreementNumber 1234567 -TokenOutputFilePath C:\RegistrationToken.txt

    .EXAMPLE
    Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $ready.pep.url -PrivilegedEndpointCredential $cloudAdmin -BillingModel Development -CaBundlePath $ready.ca_pem

    Against azs-emulator: its model of the PEP, by the URL its ready line gives, instead of an ERCS VM.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [pscredential] $PrivilegedEndpointCredential,
        [string] $PrivilegedEndpoint,
        [System.Management.Automation.Runspaces.PSSession] $Session,
        [uri] $EmulatedPrivilegedEndpoint,
        [string] $CaBundlePath,
        [Parameter(Mandatory)]
        [ValidateSet('Capacity', 'Development', 'Custom')]
        [string] $BillingModel,
        [string] $TokenOutputFilePath,
        [switch] $UsageReportingEnabled = $false,
        [switch] $MarketplaceSyndicationEnabled = $false,
        [ValidateNotNull()] [string] $AgreementNumber,
        [ValidateNotNull()] [string] $MsAssetTag
    )
    $settings = [ordered]@{
        billing_model                   = $BillingModel
        connected                       = $false
        usage_reporting_enabled         = [bool]$UsageReportingEnabled
        marketplace_syndication_enabled = [bool]$MarketplaceSyndicationEnabled
    }
    if ($PSBoundParameters.ContainsKey('AgreementNumber')) { $settings.agreement_number = $AgreementNumber }
    if ($PSBoundParameters.ContainsKey('MsAssetTag')) { $settings.ms_asset_tag = $MsAssetTag }
    $resolved = Resolve-AzsRegistrationSettings -Cmdlet $PSCmdlet -Settings $settings
    $pep = Open-AzsPep -Cmdlet $PSCmdlet -PrivilegedEndpoint $PrivilegedEndpoint -PrivilegedEndpointCredential $PrivilegedEndpointCredential `
        -Session $Session -EmulatedPrivilegedEndpoint $EmulatedPrivilegedEndpoint -Connection $script:Connection -CaBundlePath $CaBundlePath
    try {
        $stamp = Invoke-AzsPepCommand -Cmdlet $PSCmdlet -Pep $pep -Name 'Get-AzureStackStampInformation' -Activity 'Get-AzsRegistrationToken'
        $token = New-AzsRegistrationToken -Cmdlet $PSCmdlet -Pep $pep -Settings $resolved -StampInfo $stamp -Activity 'Get-AzsRegistrationToken'
    } finally {
        Close-AzsPep $pep
    }
    if ($TokenOutputFilePath) { $null = Write-AzsFile -Cmdlet $PSCmdlet -Path $TokenOutputFilePath -Text $token }
    $token
}

function Register-AzsEnvironment {
    <#
    .SYNOPSIS
    Creates the registration resource in Azure from a registration token (disconnected scenario).

    .DESCRIPTION
    As RegisterWithAzure.psm1's Register-AzsEnvironment: registers the Microsoft.AzureStack resource provider,
    creates the resource group, creates (or renews) the registration from the token and locks it against
    deletion. Running it again with the same token converges. The token is checked (it must decode to a stamp's
    cloud id) before anything is sent.

    .PARAMETER RegistrationToken
    The token from Get-AzsRegistrationToken (or the content of its file).

    .PARAMETER RegistrationName
    The name of the registration resource.

    .PARAMETER AzureContext
    The Azure connection; default: the current connection.

    .PARAMETER ResourceGroupName
    The resource group (default azurestack).

    .PARAMETER ResourceGroupLocation
    Its location (default per cloud: westcentralus, ChinaEast, usgovvirginia).

    .EXAMPLE
    Register-AzsEnvironment -RegistrationToken (Get-Content -Raw C:\RegistrationToken.txt) -RegistrationName "azurestack-$cloudId"
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('AzsBilling.Registration')]
    param(
        [Parameter(Mandatory)] [ValidateNotNull()] [string] $RegistrationToken,
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $RegistrationName,
        [psobject] $AzureContext,
        [ValidateNotNullOrEmpty()] [string] $ResourceGroupName = 'azurestack',
        [string] $ResourceGroupLocation
    )
    $token = $RegistrationToken.Trim()
    $decoded = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Reword ${function:ConvertTo-AzsRegistrationException} -Call { [AzsBilling.Native.RegistrationApi]::DecodeRegistrationToken($token) } | ConvertFrom-Json
    $azure = Resolve-AzsAzureContext -Cmdlet $PSCmdlet -AzureContext $AzureContext
    $where = if ($ResourceGroupLocation) { $ResourceGroupLocation } else { 'the cloud''s default location' }
    if (-not $PSCmdlet.ShouldProcess("registration '$RegistrationName' in resource group '$ResourceGroupName' ($where) of subscription $($azure.SubscriptionId)",
            "Register cloud $($decoded.cloud_id) ($($decoded.billing_model))")) { return }
    Write-Progress -Activity 'Register-AzsEnvironment' -Status "Creating the registration resource '$RegistrationName'"
    try {
        $create = [ordered]@{ subscription_id = $azure.SubscriptionId; resource_group = $ResourceGroupName; name = $RegistrationName; token = $token }
        if ($ResourceGroupLocation) { $create.location = $ResourceGroupLocation }
        $registration = Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method Create -Client $azure.Client -Arguments $create
    } finally {
        Write-Progress -Activity 'Register-AzsEnvironment' -Completed
    }
    ConvertTo-AzsRegistrationObject -Cmdlet $PSCmdlet -Resource $registration
}

function Unregister-AzsEnvironment {
    <#
    .SYNOPSIS
    Removes a registration resource from Azure, found by name, registration token or cloud id.

    .DESCRIPTION
    As RegisterWithAzure.psm1's Unregister-AzsEnvironment, with its cloud id lookup working (the original
    compared against an undefined variable, so a lookup by token or -CloudId never matched): finds the
    registration by -RegistrationName, else by the cloud id of -RegistrationToken or -CloudId among the
    registrations of the resource group, then removes its lock and the registration and checks it is gone.
    When no registration matches (it was removed already), nothing is changed and the output says
    RegistrationRemoved $false, so running it again converges. It does not deactivate the stamp: run
    Remove-AzsActivationResource first (ActivationRemoved is always $false here).

    .PARAMETER AzureContext
    The Azure connection; default: the current connection.

    .PARAMETER RegistrationToken
    A registration token of the stamp (its cloud id is used).

    .PARAMETER RegistrationName
    The registration resource's name.

    .PARAMETER ResourceGroupName
    The resource group (default azurestack).

    .PARAMETER CloudId
    The stamp's cloud id.

    .EXAMPLE
    Unregister-AzsEnvironment -CloudId $cloudId
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('AzsBilling.RegistrationRemoval')]
    param(
        [psobject] $AzureContext,
        [string] $RegistrationToken,
        [string] $RegistrationName,
        [ValidateNotNullOrEmpty()] [string] $ResourceGroupName = 'azurestack',
        [string] $CloudId
    )
    if (-not $RegistrationToken -and -not $RegistrationName -and -not $CloudId) {
        $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NoRegistrationGiven' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) `
                    -Message 'Unable to find registration resource with the given parameters: give -RegistrationName, -RegistrationToken or -CloudId.'))
    }
    $azure = Resolve-AzsAzureContext -Cmdlet $PSCmdlet -AzureContext $AzureContext
    $find = [ordered]@{ subscription_id = $azure.SubscriptionId; resource_group = $ResourceGroupName }
    if ($RegistrationName) { $find.name = $RegistrationName }
    if ($CloudId) { $find.cloud_id = $CloudId }
    if ($RegistrationToken) { $find.token = $RegistrationToken.Trim() }
    $registration = Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method Find -Client $azure.Client -Arguments $find -AllowNotFound
    if ($null -eq $registration) {
        # Like Remove-AzsRegistration, a second run converges: nothing to remove is reported, not thrown.
        $tokenCloudId = if ($RegistrationToken) {
            (Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Reword ${function:ConvertTo-AzsRegistrationException} -Call {
                [AzsBilling.Native.RegistrationApi]::DecodeRegistrationToken($find.token) } | ConvertFrom-Json).cloud_id
        }
        Write-Verbose "No registration resource in resource group '$ResourceGroupName' of subscription $($azure.SubscriptionId) matches$(if ($RegistrationName) { " name '$RegistrationName'" })$(if ($CloudId -or $tokenCloudId) { " cloud id $(if ($CloudId) { $CloudId } else { $tokenCloudId })" }): nothing to remove."
        return [pscustomobject]@{
            PSTypeName          = 'AzsBilling.RegistrationRemoval'
            RegistrationName    = if ($RegistrationName) { $RegistrationName } else { $null }
            ResourceGroupName   = $ResourceGroupName
            SubscriptionId      = $azure.SubscriptionId
            CloudId             = if ($CloudId) { $CloudId } else { $tokenCloudId }
            ActivationRemoved   = $false
            RegistrationRemoved = $false
        }
    }
    $found = ConvertTo-AzsRegistrationObject -Cmdlet $PSCmdlet -Resource $registration
    if (-not $PSCmdlet.ShouldProcess("registration '$($found.Name)' of cloud $($found.CloudId)", 'Remove from Azure')) { return }
    $result = Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method Remove -Client $azure.Client -Arguments ([ordered]@{
            subscription_id = $azure.SubscriptionId; resource_group = $found.ResourceGroupName; name = $found.Name
        })
    [pscustomobject]@{
        PSTypeName          = 'AzsBilling.RegistrationRemoval'
        RegistrationName    = $found.Name
        ResourceGroupName   = $found.ResourceGroupName
        SubscriptionId      = $azure.SubscriptionId
        CloudId             = $found.CloudId
        ActivationRemoved   = $false
        RegistrationRemoved = [bool]$result.removed
    }
}

function Get-AzsActivationKey {
    <#
    .SYNOPSIS
    Gets the activation key of a registration from Azure (disconnected scenario).

    .DESCRIPTION
    As RegisterWithAzure.psm1's Get-AzsActivationKey: POSTs getactivationkey on the registration and returns
    the key, writing it to -KeyOutputFilePath when given. Carry the key to the stamp and run
    New-AzsActivationResource.

    .PARAMETER RegistrationName
    The registration resource's name.

    .PARAMETER AzureContext
    The Azure connection; default: the current connection.

    .PARAMETER ResourceGroupName
    The resource group (default azurestack).

    .PARAMETER KeyOutputFilePath
    A file to write the key to (UTF-8; created with its folder when missing).

    .PARAMETER ConnectedScenario
    Accepted for compatibility; changes nothing.

    .EXAMPLE
    Get-AzsActivationKey -RegistrationName "azurestack-$cloudId" -KeyOutputFilePath C:\ActivationKey.txt
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $RegistrationName,
        [psobject] $AzureContext,
        [ValidateNotNullOrEmpty()] [string] $ResourceGroupName = 'azurestack',
        [string] $KeyOutputFilePath,
        [switch] $ConnectedScenario
    )
    $azure = Resolve-AzsAzureContext -Cmdlet $PSCmdlet -AzureContext $AzureContext
    $key = (Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method ActivationKey -Client $azure.Client -Arguments ([ordered]@{
                subscription_id = $azure.SubscriptionId; resource_group = $ResourceGroupName; name = $RegistrationName
            })).activation_key
    if ($KeyOutputFilePath) { $null = Write-AzsFile -Cmdlet $PSCmdlet -Path $KeyOutputFilePath -Text $key }
    $key
}

function New-AzsActivationResource {
    <#
    .SYNOPSIS
    Activates the stamp with an activation key, on the privileged endpoint (disconnected scenario).

    .DESCRIPTION
    As RegisterWithAzure.psm1's New-AzsActivationResource: runs New-AzureStackActivation on the PEP. The key
    is decoded first (not verified: the stamp does that), so a key for another cloud or an expired one is
    reported before the PEP is contacted.

    .PARAMETER PrivilegedEndpointCredential
    The PEP credential (<AzureStackDomain>\CloudAdmin).

    .PARAMETER PrivilegedEndpoint
    The PEP: the ERCS VM's name or IP address (e.g. AzS-ERCS01), reached by PowerShell remoting to its
    'PrivilegedEndpoint' JEA configuration. A URL here is refused: the emulator's PEP model is given as
    -EmulatedPrivilegedEndpoint.

    .PARAMETER EmulatedPrivilegedEndpoint
    Instead of -PrivilegedEndpoint: the https:// URL of the emulator's model of the PEP (its ready line's
    pep.url), reached through the library rather than PowerShell remoting, with -PrivilegedEndpointCredential
    (trusted with -CaBundlePath, else the CA bundle of the current connection). For tests and demonstrations
    against azs-emulator; a real stamp's PEP is never a URL.

    .PARAMETER Session
    An open session to the PEP.

    .PARAMETER CaBundlePath
    A PEM file of CA certificates to trust for -EmulatedPrivilegedEndpoint (the emulator's ready-line
    ca_pem), for a session with no connection to that stamp. Not for PowerShell remoting.

    .PARAMETER ActivationKey
    The key from Get-AzsActivationKey (or the content of its file).

    .EXAMPLE
    New-AzsActivationResource -PrivilegedEndpoint AzS-ERCS01 -PrivilegedEndpointCredential $cloudAdmin -ActivationKey (Get-Content -Raw C:\ActivationKey.txt)
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('AzsBilling.Activation')]
    param(
        [pscredential] $PrivilegedEndpointCredential,
        [string] $PrivilegedEndpoint,
        [System.Management.Automation.Runspaces.PSSession] $Session,
        [uri] $EmulatedPrivilegedEndpoint,
        [string] $CaBundlePath,
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $ActivationKey
    )
    $key = $ActivationKey.Trim()
    $decoded = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Reword ${function:ConvertTo-AzsRegistrationException} -Call { [AzsBilling.Native.RegistrationApi]::DecodeActivationKey($key) } | ConvertFrom-Json
    $pep = Open-AzsPep -Cmdlet $PSCmdlet -PrivilegedEndpoint $PrivilegedEndpoint -PrivilegedEndpointCredential $PrivilegedEndpointCredential `
        -Session $Session -EmulatedPrivilegedEndpoint $EmulatedPrivilegedEndpoint -Connection $script:Connection -CaBundlePath $CaBundlePath
    try {
        $stamp = Invoke-AzsPepCommand -Cmdlet $PSCmdlet -Pep $pep -Name 'Get-AzureStackStampInformation' -Activity 'New-AzsActivationResource'
        if ($decoded.cloud_id -and [string]$decoded.cloud_id -ne [string]$stamp.CloudID) {
            $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'ActivationKeyForAnotherCloud' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) -TargetObject $decoded.registration_id `
                        -Message "The activation key is for cloud $($decoded.cloud_id) (registration $($decoded.registration_id)); this stamp is $($stamp.CloudID). Get the key of this stamp's registration."))
        }
        if (-not $PSCmdlet.ShouldProcess("stamp $($stamp.CloudID)", "Activate with registration $($decoded.registration_id)")) { return }
        $null = Invoke-AzsPepCommand -Cmdlet $PSCmdlet -Pep $pep -Name 'New-AzureStackActivation' -Activity 'New-AzsActivationResource' -Parameters @{
            ActivationKey = $key
        }
    } finally {
        Close-AzsPep $pep
    }
    Write-Verbose 'Your environment has finished the registration and activation process.'
    [pscustomobject]@{
        PSTypeName                    = 'AzsBilling.Activation'
        CloudId                       = $stamp.CloudID
        RegistrationId                = $decoded.registration_id
        BillingModel                  = $decoded.billing_model
        Expiration                    = $decoded.expires
        UsageReportingEnabled         = $decoded.usage_reporting_enabled
        MarketplaceSyndicationEnabled = $decoded.marketplace_syndication_enabled
    }
}

function Remove-AzsActivationResource {
    <#
    .SYNOPSIS
    Removes the stamp's activation, on the privileged endpoint.

    .DESCRIPTION
    As RegisterWithAzure.psm1's Remove-AzsActivationResource: runs Remove-AzureStackActivation on the PEP
    (never Azure, so it works on disconnected stamps). Running it on a stamp that is not activated succeeds.

    .PARAMETER PrivilegedEndpointCredential
    The PEP credential (<AzureStackDomain>\CloudAdmin).

    .PARAMETER PrivilegedEndpoint
    The PEP: the ERCS VM's name or IP address (e.g. AzS-ERCS01), reached by PowerShell remoting to its
    'PrivilegedEndpoint' JEA configuration. A URL here is refused: the emulator's PEP model is given as
    -EmulatedPrivilegedEndpoint.

    .PARAMETER EmulatedPrivilegedEndpoint
    Instead of -PrivilegedEndpoint: the https:// URL of the emulator's model of the PEP (its ready line's
    pep.url), reached through the library rather than PowerShell remoting, with -PrivilegedEndpointCredential
    (trusted with -CaBundlePath, else the CA bundle of the current connection). For tests and demonstrations
    against azs-emulator; a real stamp's PEP is never a URL.

    .PARAMETER Session
    An open session to the PEP.

    .PARAMETER CaBundlePath
    A PEM file of CA certificates to trust for -EmulatedPrivilegedEndpoint (the emulator's ready-line
    ca_pem), for a session with no connection to that stamp. Not for PowerShell remoting.

    .EXAMPLE
    Remove-AzsActivationResource -PrivilegedEndpoint AzS-ERCS01 -PrivilegedEndpointCredential $cloudAdmin
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([void])]
    param(
        [pscredential] $PrivilegedEndpointCredential,
        [string] $PrivilegedEndpoint,
        [System.Management.Automation.Runspaces.PSSession] $Session,
        [uri] $EmulatedPrivilegedEndpoint,
        [string] $CaBundlePath
    )
    $pep = Open-AzsPep -Cmdlet $PSCmdlet -PrivilegedEndpoint $PrivilegedEndpoint -PrivilegedEndpointCredential $PrivilegedEndpointCredential `
        -Session $Session -EmulatedPrivilegedEndpoint $EmulatedPrivilegedEndpoint -Connection $script:Connection -CaBundlePath $CaBundlePath
    try {
        if (-not $PSCmdlet.ShouldProcess($pep.Name, 'Remove the stamp''s activation')) { return }
        $null = Invoke-AzsPepCommand -Cmdlet $PSCmdlet -Pep $pep -Name 'Remove-AzureStackActivation' -Activity 'Remove-AzsActivationResource'
    } finally {
        Close-AzsPep $pep
    }
}

function Get-AzsRegistration {
    <#
    .SYNOPSIS
    Shows a registration in Azure beside the stamp's activation: billing model, usage reporting, syndication,
    expiry and whether the cloud ids match.

    .DESCRIPTION
    Reads the registration resource from Azure (by name, or every registration of the resource group) and,
    when -StampContext (a connection to the stamp's admin endpoint) is given or current, the stamp's
    Microsoft.AzureBridge.Admin/activations/default. The activation key the stamp holds names the registration
    it was issued for; the status says whether the two agree.

    .PARAMETER RegistrationName
    The registration resource's name; default: every registration in the resource group.

    .PARAMETER ResourceGroupName
    The resource group (default azurestack).

    .PARAMETER AzureContext
    The Azure connection; default: the current connection.

    .PARAMETER StampContext
    A connection to the stamp's admin endpoint (Connect-AzsBillingEnvironment -ArmEndpoint https://adminmanagement...).

    .EXAMPLE
    $stamp = Connect-AzsBillingEnvironment -ArmEndpoint https://adminmanagement.local.azurestack.external -Tenant $tenant -Credential $operator
    $azure = Connect-AzsBillingEnvironment -Cloud AzureCloud -Tenant contoso.onmicrosoft.com -UseDeviceAuthentication -SubscriptionId $sub
    Get-AzsRegistration -AzureContext $azure -StampContext $stamp
    #>
    [CmdletBinding()]
    [OutputType('AzsBilling.RegistrationStatus')]
    param(
        [string] $RegistrationName,
        [ValidateNotNullOrEmpty()] [string] $ResourceGroupName = 'azurestack',
        [psobject] $AzureContext,
        [psobject] $StampContext
    )
    $azure = Resolve-AzsAzureContext -Cmdlet $PSCmdlet -AzureContext $AzureContext
    $resources = if ($RegistrationName) {
        @(Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method Get -Client $azure.Client -Arguments ([ordered]@{
                    subscription_id = $azure.SubscriptionId; resource_group = $ResourceGroupName; name = $RegistrationName
                }))
    } else {
        @(Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method List -Client $azure.Client -Arguments ([ordered]@{
                    subscription_id = $azure.SubscriptionId; resource_group = $ResourceGroupName
                }) | ForEach-Object { $_ })
    }
    $activation = $null
    $stampConnection = if ($StampContext) { $StampContext } elseif ($script:Connection -and $script:Connection.EndpointType -eq 'Admin') { $script:Connection }
    if ($stampConnection) {
        if (-not $script:Clients.ContainsKey($stampConnection.Id)) {
            $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NotConnected' -Category InvalidOperation `
                        -Message 'The -StampContext connection is closed. Run Connect-AzsBillingEnvironment for the stamp''s admin endpoint again.'))
        }
        $stampClient = $script:Clients[$stampConnection.Id]
        $activation = Invoke-AzsRegistrationCall -Cmdlet $PSCmdlet -Method StampActivation -Client $stampClient -AllowNotFound
        if ($null -eq $activation) { Write-Verbose 'The stamp is not activated.' }
    }
    foreach ($resource in $resources) {
        New-AzsRegistrationStatus -Cmdlet $PSCmdlet -Registration $resource -Activation $activation
    }
}
