# What the registration commands share: the Azure connection they work in, calls into the library's
# registration functions, and the shape of the objects they output.

# The resource group location the original tooling defaults to, per cloud (RegisterWithAzure.psm1).
$script:DefaultRegistrationLocation = @{
    AzureCloud        = 'westcentralus'
    AzureChinaCloud   = 'ChinaEast'
    AzureUSGovernment = 'usgovvirginia'
}

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

function Get-AzsDefaultRegistrationLocation {
    param([psobject] $Connection)
    $location = $script:DefaultRegistrationLocation[[string]$Connection.Environment]
    if ($location) { $location } else { 'westcentralus' }
}

function Invoke-AzsRegistrationCall {
    # One call of [AzsBilling.Native.RegistrationApi] with a JSON object of arguments; the JSON answer as
    # objects. With -AllowNotFound a missing resource gives $null instead of an error (the failure has to be
    # told apart here: a caller's try/catch does not see $PSCmdlet.ThrowTerminatingError).
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [string] $Method,
        [Parameter(Mandatory)] [AzsBilling.Native.ClientHandle] $Client,
        [System.Collections.IDictionary] $Arguments,
        [switch] $AllowNotFound
    )
    $json = if ($null -ne $Arguments) { $Arguments | ConvertTo-Json -Compress -Depth 5 } else { $null }
    try {
        $answer = if ($null -ne $json) { [AzsBilling.Native.RegistrationApi]::$Method($Client, $json) } else { [AzsBilling.Native.RegistrationApi]::$Method($Client) }
    } catch {
        $e = Get-AzsBillingException $_.Exception
        if ($null -eq $e) { throw }
        if ($AllowNotFound -and ($e.Status -eq [AzsBilling.Native.AzsbStatus]::NotFound -or $e.HttpStatus -eq 404)) { return $null }
        $Cmdlet.ThrowTerminatingError((New-AzsBillingErrorRecord -Exception $e))
    }
    ConvertFrom-Json -InputObject $answer
}

function Resolve-AzsRegistrationSettings {
    # The billing model rules, applied by the library before anything is sent; its warnings become warnings.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Settings
    )
    $json = $Settings | ConvertTo-Json -Compress
    $resolved = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Call { [AzsBilling.Native.RegistrationApi]::ResolveSettings($json) } | ConvertFrom-Json
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

function ConvertTo-AzsRegistrationObject {
    # A Microsoft.AzureStack/registrations resource as an AzsBilling.Registration object.
    param([Parameter(Mandatory)] [psobject] $Resource)
    $parts = ([string]$Resource.id) -split '/'
    [pscustomobject]@{
        PSTypeName        = 'AzsBilling.Registration'
        Name              = $Resource.name
        ResourceGroupName = if ($parts.Count -gt 4) { $parts[4] } else { $null }
        SubscriptionId    = if ($parts.Count -gt 2) { $parts[2] } else { $null }
        Location          = $Resource.location
        BillingModel      = $Resource.properties.billingModel
        CloudId           = $Resource.properties.cloudId
        ObjectId          = $Resource.properties.objectId
        Tags              = $Resource.PSObject.Properties['tags'] | ForEach-Object { $_.Value }
        ResourceId        = $Resource.id
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
    # A registration in Azure beside the stamp's activation (from the stamp's activation resource, or from the
    # activation key just used), with whether they agree.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [psobject] $Registration,
        [psobject] $Activation,
        [psobject] $Stamp,
        [string] $ActivationKey
    )
    $activated = $null
    $activationId = $null
    $expiration = $null
    $usage = $null
    $syndication = $null
    if ($Activation) {
        $activated = $true
        $activationId = [string]$Activation.properties.azureRegistrationResourceIdentifier
        $expiration = $Activation.properties.expiration
        $usage = $Activation.properties.usageReportingEnabled
        $syndication = $Activation.properties.marketplaceSyndicationEnabled
    } elseif ($ActivationKey) {
        $key = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Call { [AzsBilling.Native.RegistrationApi]::DecodeActivationKey($ActivationKey) } | ConvertFrom-Json
        $activated = $true
        $activationId = [string]$key.registration_id
        $expiration = $key.expires
        $usage = $key.usage_reporting_enabled
        $syndication = $key.marketplace_syndication_enabled
    }
    $agrees = if ($null -eq $activated) { $null } else { $activationId.TrimEnd('/') -ieq ([string]$Registration.ResourceId).TrimEnd('/') }
    $cloudMatch = if ($Stamp) { [string]$Stamp.CloudID -eq [string]$Registration.CloudId } else { $null }
    $expirationTime = $null
    if ($expiration) {
        $parsed = [datetimeoffset]::MinValue
        if ([datetimeoffset]::TryParse([string]$expiration, $script:Invariant, [System.Globalization.DateTimeStyles]::AssumeUniversal, [ref]$parsed)) {
            $expirationTime = $parsed.UtcDateTime
        }
    }
    $status = if ($null -eq $activated) { 'Registered' }
    elseif (-not $agrees) { 'ActivatedForAnotherRegistration' }
    elseif ($expirationTime -and $expirationTime -lt [datetime]::UtcNow) { 'Expired' }
    else { 'RegisteredAndActivated' }
    [pscustomobject]@{
        PSTypeName                    = 'AzsBilling.RegistrationStatus'
        Name                          = $Registration.Name
        ResourceGroupName             = $Registration.ResourceGroupName
        SubscriptionId                = $Registration.SubscriptionId
        BillingModel                  = $Registration.BillingModel
        CloudId                       = $Registration.CloudId
        ObjectId                      = $Registration.ObjectId
        Status                        = $status
        Activated                     = $activated
        ActivationRegistrationId      = $activationId
        ActivationMatchesRegistration = $agrees
        CloudIdMatchesStamp           = $cloudMatch
        UsageReportingEnabled         = $usage
        MarketplaceSyndicationEnabled = $syndication
        Expiration                    = $expirationTime
        ResourceId                    = $Registration.ResourceId
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
    $id = [string]$activation.properties.azureRegistrationResourceIdentifier
    $parts = $id.Trim('/') -split '/'
    if ($parts.Count -lt 8) {
        $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'RegistrationDetailsUnavailable' -Category InvalidData -TargetObject $id `
                    -Message "Unable to retrieve registration details from AzureStack/Azure: the activation names '$id', not a registration resource."))
    }
    $registration = Invoke-AzsRegistrationCall -Cmdlet $Cmdlet -Method Get -Client $Azure.Client -Arguments ([ordered]@{
            subscription_id = $parts[1]; resource_group = $parts[3]; name = $parts[7]
        })
    [pscustomobject]@{
        Name                          = $parts[7]
        ResourceGroupName             = $parts[3]
        SubscriptionId                = $parts[1]
        BillingModel                  = [string]$registration.properties.billingModel
        UsageReportingEnabled         = [bool]$activation.properties.usageReportingEnabled
        MarketplaceSyndicationEnabled = [bool]$activation.properties.marketplaceSyndicationEnabled
    }
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
