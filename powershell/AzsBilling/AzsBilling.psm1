#Requires -Version 7.2
# AzsBilling: Azure Stack Hub usage and billing data through the azs_billing native library.
#
# This script binds parameters, builds the library's options and query JSON, calls the library through the
# precompiled shim (bin/AzsBilling.Native.dll, [AzsBilling.Native.Api]) and shapes its answers into objects and
# ErrorRecords. Validation, sign-in, retries, paging and parsing all happen in the library.

Set-StrictMode -Version 3.0

# Loads runtimes/<rid>/native/<library> (or $env:AZSBILLING_NATIVE_PATH) and checks its ABI version. A missing
# or mismatched library fails Import-Module here, with every path tried: a script-terminating throw stops the
# import, where a failed method call alone would only end its statement and leave commands that cannot work.
try {
    $null = [AzsBilling.Native.NativeLoader]::EnsureLoaded()
} catch {
    $reason = if ($_.Exception.InnerException) { $_.Exception.InnerException } else { $_.Exception }
    throw [System.Management.Automation.ErrorRecord]::new(
        $reason, 'AzsBilling.NativeLibraryNotLoaded', [System.Management.Automation.ErrorCategory]::ResourceUnavailable,
        [AzsBilling.Native.NativeLoader]::LibraryFileName)
}

# The current connection: the client handle (never shown) and the object Connect-AzsBillingEnvironment returned.
$script:Client = $null
$script:Connection = $null

$script:QueryTimeFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'FFFFFFF'Z'"
$script:Invariant = [System.Globalization.CultureInfo]::InvariantCulture

#region Helpers (not exported)

function Get-AzsBillingException {
    # The library's exception inside whatever PowerShell wrapped it in (MethodInvocationException), or $null.
    param([System.Exception] $Exception)
    $e = $Exception
    while ($null -ne $e) {
        if ($e -is [AzsBilling.Native.AzsBillingException]) { return $e }
        $e = $e.InnerException
    }
    return $null
}

function New-AzsBillingErrorRecord {
    # An ErrorRecord for a library failure: a category from the status and HTTP status, the id
    # 'AzsBilling.<service code or status>', a message carrying the service code and request id, and a target
    # object with HttpStatus, Code, RequestId and CorrelationId (plus anything the caller adds in -Extra).
    param(
        [Parameter(Mandatory)] [AzsBilling.Native.AzsBillingException] $Exception,
        [hashtable] $Extra = @{}
    )
    $category = switch ($Exception.Status) {
        'InvalidArgument' { 'InvalidArgument' }
        'NullPointer' { 'InvalidArgument' }
        'InvalidUtf8' { 'InvalidArgument' }
        'Authentication' { 'AuthenticationError' }
        'Transport' { 'ConnectionError' }
        'File' { 'ReadError' }
        'Service' {
            switch ($Exception.HttpStatus) {
                400 { 'InvalidArgument' }
                401 { 'AuthenticationError' }
                403 { 'PermissionDenied' }
                404 { 'ObjectNotFound' }
                408 { 'OperationTimeout' }
                409 { 'ResourceExists' }
                429 { 'LimitsExceeded' }
                503 { 'ResourceUnavailable' }
                504 { 'OperationTimeout' }
                default { 'InvalidOperation' }
            }
        }
        default { 'InvalidOperation' }
    }
    $id = if ($Exception.Code) { $Exception.Code } else { $Exception.Status.ToString() }
    $message = $Exception.Message
    if ($Exception.Code -and -not $message.Contains($Exception.Code)) { $message += " (code $($Exception.Code))" }
    if ($Exception.RequestId -and -not $message.Contains($Exception.RequestId)) { $message += " (request id $($Exception.RequestId))" }
    $target = [ordered]@{
        Status        = $Exception.Status.ToString()
        HttpStatus    = $Exception.HttpStatus
        Code          = $Exception.Code
        RequestId     = $Exception.RequestId
        CorrelationId = $Exception.CorrelationId
    }
    foreach ($key in $Extra.Keys) { $target[$key] = $Extra[$key] }
    $record = [System.Management.Automation.ErrorRecord]::new(
        $Exception, "AzsBilling.$id", [System.Management.Automation.ErrorCategory]$category, [pscustomobject]$target)
    $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($message)
    $record.ErrorDetails.RecommendedAction = switch ($category) {
        'AuthenticationError' { 'Check the credential, -Tenant and the endpoint, then run Connect-AzsBillingEnvironment again.' }
        'PermissionDenied' { 'The signed-in principal needs Owner, Contributor or Reader on the subscription.' }
        'LimitsExceeded' { 'The service is throttling: retry later, or raise -MaxRetries on Connect-AzsBillingEnvironment.' }
        'ResourceUnavailable' { 'The service is busy: retry later, or raise -MaxRetries on Connect-AzsBillingEnvironment.' }
        'ConnectionError' { 'Check the endpoint address, the network and -CaBundlePath (the stamp''s CA).' }
        default { $null }
    }
    return $record
}

