function Connect-AzsBillingEnvironment {
    <#
    .SYNOPSIS
    Connects to an Azure Stack Hub (or Azure) Resource Manager endpoint for the usage and billing cmdlets.

    .DESCRIPTION
    Creates a client of the azs_billing library and keeps it as the module's current connection, replacing
    any previous one. For -ArmEndpoint the endpoint's /metadata/endpoints is read now (login endpoint,
    audience, identity system). The credential is then used once: on an admin endpoint (adminmanagement.*, or
    an address whose token audience is, as the library tells them apart) to find the Default Provider
    Subscription, on other endpoints to list the subscriptions the caller can see; a credential the identity
    provider refuses fails here. Other failures of that look-up are only reported with -Verbose.

    The result's EndpointType is Admin, Tenant (an Azure Stack Hub user endpoint) or Azure (a public Azure
    cloud, or the emulator's Azure side), as the library reads it from the endpoint.

    Credentials: -Credential (a service principal: user name = application id, password = client secret),
    -CertificatePath with -ApplicationId (a PEM certificate with its key, or -PrivateKeyPath; or a .pfx/.p12
    file with -CertificatePassword), -AccessToken (a bearer token for the endpoint's audience), or
    -UseDeviceAuthentication (the sign-in message is shown as a warning).

    Secrets are passed to the library only; they never appear in errors or verbose output.

    The result says who signed in, as the library read it from the access token's claims (the token itself is
    never shown): Account is the user's sign-in name (after -UseDeviceAuthentication, or an -AccessToken of a
    user) or the application id of a service principal, AccountType 'user' or 'application', and TenantId the
    directory of the selected subscription, else the one the token was issued in. Error messages name this
    command's parameters (-CaBundlePath, -Tenant, ...), never the library's option fields.

    .PARAMETER ArmEndpoint
    The Resource Manager endpoint, e.g. https://adminmanagement.local.azurestack.external/ (operator) or
    https://management.local.azurestack.external/ (tenant). Give this or -Cloud.

    .PARAMETER Cloud
    A public Azure cloud instead of an Azure Stack Hub endpoint: AzureCloud, AzureChinaCloud or AzureUSGovernment.

    .PARAMETER Tenant
    The directory tenant (GUID or domain, e.g. contoso.onmicrosoft.com); 'adfs' on AD FS stamps. Required for
    -Credential and -CertificatePath.

    .PARAMETER Credential
    A service principal: the user name is its application (client) id, the password its client secret.

    .PARAMETER ApplicationId
    The application (client) id of the service principal for -CertificatePath; optional for -UseDeviceAuthentication.

    .PARAMETER CertificatePath
    The service principal's certificate: a PEM file (with the private key in it, or give -PrivateKeyPath), or
    a .pfx/.p12 file (with -CertificatePassword when it has one).

    .PARAMETER PrivateKeyPath
    A PEM file with the private key of -CertificatePath when the certificate file does not contain it.

    .PARAMETER CertificatePassword
    The password of a .pfx/.p12 -CertificatePath.

    .PARAMETER AccessToken
    A bearer token for the endpoint's audience, as a string or a SecureString. It is not refreshed.

    .PARAMETER UseDeviceAuthentication
    Signs in with the device code flow: open the web page the warning names and enter the code.

    .PARAMETER CaBundlePath
    A PEM file of CA certificates to trust besides the system store (stamps often use an internal CA).

    .PARAMETER MaxRetries
    Retries of a throttled (429), busy (503) or failed request before giving up (default 5; 0 disables retries).

    .PARAMETER TimeoutSec
    Timeout of one request in seconds, body included (default 300; connecting is capped at 30 seconds).

    .PARAMETER SubscriptionId
    The subscription registration commands work in (for an Azure connection: where the registration resource
    lives). Default: the only subscription the account sees. One the account is seen not to have is refused
    (SubscriptionNotFound); the library makes that choice, as azsb_working_subscription does for C callers.

    .EXAMPLE
    $sp = Get-Credential -UserName '8d0c5a7e-...' -Message 'Client secret'
    Connect-AzsBillingEnvironment -ArmEndpoint https://adminmanagement.local.azurestack.external/ -Tenant contoso.onmicrosoft.com -Credential $sp

    Connects as an operator with a service principal secret; the result shows the Default Provider Subscription.

    .EXAMPLE
    Connect-AzsBillingEnvironment -ArmEndpoint https://adminmanagement.local.azurestack.external/ -Tenant adfs -ApplicationId $appId -CertificatePath ./operator.pfx -CertificatePassword (Read-Host -AsSecureString) -CaBundlePath ./stamp-ca.pem

    Connects to an AD FS stamp with a certificate, trusting the stamp's internal CA.

    .EXAMPLE
    Connect-AzsBillingEnvironment -ArmEndpoint https://management.local.azurestack.external/ -Tenant contoso.onmicrosoft.com -UseDeviceAuthentication

    Connects as a tenant user with a device code.

    .OUTPUTS
    AzsBilling.Connection
    #>
    [CmdletBinding(DefaultParameterSetName = 'ClientSecret')]
    [OutputType('AzsBilling.Connection')]
    param(
        [Parameter(Position = 0)]
        [uri] $ArmEndpoint,

        [ValidateSet('AzureCloud', 'AzureChinaCloud', 'AzureUSGovernment')]
        [string] $Cloud,

        [string] $Tenant,

        [Parameter(Mandatory, ParameterSetName = 'ClientSecret')]
        [pscredential] $Credential,

        [Parameter(Mandatory, ParameterSetName = 'Certificate')]
        [Parameter(ParameterSetName = 'DeviceCode')]
        [ValidateNotNullOrEmpty()]
        [string] $ApplicationId,

        [Parameter(Mandatory, ParameterSetName = 'Certificate')]
        [ValidateNotNullOrEmpty()]
        [string] $CertificatePath,

        [Parameter(ParameterSetName = 'Certificate')]
        [string] $PrivateKeyPath,

        [Parameter(ParameterSetName = 'Certificate')]
        [securestring] $CertificatePassword,

        [Parameter(Mandatory, ParameterSetName = 'AccessToken')]
        [ValidateNotNull()]
        [object] $AccessToken,

        [Parameter(Mandatory, ParameterSetName = 'DeviceCode')]
        [switch] $UseDeviceAuthentication,

        [string] $CaBundlePath,

        [ValidateRange(0, 100)]
        [int] $MaxRetries,

        [ValidateRange(1, 86400)]
        [int] $TimeoutSec,

        [ValidatePattern('^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$')]
        [string] $SubscriptionId
    )

    $hasEndpoint = $PSBoundParameters.ContainsKey('ArmEndpoint')
    $hasCloud = $PSBoundParameters.ContainsKey('Cloud')
    if ($hasEndpoint -and -not $ArmEndpoint.IsAbsoluteUri) {
        $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'InvalidArmEndpoint' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) -TargetObject $ArmEndpoint `
                    -Message "-ArmEndpoint '$ArmEndpoint' is not an absolute URL, e.g. https://adminmanagement.local.azurestack.external/."))
    }
    if ($hasEndpoint -eq $hasCloud) {
        $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NoEnvironment' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) `
                    -Message 'Give exactly one of -ArmEndpoint (an Azure Stack Hub Resource Manager URL) or -Cloud.'))
    }
    if ($PSCmdlet.ParameterSetName -in 'ClientSecret', 'Certificate' -and [string]::IsNullOrWhiteSpace($Tenant)) {
        $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NoTenant' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) `
                    -Message 'A service principal needs -Tenant: the directory tenant (GUID or domain), or ''adfs'' on AD FS stamps.'))
    }

    # Files are checked here, so the message names the parameter and nothing has been sent yet.
    $paths = @{}
    foreach ($name in 'CaBundlePath', 'CertificatePath', 'PrivateKeyPath') {
        if (-not $PSBoundParameters.ContainsKey($name)) { continue }
        $resolved = Resolve-AzsInputFile $PSCmdlet $name $PSBoundParameters[$name] $(switch ($name) {
                'CaBundlePath' { $script:CaBundleFileText }
                'CertificatePath' { 'the PEM or .pfx/.p12 certificate of the service principal' }
                default { 'the PEM private key of -CertificatePath' } })
        $paths[$resolved] = "-$name"
    }

    $credentialJson = [ordered]@{}
    $account = $null
    switch ($PSCmdlet.ParameterSetName) {
        'ClientSecret' {
            $account = $Credential.UserName
            $credentialJson.type = 'client_secret'
            $credentialJson.client_id = $Credential.UserName
            $credentialJson.client_secret = $Credential.GetNetworkCredential().Password
        }
        'Certificate' {
            $account = $ApplicationId
            $path = Resolve-AzsPath $PSCmdlet $CertificatePath
            if ([System.IO.Path]::GetExtension($path) -in '.pfx', '.p12') {
                $credentialJson.type = 'pfx'
                $credentialJson.client_id = $ApplicationId
                $credentialJson.pfx_path = $path
                if ($CertificatePassword) { $credentialJson.password = ConvertFrom-AzsSecureString $CertificatePassword }
            } else {
                $credentialJson.type = 'certificate'
                $credentialJson.client_id = $ApplicationId
                $credentialJson.certificate_path = $path
                if ($PrivateKeyPath) { $credentialJson.private_key_path = Resolve-AzsPath $PSCmdlet $PrivateKeyPath }
            }
        }
        'AccessToken' {
            $account = 'access token'
            $token = if ($AccessToken -is [securestring]) { ConvertFrom-AzsSecureString $AccessToken } else { [string]$AccessToken }
            if ([string]::IsNullOrWhiteSpace($token)) {
                $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'EmptyAccessToken' -Category InvalidArgument `
                            -ExceptionType ([System.ArgumentException]) -Message '-AccessToken is empty.'))
            }
            $credentialJson.type = 'access_token'
            $credentialJson.access_token = $token
        }
        'DeviceCode' {
            $account = 'device code'
            $credentialJson.type = 'device_code'
            if ($ApplicationId) { $credentialJson.client_id = $ApplicationId }
        }
    }

    $options = [ordered]@{}
    if ($hasEndpoint) { $options.arm_endpoint = $ArmEndpoint.AbsoluteUri } else { $options.cloud = $Cloud }
    if ($Tenant) { $options.tenant = $Tenant }
    $options.credential = $credentialJson
    if ($CaBundlePath) { $options.ca_bundle = Resolve-AzsPath $PSCmdlet $CaBundlePath }
    $resolvedCaBundle = $options['ca_bundle']
    if ($PSBoundParameters.ContainsKey('MaxRetries')) { $options.retry = @{ max_retries = $MaxRetries } }
    if ($PSBoundParameters.ContainsKey('TimeoutSec')) {
        $options.read_timeout = $TimeoutSec
        $options.connect_timeout = [Math]::Min(30, $TimeoutSec)
    }
    $moduleVersion = if ($MyInvocation.MyCommand.Module) { $MyInvocation.MyCommand.Module.Version } else { '0.0' }
    $options.user_agent_suffix = "AzsBilling-PowerShell/$moduleVersion PowerShell/$($PSVersionTable.PSVersion)"

    Write-Verbose "Connecting to $(if ($hasEndpoint) { $options.arm_endpoint } else { $Cloud }) with a $($credentialJson.type) credential ($account)."
    $json = $options | ConvertTo-Json -Compress -Depth 5
    $credentialType = $credentialJson.type
    $options = $null
    $credentialJson = $null
    # The device code message becomes a warning of this command (a later sign-in refresh: a host warning line).
    $cmdlet = $PSCmdlet
    $ui = $Host.UI
    $parameterSet = $PSCmdlet.ParameterSetName
    $reword = { param($e) ConvertTo-AzsConnectException -Exception $e -ParameterSet $parameterSet -Paths $paths }
    $client = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Reword $reword -Call {
        [AzsBilling.Native.Api]::ClientNew($json, $cmdlet, $ui)
    }
    $json = $null

    $connected = $false
    # The calls below that catch the library's exceptions themselves log to this command too.
    $nativeLogScope = [AzsBilling.Native.Log]::Enter($PSCmdlet)
    try {
        $environment = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Reword $reword -Call {
            [AzsBilling.Native.Api]::ClientEnvironment($client)
        } | ConvertFrom-Json
        # 'admin', 'tenant' or 'azure', as the library tells them apart (host name or token audience).
        $endpointType = [string]$environment.endpoint_type
        $isAdmin = $endpointType -eq 'admin'

        # One call with the credential: it checks the sign-in and finds the subscriptions the cmdlets default to.
        $defaultProvider = $null
        $subscriptionsJson = '[]'
        $subscriptions = @()
        try {
            if ($isAdmin) {
                $defaultProvider = [AzsBilling.Native.Api]::DefaultProviderSubscription($client)
            } else {
                $subscriptionsJson = [AzsBilling.Native.Api]::ClientSubscriptions($client)
                $subscriptions = @($subscriptionsJson | ConvertFrom-Json | ForEach-Object { $_ })
            }
        } catch {
            $e = Get-AzsBillingException $_.Exception
            if ($null -eq $e) { throw }
            $e = & $reword $e
            if ($e.Status -in [AzsBilling.Native.AzsbStatus]::Authentication, [AzsBilling.Native.AzsbStatus]::InvalidArgument -or $e.HttpStatus -eq 401) {
                $PSCmdlet.ThrowTerminatingError((New-AzsBillingErrorRecord -Exception $e))
            }
            Write-Verbose "Could not look up the $(if ($isAdmin) { 'Default Provider Subscription' } else { 'visible subscriptions' }): $($e.Message)"
        }

        # Who signed in, as the library read it from the token's claims (the token itself stays in the library):
        # after a device code sign-in the user typed no name, so this is the only place it shows.
        $signedIn = $null
        try {
            $signedIn = [AzsBilling.Native.Api]::ClientAccount($client) | ConvertFrom-Json
        } catch {
            $e = Get-AzsBillingException $_.Exception
            if ($null -eq $e) { throw }
            Write-Verbose "Could not tell who signed in: $((& $reword $e).Message)"
        }
        $tokenTenant = if ($signedIn -and $signedIn.tenant_id) { [string]$signedIn.tenant_id } else { $null }
        if ($signedIn -and $signedIn.account) { $account = [string]$signedIn.account }

        # The subscription registration commands work in (Set-AzContext's role in the original tooling), as the
        # library chooses it from -SubscriptionId and the subscriptions the account sees.
        $working = $null
        try {
            $working = [AzsBilling.Native.Api]::WorkingSubscription($subscriptionsJson, $SubscriptionId) | ConvertFrom-Json
        } catch {
            $e = Get-AzsBillingException $_.Exception
            if ($null -eq $e) { throw }
            if ($e.Status -eq [AzsBilling.Native.AzsbStatus]::NotFound) {
                $PSCmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'SubscriptionNotFound' -Category ObjectNotFound `
                            -TargetObject $SubscriptionId -Message $e.Message))
            }
            $PSCmdlet.ThrowTerminatingError((New-AzsBillingErrorRecord -Exception (& $reword $e)))
        }
        $selectedSubscription = if ($working.subscription_id) { [string]$working.subscription_id } else { $null }
        $selectedTenant = if ($working.tenant_id) { [string]$working.tenant_id } elseif ($tokenTenant) { $tokenTenant } else { $Tenant }
        $connection = [pscustomobject]@{
            PSTypeName                    = 'AzsBilling.Connection'
            Id                            = [guid]::NewGuid().ToString()
            Environment                   = $environment.name
            ResourceManager               = $environment.resource_manager
            LoginEndpoint                 = $environment.login_endpoint
            Audience                      = $environment.audience
            IdentitySystem                = $environment.identity_system
            Tenant                        = if ($Tenant) { $Tenant } else { $tokenTenant }
            # The signed-in user's name or the application id, from the token; 'access token' or 'device code'
            # only when the token names nobody.
            Account                       = $account
            AccountType                   = if ($signedIn -and $signedIn.account_type) { [string]$signedIn.account_type } else { $null }
            CredentialType                = $credentialType
            # Admin, Tenant or Azure: the library's endpoint_type, capitalised for display.
            EndpointType                  = if ($endpointType) { $endpointType.Substring(0, 1).ToUpperInvariant() + $endpointType.Substring(1) } else { 'Tenant' }
            DefaultProviderSubscriptionId = $defaultProvider
            Subscriptions                 = @($subscriptions | ForEach-Object { $_.subscriptionId })
            SubscriptionId                = $selectedSubscription
            # The directory of the selected subscription (what New-AzureBridgeServicePrincipal needs), else the
            # signed-in directory (the token's tid), else -Tenant.
            TenantId                      = $selectedTenant
            CaBundlePath                  = $resolvedCaBundle
            LibraryVersion                = [AzsBilling.Native.Api]::Version
        }
        $connected = $true
    } finally {
        $nativeLogScope.Dispose()
        if (-not $connected) { $client.Dispose() }
    }

    # Earlier connections stay open: registration commands take one as -AzureContext while another is current.
    $script:Clients[$connection.Id] = $client
    $script:Client = $client
    $script:Connection = $connection
    $connection
}

