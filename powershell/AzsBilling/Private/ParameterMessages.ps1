# Library messages name the fields of its JSON arguments (ca_bundle, client_secret, agreement_number, ...); the
# user of a cmdlet gave parameters, so the cmdlet's messages name those instead.

# The registration commands: billing model rules, names, tokens and the emulated PEP's options.
$script:RegistrationFieldParameters = [ordered]@{
    ca_bundle                       = '-CaBundlePath'
    billing_model                   = '-BillingModel'
    agreement_number                = '-AgreementNumber'
    ms_asset_tag                    = '-MsAssetTag'
    usage_reporting_enabled         = '-UsageReportingEnabled'
    marketplace_syndication_enabled = '-MarketplaceSyndicationEnabled'
}
# Plain words, replaced only where a message uses them as a field name ("name: ...", 'token').
$script:RegistrationWordParameters = [ordered]@{
    name                     = '-RegistrationName'
    resource_group           = '-ResourceGroupName'
    location                 = '-ResourceGroupLocation'
    token                    = '-RegistrationToken'
    cloud_id                 = '-CloudId'
    customer_subscription_id = '-CustomerSubscriptionId'
    tenant_id                = '-TenantId'
    url                      = '-PrivilegedEndpoint'
    username                 = '-PrivilegedEndpointCredential'
}

# Connect-AzsBillingEnvironment's options.
$script:ConnectFieldParameters = [ordered]@{
    ca_bundle        = '-CaBundlePath'
    client_secret    = '-Credential (its password)'
    certificate_path = '-CertificatePath'
    pfx_path         = '-CertificatePath'
    private_key_path = '-PrivateKeyPath'
    max_retries      = '-MaxRetries'
    read_timeout     = '-TimeoutSec'
    connect_timeout  = '-TimeoutSec'
    access_token     = '-AccessToken'
    arm_endpoint     = '-ArmEndpoint'
}
# Plain words are field names only where the library uses them as one ("tenant: ...", `tenant`, 'tenant').
$script:ConnectWordParameters = [ordered]@{
    tenant      = '-Tenant'
    cloud       = '-Cloud'
    retry       = '-MaxRetries'
    certificate = '-CertificatePath'
    password    = '-CertificatePassword'
}

# Sync-AzsUsage's parameters for the library's option fields and the words its messages use for them.
$script:SyncFieldParameters = [ordered]@{
    settle_margin_minutes = '-SettleMarginMinutes'
    settle_margin         = '-SettleMarginMinutes'
    window_hours          = '-WindowHours'
    slice_hours           = '-SliceHours'
    subscriber_id         = '-SubscriberId'
    subscription_id       = '-SubscriptionId'
    start_time            = '-StartTime'
}
$script:SyncWordParameters = [ordered]@{
    start       = '-StartTime'
    until       = '-Until'
    window      = '-WindowHours'
    slice       = '-SliceHours'
    concurrency = '-Concurrency'
    store       = '-Store'
    api         = '-Api'
}

# Get-AzsStoredUsage's parameters for the fields of its query.
$script:StoredUsageFieldParameters = [ordered]@{
    subscription_id = '-SubscriptionId'
    meter_id        = '-MeterId'
    resource_group  = '-ResourceGroup'
    resource_type   = '-ResourceType'
    time_zone       = '-TimeZone'
}
$script:StoredUsageWordParameters = [ordered]@{
    from     = '-From'
    to       = '-To'
    category = '-Category'
    owner    = '-Owner'
    tag      = '-Tag'
    period   = '-GroupBy'
    store    = '-Store'
    format   = '-Format'
    path     = '-Path'
}

