#Requires -Version 7.4
# Pester 5 tests of the AzsBilling module against a spawned azs-emulator. Run through tests/pester/run.sh,
# which builds the module (target/powershell/AzsBilling) and sets:
#   AZSB_MODULE        the staged AzsBilling.psd1
#   AZS_EMULATOR_BIN   target/debug/azs-emulator
#   AZSB_PWSH          the pwsh executable (child processes)

BeforeDiscovery {
    $script:ExpectedCommands = & (Join-Path $PSScriptRoot 'ExpectedCommands.ps1')
}

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:ModulePath = if ($env:AZSB_MODULE) { $env:AZSB_MODULE } else { Join-Path $repo 'target/powershell/AzsBilling/AzsBilling.psd1' }
    $script:Pwsh = if ($env:AZSB_PWSH) { $env:AZSB_PWSH } else { [Environment]::ProcessPath }
    $script:ExpectedCommands = & (Join-Path $PSScriptRoot 'ExpectedCommands.ps1')

    . (Join-Path $PSScriptRoot 'TestEmulator.ps1')
    $script:EmulatorRun = Start-TestEmulator -Arguments @('--seed', '7', '--subscriptions', '6', '--resources-per-subscription', '8', '--days', '7',
        '--start-date', '2026-01-05', '--device-code-delay', '1')
    $script:StateDir = $script:EmulatorRun.StateDir
    $script:Ready = $script:EmulatorRun.Ready

    $script:Operator = $script:Ready.service_principals | Where-Object name -EQ 'operator'
    $script:TenantSp = $script:Ready.service_principals | Where-Object name -EQ 'tenant'
    $script:CertSp = $script:Ready.service_principals | Where-Object name -EQ 'operator-certificate'
    $script:ProviderSub = $script:Ready.default_provider_subscription_id
    $script:FirstTenantSub = $script:Ready.dataset.first_tenant_subscription_id
    $script:Control = $script:Ready.control

    Import-Module $script:ModulePath -Force -ErrorAction Stop

    function New-SpCredential([string] $Id, [string] $Secret) {
        [pscredential]::new($Id, (ConvertTo-SecureString $Secret -AsPlainText -Force))
    }

    # Operator connection with quick retries (the emulator's Retry-After hints are honoured regardless).
    function Connect-Operator {
        param([hashtable] $Extra = @{})
        Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id `
            -Credential (New-SpCredential $script:Operator.client_id $script:Operator.client_secret) `
            -CaBundlePath $script:Ready.ca_pem @Extra
    }

    function Connect-Tenant {
        Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.tenant_arm -Tenant $script:Ready.tenant_id `
            -Credential (New-SpCredential $script:TenantSp.client_id $script:TenantSp.client_secret) -CaBundlePath $script:Ready.ca_pem
    }

    # Test-only HTTP to the emulator's control routes and identity provider (the module itself always verifies TLS).
    # The fault rules of this file's emulator, through TestEmulator.ps1's one implementation.
    function Set-EmulatorFault([string[]] $Rules) { Set-TestEmulatorFault -Control $script:Control -Rules $Rules }

    function Clear-EmulatorFault { Clear-TestEmulatorFault -Control $script:Control }

    function Get-EmulatorTotal {
        param([string] $Api = 'provider', [string] $Start, [string] $End, [string] $Granularity = 'Hourly', [string] $SubscriberId, [string] $Subscription)
        $uri = "$($script:Control)usage/totals?api=$Api&reportedStartTime=$Start&reportedEndTime=$End&aggregationGranularity=$Granularity"
        if ($SubscriberId) { $uri += "&subscriberId=$SubscriberId" }
        if ($Subscription) { $uri += "&subscription=$Subscription" }
        Invoke-RestMethod -Uri $uri -SkipCertificateCheck
    }

    function Get-Token([object] $Sp, [string] $Audience) {
        $form = @{ grant_type = 'client_credentials'; client_id = $Sp.client_id; client_secret = $Sp.client_secret; resource = $Audience }
        (Invoke-RestMethod -Method Post -Uri "$($script:Ready.login_endpoint)$($script:Ready.tenant_id)/oauth2/token" -Body $form -SkipCertificateCheck).access_token
    }

    function Get-Utc([string] $Text) {
        [datetime]::SpecifyKind([datetime]::ParseExact($Text, 'yyyy-MM-ddTHH:mm:ss', [cultureinfo]::InvariantCulture), 'Utc')
    }

    # A comparable fingerprint of a row set, independent of how the query times were given.
    function Get-RowKey($Rows) {
        @($Rows | ForEach-Object { '{0}|{1}|{2:o}|{3:o}|{4}|{5}' -f $_.SubscriptionId, $_.MeterId, $_.UsageStartTime, $_.UsageEndTime, $_.ResourceUri, $_.Quantity })
    }

    $script:UsageProperties = @(
        'Id', 'Name', 'Type', 'Location', 'Tag', 'SubscriptionId', 'UsageStartTime', 'UsageEndTime', 'InstanceData', 'Quantity', 'MeterId',
        'MeterName', 'Unit', 'MeterCategory', 'ResourceUri', 'ResourceGroup', 'ResourceType', 'ResourceName', 'Tags', 'AdditionalInfo', 'VmSize')
}

AfterAll {
    Get-Module AzsBilling | Remove-Module -Force -ErrorAction SilentlyContinue
    Stop-TestEmulator $script:EmulatorRun
}

Describe 'Module' {
    It 'exports exactly the intended commands, all functions' {
        $module = Get-Module AzsBilling
        @($module.ExportedCommands.Keys | Sort-Object) | Should -Be @($script:ExpectedCommands | Sort-Object)
        @($module.ExportedFunctions.Keys | Sort-Object) | Should -Be @($script:ExpectedCommands | Sort-Object)
        $module.ExportedCmdlets.Count | Should -Be 0
        $module.ExportedAliases.Count | Should -Be 0
    }

    It 'has a manifest with explicit export lists for PowerShell Core' {
        $manifest = Import-PowerShellDataFile $script:ModulePath
        @($manifest.FunctionsToExport | Sort-Object) | Should -Be @($script:ExpectedCommands | Sort-Object)
        @($manifest.CmdletsToExport).Count | Should -Be 0
        @($manifest.AliasesToExport).Count | Should -Be 0
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $manifest.FormatsToProcess | Should -Contain 'AzsBilling.Format.ps1xml'
        { Test-ModuleManifest -Path $script:ModulePath -ErrorAction Stop } | Should -Not -Throw
        # What a gallery page shows: the project, its license and its release notes, each a file in the repository.
        $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        $manifest.PrivateData.PSData.ProjectUri | Should -Match '^https://'
        foreach ($uri in $manifest.PrivateData.PSData.LicenseUri, $manifest.PrivateData.PSData.ReleaseNotes) {
            $uri | Should -Match '/blob/main/(LICENSE|CHANGELOG\.md)$'
            Join-Path $repo ($uri -replace '^.*/blob/main/', '') | Should -Exist
        }
        Get-Content -Raw (Join-Path $repo 'LICENSE') | Should -Match '^MIT License'
    }

    It 'keeps the shim''s status list equal to the library''s' {
        # Every number the library names is in the shim's AzsbStatus under the same name, and the other way round.
        $library = @{}
        foreach ($code in 0..9999) {
            $name = [AzsBilling.Native.Api]::StatusName($code)
            if ($name -ne 'AZSB_STATUS_UNKNOWN') { $library[[uint32]$code] = $name }
        }
        $library.Count | Should -BeGreaterThan 10
        $shim = @{}
        foreach ($value in [enum]::GetValues([AzsBilling.Native.AzsbStatus])) {
            $screaming = ([regex]::Replace([string]$value, '(?<=[a-z0-9])(?=[A-Z])', '_')).ToUpperInvariant()
            $shim[[uint32]$value] = "AZSB_STATUS_$screaming"
        }
        ($shim.Keys | Sort-Object) | Should -Be ($library.Keys | Sort-Object)
        foreach ($code in $library.Keys) { $shim[$code] | Should -Be $library[$code] }
    }

    It 'loads the native library from runtimes/RID/native under the module folder' {
        $rid = [AzsBilling.Native.NativeLoader]::RuntimeIdentifier
        $expected = Join-Path (Split-Path $script:ModulePath) "runtimes/$rid/native/$([AzsBilling.Native.NativeLoader]::LibraryFileName)"
        [AzsBilling.Native.NativeLoader]::LoadedPath | Should -Be ([System.IO.Path]::GetFullPath($expected))
        [AzsBilling.Native.Api]::AbiVersion | Should -Be 1
        [AzsBilling.Native.Api]::Version | Should -Match '^\d+\.\d+\.\d+'
    }

    It '<_> has help with a synopsis, a description, parameter help and an example' -ForEach $ExpectedCommands {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$_\s"
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        $help.Examples.Example[0].Code | Should -Match $_
        $command = Get-Command $_
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        foreach ($name in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $parameterHelp = $help.Parameters.Parameter | Where-Object Name -EQ $name
            ($parameterHelp.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$name needs help"
        }
    }

    It 'fails to load with AZSBILLING_NATIVE_PATH naming a missing file, listing the paths tried' {
        $missing = Join-Path $script:StateDir 'no-such-dir/libazs_billing.so'
        $env:AZSBILLING_NATIVE_PATH = $missing
        try {
            $output = & $script:Pwsh -NoProfile -NonInteractive -Command "`$ErrorActionPreference = 'Stop'; Import-Module '$($script:ModulePath)'; 'imported'" 2>&1 | Out-String
            $exit = $LASTEXITCODE
        } finally {
            Remove-Item Env:AZSBILLING_NATIVE_PATH
        }
        $exit | Should -Not -Be 0
        $output | Should -Not -Match 'imported'
        $output | Should -Match 'Paths tried'
        $output | Should -Match 'AZSBILLING_NATIVE_PATH'
        $output | Should -Match ([regex]::Escape($missing))
    }

    It 'refuses a library that is not azs_billing (no ABI version)' {
        $other = @('/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/x86_64-linux-gnu/libz.so.1', '/lib/aarch64-linux-gnu/libz.so.1', '/usr/lib/libz.dylib') |
            Where-Object { Test-Path $_ } | Select-Object -First 1
        if (-not $other) { Set-ItResult -Skipped -Because 'no libz to stand in for a foreign library'; return }
        $env:AZSBILLING_NATIVE_PATH = $other
        try {
            $output = & $script:Pwsh -NoProfile -NonInteractive -Command "`$ErrorActionPreference = 'Stop'; Import-Module '$($script:ModulePath)'; 'imported'" 2>&1 | Out-String
            $exit = $LASTEXITCODE
        } finally {
            Remove-Item Env:AZSBILLING_NATIVE_PATH
        }
        $exit | Should -Not -Be 0
        $output | Should -Match 'azsb_abi_version'
        $output | Should -Match 'ABI version 1'
    }
}

