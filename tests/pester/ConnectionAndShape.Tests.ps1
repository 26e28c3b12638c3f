#Requires -Version 7.4
# Pester 5 tests of what a user of Connect-AzsBillingEnvironment and of the usage rows sees: messages in the
# words of the command's parameters, who signed in, the default table view at 80 and 120 columns, the CSV shape
# of a row, and the README's emulator walk-through run as it is written. Run through tests/pester/run.sh (see
# AzsBilling.Tests.ps1 for the environment variables).

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Repo = $repo
    $script:ModulePath = if ($env:AZSB_MODULE) { $env:AZSB_MODULE } else { Join-Path $repo 'target/powershell/AzsBilling/AzsBilling.psd1' }
    $script:Pwsh = if ($env:AZSB_PWSH) { $env:AZSB_PWSH } else { [Environment]::ProcessPath }

    . (Join-Path $PSScriptRoot 'TestEmulator.ps1')
    $script:EmulatorRun = Start-TestEmulator -Arguments @('--seed', '11', '--subscriptions', '4', '--resources-per-subscription', '8', '--days', '3',
        '--start-date', '2026-01-05', '--device-code-delay', '1')
    $script:StateDir = $script:EmulatorRun.StateDir
    $script:Ready = $script:EmulatorRun.Ready
    $script:Operator = $script:Ready.service_principals | Where-Object name -EQ 'operator'
    $script:CertSp = $script:Ready.service_principals | Where-Object name -EQ 'operator-certificate'

    Import-Module $script:ModulePath -Force -ErrorAction Stop

    function New-SpCredential([string] $Id, [string] $Secret) {
        [pscredential]::new($Id, (ConvertTo-SecureString $Secret -AsPlainText -Force))
    }

    function Connect-Operator {
        param([hashtable] $Extra = @{})
        # One hashtable: a parameter given both explicitly and by splatting takes the explicit value.
        $parameters = @{
            ArmEndpoint  = $script:Ready.admin_arm
            Tenant       = $script:Ready.tenant_id
            Credential   = New-SpCredential $script:Operator.client_id $script:Operator.client_secret
            CaBundlePath = $script:Ready.ca_pem
        }
        foreach ($key in $Extra.Keys) { $parameters[$key] = $Extra[$key] }
        Connect-AzsBillingEnvironment @parameters
    }

    # Everything a user reads of an error: its message, details, recommendation and target.
    function Get-ErrorText($ErrorRecord) {
        ($ErrorRecord | Out-String) + $ErrorRecord.Exception.Message + $ErrorRecord.ErrorDetails.Message +
        $ErrorRecord.ErrorDetails.RecommendedAction + ($ErrorRecord.TargetObject | Out-String)
    }

    # The options JSON fields of the library (core/src/options.rs) that a Connect-AzsBillingEnvironment user never typed.
    $script:LibraryFields = 'ca_bundle|client_secret|client_id|certificate_path|pfx_path|private_key_path|max_retries|read_timeout|connect_timeout|access_token|arm_endpoint|(?<!-)\btenant:'

    $script:Day = [datetime]::SpecifyKind([datetime]'2026-01-06', 'Utc')
}

AfterAll {
    Get-Module AzsBilling | Remove-Module -Force -ErrorAction SilentlyContinue
    Stop-TestEmulator $script:EmulatorRun
}

