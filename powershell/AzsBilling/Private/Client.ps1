# The current connection's client, and small conversions shared by the commands.

function Get-AzsBillingClient {
    # The current connection's client, or a terminating error telling the user to connect.
    param([Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet)
    if ($null -eq $script:Client -or $script:Client.IsClosed) {
        $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'NotConnected' -Category InvalidOperation `
                    -Message 'Not connected to an Azure Stack Hub environment. Run Connect-AzsBillingEnvironment first.'))
    }
    return $script:Client
}

function Resolve-AzsBillingConnection {
    # The connection a usage or subscription command works on and its client: -Connection (an object
    # Connect-AzsBillingEnvironment returned, still open) when given, else the current one. A runbook with
    # two open connections passes one explicitly rather than depending on which was made last.
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [psobject] $Connection
    )
    if ($null -eq $Connection) {
        $client = Get-AzsBillingClient -Cmdlet $Cmdlet
        return [pscustomobject]@{ Connection = $script:Connection; Client = $client }
    }
    $id = if ($Connection.PSObject.Properties['Id']) { [string]$Connection.Id } else { $null }
    if (-not $id -or -not $script:Clients.ContainsKey($id) -or $script:Clients[$id].IsClosed) {
        $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'ConnectionNotOpen' -Category InvalidArgument `
                    -ExceptionType ([System.ArgumentException]) `
                    -Message '-Connection is not an open connection: pass an object Connect-AzsBillingEnvironment returned in this session and has not been disconnected, or leave -Connection out to use the current connection.'))
    }
    [pscustomobject]@{ Connection = $Connection; Client = $script:Clients[$id] }
}

function Resolve-AzsPath {
    param([System.Management.Automation.PSCmdlet] $Cmdlet, [string] $Path)
    if (-not $Path) { return $null }
    $Cmdlet.GetUnresolvedProviderPathFromPSPath($Path)
}

function Resolve-AzsInputFile {
    # The absolute path of the existing file given as -$ParameterName, else a terminating FileNotFound error
    # that names the parameter and what it should be: checked before anything is sent.
    param(
        [System.Management.Automation.PSCmdlet] $Cmdlet,
        [string] $ParameterName,
        [string] $Path,
        [string] $Expected
    )
    $resolved = Resolve-AzsPath $Cmdlet $Path
    if (-not $resolved -or -not (Test-Path -LiteralPath $resolved -PathType Leaf)) {
        $Cmdlet.ThrowTerminatingError((New-AzsBillingSimpleError -ErrorId 'FileNotFound' -Category ObjectNotFound `
                    -ExceptionType ([System.IO.FileNotFoundException]) -TargetObject $Path `
                    -Message "-$ParameterName '$Path' is not a file$(if ($resolved) { " ($resolved)" }): give the path of $Expected."))
    }
    $resolved
}

function ConvertFrom-AzsSecureString {
    param([securestring] $Secure)
    if ($null -eq $Secure) { return $null }
    [System.Net.NetworkCredential]::new('', $Secure).Password
}