Describe 'Get-AzsUsageMeter' {
    It 'lists the catalogue with ids, names, units, categories and descriptions' {
        $meters = @(Get-AzsUsageMeter)
        $meters.Count | Should -BeGreaterThan 50
        $meters[0].PSObject.TypeNames | Should -Contain 'AzsBilling.UsageMeter'
        @($meters[0].PSObject.Properties.Name) | Should -Be @('MeterId', 'Name', 'Unit', 'Category', 'Description')
        $meters | Where-Object { -not $_.Name -or -not $_.Unit -or -not $_.Category } | Should -BeNullOrEmpty
        $meters.Category | Should -Contain 'Compute'
    }

    It 'looks up ids in any spelling: <Id>' -ForEach @(
        @{ Id = 'f271a8a388c44d93956a063e1d2fa80b'; Name = 'Static IP Address Usage' }
        @{ Id = 'F271A8A3-88C4-4D93-956A-063E1D2FA80B'; Name = 'Static IP Address Usage' }
        @{ Id = 'fab6eb84500b4a09a8ca7358f8bbaea5'; Name = 'Base VM Size Hours' }
        @{ Id = 'FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5'; Name = 'Base VM Size Hours' }
    ) {
        $meter = Get-AzsUsageMeter -MeterId $Id
        $meter.Name | Should -Be $Name
        ($meter.MeterId -replace '-', '') | Should -Be ($Id -replace '-', '') -Because 'the same meter, spelled as the catalogue spells it'
    }

    It 'writes a non-terminating ObjectNotFound error for an unknown id and still returns the others' {
        $found = Get-AzsUsageMeter -MeterId 'not-a-meter', 'f271a8a388c44d93956a063e1d2fa80b' -ErrorAction SilentlyContinue -ErrorVariable errors
        @($found).Count | Should -Be 1
        $errors.Count | Should -Be 1
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].FullyQualifiedErrorId | Should -Be 'AzsBilling.MeterNotFound,Get-AzsUsageMeter'
        $errors[0].TargetObject | Should -Be 'not-a-meter'
    }
}

