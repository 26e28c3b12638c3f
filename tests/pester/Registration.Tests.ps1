#Requires -Version 7.4
# Pester 5 tests of the registration and CSP commands against the emulator's Azure side and PEP model: the
# connected and disconnected flows, re-runs converging, the CSP tenant cycle, the billing model rules, the
# stamp version gates and the registration lock. Run through tests/pester/run.sh (see AzsBilling.Tests.ps1).

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:ModulePath = if ($env:AZSB_MODULE) { $env:AZSB_MODULE } else { Join-Path $repo 'target/powershell/AzsBilling/AzsBilling.psd1' }
    . (Join-Path $PSScriptRoot 'TestEmulator.ps1')
    $script:Stamp = Start-TestEmulator -Arguments @('--seed', '21', '--subscriptions', '3', '--resources-per-subscription', '2', '--days', '2',
        '--device-code-delay', '1')
    $script:Ready = $script:Stamp.Ready
    $script:Azure = $script:Ready.azure
    $script:Pep = $script:Ready.pep
    Import-Module $script:ModulePath -Force -ErrorAction Stop

    function New-TestCredential([string] $User, [string] $Secret) {
        [pscredential]::new($User, (ConvertTo-SecureString $Secret -AsPlainText -Force))
    }
    $script:CloudAdmin = New-TestCredential $script:Pep.username $script:Pep.password
    $script:PepUrl = $script:Pep.url

    # The Azure operator signs in with a device code (auto-approved by the emulator): the PEP needs the refresh
    # token of such a user sign-in to create the bridge service principal.
    function Connect-AzureOperator {
        param($Ready = $script:Ready)
        Connect-AzsBillingEnvironment -ArmEndpoint $Ready.azure.arm -Tenant $Ready.azure.tenant_id -UseDeviceAuthentication `
            -SubscriptionId $Ready.azure.subscription_id -CaBundlePath $Ready.ca_pem -WarningAction SilentlyContinue
    }

    function Connect-StampOperator {
        param($Ready = $script:Ready)
        $operator = $Ready.service_principals | Where-Object name -EQ 'operator'
        Connect-AzsBillingEnvironment -ArmEndpoint $Ready.admin_arm -Tenant $Ready.tenant_id `
            -Credential (New-TestCredential $operator.client_id $operator.client_secret) -CaBundlePath $Ready.ca_pem
    }

    # Test-only look at Azure, or with -Stamp at the stamp's admin endpoint, through the REST API (the module
    # always goes through the library).
    function Invoke-AzureRest {
        param([string] $Method = 'Get', [string] $Path, [object] $Body, $Ready = $script:Ready, [switch] $Stamp)
        $side = if ($Stamp) {
            @{ Directory = $Ready; Principal = 'operator'; Audience = $Ready.audiences.admin; Arm = $Ready.admin_arm }
        } else {
            @{ Directory = $Ready.azure; Principal = 'azure-operator'; Audience = $Ready.azure.audiences[0]; Arm = $Ready.azure.arm }
        }
        $sp = $side.Directory.service_principals | Where-Object name -EQ $side.Principal
        $form = @{ grant_type = 'client_credentials'; client_id = $sp.client_id; client_secret = $sp.client_secret; resource = $side.Audience }
        $token = (Invoke-RestMethod -Method Post -Uri "$($side.Directory.login_endpoint)$($side.Directory.tenant_id)/oauth2/token" -Body $form -SkipCertificateCheck).access_token
        $params = @{ Method = $Method; Uri = "$($side.Arm.TrimEnd('/'))$Path"; Headers = @{ Authorization = "Bearer $token" }; SkipCertificateCheck = $true
            SkipHttpErrorCheck = $true; StatusCodeVariable = 'status' }
        if ($null -ne $Body) { $params.Body = ($Body | ConvertTo-Json -Depth 5 -Compress); $params.ContentType = 'application/json' }
        $answer = Invoke-RestMethod @params
        [pscustomobject]@{ Status = $status; Body = $answer }
    }

    # The HTTP status of the stamp's activation resource: 200 activated, 404 not.
    function Get-StampActivationStatus($Ready = $script:Ready) {
        (Invoke-AzureRest -Stamp -Ready $Ready -Path "/subscriptions/$($Ready.default_provider_subscription_id)/resourceGroups/azurestack-activation/providers/Microsoft.AzureBridge.Admin/activations/default?api-version=2016-01-01").Status
    }

    function Get-ErrorId([scriptblock] $Script) {
        try { & $Script; return $null } catch { return $_.FullyQualifiedErrorId }
    }

    $script:RegistrationName = "azurestack-$($script:Pep.cloud_id)"
    $script:RegistrationPath = "/subscriptions/$($script:Azure.subscription_id)/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/$($script:RegistrationName)?api-version=2017-06-01"
}

AfterAll {
    Get-Module AzsBilling | Remove-Module -Force -ErrorAction SilentlyContinue
    Stop-TestEmulator $script:Stamp
}

