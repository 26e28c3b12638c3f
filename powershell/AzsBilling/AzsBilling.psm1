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
# Every open connection's client by connection Id (registration commands use one as -AzureContext).
$script:Clients = @{}

$script:QueryTimeFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'FFFFFFF'Z'"
$script:Invariant = [System.Globalization.CultureInfo]::InvariantCulture
$script:CaBundleFileText = 'a PEM file of the CA certificates to trust'


# The commands live in one file per concern, dot-sourced into this module's scope (order: helpers first).
foreach ($file in @(
        'Private/Errors.ps1'
        'Private/Client.ps1'
        'Private/UsageQuery.ps1'
        'Private/ParameterMessages.ps1'
        'Private/Warehouse.ps1'
        'Public/Connection.ps1'
        'Public/Usage.ps1'
        'Public/Meters.ps1'
        'Public/Subscriptions.ps1'
        'Private/Pep.ps1'
        'Private/Registration.ps1'
        'Public/Registration.ps1'
        'Public/CustomerSubscription.ps1'
        'Public/Warehouse.ps1'
    )) {
    . (Join-Path $PSScriptRoot $file)
}

# What is exported is the manifest's FunctionsToExport, the one list of public commands.
