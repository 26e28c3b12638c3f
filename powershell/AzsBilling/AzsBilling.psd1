@{
    RootModule           = 'AzsBilling.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '5f0f7c1e-3d4b-4b7a-9a52-2f8e6c1d9b40'
    Author               = 'azs-billing contributors'
    CompanyName          = 'azs-billing'
    Copyright            = '(c) azs-billing contributors. MIT License.'
    Description          = 'Azure Stack Hub usage and billing: provider (subscriber) and tenant usage with automatic paging, the meter catalogue and tenant subscriptions, registration with Azure and CSP customer subscriptions, and a local usage store synced exactly once, through the azs_billing native library.'

    # The shim targets .NET 6, which PowerShell runs from 7.2 on.
    PowerShellVersion    = '7.2'
    CompatiblePSEditions = @('Core')

    # The precompiled shim: P/Invoke declarations for the C ABI, the native library resolver
    # (runtimes/<rid>/native) and the static methods the script calls. AzsBilling.psm1 loads and
    # version-checks the native library as it is imported, so a missing library fails Import-Module.
    RequiredAssemblies   = @('bin/AzsBilling.Native.dll')
    FormatsToProcess     = @('AzsBilling.Format.ps1xml')

    # Explicit lists (no wildcards): fast imports and exactly these commands.
    FunctionsToExport    = @(
        'Connect-AzsBillingEnvironment'
        'Disconnect-AzsBillingEnvironment'
        'Get-AzsSubscriberUsage'
        'Get-AzsTenantUsage'
        'Get-AzsUsageMeter'
        'Get-AzsUserSubscription'
        'Set-AzsRegistration'
        'Remove-AzsRegistration'
        'Get-AzsRegistrationToken'
        'Register-AzsEnvironment'
        'Unregister-AzsEnvironment'
        'Get-AzsActivationKey'
        'New-AzsActivationResource'
        'Remove-AzsActivationResource'
        'Get-AzsRegistration'
        'Add-AzsCustomerSubscription'
        'Get-AzsCustomerSubscription'
        'Remove-AzsCustomerSubscription'
        'Sync-AzsUsage'
        'Get-AzsUsageSyncState'
        'Get-AzsStoredUsage'
        'Export-AzsUsage'
    )
    CmdletsToExport      = @()
    AliasesToExport      = @()
    VariablesToExport    = @()

    PrivateData          = @{
        PSData = @{
            Tags         = @('AzureStack', 'AzureStackHub', 'Usage', 'Billing', 'Registration', 'CSP', 'PSEdition_Core', 'Linux', 'Windows', 'macOS')
            LicenseUri   = 'https://github.com/azs-billing/azs-billing/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/azs-billing/azs-billing'
            ReleaseNotes = 'https://github.com/azs-billing/azs-billing/blob/main/CHANGELOG.md'
        }
    }
}