Describe 'Billing model rules, checked before anything is sent' {
    BeforeAll { $script:AzureConnection = Connect-AzureOperator }

    # The messages name this module's parameters, never the library's JSON fields (agreement_number, ...).
    It 'Capacity needs -AgreementNumber' {
        $e = { Set-AzsRegistration -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -RegistrationName x -BillingModel Capacity } |
            Should -Throw -ErrorId '*InvalidArgument*' -PassThru
        $e.Exception.Message | Should -BeLike '-AgreementNumber:*'
        $e.Exception.Message | Should -Not -Match 'agreement_number'
        (Invoke-AzureRest -Path $script:RegistrationPath).Status | Should -Be 404
        $e = { Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -BillingModel Capacity -AgreementNumber ' ' } |
            Should -Throw -PassThru
        $e.Exception.Message | Should -BeLike '-AgreementNumber:*'
    }

    It 'Custom and Ruggedized need -MsAssetTag' {
        foreach ($model in 'Custom', 'Ruggedized') {
            $e = { Set-AzsRegistration -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -RegistrationName x -BillingModel $model } |
                Should -Throw -PassThru
            $e.Exception.Message | Should -Match '^-MsAssetTag: .*give -MsAssetTag$'
            $e.Exception.Message | Should -Not -Match 'ms_asset_tag'
        }
    }

    It 'PayAsYouUse cannot turn usage reporting off' {
        $e = { Set-AzsRegistration -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -RegistrationName x -BillingModel PayAsYouUse -UsageReportingEnabled:$false } |
            Should -Throw -PassThru
        $e.Exception.Message | Should -Match 'PayAsYouUse'
        $e.Exception.Message | Should -Match 'leave -UsageReportingEnabled unset'
        $e.Exception.Message | Should -Not -Match 'usage_reporting_enabled'
    }

    It 'the disconnected token accepts only Capacity, Development and Custom' {
        { Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -BillingModel PayAsYouUse } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }

    It 'Capacity turns usage reporting off with a warning' {
        $token = Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -BillingModel Capacity `
            -AgreementNumber '1234567' -UsageReportingEnabled -WarningVariable warnings -WarningAction SilentlyContinue
        @($warnings).Count | Should -BeGreaterThan 0
        $decoded = [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($token)) | ConvertFrom-Json
        $decoded.billingModel | Should -Be 'Capacity'
        $decoded.usageReportingEnabled | Should -BeFalse
        $decoded.agreementNumber | Should -Be '1234567'
    }

    It 'names the missing privileged endpoint' {
        { Get-AzsRegistrationToken -BillingModel Development } | Should -Throw -ErrorId 'AzsBilling.NoPrivilegedEndpoint*'
    }

    It 'refuses a wrong privileged endpoint credential' {
        $bad = New-TestCredential $script:Pep.username 'not-the-password'
        { Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $bad -BillingModel Development } | Should -Throw
    }
}

Describe 'Azure sign-in' {
    It 'a service principal runs the Azure-side disconnected steps but not Set-AzsRegistration' {
        $sp = $script:Azure.service_principals | Where-Object name -EQ 'azure-operator'
        $spConnection = Connect-AzsBillingEnvironment -ArmEndpoint $script:Azure.arm -Tenant $script:Azure.tenant_id `
            -Credential (New-TestCredential $sp.client_id $sp.client_secret) -SubscriptionId $script:Azure.subscription_id -CaBundlePath $script:Ready.ca_pem
        $spConnection.SubscriptionId | Should -Be $script:Azure.subscription_id
        Get-ErrorId { Set-AzsRegistration -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -RegistrationName 'sp' -AzureContext $spConnection -Confirm:$false } |
            Should -BeLike 'AzsBilling.UserSignInRequired*'
        $token = Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -BillingModel Development
        $registration = Register-AzsEnvironment -RegistrationToken $token -RegistrationName 'by-service-principal' -AzureContext $spConnection -Confirm:$false
        $registration.Name | Should -Be 'by-service-principal'
        (Get-AzsActivationKey -RegistrationName 'by-service-principal' -AzureContext $spConnection) | Should -Not -BeNullOrEmpty
        (Unregister-AzsEnvironment -RegistrationName 'by-service-principal' -AzureContext $spConnection -Confirm:$false).RegistrationRemoved | Should -BeTrue
        Disconnect-AzsBillingEnvironment -Connection $spConnection
    }

    It 'a principal without access to the subscription gets PermissionDenied' {
        $reader = $script:Azure.service_principals | Where-Object name -EQ 'azure-reader'
        $readerConnection = Connect-AzsBillingEnvironment -ArmEndpoint $script:Azure.arm -Tenant $script:Azure.tenant_id `
            -Credential (New-TestCredential $reader.client_id $reader.client_secret) -SubscriptionId $script:Azure.subscription_id -CaBundlePath $script:Ready.ca_pem
        $e = { Get-AzsRegistration -AzureContext $readerConnection } | Should -Throw -PassThru
        $e.CategoryInfo.Category | Should -Be 'PermissionDenied'
    }

    It 'needs a subscription on the Azure connection' {
        $null = Connect-StampOperator
        Get-ErrorId { Get-AzsActivationKey -RegistrationName 'x' } | Should -BeLike 'AzsBilling.AzureContextNotSet*'
    }
}

Describe 'Connected flow' {
    BeforeAll {
        $script:StampConnection = Connect-StampOperator
        $script:AzureConnection = Connect-AzureOperator
    }

    It 'changes nothing with -WhatIf' {
        Set-AzsRegistration -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -RegistrationName $script:RegistrationName -WhatIf
        (Invoke-AzureRest -Path $script:RegistrationPath).Status | Should -Be 404
    }

    It 'registers and activates with the defaults (Development, usage reporting and syndication on)' {
        $status = Set-AzsRegistration -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin `
            -RegistrationName $script:RegistrationName -AzureContext $script:AzureConnection -Confirm:$false
        $status.PSObject.TypeNames[0] | Should -Be 'AzsBilling.RegistrationStatus'
        $status.Status | Should -Be 'RegisteredAndActivated'
        $status.BillingModel | Should -Be 'Development'
        $status.CloudId | Should -Be $script:Pep.cloud_id
        $status.UsageReportingEnabled | Should -BeTrue
        $status.MarketplaceSyndicationEnabled | Should -BeTrue
        $rest = Invoke-AzureRest -Path $script:RegistrationPath
        $rest.Status | Should -Be 200
        $rest.Body.properties.cloudId | Should -Be $script:Pep.cloud_id
    }

    It 'locks the registration against deletion' {
        (Invoke-AzureRest -Method Delete -Path $script:RegistrationPath).Status | Should -Be 409
        (Invoke-AzureRest -Path $script:RegistrationPath).Status | Should -Be 200
    }

    It 'shows the registration beside the stamp''s activation' {
        $status = Get-AzsRegistration -RegistrationName $script:RegistrationName -AzureContext $script:AzureConnection -StampContext $script:StampConnection
        $status.Status | Should -Be 'RegisteredAndActivated'
        $status.ActivationMatchesRegistration | Should -BeTrue
        $status.Expiration | Should -BeOfType [datetime]
    }

    It 'converges when run again, and keeps secrets out of its verbose output' {
        $output = Set-AzsRegistration -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin `
            -RegistrationName $script:RegistrationName -AzureContext $script:AzureConnection -Confirm:$false -Verbose 4>&1
        $again = $output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $verbose = ($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $verbose | Should -Match '-RefreshToken <hidden>'
        $verbose | Should -Match '-ActivationKey <hidden>'
        # The emulated PEP, said so; the library's half hour for the long commands only.
        $verbose | Should -Match 'Using the emulated privileged endpoint .*-EmulatedPrivilegedEndpoint'
        $verbose | Should -Match 'New-AzureBridgeServicePrincipal .*-TimeoutInSeconds 1800'
        $verbose | Should -Match 'New-AzureStackActivation .*-TimeoutInSeconds 1800'
        $verbose | Should -Not -Match 'Get-AzureStackStampInformation .*-TimeoutInSeconds'
        $verbose | Should -Not -Match ([regex]::Escape($script:Pep.password))
        $again.Status | Should -Be 'RegisteredAndActivated'
        @(Get-AzsRegistration -AzureContext $script:AzureConnection).Count | Should -Be 1
    }

    It 'refuses CSP tenants until the registration is PayAsYouUse' {
        $e = { Add-AzsCustomerSubscription -RegistrationName $script:RegistrationName -CustomerSubscriptionId ([guid]::NewGuid()) -TenantId ([guid]::NewGuid()) -AzureContext $script:AzureConnection -Confirm:$false } |
            Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'AzsBilling.CustomerSubscriptionsNotAllowed*'
    }

    It 'changes the billing model to PayAsYouUse by running again' {
        $status = Set-AzsRegistration -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin `
            -RegistrationName $script:RegistrationName -BillingModel PayAsYouUse -AzureContext $script:AzureConnection -Confirm:$false
        $status.BillingModel | Should -Be 'PayAsYouUse'
        (Invoke-AzureRest -Path $script:RegistrationPath).Body.properties.billingModel | Should -Be 'PayAsYouUse'
    }

    It 'adds, lists, gets and removes CSP customer subscriptions' {
        $customers = 1..2 | ForEach-Object { [pscustomobject]@{ CustomerSubscriptionId = [guid]::NewGuid().ToString(); TenantId = [guid]::NewGuid().ToString() } }
        $added = $customers | Add-AzsCustomerSubscription -RegistrationName $script:RegistrationName -AzureContext $script:AzureConnection -Confirm:$false
        @($added).Count | Should -Be 2
        $listed = Get-AzsCustomerSubscription -RegistrationName $script:RegistrationName -AzureContext $script:AzureConnection
        @($listed.CustomerSubscriptionId | Sort-Object) | Should -Be @($customers.CustomerSubscriptionId | Sort-Object)
        $one = Get-AzsCustomerSubscription -RegistrationName $script:RegistrationName -CustomerSubscriptionId $customers[0].CustomerSubscriptionId -AzureContext $script:AzureConnection
        $one.TenantId | Should -Be $customers[0].TenantId
        # Adding the same subscription again converges: one mapping, the new tenant.
        $newTenant = [guid]::NewGuid().ToString()
        $null = Add-AzsCustomerSubscription -RegistrationName $script:RegistrationName -CustomerSubscriptionId $customers[0].CustomerSubscriptionId -TenantId $newTenant -AzureContext $script:AzureConnection -Confirm:$false
        @(Get-AzsCustomerSubscription -RegistrationName $script:RegistrationName -AzureContext $script:AzureConnection).Count | Should -Be 2
        (Get-AzsCustomerSubscription -RegistrationName $script:RegistrationName -CustomerSubscriptionId $customers[0].CustomerSubscriptionId -AzureContext $script:AzureConnection).TenantId | Should -Be $newTenant
        $removed = $listed | Remove-AzsCustomerSubscription -RegistrationName $script:RegistrationName -AzureContext $script:AzureConnection -Confirm:$false
        @($removed | Where-Object Removed).Count | Should -Be 2
        @(Get-AzsCustomerSubscription -RegistrationName $script:RegistrationName -AzureContext $script:AzureConnection).Count | Should -Be 0
        # Removing again converges.
        (Remove-AzsCustomerSubscription -RegistrationName $script:RegistrationName -CustomerSubscriptionId $customers[0].CustomerSubscriptionId -AzureContext $script:AzureConnection -Confirm:$false).Removed | Should -BeFalse
    }

    It 'reports the CSP error codes' {
        Get-ErrorId { Add-AzsCustomerSubscription -RegistrationName $script:RegistrationName -CustomerSubscriptionId 'not-a-guid' -TenantId ([guid]::NewGuid()) -AzureContext $script:AzureConnection -Confirm:$false } |
            Should -BeLike 'AzsBilling.InvalidCustomerSubscriptionId*'
        Get-ErrorId { Get-AzsCustomerSubscription -RegistrationName $script:RegistrationName -CustomerSubscriptionId ([guid]::NewGuid()) -AzureContext $script:AzureConnection } |
            Should -BeLike 'AzsBilling.CustomerSubscriptionNotFound*'
        Get-ErrorId { Get-AzsCustomerSubscription -RegistrationName 'no-such-registration' -AzureContext $script:AzureConnection } |
            Should -BeLike 'AzsBilling.RegistrationNotFound*'
    }

    It 're-registers with the existing settings (-Reregister)' {
        $operator = $script:Ready.service_principals | Where-Object name -EQ 'operator'
        $status = Set-AzsRegistration -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -Reregister `
            -AzureStackAdminCredential (New-TestCredential $operator.client_id $operator.client_secret) -AzureContext $script:AzureConnection -Confirm:$false
        $status.Name | Should -Be $script:RegistrationName
        $status.BillingModel | Should -Be 'PayAsYouUse'
        $status.Status | Should -Be 'RegisteredAndActivated'
    }

    It 'changes nothing with Remove-AzsRegistration -WhatIf' {
        Remove-AzsRegistration -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -RegistrationName $script:RegistrationName `
            -AzureContext $script:AzureConnection -WhatIf
        (Invoke-AzureRest -Path $script:RegistrationPath).Status | Should -Be 200
        (Get-AzsRegistration -RegistrationName $script:RegistrationName -AzureContext $script:AzureConnection -StampContext $script:StampConnection).Status |
            Should -Be 'RegisteredAndActivated'
    }

    It 'deactivates and removes the registration, and converges when run again' {
        Get-StampActivationStatus | Should -Be 200
        $removed = Remove-AzsRegistration -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin `
            -RegistrationName $script:RegistrationName -AzureContext $script:AzureConnection -Confirm:$false
        $removed.RegistrationRemoved | Should -BeTrue
        $removed.ActivationRemoved | Should -BeTrue
        # The stamp itself, not only the command's word for it.
        Get-StampActivationStatus | Should -Be 404
        (Invoke-AzureRest -Path $script:RegistrationPath).Status | Should -Be 404
        Get-ErrorId { Get-AzsRegistration -RegistrationName $script:RegistrationName -AzureContext $script:AzureConnection -StampContext $script:StampConnection } |
            Should -Not -BeNullOrEmpty
        $again = Remove-AzsRegistration -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin `
            -RegistrationName $script:RegistrationName -AzureContext $script:AzureConnection -Confirm:$false
        $again.RegistrationRemoved | Should -BeFalse
    }
}

