# The one way registration commands reach a stamp's privileged endpoint (PEP): PowerShell remoting to the JEA
# endpoint 'PrivilegedEndpoint' on an ERCS VM (-PrivilegedEndpoint, a computer name, or -Session, a session
# the caller opened), or the emulator's model of it (-EmulatedPrivilegedEndpoint, an https:// URL, reached
# through the library). The emulated one is only ever the caller's explicit choice: a URL given as
# -PrivilegedEndpoint is refused, never quietly taken for the emulator. Only these commands are sent.

$script:PepCommands = @(
    'Get-AzureStackStampInformation'
    'New-AzureBridgeServicePrincipal'
    'New-RegistrationToken'
    'New-AzureStackActivation'
    'Remove-AzureStackActivation'
    'Set-RegistrationKeyPair'
)

function Open-AzsPep {
    # A PEP connection for one command run: @{ Kind = 'Remoting' | 'Emulated'; ... }. A session this function
    # opened is closed by Close-AzsPep; a session the caller gave is left open.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [string] $PrivilegedEndpoint,
        [pscredential] $PrivilegedEndpointCredential,
        [System.Management.Automation.Runspaces.PSSession] $Session,
        [uri] $EmulatedPrivilegedEndpoint,
        [object] $Connection,
        [string] $CaBundlePath
    )
    # Checked first, so a wrong path is reported before any connection is tried.
    $caBundle = if ($CaBundlePath) { Resolve-AzsInputFile $Cmdlet 'CaBundlePath' $CaBundlePath $script:CaBundleFileText }
    if ($Session) {
        if ($caBundle) { Stop-AzsCaBundleForRemoting $Cmdlet $CaBundlePath $Session.ComputerName }
        return @{ Kind = 'Remoting'; Session = $Session; OwnsSession = $false; Name = $Session.ComputerName }
    }
    $emulated = $null -ne $EmulatedPrivilegedEndpoint -and -not [string]::IsNullOrWhiteSpace($EmulatedPrivilegedEndpoint.OriginalString)
    if ($emulated -and -not [string]::IsNullOrWhiteSpace($PrivilegedEndpoint)) {
        $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'AmbiguousPrivilegedEndpoint' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) `
                    -Message "Give -PrivilegedEndpoint (the ERCS VM, reached by PowerShell remoting) or -EmulatedPrivilegedEndpoint (the URL of the emulator's model of it), not both."))
    }
    if ((-not $emulated -and [string]::IsNullOrWhiteSpace($PrivilegedEndpoint)) -or $null -eq $PrivilegedEndpointCredential) {
        $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NoPrivilegedEndpoint' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) `
                    -Message 'Give -PrivilegedEndpoint (the ERCS VM, e.g. AzS-ERCS01) with -PrivilegedEndpointCredential (<domain>\CloudAdmin), or -Session (an open session to the privileged endpoint); against azs-emulator, -EmulatedPrivilegedEndpoint (its pep.url) with -PrivilegedEndpointCredential.'))
    }
    if (-not $emulated -and (ConvertTo-AzsHttpUrl $PrivilegedEndpoint)) {
        # A URL is never an ERCS VM; taking it for the emulator unasked would put a test seam in the product.
        $record = New-AzsBillingSimpleError -ErrorId 'PrivilegedEndpointIsUrl' -Category InvalidArgument `
            -ExceptionType ([System.ArgumentException]) -TargetObject $PrivilegedEndpoint `
            -Message "-PrivilegedEndpoint '$PrivilegedEndpoint' is a URL, but it takes the ERCS VM's name or IP address (e.g. AzS-ERCS01), reached by PowerShell remoting. For the emulator's model of the privileged endpoint, give the URL as -EmulatedPrivilegedEndpoint instead."
        $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new($record.Exception.Message)
        $record.ErrorDetails.RecommendedAction = "Use -PrivilegedEndpoint <ERCS VM name or IP> on a real stamp, or -EmulatedPrivilegedEndpoint '$PrivilegedEndpoint' against azs-emulator."
        $Cmdlet.ThrowTerminatingError($record)
    }
    if ($emulated) {
        $uri = ConvertTo-AzsHttpUrl $EmulatedPrivilegedEndpoint.OriginalString
        if ($null -eq $uri) {
            $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'InvalidEmulatedPrivilegedEndpoint' -Category InvalidArgument `
                        -ExceptionType ([System.ArgumentException]) -TargetObject $EmulatedPrivilegedEndpoint `
                        -Message "-EmulatedPrivilegedEndpoint '$($EmulatedPrivilegedEndpoint.OriginalString)' is not an http(s) URL: give the emulator's pep.url (https://127.0.0.1:<port>/), or the ERCS VM's name as -PrivilegedEndpoint."))
        }
        Write-Verbose "Using the emulated privileged endpoint $($uri.AbsoluteUri) (-EmulatedPrivilegedEndpoint): azs-emulator's model of the PEP, reached through the library, not PowerShell remoting."
        $options = [ordered]@{
            url      = $uri.AbsoluteUri
            username = $PrivilegedEndpointCredential.UserName
            password = $PrivilegedEndpointCredential.GetNetworkCredential().Password
        }
        # -CaBundlePath, else the connection's: the emulator serves every endpoint from one CA, so a session
        # connected to it already trusts its PEP; a fresh session (the disconnected flow) gives the bundle.
        if ($caBundle) { $options.ca_bundle = $caBundle }
        elseif ($Connection -and $Connection.CaBundlePath) { $options.ca_bundle = $Connection.CaBundlePath }
        return @{ Kind = 'Emulated'; Options = ($options | ConvertTo-Json -Compress); Name = $uri.AbsoluteUri }
    }
    if ($caBundle) { Stop-AzsCaBundleForRemoting $Cmdlet $CaBundlePath $PrivilegedEndpoint }
    Write-Verbose "Opening a session to the privileged endpoint $PrivilegedEndpoint."
    $sessionArguments = @{
        ComputerName = $PrivilegedEndpoint; ConfigurationName = 'PrivilegedEndpoint'; Credential = $PrivilegedEndpointCredential
    }
    # The options the original tooling and the PEP documentation use (a long idle timeout for the 30-minute
    # steps, en-US culture); New-PSSessionOption has them only where WinRM remoting exists (Windows, PSWSMan).
    if ((Get-Command New-PSSessionOption).Parameters.ContainsKey('IdleTimeout')) {
        $sessionArguments.SessionOption = New-PSSessionOption -IdleTimeout 3600000 -Culture 'en-US' -UICulture 'en-US'
    }
    try {
        $opened = New-PSSession @sessionArguments -ErrorAction Stop
    } catch {
        $record = [System.Management.Automation.ErrorRecord]::new(
            $_.Exception, 'AzsBilling.PrivilegedEndpointUnreachable', 'ConnectionError', $PrivilegedEndpoint)
        $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new(
            "Could not open a session to the privileged endpoint '$PrivilegedEndpoint': $($_.Exception.Message)")
        $record.ErrorDetails.RecommendedAction = 'Check the ERCS address, the CloudAdmin credential and WinRM (TrustedHosts); on Linux and macOS WinRM remoting needs the PSWSMan module, or open a session yourself and pass -Session.'
        $Cmdlet.ThrowTerminatingError($record)
    }
    return @{ Kind = 'Remoting'; Session = $opened; OwnsSession = $true; Name = $PrivilegedEndpoint }
}