Describe 'Without a connection' {
    BeforeAll { Disconnect-AzsBillingEnvironment }

    It '<_> says to run Connect-AzsBillingEnvironment' -ForEach @('Get-AzsSubscriberUsage', 'Get-AzsTenantUsage') {
        $start = Get-Utc '2026-01-05T00:00:00'
        $err = { & $_ -ReportedStartTime $start -ReportedEndTime $start.AddDays(1) } | Should -Throw -PassThru
        $err.Exception.Message | Should -Match 'Connect-AzsBillingEnvironment'
        $err.FullyQualifiedErrorId | Should -Be "AzsBilling.NotConnected,$_"
    }

    It 'Get-AzsUserSubscription says to run Connect-AzsBillingEnvironment' {
        { Get-AzsUserSubscription } | Should -Throw -ExpectedMessage '*Connect-AzsBillingEnvironment*'
    }
}

Describe 'Connect-AzsBillingEnvironment' {
    AfterEach { Clear-EmulatorFault }

    It 'connects an operator with -Credential and finds the Default Provider Subscription' {
        $connection = Connect-Operator
        $connection.PSObject.TypeNames | Should -Contain 'AzsBilling.Connection'
        $connection.EndpointType | Should -Be 'Admin'
        $connection.ResourceManager | Should -Be $script:Ready.admin_arm
        $connection.Audience | Should -Be $script:Ready.audiences.admin
        $connection.IdentitySystem | Should -Not -BeNullOrEmpty
        $connection.Environment | Should -Not -BeNullOrEmpty
        $connection.Tenant | Should -Be $script:Ready.tenant_id
        $connection.DefaultProviderSubscriptionId | Should -Be $script:ProviderSub
        ($connection | Out-String) | Should -Not -Match ([regex]::Escape($script:Operator.client_secret))
    }

    It 'never writes the secret to verbose output' {
        $verbose = Connect-Operator -Extra @{ Verbose = $true } 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($verbose).Count | Should -BeGreaterThan 0
        ($verbose | Out-String) | Should -Not -Match ([regex]::Escape($script:Operator.client_secret))
    }

    It 'connects with -CertificatePath and -PrivateKeyPath (PEM)' {
        $connection = Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id `
            -ApplicationId $script:CertSp.client_id -CertificatePath $script:CertSp.certificate_path -PrivateKeyPath $script:CertSp.private_key_path `
            -CaBundlePath $script:Ready.ca_pem
        $connection.CredentialType | Should -Be 'certificate'
        $connection.DefaultProviderSubscriptionId | Should -Be $script:ProviderSub
        @(Get-AzsUserSubscription).Count | Should -Be 6
    }

    It 'connects with a password-protected .pfx -CertificatePath and -CertificatePassword' {
        $certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile($script:CertSp.certificate_path, $script:CertSp.private_key_path)
        $password = 'pfx-Password-42'
        $pfx = Join-Path $script:StateDir 'operator-certificate.pfx'
        [System.IO.File]::WriteAllBytes($pfx, $certificate.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx, $password))
        $connection = Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id `
            -ApplicationId $script:CertSp.client_id -CertificatePath $pfx -CertificatePassword (ConvertTo-SecureString $password -AsPlainText -Force) `
            -CaBundlePath $script:Ready.ca_pem
        $connection.CredentialType | Should -Be 'pfx'
        $connection.DefaultProviderSubscriptionId | Should -Be $script:ProviderSub
        $err = {
            Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id -ApplicationId $script:CertSp.client_id `
                -CertificatePath $pfx -CertificatePassword (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force) -CaBundlePath $script:Ready.ca_pem
        } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'AzsBilling.*,Connect-AzsBillingEnvironment'
        ($err | Out-String) | Should -Not -Match 'not-the-password'
    }

    It 'connects with -AccessToken as a <Kind>' -ForEach @(@{ Kind = 'string' }, @{ Kind = 'SecureString' }) {
        $token = Get-Token $script:Operator $script:Ready.audiences.admin
        $value = if ($Kind -eq 'SecureString') { ConvertTo-SecureString $token -AsPlainText -Force } else { $token }
        $connection = Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -AccessToken $value -CaBundlePath $script:Ready.ca_pem
        $connection.CredentialType | Should -Be 'access_token'
        $connection.DefaultProviderSubscriptionId | Should -Be $script:ProviderSub
        $start = Get-Utc '2026-01-06T00:00:00'
        @(Get-AzsSubscriberUsage -ReportedStartTime $start -ReportedEndTime $start.AddDays(1)).Count | Should -BeGreaterThan 0
    }

    It 'connects with -UseDeviceAuthentication, showing the sign-in message as a warning' {
        # The emulator approves device codes itself (as its first user, an operator) after --device-code-delay.
        $connection = Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id -UseDeviceAuthentication `
            -CaBundlePath $script:Ready.ca_pem -WarningVariable warnings -WarningAction SilentlyContinue
        $connection.CredentialType | Should -Be 'device_code'
        ($warnings | Out-String) | Should -Match 'devicelogin'
        ($warnings | Out-String) | Should -Match 'enter the code'
        $connection.DefaultProviderSubscriptionId | Should -Be $script:ProviderSub
        @(Get-AzsUserSubscription).Count | Should -Be 6
    }

    It 'prompts again, on the host, when a later command must sign in afresh (refresh token revoked)' {
        # Short-lived access tokens (under the library's five-minute renewal margin), so the usage command after
        # the revocation has to sign in again; the connect command has ended by then, so the prompt goes to the
        # host as a warning line. Run in a child process to read what its host printed.
        $short = Start-TestEmulator -Arguments @('--seed', '8', '--subscriptions', '2', '--resources-per-subscription', '2', '--days', '2',
            '--start-date', '2026-01-05', '--device-code-delay', '1', '--token-lifetime', '120')
        try {
            $child = Join-Path $short.StateDir 'resign.ps1'
            @'
param($ModulePath, $ReadyPath)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$ready = Get-Content -Raw $ReadyPath | ConvertFrom-Json
$null = Connect-AzsBillingEnvironment -ArmEndpoint $ready.tenant_arm -Tenant $ready.tenant_id -UseDeviceAuthentication -CaBundlePath $ready.ca_pem -WarningAction SilentlyContinue
'connected'
$null = Invoke-RestMethod -Method Delete -Uri "$($ready.control)refresh-tokens" -SkipCertificateCheck
$start = [datetime]::SpecifyKind([datetime]'2026-01-06', 'Utc')
"rows=$(@(Get-AzsTenantUsage -ReportedStartTime $start -ReportedEndTime $start.AddDays(1) -SubscriptionId $ready.dataset.first_tenant_subscription_id).Count)"
'@ | Set-Content -Path $child
            $output = & $script:Pwsh -NoProfile -NonInteractive -File $child -ModulePath $script:ModulePath -ReadyPath (Join-Path $short.StateDir 'ready.json') 2>&1 |
                Out-String
            $LASTEXITCODE | Should -Be 0 -Because $output
            # Connect's prompt went to its (silenced) warning stream; the second one, after 'connected', to the host.
            $after = $output.Substring($output.IndexOf('connected'))
            $after | Should -Match 'enter the code'
            $after | Should -Match 'rows=[1-9]'
        } finally {
            Stop-TestEmulator $short
        }
    }

    It 'fails with AuthenticationError for a wrong secret, without the secret in the error' {
        $wrong = 'wrong-Secret-Value-1234567890'
        $err = {
            Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id -CaBundlePath $script:Ready.ca_pem `
                -Credential (New-SpCredential $script:Operator.client_id $wrong)
        } | Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.FullyQualifiedErrorId | Should -BeLike 'AzsBilling.*,Connect-AzsBillingEnvironment'
        $err.Exception | Should -BeOfType ([AzsBilling.Native.AzsBillingException])
        $err.TargetObject.HttpStatus | Should -BeGreaterOrEqual 400
        $err.TargetObject.Code | Should -Not -BeNullOrEmpty
        $text = ($err | Out-String) + $err.Exception.Message + $err.ErrorDetails.Message + ($err.TargetObject | Out-String)
        $text | Should -Not -Match ([regex]::Escape($wrong))
        $text | Should -Not -Match ([regex]::Escape($script:Operator.client_secret))
    }

    It 'gives LimitsExceeded when throttled with -MaxRetries 0' {
        Set-EmulatorFault '429:count=5,retry-after-ms=200'
        $err = { Connect-Operator -Extra @{ MaxRetries = 0 } } | Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $err.TargetObject.HttpStatus | Should -Be 429
        $err.FullyQualifiedErrorId | Should -BeLike 'AzsBilling.*,Connect-AzsBillingEnvironment'
    }

    It 'needs exactly one of -ArmEndpoint and -Cloud' {
        $err = { Connect-AzsBillingEnvironment -Tenant x -Credential (New-SpCredential a b) } | Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match '-ArmEndpoint'
    }

    It 'reports a connection failure as ConnectionError' {
        # A closed port on loopback: nothing listens there once the listener is disposed.
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        $err = { Connect-AzsBillingEnvironment -ArmEndpoint "https://127.0.0.1:$port/" -Tenant x -Credential (New-SpCredential a b) -MaxRetries 0 } |
            Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
    }
}

Describe 'Several connections' {
    It 'keeps earlier connections open until each is disconnected' {
        $first = Connect-Operator
        $second = Connect-Tenant
        $first.Id | Should -Not -Be $second.Id
        # The first stays usable as a registration -AzureContext would use it; the current one is the second.
        $first | Disconnect-AzsBillingEnvironment
        (Get-AzsTenantUsage -ReportedStartTime (Get-Utc '2026-01-06T00:00:00') -ReportedEndTime (Get-Utc '2026-01-07T00:00:00') |
            Measure-Object).Count | Should -BeGreaterThan 0
        Disconnect-AzsBillingEnvironment
        { Get-AzsTenantUsage -ReportedStartTime (Get-Utc '2026-01-06T00:00:00') -ReportedEndTime (Get-Utc '2026-01-07T00:00:00') } |
            Should -Throw -ErrorId 'AzsBilling.NotConnected*'
    }
}

Describe 'Get-AzsSubscriberUsage' {
    BeforeAll {
        $null = Connect-Operator
        $script:Start = Get-Utc '2026-01-05T00:00:00'
        $script:End = Get-Utc '2026-01-08T00:00:00'
        $script:Totals = Get-EmulatorTotal -Start '2026-01-05T00:00:00Z' -End '2026-01-08T00:00:00Z'
        $script:Hourly = @(Get-AzsSubscriberUsage -ReportedStartTime $script:Start -ReportedEndTime $script:End -AggregationGranularity Hourly)
    }
    AfterEach { Clear-EmulatorFault }

    It 'pages through a multi-page hourly query: as many rows as the emulator''s totals' {
        $script:Totals.rows | Should -BeGreaterOrEqual 2500
        $script:Totals.pages | Should -BeGreaterThan 2
        $script:Hourly.Count | Should -Be $script:Totals.rows
        $sum = ($script:Hourly | Measure-Object -Property Quantity -Sum).Sum
        [math]::Abs($sum * 1e6 - [double]$script:Totals.quantity_micros) | Should -BeLessThan $script:Totals.rows
    }

    It 'emits rows with exactly the compatible property names and types' {
        $row = $script:Hourly[0]
        $row.PSObject.TypeNames[0] | Should -Be 'AzsBilling.UsageAggregate'
        @($row.PSObject.Properties.Name) | Should -Be $script:UsageProperties
        $row.PSObject.Properties.Name | Should -Not -Contain 'Value'
        $row.Id | Should -BeOfType [string]
        $row.SubscriptionId | Should -BeOfType [string]
        $row.InstanceData | Should -BeOfType [string]
        { $row.InstanceData | ConvertFrom-Json } | Should -Not -Throw
        $row.Quantity | Should -BeOfType [double]
        $row.MeterId | Should -BeOfType [string]
        $row.UsageStartTime | Should -BeOfType [datetime]
        $row.UsageStartTime.Kind | Should -Be 'Utc'
        $row.UsageEndTime.Kind | Should -Be 'Utc'
        $row.Tags | Should -BeOfType [hashtable]
        if ($null -ne $row.Tag) { $row.Tag | Should -BeOfType [hashtable] }
        $script:Hourly | Where-Object { $_.UsageEndTime - $_.UsageStartTime -ne [timespan]::FromHours(1) } | Should -BeNullOrEmpty
    }

    It 'parses instanceData and meters: resource fields, tags, VM sizes, meter names' {
        $vm = $script:Hourly | Where-Object VmSize | Select-Object -First 1
        $vm | Should -Not -BeNullOrEmpty
        $vm.ResourceType | Should -Be 'virtualMachines'
        $vm.ResourceGroup | Should -Not -BeNullOrEmpty
        $vm.ResourceName | Should -Not -BeNullOrEmpty
        $vm.ResourceUri | Should -Match "/subscriptions/$($vm.SubscriptionId)/resourceGroups/$($vm.ResourceGroup)/"
        $vm.MeterCategory | Should -Be 'Compute'
        $vm.Location | Should -Be 'local'
        $tagged = $script:Hourly | Where-Object { $null -ne $_.Tag } | Select-Object -First 1
        if ($tagged) { $tagged.Tag.Count | Should -BeGreaterThan 0 }
        ($script:Hourly | Where-Object MeterName).Count | Should -BeGreaterThan ($script:Hourly.Count / 2)
        # The unknown resource type of the data set passes through with no meter name.
        $script:Hourly | Where-Object { -not $_.MeterName } | ForEach-Object { $_.MeterId | Should -Not -BeNullOrEmpty }
    }

    It 'gives every row the resource, location, tags and additionalInfo its InstanceData string holds' {
        $tagged = 0
        foreach ($row in $script:Hourly) {
            $resources = ($row.InstanceData | ConvertFrom-Json -AsHashtable)['Microsoft.Resources']
            $row.ResourceUri | Should -Be $resources['resourceUri']
            $row.Location | Should -Be $resources['location']
            $row.ResourceName | Should -Be ($resources['resourceUri'] -split '/')[-1]
            $wireTags = if ($resources['tags']) { $resources['tags'] } else { @{} }
            $row.Tags.Count | Should -Be $wireTags.Count
            foreach ($name in $wireTags.Keys) {
                $row.Tags[$name] | Should -Be $wireTags[$name]
                # Tag names are case-insensitive, as in ARM.
                $row.Tags[$name.ToUpperInvariant()] | Should -Be $wireTags[$name]
                $tagged++
            }
            if ($row.VmSize) {
                $info = $resources['additionalInfo']
                if ($info -is [string]) { $info = $info | ConvertFrom-Json -AsHashtable }
                $row.AdditionalInfo | Should -BeOfType [hashtable]
                $row.AdditionalInfo['ServiceType'] | Should -Be $info['ServiceType']
                $row.VmSize | Should -Be $info['ServiceType']
            }
        }
        $tagged | Should -BeGreaterThan 0
    }

    It 'filters by -SubscriberId' {
        $expected = Get-EmulatorTotal -Start '2026-01-05T00:00:00Z' -End '2026-01-08T00:00:00Z' -SubscriberId $script:FirstTenantSub
        $rows = @(Get-AzsSubscriberUsage -ReportedStartTime $script:Start -ReportedEndTime $script:End -AggregationGranularity Hourly -SubscriberId $script:FirstTenantSub)
        $rows.Count | Should -Be $expected.rows
        $rows.Count | Should -BeLessThan $script:Hourly.Count
        $rows | Where-Object SubscriptionId -NE $script:FirstTenantSub | Should -BeNullOrEmpty
    }

    It 'resumes with -ContinuationToken from the error that ended a query' {
        $null = Connect-Operator -Extra @{ MaxRetries = 0 }
        try {
            $seen = 0
            $err = $null
            try {
                # Non-terminating since issue 8; -ErrorAction Stop makes it end the pipeline here.
                Get-AzsSubscriberUsage -ReportedStartTime $script:Start -ReportedEndTime $script:End -AggregationGranularity Hourly -ErrorAction Stop | ForEach-Object {
                    if ($seen -eq 0) { Set-EmulatorFault '503:count=1' }
                    $seen++
                }
            } catch {
                $err = $_
            }
            $err | Should -Not -BeNullOrEmpty
            $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $seen | Should -Be $script:Ready.page_size
            $err.TargetObject.PagesRead | Should -Be 1
            $err.TargetObject.ContinuationToken | Should -Not -BeNullOrEmpty
            Clear-EmulatorFault
            $rest = @(Get-AzsSubscriberUsage -ReportedStartTime $script:Start -ReportedEndTime $script:End -AggregationGranularity Hourly `
                    -ContinuationToken $err.TargetObject.ContinuationToken)
            ($seen + $rest.Count) | Should -Be $script:Totals.rows
            (Get-RowKey $rest) | Should -Be (Get-RowKey ($script:Hourly | Select-Object -Skip $seen))
        } finally {
            $null = Connect-Operator
        }
    }

    It 'gives the same rows for Utc, Local and Unspecified DateTimes of the same instant, and ISO strings' {
        $utcStart = Get-Utc '2026-01-06T00:00:00'
        $utcEnd = $utcStart.AddHours(6)
        $reference = Get-RowKey (Get-AzsSubscriberUsage -ReportedStartTime $utcStart -ReportedEndTime $utcEnd -AggregationGranularity Hourly)
        $reference.Count | Should -BeGreaterThan 0
        $localStart = $utcStart.ToLocalTime(); $localEnd = $utcEnd.ToLocalTime()
        $localStart.Kind | Should -Be 'Local'
        (Get-RowKey (Get-AzsSubscriberUsage -ReportedStartTime $localStart -ReportedEndTime $localEnd -AggregationGranularity Hourly)) | Should -Be $reference
        $unspecifiedStart = [datetime]::SpecifyKind($localStart, 'Unspecified'); $unspecifiedEnd = [datetime]::SpecifyKind($localEnd, 'Unspecified')
        (Get-RowKey (Get-AzsSubscriberUsage -ReportedStartTime $unspecifiedStart -ReportedEndTime $unspecifiedEnd -AggregationGranularity Hourly)) | Should -Be $reference
        (Get-RowKey (Get-AzsSubscriberUsage -ReportedStartTime '2026-01-06T00:00:00Z' -ReportedEndTime '2026-01-06T10:30:00+04:30' -AggregationGranularity Hourly)) | Should -Be $reference
    }

    It 'treats Local and Unspecified DateTimes as local time in another time zone (child process, TZ=Australia/Adelaide)' {
        if (-not $IsLinux -and -not $IsMacOS) { Set-ItResult -Skipped -Because 'TZ selects the zone on Unix only'; return }
        $child = Join-Path $script:StateDir 'tz-child.ps1'
        Set-Content -Path $child -Value @'
param($ModulePath, $ReadyPath)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath
$ready = Get-Content -Raw $ReadyPath | ConvertFrom-Json
$op = $ready.service_principals | Where-Object name -EQ 'operator'
$cred = [pscredential]::new($op.client_id, (ConvertTo-SecureString $op.client_secret -AsPlainText -Force))
$null = Connect-AzsBillingEnvironment -ArmEndpoint $ready.admin_arm -Tenant $ready.tenant_id -Credential $cred -CaBundlePath $ready.ca_pem
$utc = [datetime]::SpecifyKind([datetime]'2026-01-06T00:00:00', 'Utc')
$local = $utc.ToLocalTime()
$unspecified = [datetime]::SpecifyKind($local, 'Unspecified')
$key = { @($input | ForEach-Object { '{0}|{1}|{2:o}|{3}' -f $_.SubscriptionId, $_.MeterId, $_.UsageStartTime, $_.Quantity }) -join "`n" }
[pscustomobject]@{
    Offset      = [TimeZoneInfo]::Local.GetUtcOffset($utc).TotalMinutes
    Utc         = Get-AzsSubscriberUsage -ReportedStartTime $utc -ReportedEndTime $utc.AddHours(6) -AggregationGranularity Hourly | & $key
    Local       = Get-AzsSubscriberUsage -ReportedStartTime $local -ReportedEndTime $local.AddHours(6) -AggregationGranularity Hourly | & $key
    Unspecified = Get-AzsSubscriberUsage -ReportedStartTime $unspecified -ReportedEndTime $unspecified.AddHours(6) -AggregationGranularity Hourly | & $key
    String      = Get-AzsSubscriberUsage -ReportedStartTime '2026-01-06T00:00:00Z' -ReportedEndTime '2026-01-06T06:00:00Z' -AggregationGranularity Hourly | & $key
} | ConvertTo-Json -Compress
'@
        $previous = $env:TZ
        $env:TZ = 'Australia/Adelaide'
        try {
            $output = & $script:Pwsh -NoProfile -NonInteractive -File $child -ModulePath $script:ModulePath -ReadyPath (Join-Path $script:StateDir 'ready.json') 2>&1
            $exit = $LASTEXITCODE
        } finally {
            if ($null -eq $previous) { Remove-Item Env:TZ } else { $env:TZ = $previous }
        }
        $exit | Should -Be 0 -Because ($output | Out-String)
        $result = ($output | Select-Object -Last 1) | ConvertFrom-Json
        $result.Offset | Should -Be 630 -Because 'Adelaide is UTC+10:30 in January'
        $result.Utc | Should -Not -BeNullOrEmpty
        $result.Local | Should -Be $result.Utc
        $result.Unspecified | Should -Be $result.Utc
        $result.String | Should -Be $result.Utc
    }

    It 'rejects <Case> with InvalidArgument before any request is sent' -ForEach @(
        @{ Case = 'an end before the start'; Start = '2026-01-06T00:00:00'; End = '2026-01-05T00:00:00'; Granularity = 'Daily' }
        @{ Case = 'an unaligned hourly start'; Start = '2026-01-05T00:30:00'; End = '2026-01-05T06:00:00'; Granularity = 'Hourly' }
        @{ Case = 'a daily start that is not midnight'; Start = '2026-01-05T06:00:00'; End = '2026-01-07T00:00:00'; Granularity = 'Daily' }
        @{ Case = 'an end in the future'; Start = '2026-01-05T00:00:00'; End = 'future'; Granularity = 'Daily' }
    ) {
        $startTime = Get-Utc $Start
        $endTime = if ($End -eq 'future') { [datetime]::UtcNow.Date.AddDays(3) } else { Get-Utc $End }
        # An armed fault the next ARM request would consume: it must still be armed afterwards.
        Set-EmulatorFault '429:count=1,target=admin'
        $err = { Get-AzsSubscriberUsage -ReportedStartTime $startTime -ReportedEndTime $endTime -AggregationGranularity $Granularity } | Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.FullyQualifiedErrorId | Should -Be 'AzsBilling.InvalidArgument,Get-AzsSubscriberUsage'
        $err.TargetObject.HttpStatus | Should -Be 0
        $probe = Invoke-WebRequest -Uri "$($script:Ready.admin_arm)metadata/endpoints?api-version=2015-01-01" -SkipCertificateCheck -SkipHttpErrorCheck
        $probe.StatusCode | Should -Be 429 -Because 'the library sent nothing, so the fault was still armed'
    }

    It 'recovers from throttling (429 twice, Retry-After) and returns every row' {
        $expected = Get-EmulatorTotal -Start '2026-01-06T00:00:00Z' -End '2026-01-07T00:00:00Z' -Granularity Daily
        Set-EmulatorFault '429:count=2,retry-after-ms=200'
        $rows = @(Get-AzsSubscriberUsage -ReportedStartTime (Get-Utc '2026-01-06T00:00:00') -ReportedEndTime (Get-Utc '2026-01-07T00:00:00'))
        $rows.Count | Should -Be $expected.rows
        $rows.Count | Should -BeGreaterThan 0
        $probe = Invoke-WebRequest -Uri "$($script:Ready.admin_arm)metadata/endpoints?api-version=2015-01-01" -SkipCertificateCheck -SkipHttpErrorCheck
        $probe.StatusCode | Should -Be 200 -Because 'both throttled answers were consumed by the retried request'
    }

    It 'reports a service refusal with the service code, request id and a fitting category' {
        $err = { Get-AzsSubscriberUsage -ReportedStartTime $script:Start -ReportedEndTime $script:End -SubscriberId ([guid]::NewGuid()) -ErrorAction Stop } | Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject.HttpStatus | Should -Be 400
        $err.TargetObject.Code | Should -Be 'SubscriberIdIsNotDirectTenant'
        $err.FullyQualifiedErrorId | Should -Be 'AzsBilling.SubscriberIdIsNotDirectTenant,Get-AzsSubscriberUsage'
        $err.ErrorDetails.Message | Should -Match 'SubscriberIdIsNotDirectTenant'
        if ($err.TargetObject.RequestId) { $err.ErrorDetails.Message | Should -Match ([regex]::Escape($err.TargetObject.RequestId)) }
    }

    It 'streams: Select-Object -First stops the query early' {
        $first = @(Get-AzsSubscriberUsage -ReportedStartTime $script:Start -ReportedEndTime $script:End -AggregationGranularity Hourly | Select-Object -First 3)
        $first.Count | Should -Be 3
    }

    It 'pipes usage rows into Get-AzsUsageMeter by MeterId' {
        $known = $script:Hourly | Where-Object MeterName | Select-Object -First 5
        $meters = @($known | Get-AzsUsageMeter)
        $meters.Count | Should -Be 5
        $meters.Name | Should -Be $known.MeterName
    }
}

