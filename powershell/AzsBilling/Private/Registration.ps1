# What the registration commands share: the Azure connection they work in, calls into the library's
# registration functions, and the shape of the objects they output.

function Resolve-AzsAzureContext {
    # The Azure connection (default: the current one), its client, and the subscription to work in.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [psobject] $AzureContext
    )
    $connection = if ($AzureContext) { $AzureContext } else { $script:Connection }
    if ($null -eq $connection -or -not $connection.PSObject.Properties['Id'] -or -not $script:Clients.ContainsKey($connection.Id) -or
        $script:Clients[$connection.Id].IsClosed) {
        $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'AzureContextNotSet' -Category InvalidOperation `
                    -Message 'Current Azure context is not currently set. Run Connect-AzsBillingEnvironment -Cloud AzureCloud (or -ArmEndpoint) with -SubscriptionId, and pass its output as -AzureContext or leave it the current connection.'))
    }
    if (-not $connection.SubscriptionId) {
        $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'AzureContextNotSet' -Category InvalidOperation `
                    -TargetObject $connection -Message "The Azure connection to $($connection.ResourceManager) has no subscription selected (it sees $(@($connection.Subscriptions).Count)). Run Connect-AzsBillingEnvironment again with -SubscriptionId."))
    }
    [pscustomobject]@{ Connection = $connection; Client = $script:Clients[$connection.Id]; SubscriptionId = $connection.SubscriptionId }
}

function Invoke-AzsRegistrationCall {
    # One call of [AzsBilling.Native.RegistrationApi] with a JSON object of arguments; the JSON answer as
    # objects (-AllowNotFound: $null for a missing resource).
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [string] $Method,
        [Parameter(Mandatory)] [AzsBilling.Native.ClientHandle] $Client,
        [System.Collections.IDictionary] $Arguments,
        [switch] $AllowNotFound
    )
    $json = if ($null -ne $Arguments) { $Arguments | ConvertTo-Json -Compress -Depth 5 } else { $null }
    $answer = Invoke-AzsBillingNative -Cmdlet $Cmdlet -AllowNotFound:$AllowNotFound -Reword ${function:ConvertTo-AzsRegistrationException} -Call {
        if ($null -ne $json) { [AzsBilling.Native.RegistrationApi]::$Method($Client, $json) } else { [AzsBilling.Native.RegistrationApi]::$Method($Client) }
    }
    if ($null -ne $answer) { ConvertFrom-Json -InputObject $answer }
}

function Resolve-AzsRegistrationSettings {
    # The billing model rules, applied by the library before anything is sent; its warnings become warnings.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Settings
    )
    $json = $Settings | ConvertTo-Json -Compress
    $resolved = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Reword ${function:ConvertTo-AzsRegistrationException} -Call { [AzsBilling.Native.RegistrationApi]::ResolveSettings($json) } | ConvertFrom-Json
    foreach ($warning in @($resolved.warnings)) { if ($warning) { $Cmdlet.WriteWarning($warning) } }
    $resolved
}

function New-AzsRegistrationToken {
    # Set-RegistrationKeyPair where the stamp's build and size need it (multi-node builds after 2209, as the
    # original), then New-RegistrationToken with the parameters the stamp's build accepts.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [hashtable] $Pep,
        [Parameter(Mandatory)] [psobject] $Settings,
        [Parameter(Mandatory)] [psobject] $StampInfo,
        [string] $Activity
    )
    $settingsJson = $Settings | ConvertTo-Json -Compress
    $version = [string]$StampInfo.StampVersion
    $nodes = if ($StampInfo.PSObject.Properties['NumberOfNodes'] -and $StampInfo.NumberOfNodes) { [uint32]$StampInfo.NumberOfNodes } else { [uint32]1 }
    $needsKeyPair = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Call { [AzsBilling.Native.RegistrationApi]::NeedsKeyPair($version, $nodes) }
    if ($needsKeyPair) {
        $null = Invoke-AzsPepCommand -Cmdlet $Cmdlet -Pep $Pep -Name 'Set-RegistrationKeyPair' -Activity $Activity
    } else {
        Write-Verbose "Set-RegistrationKeyPair is not needed on build $version with $nodes node(s): skipping."
    }
    $parameters = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Call {
        [AzsBilling.Native.RegistrationApi]::TokenParameters($version, $settingsJson)
    } | ConvertFrom-Json -AsHashtable
    [string](Invoke-AzsPepCommand -Cmdlet $Cmdlet -Pep $Pep -Name 'New-RegistrationToken' -Parameters $parameters -Activity $Activity)
}

function Get-AzsRegistrationStatus {
    # The library's view of a registration beside the stamp's activation (azsb_registration_status): the
    # registration's parts, whether it is activated, for which registration, expiry, cloud id agreement.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [psobject] $Registration,
        [psobject] $Activation,
        [string] $ActivationKey,
        [string] $StampCloudId
    )
    $arguments = [ordered]@{ registration = $Registration }
    if ($Activation) { $arguments.activation = $Activation }
    if ($ActivationKey) { $arguments.activation_key = $ActivationKey }
    if ($StampCloudId) { $arguments.stamp_cloud_id = $StampCloudId }
    $json = $arguments | ConvertTo-Json -Compress -Depth 10
    Invoke-AzsBillingNative -Cmdlet $Cmdlet -Call { [AzsBilling.Native.RegistrationApi]::Status($json) } | ConvertFrom-Json
}