function ConvertTo-AzsHttpUrl {
    # The absolute http(s) URL $Text is, else $null.
    param([string] $Text)
    $uri = $null
    if ([uri]::TryCreate($Text, [System.UriKind]::Absolute, [ref]$uri) -and $uri.Scheme -in 'https', 'http') { return $uri }
    $null
}

function Stop-AzsCaBundleForRemoting {
    param([System.Management.Automation.PSCmdlet] $Cmdlet, [string] $CaBundlePath, [string] $ComputerName)
    $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'CaBundleNotForRemoting' -Category InvalidArgument `
                -ExceptionType ([System.ArgumentException]) -TargetObject $CaBundlePath `
                -Message "-CaBundlePath applies to -EmulatedPrivilegedEndpoint (the emulator's privileged endpoint model); PowerShell remoting to '$ComputerName' trusts the certificates of the system store. Leave -CaBundlePath out, or give the emulator's https:// URL as -EmulatedPrivilegedEndpoint."))
}

function Close-AzsPep {
    param([hashtable] $Pep)
    if ($Pep -and $Pep.Kind -eq 'Remoting' -and $Pep.OwnsSession -and $Pep.Session) {
        Remove-PSSession -Session $Pep.Session -ErrorAction SilentlyContinue
    }
}

function Invoke-AzsPepCommand {
    # Runs one PEP command with named parameters and returns its output; a PEP failure becomes a terminating
    # ErrorRecord of the calling cmdlet carrying the PEP's own message.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory)] [hashtable] $Pep,
        [Parameter(Mandatory)] [string] $Name,
        [hashtable] $Parameters = @{},
        [string] $Activity
    )
    if ($Name -notin $script:PepCommands) { throw "Internal error: '$Name' is not a privileged endpoint command this module sends." }
    # The library's defaults for the command (TimeoutInSeconds of the long ones), where the caller gave none.
    $defaults = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Call { [AzsBilling.Native.RegistrationApi]::PepCommandDefaults($Name) } | ConvertFrom-Json -AsHashtable
    $Parameters = $Parameters.Clone()
    foreach ($key in $defaults.Keys) { if (-not $Parameters.ContainsKey($key)) { $Parameters[$key] = $defaults[$key] } }
    $shown = ($Parameters.Keys | Sort-Object | ForEach-Object {
            if ($_ -in 'RefreshToken', 'ActivationKey') { "-$_ <hidden>" } else { "-$_ $($Parameters[$_])" }
        }) -join ' '
    Write-Verbose "Privileged endpoint $($Pep.Name): $Name $shown"
    if ($Activity) { Write-Progress -Activity $Activity -Status "$Name on $($Pep.Name)" }
    try {
        if ($Pep.Kind -eq 'Emulated') {
            $json = $Parameters | ConvertTo-Json -Compress -Depth 5
            $answer = Invoke-AzsBillingNative -Cmdlet $Cmdlet -Reword ${function:ConvertTo-AzsRegistrationException} -Call { [AzsBilling.Native.RegistrationApi]::PepInvoke($Pep.Options, $Name, $json) }
            return ($answer | ConvertFrom-Json).output
        }
        # JEA endpoints run in NoLanguage mode: the script block may only call the command, splatting $using:.
        $script = [scriptblock]::Create("$Name @using:Parameters")
        try {
            return Invoke-Command -Session $Pep.Session -ScriptBlock $script -ErrorAction Stop
        } catch {
            $Cmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                    $_.Exception, "AzsBilling.PrivilegedEndpoint.$Name", 'InvalidOperation', $Pep.Name))
        }
    } finally {
        if ($Activity) { Write-Progress -Activity $Activity -Completed }
    }
}