Describe 'Get-AzsUserSubscription' {
    BeforeAll { $null = Connect-Operator }

    It 'lists the tenant subscriptions with owners' {
        $subscriptions = @(Get-AzsUserSubscription)
        $subscriptions.Count | Should -Be 6
        $subscriptions[0].PSObject.TypeNames | Should -Contain 'AzsBilling.UserSubscription'
        @($subscriptions[0].PSObject.Properties.Name) | Should -Be @('SubscriptionId', 'DisplayName', 'Owner', 'State', 'OfferId', 'TenantId',
            'DelegatedProviderSubscriptionId', 'RoutingResourceManagerType', 'IsDirectTenant')
        $subscriptions | Where-Object { -not $_.Owner } | Should -BeNullOrEmpty
        $subscriptions.SubscriptionId | Should -Contain $script:FirstTenantSub
        @($subscriptions.SubscriptionId | Sort-Object -Unique).Count | Should -Be 6
        $subscriptions | Where-Object { -not $_.DelegatedProviderSubscriptionId -or -not $_.State -or -not $_.OfferId } | Should -BeNullOrEmpty
        $subscriptions.DelegatedProviderSubscriptionId | Should -Contain $script:ProviderSub
    }

    It 'gets one subscription by -TargetSubscriptionId, and ObjectNotFound for an unknown one' {
        $one = Get-AzsUserSubscription -TargetSubscriptionId $script:FirstTenantSub
        $one.SubscriptionId | Should -Be $script:FirstTenantSub
        $none = Get-AzsUserSubscription -TargetSubscriptionId ([guid]::NewGuid()) -ErrorAction SilentlyContinue -ErrorVariable errors
        $none | Should -BeNullOrEmpty
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'names the subscription when a directory (tenant) id is given as -TargetSubscriptionId' {
        $first = Get-AzsUserSubscription -TargetSubscriptionId $script:FirstTenantSub
        $first.TenantId | Should -Not -BeNullOrEmpty
        $none = Get-AzsUserSubscription -TargetSubscriptionId $first.TenantId -ErrorAction SilentlyContinue -ErrorVariable errors
        $none | Should -BeNullOrEmpty
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].Exception.Message | Should -BeLike "*$($first.TenantId) is the directory (tenant) id of subscription *; give the subscription id*"
    }

    It 'passes -Filter to the service' {
        $first = Get-AzsUserSubscription -TargetSubscriptionId $script:FirstTenantSub
        $filtered = @(Get-AzsUserSubscription -Filter "displayName eq '$($first.DisplayName)'")
        $filtered.Count | Should -BeGreaterOrEqual 1
        $filtered.DisplayName | Sort-Object -Unique | Should -Be $first.DisplayName
    }

    It 'gives PermissionDenied to a principal without access to the provider subscription' {
        $connection = Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id -CaBundlePath $script:Ready.ca_pem `
            -Credential (New-SpCredential $script:TenantSp.client_id $script:TenantSp.client_secret)
        try {
            $connection.DefaultProviderSubscriptionId | Should -BeNullOrEmpty
            $err = { Get-AzsUserSubscription -ProviderSubscriptionId $script:ProviderSub -ErrorAction Stop } | Should -Throw -PassThru
            $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $err.TargetObject.HttpStatus | Should -Be 403
        } finally {
            $null = Connect-Operator
        }
    }
}

Describe 'Get-AzsTenantUsage' {
    BeforeAll {
        $script:TenantConnection = Connect-Tenant
    }
    AfterAll { $null = Connect-Operator }

    It 'connects the tenant principal to the tenant endpoint and sees its one subscription' {
        $script:TenantConnection.EndpointType | Should -Be 'Tenant'
        $script:TenantConnection.Audience | Should -Be $script:Ready.audiences.tenant
        @($script:TenantConnection.Subscriptions) | Should -Be @($script:FirstTenantSub)
    }

    It 'returns the subscription''s usage across pages, as many rows as the emulator''s totals' {
        $expected = Get-EmulatorTotal -Api tenant -Subscription $script:FirstTenantSub -Start '2026-01-05T00:00:00Z' -End '2026-01-12T00:00:00Z'
        $rows = @(Get-AzsTenantUsage -ReportedStartTime (Get-Utc '2026-01-05T00:00:00') -ReportedEndTime (Get-Utc '2026-01-12T00:00:00') -AggregationGranularity Hourly)
        $expected.pages | Should -BeGreaterThan 1
        $rows.Count | Should -Be $expected.rows
        $rows | Where-Object SubscriptionId -NE $script:FirstTenantSub | Should -BeNullOrEmpty
        @($rows[0].PSObject.Properties.Name) | Should -Be $script:UsageProperties
        $rows[0].Type | Should -Match '^Microsoft\.Commerce/'
    }

    It 'accepts -ShowDetails and ignores it with a verbose note' {
        $start = Get-Utc '2026-01-06T00:00:00'
        $output = Get-AzsTenantUsage -ReportedStartTime $start -ReportedEndTime $start.AddDays(1) -SubscriptionId $script:FirstTenantSub -ShowDetails $false -Verbose 4>&1
        $verbose = $output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose | Out-String) | Should -Match 'ShowDetails'
        @($output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).Count | Should -BeGreaterThan 0
    }

    It 'needs -SubscriptionId when the connection does not see exactly one subscription' {
        $null = Connect-Operator
        try {
            $start = Get-Utc '2026-01-06T00:00:00'
            $err = { Get-AzsTenantUsage -ReportedStartTime $start -ReportedEndTime $start.AddDays(1) } | Should -Throw -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match '-SubscriptionId'
        } finally {
            $script:TenantConnection = Connect-Tenant
        }
    }
}