Describe 'Connect-AzsBillingEnvironment messages name its parameters' {
    It 'a -CaBundlePath that is not a file, before anything is sent' {
        $missing = Join-Path $script:StateDir 'no-such-ca.pem'
        $err = { Connect-Operator -Extra @{ CaBundlePath = $missing } } | Should -Throw -PassThru
        $text = Get-ErrorText $err
        $text | Should -Match '-CaBundlePath'
        $text | Should -Not -Match $script:LibraryFields
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'a -CaBundlePath that holds no certificate' {
        $empty = Join-Path $script:StateDir 'not-a-bundle.txt'
        Set-Content -Path $empty -Value 'no PEM here'
        $err = { Connect-Operator -Extra @{ CaBundlePath = $empty } } | Should -Throw -PassThru
        $text = Get-ErrorText $err
        $err.Exception.Message | Should -Match '^-CaBundlePath '
        $text | Should -Match 'holds no certificate'
        $text | Should -Not -Match $script:LibraryFields
    }

    It 'an endpoint whose CA is not trusted: the hint names -CaBundlePath' {
        $err = {
            Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id -MaxRetries 0 `
                -Credential (New-SpCredential $script:Operator.client_id $script:Operator.client_secret)
        } | Should -Throw -PassThru
        $text = Get-ErrorText $err
        $err.Exception.Message | Should -Match 'pass its certificate in -CaBundlePath'
        $text | Should -Not -Match $script:LibraryFields
    }

    It 'a certificate file without a certificate names -CertificatePath' {
        $notPem = Join-Path $script:StateDir 'not-a-certificate.pem'
        Set-Content -Path $notPem -Value 'no PEM here'
        $err = {
            Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id -CaBundlePath $script:Ready.ca_pem `
                -ApplicationId $script:CertSp.client_id -CertificatePath $notPem
        } | Should -Throw -PassThru
        $text = Get-ErrorText $err
        $text | Should -Match '-CertificatePath'
        $text | Should -Not -Match $script:LibraryFields
    }

    It 'translates <Field> in a library message to <Parameter> (<Set>)' -ForEach @(
        @{ Field = 'ca_bundle'; Message = 'the CA bundle is given in ca_bundle'; Set = 'ClientSecret'; Parameter = '-CaBundlePath' }
        @{ Field = 'client_secret'; Message = 'credential.client_secret: the client secret is empty'; Set = 'ClientSecret'; Parameter = '-Credential' }
        @{ Field = 'client_id'; Message = 'client_id: the application (client) id is required'; Set = 'ClientSecret'; Parameter = '-Credential' }
        @{ Field = 'client_id'; Message = 'client_id: the application (client) id is required'; Set = 'Certificate'; Parameter = '-ApplicationId' }
        @{ Field = 'certificate_path'; Message = 'credential.certificate_path: expected a string'; Set = 'Certificate'; Parameter = '-CertificatePath' }
        @{ Field = 'pfx_path'; Message = "field 'pfx_path' is missing"; Set = 'Certificate'; Parameter = '-CertificatePath' }
        @{ Field = 'private_key_path'; Message = 'private_key_path: expected a string'; Set = 'Certificate'; Parameter = '-PrivateKeyPath' }
        @{ Field = 'max_retries'; Message = 'retry.max_retries: expected an integer'; Set = 'ClientSecret'; Parameter = '-MaxRetries' }
        @{ Field = 'read_timeout'; Message = 'connect_timeout and read_timeout must be longer than zero'; Set = 'ClientSecret'; Parameter = '-TimeoutSec' }
        @{ Field = 'access_token'; Message = 'access_token: the token is empty'; Set = 'AccessToken'; Parameter = '-AccessToken' }
        @{ Field = 'arm_endpoint'; Message = 'arm_endpoint: "x" is not a URL'; Set = 'ClientSecret'; Parameter = '-ArmEndpoint' }
        @{ Field = 'tenant'; Message = "tenant: 'a b' is not a tenant GUID or domain name"; Set = 'DeviceCode'; Parameter = '-Tenant' }
        @{ Field = 'credential'; Message = 'credential: expected an object'; Set = 'AccessToken'; Parameter = '-AccessToken' }
    ) {
        $translated = & (Get-Module AzsBilling) { param($m, $s) ConvertTo-AzsConnectMessage -Message $m -ParameterSet $s } $Message $Set
        $translated | Should -Match ([regex]::Escape($Parameter))
        $translated | Should -Not -Match $script:LibraryFields
        $translated | Should -Not -Match '(^|[^-])\bcredential:'
    }

    It 'keeps a file path that looks like a field name intact' {
        $translated = & (Get-Module AzsBilling) {
            ConvertTo-AzsConnectMessage -Message '/tmp/ca_bundle.pem: cannot read the CA bundle' -ParameterSet ClientSecret -Paths @{ '/tmp/ca_bundle.pem' = '-CaBundlePath' }
        }
        $translated | Should -Be '-CaBundlePath /tmp/ca_bundle.pem: cannot read the CA bundle'
    }
}

Describe 'Connect-AzsBillingEnvironment shows who signed in' {
    It 'a device code sign-in shows the user and the tenant id from the token, never the token' {
        # The emulator approves device codes itself, as its first user.
        $user = $script:Ready.users[0]
        $connection = Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_domain -UseDeviceAuthentication `
            -CaBundlePath $script:Ready.ca_pem -WarningAction SilentlyContinue
        $connection.CredentialType | Should -Be 'device_code'
        $connection.Account | Should -Be $user.upn
        $connection.AccountType | Should -Be 'user'
        # -Tenant was the domain; the token's tid gives the directory's id.
        $connection.Tenant | Should -Be $script:Ready.tenant_domain
        $connection.TenantId | Should -Be $script:Ready.tenant_id
        $shown = ($connection | Format-List * | Out-String) + ($connection | ConvertTo-Json -Depth 3)
        $shown | Should -Match ([regex]::Escape($user.upn))
        $shown | Should -Not -Match 'eyJ[\w-]+\.[\w-]+'
    }

    It 'a service principal shows its application id as an application' {
        $connection = Connect-Operator
        $connection.Account | Should -Be $script:Operator.client_id
        $connection.AccountType | Should -Be 'application'
        $connection.TenantId | Should -Be $script:Ready.tenant_id
    }
}

Describe 'Usage rows: default table view and CSV shape' {
    BeforeAll {
        $null = Connect-Operator
        $script:Rows = @(Get-AzsSubscriberUsage -ReportedStartTime $script:Day -ReportedEndTime $script:Day.AddDays(1) -AggregationGranularity Daily)
        # The rows with the longest units first: the hardest to fit.
        $script:Widest = @($script:Rows | Sort-Object { ([string]$_.Unit).Length } -Descending | Select-Object -First 6)
    }

    It 'at <Width> columns shows Quantity and Unit, whole, for every row' -ForEach @(@{ Width = 80 }, @{ Width = 120 }) {
        $script:Widest.Count | Should -BeGreaterThan 0
        $lines = @(($script:Widest | Format-Table | Out-String -Width $Width) -split "`r?`n" | Where-Object { $_.Trim() })
        $header = $lines[0]
        $header | Should -Match '\bQuantity\b'
        $header | Should -Match '\bUnit\b'
        $lines[1] | Should -Match '^-'
        $body = $lines[2..($lines.Count - 1)]
        $body.Count | Should -Be $script:Widest.Count
        for ($i = 0; $i -lt $body.Count; $i++) {
            $row = $script:Widest[$i]
            $body[$i].Length | Should -BeLessOrEqual $Width
            $body[$i] | Should -Match ([regex]::Escape($row.Unit))
            $body[$i] | Should -Match "(^|\s)$([regex]::Escape($row.Quantity.ToString('0.######')))(\s|$)"
        }
        if ($Width -ge 120) {
            $header | Should -Match '\bSubscriptionId\b'
            $body[0] | Should -Match ([regex]::Escape($script:Widest[0].SubscriptionId))
        }
    }

    It 'the help''s CSV recipe writes ISO 8601 UTC times that read back as the same instants, in any culture' {
        $sample = @($script:Rows | Select-Object -First 3)
        $csv = Join-Path $script:StateDir 'usage-times.csv'
        $culture = [System.Globalization.CultureInfo]::CurrentCulture
        try {
            [System.Globalization.CultureInfo]::CurrentCulture = 'de-DE'
            $sample | Select-Object *, @{ n = 'UsageStartTimeUtc'; e = { $_.UsageStartTime.ToString('o') } },
            @{ n = 'UsageEndTimeUtc'; e = { $_.UsageEndTime.ToString('o') } } | Export-Csv -Path $csv -NoTypeInformation
        } finally {
            [System.Globalization.CultureInfo]::CurrentCulture = $culture
        }
        $imported = @(Import-Csv -Path $csv)
        for ($i = 0; $i -lt $sample.Count; $i++) {
            $imported[$i].UsageStartTimeUtc | Should -Match 'Z$'
            [datetimeoffset]::Parse($imported[$i].UsageStartTimeUtc, [cultureinfo]::InvariantCulture).UtcDateTime | Should -Be $sample[$i].UsageStartTime
            [datetimeoffset]::Parse($imported[$i].UsageEndTimeUtc, [cultureinfo]::InvariantCulture).UtcDateTime | Should -Be $sample[$i].UsageEndTime
            $sample[$i].UsageStartTime | Should -BeOfType [datetime]
            $sample[$i].UsageStartTime.Kind | Should -Be 'Utc'
        }
        (Get-Help Get-AzsSubscriberUsage -Full | Out-String) | Should -Match "UsageStartTimeUtc'; e = \{ \`$_.UsageStartTime.ToString\('o'\)"
    }

    It 'Export-Csv writes Tags, Tag and AdditionalInfo as compact JSON that Import-Csv gives back' {
        $tagged = @($script:Rows | Where-Object { $_.Tags.Count -gt 0 } | Select-Object -First 5)
        $withInfo = @($script:Rows | Where-Object { $_.AdditionalInfo -is [hashtable] -and $_.AdditionalInfo.Count -gt 0 } | Select-Object -First 5)
        $untagged = @($script:Rows | Where-Object { $_.Tags.Count -eq 0 } | Select-Object -First 2)
        $tagged.Count | Should -BeGreaterThan 0
        $withInfo.Count | Should -BeGreaterThan 0
        $sample = @($tagged + $withInfo + $untagged)
        $csv = Join-Path $script:StateDir 'usage.csv'
        $sample | Export-Csv -Path $csv -NoTypeInformation
        (Get-Content -Raw $csv) | Should -Not -Match 'System\.Collections'
        $imported = @(Import-Csv -Path $csv)
        $imported.Count | Should -Be $sample.Count
        for ($i = 0; $i -lt $sample.Count; $i++) {
            $row = $sample[$i]
            $tags = $imported[$i].Tags | ConvertFrom-Json -AsHashtable
            $tags | Should -BeOfType [hashtable]
            $tags.Count | Should -Be $row.Tags.Count
            foreach ($key in $row.Tags.Keys) { $tags[$key] | Should -Be $row.Tags[$key] }
            if ($row.Tags.Count -eq 0) { $imported[$i].Tag | Should -BeNullOrEmpty } else { $imported[$i].Tag | Should -Be $imported[$i].Tags }
            if ($row.AdditionalInfo -is [hashtable]) {
                $info = $imported[$i].AdditionalInfo | ConvertFrom-Json -AsHashtable
                $info.Count | Should -Be $row.AdditionalInfo.Count
                foreach ($key in $row.AdditionalInfo.Keys) { [string]$info[$key] | Should -Be ([string]$row.AdditionalInfo[$key]) }
            }
            $imported[$i].Quantity | Should -Not -BeNullOrEmpty
        }
    }

    It 'keeps the property types scripts rely on' {
        $row = @($script:Rows | Where-Object { $_.Tags.Count -gt 0 })[0]
        $row.Tags | Should -BeOfType [hashtable]
        $row.Tags -is [hashtable] | Should -BeTrue
        $key = @($row.Tags.Keys)[0]
        $row.Tags[$key.ToUpperInvariant()] | Should -Be $row.Tags[$key]
        $row.Tag | Should -BeOfType [hashtable]
        $row.PSObject.Properties['Tags'].TypeNameOfValue | Should -Be 'System.Collections.Hashtable'
        $row.UsageStartTime | Should -BeOfType [datetime]
        $row.UsageStartTime.Kind | Should -Be 'Utc'
        $row.PSObject.Properties['UsageStartTime'].TypeNameOfValue | Should -Be 'System.DateTime'
        # ConvertTo-Json still sees a dictionary, not a string.
        ($row | ConvertTo-Json -Depth 4 | ConvertFrom-Json).Tags.$key | Should -Be $row.Tags[$key]
    }
}

Describe 'README: the emulator walk-through' {
    BeforeAll {
        $readme = Get-Content -Raw (Join-Path $script:Repo 'README.md')
        $marker = '<!-- walkthrough: tests/pester/ConnectionAndShape.Tests.ps1 runs the next code block -->'
        $at = $readme.IndexOf($marker)
        $at | Should -BeGreaterThan 0 -Because 'README.md marks its walk-through block'
        $match = [regex]::Match($readme.Substring($at), '```powershell\r?\n(?<code>.*?)\r?\n```', 'Singleline')
        $match.Success | Should -BeTrue
        $script:Walkthrough = $match.Groups['code'].Value
        $script:Readme = $readme
    }

    It 'runs as written against the emulator, in a fresh session, every variable defined (strict mode)' {
        $script = Join-Path $script:StateDir 'walkthrough.ps1'
        # Strict mode makes any variable the block uses but never defines an error.
        Set-Content -Path $script -Value ("Set-StrictMode -Version Latest`n`$ErrorActionPreference = 'Stop'`n" + $script:Walkthrough)
        $moduleRoot = Split-Path (Split-Path $script:ModulePath -Parent) -Parent
        $env:PSModulePath, $saved = "$moduleRoot$([System.IO.Path]::PathSeparator)$env:PSModulePath", $env:PSModulePath
        try {
            # The ready file is in the working directory, as the README says.
            Push-Location $script:StateDir
            $output = & $script:Pwsh -NoProfile -NonInteractive -File $script 2>&1 | Out-String
            $exit = $LASTEXITCODE
        } finally {
            Pop-Location
            $env:PSModulePath = $saved
        }
        $exit | Should -Be 0 -Because $output
        $output | Should -Match 'RegisteredAndActivated'
        $output | Should -Match ([regex]::Escape($script:Ready.azure.users[0].upn))
        $output | Should -Match ([regex]::Escape($script:Ready.dataset.first_tenant_subscription_id))
    }

    It 'takes the Azure side from the ready line (azure.arm), not -Cloud AzureCloud' {
        $script:Walkthrough | Should -Match '-ArmEndpoint \$ready\.azure\.arm'
        $script:Walkthrough | Should -Not -Match '-Cloud AzureCloud'
    }

    It 'documents every field of the ready line' {
        $names = [System.Collections.Generic.HashSet[string]]::new()
        function Add-FieldName($Value) {
            if ($Value -is [System.Management.Automation.PSCustomObject]) {
                foreach ($p in $Value.PSObject.Properties) { $null = $names.Add($p.Name); Add-FieldName $p.Value }
            } elseif ($Value -is [array]) {
                foreach ($item in $Value) { Add-FieldName $item }
            }
        }
        Add-FieldName $script:Ready
        $start = $script:Readme.IndexOf('| Field | Meaning |')
        $start | Should -BeGreaterThan 0
        $table = ($script:Readme.Substring($start) -split "`n`n")[0]
        $missing = @($names | Where-Object { $table -notmatch "``$([regex]::Escape($_))``" })
        $missing | Should -BeNullOrEmpty -Because 'the README table names every ready-line field'
    }
}