function Disconnect-AzsBillingEnvironment {
    <#
    .SYNOPSIS
    Forgets the current Azure Stack Hub connection.

    .DESCRIPTION
    Frees the library client of a connection (its cached tokens with it): the current one, or the one given
    with -Connection. After the current one is gone, the usage cmdlets need Connect-AzsBillingEnvironment
    again. Does nothing when not connected.

    .PARAMETER Connection
    A connection object Connect-AzsBillingEnvironment returned (for example an Azure connection kept for the
    registration commands); default: the current connection.

    .EXAMPLE
    Disconnect-AzsBillingEnvironment

    Ends the connection made by Connect-AzsBillingEnvironment.

    .EXAMPLE
    $azure | Disconnect-AzsBillingEnvironment

    Ends an Azure connection kept for the registration commands; the current connection stays.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
        # A connection Connect-AzsBillingEnvironment returned; default: the current one.
        [Parameter(ValueFromPipeline)]
        [psobject] $Connection
    )
    process {
        $target = if ($Connection) { $Connection } else { $script:Connection }
        if ($null -ne $target -and $target.PSObject.Properties['Id'] -and $script:Clients.ContainsKey($target.Id)) {
            $script:Clients[$target.Id].Dispose()
            $script:Clients.Remove($target.Id)
            Write-Verbose "Disconnected from $($target.ResourceManager)."
        }
        if ($null -eq $target -or ($null -ne $script:Connection -and $target.Id -eq $script:Connection.Id)) {
            $script:Client = $null
            $script:Connection = $null
        }
    }
}