function Invoke-AzsBillingNative {
    # Runs a library call; a library failure becomes a terminating ErrorRecord of the calling cmdlet.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [scriptblock] $Call,
        [hashtable] $Extra = @{}
    )
    try {
        & $Call
    } catch {
        $e = Get-AzsBillingException $_.Exception
        if ($null -eq $e) { throw }
        $Cmdlet.ThrowTerminatingError((New-AzsBillingErrorRecord -Exception $e -Extra $Extra))
    }
}

function New-AzsBillingSimpleError {
    param(
        [Parameter(Mandatory)] [string] $Message,
        [Parameter(Mandatory)] [string] $ErrorId,
        [Parameter(Mandatory)] [System.Management.Automation.ErrorCategory] $Category,
        [object] $TargetObject,
        [type] $ExceptionType = [System.InvalidOperationException]
    )
    [System.Management.Automation.ErrorRecord]::new(
        $ExceptionType::new($Message), "AzsBilling.$ErrorId", $Category, $TargetObject)
}

function Get-AzsBillingClient {
    # The current connection's client, or a terminating error telling the user to connect.
    param([Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet)
    if ($null -eq $script:Client -or $script:Client.IsClosed) {
        $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NotConnected' -Category InvalidOperation `
                    -Message 'Not connected to an Azure Stack Hub environment. Run Connect-AzsBillingEnvironment first.'))
    }
    return $script:Client
}

function ConvertTo-AzsQueryTime {
    # The UTC wire form of a DateTime: Utc as is, Local converted, Unspecified taken as local time (as
    # DateTime.ToUniversalTime does). Fractions are kept so the library can reject an unaligned time.
    param([datetime] $Time)
    $Time.ToUniversalTime().ToString($script:QueryTimeFormat, $script:Invariant)
}

