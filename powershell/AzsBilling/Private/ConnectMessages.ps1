# Library messages name the fields of its options JSON (ca_bundle, client_secret, max_retries, ...); the user of
# Connect-AzsBillingEnvironment gave parameters, so its messages name those instead.
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

    $text = [string]$Message
    foreach ($field in $fields.Keys) {
        # With any JSON path in front (credential.client_secret, retry.max_retries) and in quotes or not; never
        # inside a file path or name (/tmp/ca_bundle.pem).
        $text = [regex]::Replace($text, "[``'""]?(?<![\w.\\/-])(?:\w+\.)*$field(?!\w|\.\w)[``'""]?", $fields[$field].Replace('$', '$$'))
    }
    foreach ($word in $words.Keys) {
        $replacement = $words[$word].Replace('$', '$$')
        $text = [regex]::Replace($text, "^(?:\w+\.)*$word(?=:)", $replacement)
        $text = [regex]::Replace($text, "(?<=[:;,(] )(?:\w+\.)*$word(?=:)", $replacement)
        $text = [regex]::Replace($text, "[``'""](?:\w+\.)*$word[``'""]", $replacement)
    }
    foreach ($path in $Paths.Keys) {
        if ($path -and $text.StartsWith("${path}:")) { $text = "$($Paths[$path]) $text" }
    }
    $text
}

function ConvertTo-AzsConnectException {
    # The same library failure, its message in the words of Connect-AzsBillingEnvironment's parameters.
    param([AzsBilling.Native.AzsBillingException] $Exception, [string] $ParameterSet, [hashtable] $Paths = @{})
    $message = ConvertTo-AzsConnectMessage -Message $Exception.Message -ParameterSet $ParameterSet -Paths $Paths
    if ($message -ceq $Exception.Message) { return $Exception }
    [AzsBilling.Native.AzsBillingException]::new($Exception.Status, $Exception.StatusName, $message, $Exception.HttpStatus,
        $Exception.Code, $Exception.RequestId, $Exception.CorrelationId)
}
