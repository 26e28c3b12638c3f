# The commands AzsBilling must export, no more and no fewer (the tests compare the manifest and the
# imported module against this list, and check each one's help).
@(
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
)