function ConvertTo-AzsRegistrationObject {
    # A Microsoft.AzureStack/registrations resource as an AzsBilling.Registration object.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [psobject] $Resource
    )
    $status = Get-AzsRegistrationStatus -Cmdlet $Cmdlet -Registration $Resource
    [pscustomobject]@{
        PSTypeName        = 'AzsBilling.Registration'
        Name              = $status.name
        ResourceGroupName = $status.resource_group
        SubscriptionId    = $status.subscription_id
        Location          = $Resource.location
        BillingModel      = $status.billing_model
        CloudId           = $status.cloud_id
        ObjectId          = $status.object_id
        Tags              = $Resource.PSObject.Properties['tags'] | ForEach-Object { $_.Value }
        ResourceId        = $status.resource_id
    }
}

function Write-AzsFile {
    # Writes a token or key to a file as UTF-8 without a BOM (what the library and the PEP read back),
    # creating the folder; the original tool's "Unable to create file" error otherwise.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Text
    )
    $full = Resolve-AzsPath $Cmdlet $Path
    try {
        $folder = Split-Path -Parent $full
        if ($folder -and -not (Test-Path -LiteralPath $folder)) { $null = New-Item -ItemType Directory -Path $folder -Force }
        [System.IO.File]::WriteAllText($full, $Text, [System.Text.UTF8Encoding]::new($false))
    } catch {
        $Cmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                [System.IO.IOException]::new("Unable to create file at location $full : $($_.Exception.Message)", $_.Exception),
                'AzsBilling.FileNotWritten', 'WriteError', $full))
    }
    Write-Verbose "Wrote $full."
    $full
}

function New-AzsRegistrationStatus {
    # An AzsBilling.RegistrationStatus: the registration in Azure beside the stamp's activation (its resource,
    # or the activation key just used), as the library judges them.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [psobject] $Registration,
        [psobject] $Activation,
        [string] $ActivationKey,
        [string] $StampCloudId
    )
    $status = Get-AzsRegistrationStatus @PSBoundParameters
    $expiration = $status.expiration
    if ($expiration -is [datetime]) {
        $expiration = $expiration.ToUniversalTime()
    } elseif ($expiration) {
        $expiration = [datetimeoffset]::Parse([string]$expiration, $script:Invariant).UtcDateTime
    }
    [pscustomobject]@{
        PSTypeName                    = 'AzsBilling.RegistrationStatus'
        Name                          = $status.name
        ResourceGroupName             = $status.resource_group
        SubscriptionId                = $status.subscription_id
        BillingModel                  = $status.billing_model
        CloudId                       = $status.cloud_id
        ObjectId                      = $status.object_id
        Status                        = $status.state
        Activated                     = $status.activated
        ActivationRegistrationId      = $status.activation_registration_id
        ActivationMatchesRegistration = $status.activation_matches_registration
        CloudIdMatchesStamp           = $status.cloud_id_matches_stamp
        UsageReportingEnabled         = $status.usage_reporting_enabled
        MarketplaceSyndicationEnabled = $status.marketplace_syndication_enabled
        Expiration                    = $expiration
        ResourceId                    = $status.resource_id
    }
}

function Get-AzsExistingRegistrationSettings {
    # -Reregister: the stamp's activation (admin endpoint, signed in with the given credential or through the
    # current admin connection) names the registration; Azure has its billing model.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [psobject] $Azure,
        [Parameter(Mandatory)] [psobject] $Stamp,
        [pscredential] $Credential
    )
    $ownClient = $null
    try {
        if ($Credential) {
            $options = [ordered]@{
                arm_endpoint = [string]$Stamp.AdminExternalEndpoints.AdminResourceManager
                tenant       = [string]$Stamp.AADTenantID
                credential   = [ordered]@{
                    type = 'client_secret'; client_id = $Credential.UserName; client_secret = $Credential.GetNetworkCredential().Password
                }
            }
            if ($Azure.Connection.CaBundlePath) { $options.ca_bundle = $Azure.Connection.CaBundlePath }
            $json = $options | ConvertTo-Json -Compress -Depth 4
            $options = $null
            $ownClient = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Call { [AzsBilling.Native.Api]::ClientNew($json, $Cmdlet, $null) }
            $json = $null
            $stampClient = $ownClient
        } elseif ($script:Connection -and $script:Connection.EndpointType -eq 'Admin' -and $script:Clients.ContainsKey($script:Connection.Id)) {
            $stampClient = $script:Clients[$script:Connection.Id]
        } else {
            $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NoStampConnection' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) `
                        -Message '-Reregister reads the current registration from the stamp: give -AzureStackAdminCredential (an operator service principal of the stamp), or connect to its admin endpoint first.'))
        }
        $activation = Invoke-AzsRegistrationCall -Cmdlet $Cmdlet -Method StampActivation -Client $stampClient -AllowNotFound
        if ($null -eq $activation) {
            $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NotActivated' -Category ObjectNotFound `
                        -Message 'Unable to retrieve registration details from AzureStack/Azure: the stamp has no activation. Register it with -RegistrationName instead of -Reregister.'))
        }
    } finally {
        if ($ownClient) { $ownClient.Dispose() }
    }
    # The activation names its registration by resource id; the library reads it (and refuses anything else).
    $registration = Invoke-AzsRegistrationCall -Cmdlet $Cmdlet -Method Get -Client $Azure.Client -Arguments ([ordered]@{
            registration_id = [string]$activation.properties.azureRegistrationResourceIdentifier
        })
    New-AzsRegistrationStatus -Cmdlet $Cmdlet -Registration $registration -Activation $activation
}

function ConvertTo-AzsCustomerSubscriptionObject {
    param([Parameter(Mandatory)] [psobject] $Mapping, [string] $RegistrationName)
    $name = [string]$Mapping.name
    [pscustomobject]@{
        PSTypeName             = 'AzsBilling.CustomerSubscription'
        RegistrationName       = $RegistrationName
        CustomerSubscriptionId = ($name -split '/')[-1]
        TenantId               = $Mapping.properties.tenantId
        ResourceId             = $Mapping.id
    }
}