Describe 'Disconnected flow' {
    BeforeAll {
        $script:AzureConnection = Connect-AzureOperator
        $script:StampConnection = Connect-StampOperator
        $script:Files = Join-Path $script:Stamp.StateDir 'carried'
        $script:DisconnectedName = "disconnected-$($script:Pep.cloud_id)"
    }

    It 'writes the registration token to a file' {
        $token = Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -BillingModel Development `
            -TokenOutputFilePath (Join-Path $script:Files 'RegistrationToken.txt')
        (Get-Content -Raw (Join-Path $script:Files 'RegistrationToken.txt')) | Should -Be $token
    }

    It 'registers from the token file, and converges when run again' {
        $token = Get-Content -Raw (Join-Path $script:Files 'RegistrationToken.txt')
        $first = Register-AzsEnvironment -RegistrationToken $token -RegistrationName $script:DisconnectedName -AzureContext $script:AzureConnection -Confirm:$false
        $first.CloudId | Should -Be $script:Pep.cloud_id
        $first.BillingModel | Should -Be 'Development'
        $second = Register-AzsEnvironment -RegistrationToken $token -RegistrationName $script:DisconnectedName -AzureContext $script:AzureConnection -Confirm:$false
        $second.ResourceId | Should -Be $first.ResourceId
    }

    It 'refuses a malformed token before sending it' {
        Get-ErrorId { Register-AzsEnvironment -RegistrationToken 'not a token' -RegistrationName 'x' -AzureContext $script:AzureConnection -Confirm:$false } |
            Should -BeLike 'AzsBilling.*'
        (Invoke-AzureRest -Path "/subscriptions/$($script:Azure.subscription_id)/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/x?api-version=2017-06-01").Status |
            Should -Be 404
    }

    It 'writes the activation key to a file and activates the stamp with it' {
        $key = Get-AzsActivationKey -RegistrationName $script:DisconnectedName -AzureContext $script:AzureConnection -KeyOutputFilePath (Join-Path $script:Files 'ActivationKey.txt')
        ($key -split '\.').Count | Should -Be 3
        $activation = New-AzsActivationResource -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin `
            -ActivationKey (Get-Content -Raw (Join-Path $script:Files 'ActivationKey.txt')) -Confirm:$false
        $activation.CloudId | Should -Be $script:Pep.cloud_id
        $status = Get-AzsRegistration -RegistrationName $script:DisconnectedName -AzureContext $script:AzureConnection -StampContext $script:StampConnection
        $status.Status | Should -Be 'RegisteredAndActivated'
        # Activating again with the same key converges.
        $again = New-AzsActivationResource -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -ActivationKey $key -Confirm:$false
        $again.RegistrationId | Should -Be $activation.RegistrationId
    }

    It 'refuses a tampered activation key on the stamp' {
        $key = Get-Content -Raw (Join-Path $script:Files 'ActivationKey.txt')
        $parts = $key.Trim().Split('.')
        $tampered = "$($parts[0]).$($parts[1]).$($parts[2].Substring(0, $parts[2].Length - 4))AAAA"
        { New-AzsActivationResource -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -ActivationKey $tampered -Confirm:$false } |
            Should -Throw
    }

    It 'unregisters by cloud id (the original tool''s lookup bug fixed)' {
        $removed = Unregister-AzsEnvironment -CloudId $script:Pep.cloud_id -AzureContext $script:AzureConnection -Confirm:$false
        $removed.RegistrationName | Should -Be $script:DisconnectedName
        $removed.RegistrationRemoved | Should -BeTrue
        # Run again, it converges as Remove-AzsRegistration does: nothing was there, and it says so.
        $again = Unregister-AzsEnvironment -CloudId $script:Pep.cloud_id -AzureContext $script:AzureConnection -Confirm:$false -ErrorAction Stop
        $again.PSObject.TypeNames[0] | Should -Be 'AzsBilling.RegistrationRemoval'
        $again.RegistrationRemoved | Should -BeFalse
        $again.CloudId | Should -Be $script:Pep.cloud_id
        $byName = Unregister-AzsEnvironment -RegistrationName $script:DisconnectedName -AzureContext $script:AzureConnection -Confirm:$false -ErrorAction Stop
        $byName.RegistrationRemoved | Should -BeFalse
        $byName.RegistrationName | Should -Be $script:DisconnectedName
    }

    It 'unregisters by token too, and converges when run again' {
        $token = Get-Content -Raw (Join-Path $script:Files 'RegistrationToken.txt')
        $null = Register-AzsEnvironment -RegistrationToken $token -RegistrationName $script:DisconnectedName -AzureContext $script:AzureConnection -Confirm:$false
        (Unregister-AzsEnvironment -RegistrationToken $token -AzureContext $script:AzureConnection -Confirm:$false).RegistrationRemoved | Should -BeTrue
        $again = Unregister-AzsEnvironment -RegistrationToken $token -AzureContext $script:AzureConnection -Confirm:$false -ErrorAction Stop
        $again.RegistrationRemoved | Should -BeFalse
        $again.CloudId | Should -Be $script:Pep.cloud_id
    }

    It 'registers a name that needs URL encoding, finds it and removes it (A5)' {
        $token = Get-Content -Raw (Join-Path $script:Files 'RegistrationToken.txt')
        $spaced = 'azurestack test'
        $registration = Register-AzsEnvironment -RegistrationToken $token -RegistrationName $spaced -AzureContext $script:AzureConnection -Confirm:$false
        $registration.Name | Should -Be $spaced
        $rest = Invoke-AzureRest -Path "/subscriptions/$($script:Azure.subscription_id)/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/azurestack%20test?api-version=2017-06-01"
        $rest.Status | Should -Be 200
        $rest.Body.name | Should -Be $spaced
        (Get-AzsRegistration -RegistrationName $spaced -AzureContext $script:AzureConnection).Name | Should -Be $spaced
        # Registering the same stamp again under that name converges (the original left it stuck as 'azurestack%20test').
        (Register-AzsEnvironment -RegistrationToken $token -RegistrationName $spaced -AzureContext $script:AzureConnection -Confirm:$false).ResourceId |
            Should -Be $registration.ResourceId
        (Unregister-AzsEnvironment -RegistrationName $spaced -AzureContext $script:AzureConnection -Confirm:$false).RegistrationRemoved | Should -BeTrue
        $rest = Invoke-AzureRest -Path "/subscriptions/$($script:Azure.subscription_id)/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/azurestack%20test?api-version=2017-06-01"
        $rest.Status | Should -Be 404
        # A name ARM refuses is refused here, naming the parameter, before anything is sent.
        $e = { Register-AzsEnvironment -RegistrationToken $token -RegistrationName 'azurestack%20test' -AzureContext $script:AzureConnection -Confirm:$false } |
            Should -Throw -PassThru
        $e.Exception.Message | Should -BeLike "-RegistrationName: *'%'*"
        $e = { Register-AzsEnvironment -RegistrationToken $token -RegistrationName 'x' -ResourceGroupName 'my group' -AzureContext $script:AzureConnection -Confirm:$false } |
            Should -Throw -PassThru
        $e.Exception.Message | Should -BeLike '-ResourceGroupName: *'
    }

    It 'removes the activation, and converges when run again' {
        $token = Get-Content -Raw (Join-Path $script:Files 'RegistrationToken.txt')
        $null = Register-AzsEnvironment -RegistrationToken $token -RegistrationName $script:DisconnectedName -AzureContext $script:AzureConnection -Confirm:$false
        Get-StampActivationStatus | Should -Be 200
        Remove-AzsActivationResource -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -Confirm:$false
        Get-StampActivationStatus | Should -Be 404
        Remove-AzsActivationResource -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -Confirm:$false
        Get-StampActivationStatus | Should -Be 404
        $status = Get-AzsRegistration -RegistrationName $script:DisconnectedName -AzureContext $script:AzureConnection -StampContext $script:StampConnection
        $status.Status | Should -Be 'Registered'
        $status.Activated | Should -BeNullOrEmpty
        (Unregister-AzsEnvironment -RegistrationName $script:DisconnectedName -AzureContext $script:AzureConnection -Confirm:$false).RegistrationRemoved | Should -BeTrue
    }

    It 'needs a name, a token or a cloud id to unregister' {
        Get-ErrorId { Unregister-AzsEnvironment -AzureContext $script:AzureConnection } | Should -BeLike 'AzsBilling.NoRegistrationGiven*'
    }
}