function ConvertTo-AzsSyncException {
    param([AzsBilling.Native.AzsBillingException] $Exception)
    Set-AzsExceptionMessage $Exception (ConvertTo-AzsParameterWords -Message $Exception.Message `
            -Fields $script:SyncFieldParameters -Words $script:SyncWordParameters)
}

function ConvertTo-AzsConnectMessage {
    # The library's message with its field names replaced by the parameters of this parameter set, and a file
    # path the user gave prefixed with its parameter.
    param([string] $Message, [string] $ParameterSet, [hashtable] $Paths = @{})
    $byParameterSet = @{
        ClientSecret = @{ client_id = '-Credential (its user name, the application id)'; credential = '-Credential' }
        Certificate  = @{ client_id = '-ApplicationId'; credential = '-CertificatePath' }
        AccessToken  = @{ client_id = '-ApplicationId'; credential = '-AccessToken' }
        DeviceCode   = @{ client_id = '-ApplicationId'; credential = '-UseDeviceAuthentication' }
    }[$ParameterSet]
    $fields = [ordered]@{}
    foreach ($key in $script:ConnectFieldParameters.Keys) { $fields[$key] = $script:ConnectFieldParameters[$key] }
    if ($byParameterSet) { $fields.client_id = $byParameterSet.client_id }
    $words = [ordered]@{}
    foreach ($key in $script:ConnectWordParameters.Keys) { $words[$key] = $script:ConnectWordParameters[$key] }
    if ($byParameterSet) { $words.credential = $byParameterSet.credential }
    $text = ConvertTo-AzsParameterWords -Message $Message -Fields $fields -Words $words
    foreach ($path in $Paths.Keys) {
        if ($path -and $text.StartsWith("${path}:")) { $text = "$($Paths[$path]) $text" }
    }
    $text
}

function ConvertTo-AzsParameterWords {
    # $Message with the library's JSON field names ($Fields keys) and words used as field names ($Words keys)
    # replaced by the cmdlet parameters they stand for.
    param([string] $Message, [System.Collections.IDictionary] $Fields, [System.Collections.IDictionary] $Words = @{})
    $text = [string]$Message
    foreach ($field in $Fields.Keys) {
        # With any JSON path in front (credential.client_secret, retry.max_retries) and in quotes or not; never
        # inside a file path or name (/tmp/ca_bundle.pem).
        $text = [regex]::Replace($text, "[``'""]?(?<![\w.\\/-])(?:\w+\.)*$field(?!\w|\.\w)[``'""]?", $Fields[$field].Replace('$', '$$'))
    }
    foreach ($word in $Words.Keys) {
        $replacement = $Words[$word].Replace('$', '$$')
        $text = [regex]::Replace($text, "^(?:\w+\.)*$word(?=:)", $replacement)
        $text = [regex]::Replace($text, "(?<=[:;,(] )(?:\w+\.)*$word(?=:)", $replacement)
        $text = [regex]::Replace($text, "[``'""](?:\w+\.)*$word[``'""]", $replacement)
    }
    $text
}

function ConvertTo-AzsConnectException {
    # The same library failure, its message in the words of Connect-AzsBillingEnvironment's parameters.
    param([AzsBilling.Native.AzsBillingException] $Exception, [string] $ParameterSet, [hashtable] $Paths = @{})
    Set-AzsExceptionMessage $Exception (ConvertTo-AzsConnectMessage -Message $Exception.Message -ParameterSet $ParameterSet -Paths $Paths)
}

function ConvertTo-AzsRegistrationException {
    # A failure of a registration library call, its message in the registration cmdlets' parameters.
    param([AzsBilling.Native.AzsBillingException] $Exception)
    Set-AzsExceptionMessage $Exception (ConvertTo-AzsParameterWords -Message $Exception.Message `
            -Fields $script:RegistrationFieldParameters -Words $script:RegistrationWordParameters)
}

function Set-AzsExceptionMessage {
    # The same library failure with another message (the exception is immutable).
    param([AzsBilling.Native.AzsBillingException] $Exception, [string] $Message)
    if ($Message -ceq $Exception.Message) { return $Exception }
    [AzsBilling.Native.AzsBillingException]::new($Exception.Status, $Exception.StatusName, $Message, $Exception.HttpStatus,
        $Exception.Code, $Exception.RequestId, $Exception.CorrelationId)
}
