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