Describe 'The emulated PEP in a fresh session (-CaBundlePath)' {
    # The disconnected flow runs PEP steps on a machine with no connection to the stamp: nothing but
    # -CaBundlePath can make the emulated PEP's certificate trusted there.
    BeforeAll {
        # pwsh as a .NET global tool runs inside dotnet, so the process path is not pwsh's.
        $script:Pwsh = if ($env:AZSB_PWSH) { $env:AZSB_PWSH } else { (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source }
        function Invoke-FreshPwsh([string] $Script) {
            $env:AZSB_TEST_MODULE = $script:ModulePath
            $env:AZSB_TEST_PEP = ($script:Pep | ConvertTo-Json -Compress)
            $env:AZSB_TEST_CA = $script:Ready.ca_pem
            try {
                $output = & $script:Pwsh -NoProfile -NonInteractive -Command "`$ErrorActionPreference = 'Stop'; Import-Module `$env:AZSB_TEST_MODULE; `$pep = `$env:AZSB_TEST_PEP | ConvertFrom-Json; `$cred = [pscredential]::new(`$pep.username, (ConvertTo-SecureString `$pep.password -AsPlainText -Force)); $Script" 2>&1
                [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
            } finally {
                Remove-Item Env:AZSB_TEST_MODULE, Env:AZSB_TEST_PEP, Env:AZSB_TEST_CA -ErrorAction SilentlyContinue
            }
        }
    }

    It 'mints a registration token with -CaBundlePath and no connection' {
        $run = Invoke-FreshPwsh 'Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $pep.url -PrivilegedEndpointCredential $cred -BillingModel Development -CaBundlePath $env:AZSB_TEST_CA'
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $decoded = [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($run.Output.Trim())) | ConvertFrom-Json
        $decoded.cloudId | Should -Be $script:Pep.cloud_id
    }

    It 'without it the emulated PEP is not trusted there' {
        $run = Invoke-FreshPwsh 'Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $pep.url -PrivilegedEndpointCredential $cred -BillingModel Development'
        $run.ExitCode | Should -Not -Be 0
        $run.Output | Should -Match 'certificate|TLS'
    }

    It 'activates and deactivates the stamp with -CaBundlePath' {
        $token = Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -BillingModel Development
        $azure = Connect-AzureOperator
        $null = Register-AzsEnvironment -RegistrationToken $token -RegistrationName 'fresh-session' -AzureContext $azure -Confirm:$false
        try {
            $env:AZSB_TEST_KEY = Get-AzsActivationKey -RegistrationName 'fresh-session' -AzureContext $azure
            $run = Invoke-FreshPwsh '(New-AzsActivationResource -EmulatedPrivilegedEndpoint $pep.url -PrivilegedEndpointCredential $cred -ActivationKey $env:AZSB_TEST_KEY -CaBundlePath $env:AZSB_TEST_CA -Confirm:$false).CloudId'
            $run.ExitCode | Should -Be 0 -Because $run.Output
            $run.Output.Trim() | Should -Be $script:Pep.cloud_id
            Get-StampActivationStatus | Should -Be 200
            $run = Invoke-FreshPwsh 'Remove-AzsActivationResource -EmulatedPrivilegedEndpoint $pep.url -PrivilegedEndpointCredential $cred -CaBundlePath $env:AZSB_TEST_CA -Confirm:$false'
            $run.ExitCode | Should -Be 0 -Because $run.Output
            Get-StampActivationStatus | Should -Be 404
        } finally {
            Remove-Item Env:AZSB_TEST_KEY -ErrorAction SilentlyContinue
            $null = Unregister-AzsEnvironment -RegistrationName 'fresh-session' -AzureContext $azure -Confirm:$false
        }
    }

    It 'a missing -CaBundlePath file is refused before the PEP is contacted, naming the parameter' {
        # An armed fault the next PEP request would consume: it must still be armed afterwards.
        Set-TestEmulatorFault -Control $script:Ready.control -Rules '503:count=1,target=pep'
        try {
            $e = { Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -BillingModel Development -CaBundlePath ./no-such-ca.pem } |
                Should -Throw -ErrorId 'AzsBilling.FileNotFound*' -PassThru
            $e.Exception.Message | Should -BeLike "-CaBundlePath './no-such-ca.pem' is not a file*"
            $basic = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("$($script:Pep.username):$($script:Pep.password)"))
            $probe = Invoke-WebRequest -Method Post -Uri "$($script:PepUrl)commands/Get-AzureStackStampInformation" -Body '{}' -ContentType 'application/json' `
                -Headers @{ Authorization = "Basic $basic" } -SkipCertificateCheck -SkipHttpErrorCheck
            $probe.StatusCode | Should -Be 503 -Because 'nothing reached the PEP, so the fault was still armed'
        } finally {
            Clear-TestEmulatorFault -Control $script:Ready.control
        }
    }

    It '-CaBundlePath is refused for PowerShell remoting, which trusts the system store' {
        $e = { Get-AzsRegistrationToken -PrivilegedEndpoint 'AzS-ERCS01' -PrivilegedEndpointCredential $script:CloudAdmin -BillingModel Development -CaBundlePath $script:Ready.ca_pem } |
            Should -Throw -ErrorId 'AzsBilling.CaBundleNotForRemoting*' -PassThru
        $e.Exception.Message | Should -Match 'https://'
    }
}

Describe 'Stamp version gates' {
    It 'an old stamp (1.1910.0.58) gets no MsAssetTag and refuses Custom' {
        $old = Start-TestEmulator -Arguments @('--seed', '22', '--subscriptions', '1', '--resources-per-subscription', '1', '--days', '1', '--stamp-version', '1.1910.0.58')
        try {
            # That stamp's emulated PEP has its own CA: -CaBundlePath trusts it, whatever the current connection.
            $cred = New-TestCredential $old.Ready.pep.username $old.Ready.pep.password
            $token = Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $old.Ready.pep.url -PrivilegedEndpointCredential $cred -BillingModel Development -CaBundlePath $old.Ready.ca_pem
            $decoded = [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($token)) | ConvertFrom-Json
            $decoded.cloudId | Should -Be $old.Ready.pep.cloud_id
            $e = { Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $old.Ready.pep.url -PrivilegedEndpointCredential $cred -BillingModel Custom -MsAssetTag 'tag-1' -CaBundlePath $old.Ready.ca_pem } |
                Should -Throw -PassThru
            $e.Exception.Message | Should -Match '1\.1912\.0\.19'
        } finally {
            Stop-TestEmulator $old
        }
    }

    It 'asks the PEP for the registration key pair on multi-node builds after 1.2209.0.23 only' {
        $null = Connect-StampOperator
        $verbose = Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -BillingModel Development -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($verbose.Message -match ': Set-RegistrationKeyPair').Count | Should -Be 1
        # That build's PEP refuses the command on one node, and the one before has no such command at all.
        foreach ($case in @(@('1.2209.0.24', '1'), @('1.2209.0.23', '4'))) {
            $stamp = Start-TestEmulator -Arguments @('--seed', '24', '--subscriptions', '1', '--resources-per-subscription', '1', '--days', '1',
                '--stamp-version', $case[0], '--nodes', $case[1])
            try {
                $null = Connect-StampOperator -Ready $stamp.Ready
                $cred = New-TestCredential $stamp.Ready.pep.username $stamp.Ready.pep.password
                $token = Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $stamp.Ready.pep.url -PrivilegedEndpointCredential $cred -BillingModel Development
                $token | Should -Not -BeNullOrEmpty
            } finally {
                Stop-TestEmulator $stamp
            }
        }
    }

    It 'TokenVersion is sent from 1.2008.0.49 on, 6.0 after 1.2309.0.4' {
        foreach ($case in @(@{ Version = '1.2008.0.48'; Expected = $null }, @{ Version = '1.2008.0.49'; Expected = '4.0' }, @{ Version = '1.2309.0.5'; Expected = '6.0' })) {
            $stamp = Start-TestEmulator -Arguments @('--seed', '23', '--subscriptions', '1', '--resources-per-subscription', '1', '--days', '1', '--stamp-version', $case.Version)
            try {
                $null = Connect-StampOperator -Ready $stamp.Ready
                $cred = New-TestCredential $stamp.Ready.pep.username $stamp.Ready.pep.password
                $token = Get-AzsRegistrationToken -EmulatedPrivilegedEndpoint $stamp.Ready.pep.url -PrivilegedEndpointCredential $cred -BillingModel Custom -MsAssetTag 'tag-1'
                $decoded = [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($token)) | ConvertFrom-Json
                $decoded.msAssetTag | Should -Be 'tag-1'
                if ($case.Expected) { $decoded.version | Should -Be $case.Expected } else { $decoded.version | Should -Not -BeIn '4.0', '6.0' }
            } finally {
                Stop-TestEmulator $stamp
            }
        }
    }
}

Describe 'The privileged endpoint over PowerShell remoting' {
    # A real PEP is a JEA endpoint on an ERCS VM; here an SSH remoting session to this machine stands in for it,
    # its PEP commands forwarding to the emulator's PEP model. That runs the module's remoting transport for
    # real: the command sent as "<Name> @using:Parameters" (what NoLanguage JEA sessions accept), deserialized
    # output, remote errors, and a caller's session left open.
    BeforeAll {
        $script:Ssh = Start-TestSshServer
        $script:Session = New-TestSshSession $script:Ssh
        Invoke-Command -Session $script:Session -ArgumentList $script:Pep.url, $script:Pep.username, $script:Pep.password -ScriptBlock {
            param($Url, $User, $Password)
            $global:EmulatedPep = @{ Url = $Url; Basic = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${User}:${Password}")) }
            function global:Invoke-EmulatedPep([string] $Name, [System.Collections.IDictionary] $Parameters) {
                $body = if ($Parameters.Count) { [hashtable]::new($Parameters) | ConvertTo-Json -Compress -Depth 5 } else { '{}' }
                $response = Invoke-WebRequest -Method Post -Uri "$($global:EmulatedPep.Url)commands/$Name" -Body $body -ContentType 'application/json' `
                    -Headers @{ Authorization = "Basic $($global:EmulatedPep.Basic)" } -SkipCertificateCheck -SkipHttpErrorCheck
                $answer = $response.Content | ConvertFrom-Json
                if ($response.StatusCode -ne 200) { throw "$($answer.error.type): $($answer.error.message)" }
                $answer.output
            }
            function global:Get-AzureStackStampInformation { Invoke-EmulatedPep 'Get-AzureStackStampInformation' $PSBoundParameters }
            function global:New-AzureBridgeServicePrincipal { param($RefreshToken, $AzureEnvironment, $TenantId, $TimeoutInSeconds) Invoke-EmulatedPep 'New-AzureBridgeServicePrincipal' $PSBoundParameters }
            function global:New-RegistrationToken { param($BillingModel, $MarketplaceSyndicationEnabled, $UsageReportingEnabled, $AgreementNumber, $MsAssetTag, $TokenVersion) Invoke-EmulatedPep 'New-RegistrationToken' $PSBoundParameters }
            function global:New-AzureStackActivation { param($ActivationKey, $TimeoutInSeconds) Invoke-EmulatedPep 'New-AzureStackActivation' $PSBoundParameters }
            function global:Remove-AzureStackActivation { param($TimeoutInSeconds) Invoke-EmulatedPep 'Remove-AzureStackActivation' $PSBoundParameters }
            function global:Set-RegistrationKeyPair { Invoke-EmulatedPep 'Set-RegistrationKeyPair' $PSBoundParameters }
        }
        $script:AzureConnection = Connect-AzureOperator
        $script:StampConnection = Connect-StampOperator
        $script:AzureConnection = Connect-AzureOperator
        $script:RemotingName = "remoting-$($script:Pep.cloud_id)"
    }

    AfterAll {
        if ($script:Session) { Remove-PSSession $script:Session -ErrorAction SilentlyContinue }
        Stop-TestSshServer $script:Ssh
    }

    It 'mints a token through the session' {
        $token = Get-AzsRegistrationToken -Session $script:Session -BillingModel Custom -MsAssetTag 'asset-7'
        $decoded = [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($token)) | ConvertFrom-Json
        $decoded.cloudId | Should -Be $script:Pep.cloud_id
        $decoded.msAssetTag | Should -Be 'asset-7'
    }

    It 'runs the connected flow through the session and leaves it open' {
        $status = Set-AzsRegistration -Session $script:Session -RegistrationName $script:RemotingName -BillingModel PayAsYouUse -AzureContext $script:AzureConnection -Confirm:$false
        $status.Status | Should -Be 'RegisteredAndActivated'
        $status.BillingModel | Should -Be 'PayAsYouUse'
        $script:Session.State | Should -Be 'Opened'
    }

    It 'turns a PEP failure into an ErrorRecord naming the command' {
        $e = { New-AzsActivationResource -Session $script:Session -ActivationKey 'e30.e30.c2ln' -Confirm:$false } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'AzsBilling.PrivilegedEndpoint.New-AzureStackActivation*'
    }

    It 'removes the registration through the session' {
        Get-StampActivationStatus | Should -Be 200
        $removed = Remove-AzsRegistration -Session $script:Session -RegistrationName $script:RemotingName -AzureContext $script:AzureConnection -Confirm:$false
        $removed.RegistrationRemoved | Should -BeTrue
        $removed.ActivationRemoved | Should -BeTrue
        Get-StampActivationStatus | Should -Be 404
        $script:Session.State | Should -Be 'Opened'
    }

    It 'reports an unreachable privileged endpoint as a connection error' {
        $e = { Get-AzsRegistrationToken -PrivilegedEndpoint 'azs-ercs01.invalid' -PrivilegedEndpointCredential $script:CloudAdmin -BillingModel Development } |
            Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'AzsBilling.PrivilegedEndpointUnreachable*'
        $e.CategoryInfo.Category | Should -Be 'ConnectionError'
    }
}