function Invoke-AzsUsageQuery {
    # Opens a usage query, pages through it with Write-Progress and streams every row as its page is parsed
    # (one page in memory at a time). A failure after some pages carries the continuation token to resume from.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Query
    )
    $client = Get-AzsBillingClient -Cmdlet $Cmdlet
    $json = $Query | ConvertTo-Json -Compress
    Write-Verbose "Usage query: $json"
    $handle = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Call { [AzsBilling.Native.Api]::UsageOpen($client, $json) }
    $activity = "$($Cmdlet.MyInvocation.MyCommand.Name): $($Query.reportedStartTime) to $($Query.reportedEndTime) ($($Query.aggregationGranularity)), subscription $($Query.subscriptionId)"
    $progressId = Get-Random -Minimum 1000 -Maximum 1000000
    $pages = 0
    $rows = 0
    $token = $Query['continuationToken']
    try {
        while ($true) {
            $page = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Extra @{ ContinuationToken = $token; PagesRead = $pages; RowsRead = $rows } -Call {
                [AzsBilling.Native.Api]::UsageNextRows($handle)
            }
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
    Write-Verbose "Done: $rows rows in $pages pages."
}

function Resolve-AzsPath {
    param([System.Management.Automation.PSCmdlet] $Cmdlet, [string] $Path)
    if (-not $Path) { return $null }
    $Cmdlet.GetUnresolvedProviderPathFromPSPath($Path)
}

function ConvertFrom-AzsSecureString {
    param([securestring] $Secure)
    if ($null -eq $Secure) { return $null }
    [System.Net.NetworkCredential]::new('', $Secure).Password
}

#endregion

function Connect-AzsBillingEnvironment {
    <#
    .SYNOPSIS
    Connects to an Azure Stack Hub (or Azure) Resource Manager endpoint for the usage and billing cmdlets.

    .DESCRIPTION
    Creates a client of the azs_billing library and keeps it as the module's current connection, replacing
    any previous one. For -ArmEndpoint the endpoint's /metadata/endpoints is read now (login endpoint,
    audience, identity system). The credential is then used once: on an admin endpoint
    (adminmanagement.*) to find the Default Provider Subscription, on other endpoints to list the subscriptions
    the caller can see; a credential the identity provider refuses fails here. Other failures of that look-up
    are only reported with -Verbose.

    Credentials: -Credential (a service principal: user name = application id, password = client secret),
    -CertificatePath with -ApplicationId (a PEM certificate with its key, or -PrivateKeyPath; or a .pfx/.p12
    file with -CertificatePassword), -AccessToken (a bearer token for the endpoint's audience), or
    -UseDeviceAuthentication (the sign-in message is shown as a warning).

    Secrets are passed to the library only; they never appear in errors or verbose output.

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
        [int] $TimeoutSec
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
    $client = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call { [AzsBilling.Native.Api]::ClientNew($json, $cmdlet, $ui) }
    $json = $null

    $connected = $false
    try {
        $environment = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call { [AzsBilling.Native.Api]::ClientEnvironment($client) } |
            ConvertFrom-Json
        $isAdmin = ([uri]$environment.resource_manager).Host -like 'adminmanagement.*' -or
            [string]$environment.audience -match '^https?://adminmanagement\.'

        # One call with the credential: it checks the sign-in and finds the subscriptions the cmdlets default to.
        $defaultProvider = $null
        $subscriptions = @()
        try {
            if ($isAdmin) {
                $defaultProvider = [AzsBilling.Native.Api]::DefaultProviderSubscription($client)
            } else {
                $subscriptions = @([AzsBilling.Native.Api]::ClientSubscriptions($client) | ConvertFrom-Json | ForEach-Object { $_ })
            }
        } catch {
            $e = Get-AzsBillingException $_.Exception
            if ($null -eq $e) { throw }
            if ($e.Status -eq [AzsBilling.Native.AzsbStatus]::Authentication -or $e.HttpStatus -eq 401) {
                $PSCmdlet.ThrowTerminatingError((New-AzsBillingErrorRecord -Exception $e))
            }
            Write-Verbose "Could not look up the $(if ($isAdmin) { 'Default Provider Subscription' } else { 'visible subscriptions' }): $($e.Message)"
        }

        $connection = [pscustomobject]@{
            PSTypeName                    = 'AzsBilling.Connection'
            Environment                   = $environment.name
            ResourceManager               = $environment.resource_manager
            LoginEndpoint                 = $environment.login_endpoint
            Audience                      = $environment.audience
            IdentitySystem                = $environment.identity_system
            Tenant                        = $Tenant
            Account                       = $account
            CredentialType                = $credentialType
            EndpointType                  = if ($isAdmin) { 'Admin' } else { 'Tenant' }
            DefaultProviderSubscriptionId = $defaultProvider
            Subscriptions                 = @($subscriptions | ForEach-Object { $_.subscriptionId })
            LibraryVersion                = [AzsBilling.Native.Api]::Version
        }
        $connected = $true
    } finally {
        if (-not $connected) { $client.Dispose() }
    }

    if ($null -ne $script:Client) { $script:Client.Dispose() }
    $script:Client = $client
    $script:Connection = $connection
    $connection
}

function Disconnect-AzsBillingEnvironment {
    <#
    .SYNOPSIS
    Forgets the current Azure Stack Hub connection.

    .DESCRIPTION
    Frees the library client of the module's current connection (its cached tokens with it). Usage cmdlets
    then need Connect-AzsBillingEnvironment again. Does nothing when not connected.

    .EXAMPLE
    Disconnect-AzsBillingEnvironment

    Ends the connection made by Connect-AzsBillingEnvironment.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param()
    if ($null -ne $script:Client) {
        $script:Client.Dispose()
        Write-Verbose "Disconnected from $($script:Connection.ResourceManager)."
    }
    $script:Client = $null
    $script:Connection = $null
}

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

function Get-AzsUsageMeter {
    <#
    .SYNOPSIS
    Gets Azure Stack Hub usage meters: id, name, unit, category and description.

    .DESCRIPTION
    Without -MeterId, lists the whole meter catalogue compiled into the library. With -MeterId, looks each id
    up in any spelling (upper or lower case, with or without hyphens, as the service reports network meters);
    an unknown id writes a non-terminating ObjectNotFound error and the others are still returned. Needs no
    connection. MeterId binds from the pipeline by property name, so usage rows can be piped in.

    .PARAMETER MeterId
    One or more meter ids to look up.

    .EXAMPLE
    Get-AzsUsageMeter | Where-Object Category -eq 'Compute'

    The compute meters.

    .EXAMPLE
    Get-AzsUsageMeter -MeterId F271A8A388C44D93956A063E1D2FA80B

    A network meter as the service reports it, without hyphens.

    .OUTPUTS
    AzsBilling.UsageMeter
    #>
    [CmdletBinding()]
    [OutputType('AzsBilling.UsageMeter')]
    param(
        [Parameter(Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string[]] $MeterId
    )
    begin {
        function ConvertTo-AzsUsageMeter($Meter) {
            [pscustomobject]@{
                PSTypeName  = 'AzsBilling.UsageMeter'
                MeterId     = $Meter.id
                Name        = $Meter.name
                Unit        = $Meter.unit
                Category    = $Meter.category
                Description = $Meter.description
            }
        }
    }
    process {
        if (-not $PSBoundParameters.ContainsKey('MeterId')) {
            $json = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call { [AzsBilling.Native.Api]::Meters() }
            foreach ($meter in (ConvertFrom-Json -InputObject $json -NoEnumerate)) { ConvertTo-AzsUsageMeter $meter }
            return
        }
        foreach ($id in $MeterId) {
            $json = Invoke-AzsBillingNative -Cmdlet $PSCmdlet -Call { [AzsBilling.Native.Api]::MeterLookup($id) }
            if ($null -eq $json) {
                $PSCmdlet.WriteError((New-AzsBillingSimpleError -ErrorId 'MeterNotFound' -Category ObjectNotFound `
                            -ExceptionType ([System.Management.Automation.ItemNotFoundException]) -TargetObject $id `
                            -Message "The meter '$id' is not in the Azure Stack Hub meter catalogue."))
                continue
            }
            ConvertTo-AzsUsageMeter ($json | ConvertFrom-Json)
        }
    }
}

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

Export-ModuleMember -Function @(
    'Connect-AzsBillingEnvironment'
    'Disconnect-AzsBillingEnvironment'
    'Get-AzsSubscriberUsage'
    'Get-AzsTenantUsage'
    'Get-AzsUsageMeter'
    'Get-AzsUserSubscription'
)