Describe 'The emulated privileged endpoint is asked for by name' {
    BeforeAll {
        function Test-PepFaultStillArmed {
            # True when the armed 503 was not consumed, i.e. nothing reached the emulated PEP.
            $basic = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("$($script:Pep.username):$($script:Pep.password)"))
            $probe = Invoke-WebRequest -Method Post -Uri "$($script:PepUrl)commands/Get-AzureStackStampInformation" -Body '{}' -ContentType 'application/json' `
                -Headers @{ Authorization = "Basic $basic" } -SkipCertificateCheck -SkipHttpErrorCheck
            $probe.StatusCode -eq 503
        }
    }
    AfterEach { Clear-TestEmulatorFault -Control $script:Ready.control }

    It 'a URL as -PrivilegedEndpoint is refused before anything is sent, naming -EmulatedPrivilegedEndpoint' {
        Set-TestEmulatorFault -Control $script:Ready.control -Rules '503:count=1,target=pep'
        $e = { Get-AzsRegistrationToken -PrivilegedEndpoint $script:PepUrl -PrivilegedEndpointCredential $script:CloudAdmin -BillingModel Development } |
            Should -Throw -ErrorId 'AzsBilling.PrivilegedEndpointIsUrl*' -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -Match 'ERCS VM'
        $e.Exception.Message | Should -Match '-EmulatedPrivilegedEndpoint'
        $e.ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape("-EmulatedPrivilegedEndpoint '$($script:PepUrl)'"))
        Test-PepFaultStillArmed | Should -BeTrue -Because 'nothing reached the PEP'
    }

    It 'refuses <Name>' -ForEach @(
        @{ Name = 'both kinds at once'; Splat = @{ PrivilegedEndpoint = 'AzS-ERCS01'; EmulatedPrivilegedEndpoint = 'https://127.0.0.1:1/' }; Id = 'AzsBilling.AmbiguousPrivilegedEndpoint*' }
        @{ Name = 'an -EmulatedPrivilegedEndpoint that is no URL'; Splat = @{ EmulatedPrivilegedEndpoint = 'AzS-ERCS01' }; Id = 'AzsBilling.InvalidEmulatedPrivilegedEndpoint*' }
        @{ Name = 'an -EmulatedPrivilegedEndpoint without a credential'; Splat = @{ EmulatedPrivilegedEndpoint = 'https://127.0.0.1:1/'; PrivilegedEndpointCredential = $null }; Id = 'AzsBilling.NoPrivilegedEndpoint*' }
    ) {
        $arguments = @{ PrivilegedEndpointCredential = $script:CloudAdmin; BillingModel = 'Development' }
        foreach ($key in $Splat.Keys) { $arguments[$key] = $Splat[$key] }
        $e = { Get-AzsRegistrationToken @arguments } | Should -Throw -ErrorId $Id -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'documents both parameters in the help of every PEP command' -ForEach @(
        'Set-AzsRegistration', 'Remove-AzsRegistration', 'Get-AzsRegistrationToken', 'New-AzsActivationResource', 'Remove-AzsActivationResource'
    ) {
        $help = Get-Help $_ -Full
        $parameters = @($help.parameters.parameter)
        ($parameters | Where-Object name -EQ 'EmulatedPrivilegedEndpoint').description.Text | Should -Match 'emulator'
        ($parameters | Where-Object name -EQ 'PrivilegedEndpoint').description.Text | Should -Match 'URL here is refused'
    }
}

Describe 'What the library decides for a connection' {
    It 'an Azure connection is of type Azure, and works in the only subscription it sees' {
        $sp = $script:Azure.service_principals | Where-Object name -EQ 'azure-operator'
        $azure = Connect-AzsBillingEnvironment -ArmEndpoint $script:Azure.arm -Tenant $script:Azure.tenant_id `
            -Credential (New-TestCredential $sp.client_id $sp.client_secret) -CaBundlePath $script:Ready.ca_pem
        try {
            $azure.EndpointType | Should -Be 'Azure'
            @($azure.Subscriptions).Count | Should -Be 1
            $azure.Subscriptions | Should -Contain $script:Azure.subscription_id
            $azure.SubscriptionId | Should -Be $script:Azure.subscription_id
            $azure.TenantId | Should -Be $script:Azure.tenant_id
        } finally {
            $azure | Disconnect-AzsBillingEnvironment
        }
    }

    It 'refuses a -SubscriptionId the account does not see, naming those it does' {
        $sp = $script:Azure.service_principals | Where-Object name -EQ 'azure-operator'
        $other = [guid]::NewGuid().ToString()
        $e = { Connect-AzsBillingEnvironment -ArmEndpoint $script:Azure.arm -Tenant $script:Azure.tenant_id `
                -Credential (New-TestCredential $sp.client_id $sp.client_secret) -SubscriptionId $other -CaBundlePath $script:Ready.ca_pem } |
            Should -Throw -ErrorId 'AzsBilling.SubscriptionNotFound*' -PassThru
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $e.TargetObject | Should -Be $other
        $e.Exception.Message | Should -Match $script:Azure.subscription_id
    }
}
