#Requires -Version 7.4
# Pester 5 tests that the usage and subscription commands give the right bill: a Usagesummary.ps1-style loop over
# a stamp with delegated-provider (reseller) tenants, a page that fails after retries, the Azs.Subscriptions.Admin
# meaning of Get-AzsUserSubscription's parameters, -Connection, and times in a zone with daylight saving (child
# pwsh processes with TZ set, since the zone of a running process cannot change). Environment as in run.sh.

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:ModulePath = if ($env:AZSB_MODULE) { $env:AZSB_MODULE } else { Join-Path $repo 'target/powershell/AzsBilling/AzsBilling.psd1' }
    $script:Pwsh = if ($env:AZSB_PWSH) { $env:AZSB_PWSH } else { [Environment]::ProcessPath }
    $env:AZSB_README = Join-Path $repo 'README.md'

    . (Join-Path $PSScriptRoot 'TestEmulator.ps1')
    # 20 subscriptions: two are a delegated provider's tenants. 45 days up to today, so windows relative to
    # [datetime]::UtcNow (the README's examples) and the last autumn daylight saving change have data.
    $script:EmulatorRun = Start-TestEmulator -Arguments @('--seed', '23', '--subscriptions', '20', '--resources-per-subscription', '3', '--days', '45')
    $script:Ready = $script:EmulatorRun.Ready
    $script:StateDir = $script:EmulatorRun.StateDir
    $script:ReadyPath = Join-Path $script:StateDir 'ready.json'
    $script:Operator = $script:Ready.service_principals | Where-Object name -EQ 'operator'
    $script:TenantSp = $script:Ready.service_principals | Where-Object name -EQ 'tenant'
    $script:ProviderSub = $script:Ready.default_provider_subscription_id
    $script:FirstTenantSub = $script:Ready.dataset.first_tenant_subscription_id
    $script:Control = $script:Ready.control

    Import-Module $script:ModulePath -Force -ErrorAction Stop

    function New-SpCredential([object] $Sp) {
        [pscredential]::new($Sp.client_id, (ConvertTo-SecureString $Sp.client_secret -AsPlainText -Force))
    }

    function Connect-Operator {
        param([hashtable] $Extra = @{})
        Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id `
            -Credential (New-SpCredential $script:Operator) -CaBundlePath $script:Ready.ca_pem @Extra
    }

    function Set-EmulatorFault([string[]] $Rules) { Set-TestEmulatorFault -Control $script:Control -Rules $Rules }
    function Clear-EmulatorFault { Clear-TestEmulatorFault -Control $script:Control }

    function Test-FaultStillArmed {
        # True when the armed 429 was not consumed, i.e. nothing reached the admin endpoint.
        $probe = Invoke-WebRequest -Uri "$($script:Ready.admin_arm)metadata/endpoints?api-version=2015-01-01" -SkipCertificateCheck -SkipHttpErrorCheck
        $probe.StatusCode -eq 429
    }

    # The emulator's exact totals of a provider query; a refused query (e.g. a delegated provider's tenant as
    # subscriberId) is 0 rows, which is what a correct bill holds for it.
    function Get-ProviderTotal([datetime] $Start, [datetime] $End, [string] $Granularity, [string] $SubscriberId) {
        $uri = "$($script:Control)usage/totals?api=provider&subscription=$($script:ProviderSub)" +
            "&reportedStartTime=$($Start.ToString('yyyy-MM-ddTHH:mm:ssZ'))&reportedEndTime=$($End.ToString('yyyy-MM-ddTHH:mm:ssZ'))&aggregationGranularity=$Granularity"
        if ($SubscriberId) { $uri += "&subscriberId=$SubscriberId" }
        $answer = Invoke-WebRequest -Uri $uri -SkipCertificateCheck -SkipHttpErrorCheck
        if ($answer.StatusCode -eq 400 -and $answer.Content -match 'SubscriberIdIsNotDirectTenant') { return [pscustomobject]@{ rows = 0; refused = $true } }
        if ($answer.StatusCode -ne 200) { throw "totals: HTTP $($answer.StatusCode) $($answer.Content)" }
        $answer.Content | ConvertFrom-Json
    }

    # Runs a script in a child pwsh (optionally in time zone $Tz) that connects as the operator first; its
    # last output line must be JSON. Returns the parsed object.
    function Invoke-Child([string] $Body, [string] $Tz) {
        $file = Join-Path $script:StateDir "child-$([guid]::NewGuid().ToString('n')).ps1"
        $prologue = @'
param($ModulePath, $ReadyPath, $OutDir)
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath -ErrorAction Stop
$ready = Get-Content -Raw $ReadyPath | ConvertFrom-Json
$op = $ready.service_principals | Where-Object name -EQ 'operator'
$cred = [pscredential]::new($op.client_id, (ConvertTo-SecureString $op.client_secret -AsPlainText -Force))
$null = Connect-AzsBillingEnvironment -ArmEndpoint $ready.admin_arm -Tenant $ready.tenant_id -Credential $cred -CaBundlePath $ready.ca_pem -ErrorAction Stop

'@
        Set-Content -Path $file -Value ($prologue + $Body)
        $previous = $env:TZ
        if ($Tz) { $env:TZ = $Tz }
        try {
            $output = & $script:Pwsh -NoProfile -NonInteractive -File $file -ModulePath $script:ModulePath -ReadyPath $script:ReadyPath -OutDir $script:StateDir 2>&1
            $exit = $LASTEXITCODE
        } finally {
            if ($null -eq $previous) { Remove-Item Env:TZ -ErrorAction SilentlyContinue } else { $env:TZ = $previous }
        }
        $exit | Should -Be 0 -Because ($output | Out-String)
        ($output | Select-Object -Last 1) | ConvertFrom-Json
    }

    $null = Connect-Operator
    $script:Subscriptions = @(Get-AzsUserSubscription)
    $script:DayEnd = [datetime]::UtcNow.Date.AddDays(-1)
    $script:DayStart = $script:DayEnd.AddDays(-3)
}

AfterAll {
    Get-Module AzsBilling | Remove-Module -Force -ErrorAction SilentlyContinue
    Stop-TestEmulator $script:EmulatorRun
}

Describe 'Delegated-provider (reseller) tenants' {
    It 'Get-AzsUserSubscription says which subscriptions are direct tenants of the provider subscription' {
        $script:Subscriptions.Count | Should -Be 20
        @($script:Subscriptions[0].PSObject.Properties.Name) | Should -Contain 'IsDirectTenant'
        $delegated = @($script:Subscriptions | Where-Object { -not $_.IsDirectTenant })
        $delegated.Count | Should -Be 2
        foreach ($s in $script:Subscriptions) {
            $s.IsDirectTenant | Should -BeOfType [bool]
            $s.IsDirectTenant | Should -Be ($s.DelegatedProviderSubscriptionId -eq $script:ProviderSub) -Because $s.SubscriptionId
        }
    }

    It 'the default table of Get-AzsUserSubscription shows IsDirectTenant' {
        # An operator reading the table must see which rows the provider API bills without Select-Object.
        $table = ($script:Subscriptions | Format-Table | Out-String -Width 250) -split "`n"
        $header = $table | Where-Object { $_ -match '\bSubscriptionId\b' } | Select-Object -First 1
        $header | Should -Match '\bIsDirectTenant\b'
        $delegated = $script:Subscriptions | Where-Object { -not $_.IsDirectTenant } | Select-Object -First 1
        $line = $table | Where-Object { $_ -match [regex]::Escape($delegated.SubscriptionId) }
        $line | Should -Match '\bFalse\s*$'
    }

    It 'a Usagesummary.ps1-style loop (`$result = ...` per subscription, -ErrorAction SilentlyContinue, Export-Csv) bills every subscription exactly' {
        # The AzureStack-Tools pattern, run as a plain script in a fresh pwsh: a statement-terminating error
        # would leave $result holding the previous tenant's rows and export them again under this tenant.
        $child = Invoke-Child -Body @'
$csv = Join-Path $OutDir 'usagesummary.csv'
$start = [datetime]::UtcNow.Date.AddDays(-4)
$end = [datetime]::UtcNow.Date.AddDays(-1)
$errors = @()
$subscriptions = Get-AzsUserSubscription
foreach ($sub in $subscriptions) {
    $result = Get-AzsSubscriberUsage -ReportedStartTime $start -ReportedEndTime $end -AggregationGranularity Daily -SubscriberId $sub.SubscriptionId -ErrorAction SilentlyContinue -ErrorVariable failed
    if ($failed) { $errors += [pscustomobject]@{ SubscriptionId = $sub.SubscriptionId; Id = $failed[0].FullyQualifiedErrorId } }
    $usageSummary = foreach ($r in $result) {
        [pscustomobject]@{
            BilledSubscription = $sub.SubscriptionId
            Owner              = $sub.Owner
            SubscriptionId     = $r.SubscriptionId
            MeterId            = $r.MeterId
            UsageStartTime     = $r.UsageStartTime.ToString('o')
            Quantity           = $r.Quantity
        }
    }
    $usageSummary | Export-Csv -Path $csv -Append -NoTypeInformation
}
[pscustomobject]@{ Csv = $csv; Errors = $errors } | ConvertTo-Json -Compress -Depth 4
'@
        $rows = @(Import-Csv $child.Csv)
        $total = Get-ProviderTotal $script:DayStart $script:DayEnd Daily
        $total.rows | Should -BeGreaterThan 0
        $rows.Count | Should -Be $total.rows -Because 'every direct tenant once, and no delegated provider''s tenant'
        $rows | Where-Object { $_.SubscriptionId -ne $_.BilledSubscription } | Should -BeNullOrEmpty -Because 'no row is billed to another owner'
        foreach ($s in $script:Subscriptions) {
            $expected = Get-ProviderTotal $script:DayStart $script:DayEnd Daily -SubscriberId $s.SubscriptionId
            @($rows | Where-Object BilledSubscription -EQ $s.SubscriptionId).Count | Should -Be $expected.rows -Because "subscription $($s.SubscriptionId) (direct: $($s.IsDirectTenant))"
            [bool]$expected.PSObject.Properties['refused'] | Should -Be (-not $s.IsDirectTenant)
        }
        @($child.Errors).Count | Should -Be 2
        @($child.Errors.Id | Sort-Object -Unique) | Should -Be 'AzsBilling.SubscriberIdIsNotDirectTenant,Get-AzsSubscriberUsage'
        @($child.Errors.SubscriptionId | Sort-Object) | Should -Be @($script:Subscriptions | Where-Object { -not $_.IsDirectTenant } | ForEach-Object SubscriptionId | Sort-Object)
    }

    It 'a refused -SubscriberId is a non-terminating error; -ErrorAction Stop makes it terminating' {
        $delegated = $script:Subscriptions | Where-Object { -not $_.IsDirectTenant } | Select-Object -First 1
        $result = 'previous'
        $result = Get-AzsSubscriberUsage -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -SubscriberId $delegated.SubscriptionId `
            -ErrorAction SilentlyContinue -ErrorVariable failed
        $result | Should -BeNullOrEmpty -Because 'the assignment happened'
        $failed.Count | Should -Be 1
        $failed[0].TargetObject.Code | Should -Be 'SubscriberIdIsNotDirectTenant'
        $failed[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failed[0].ErrorDetails.RecommendedAction | Should -Match 'IsDirectTenant'
        $err = { Get-AzsSubscriberUsage -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -SubscriberId $delegated.SubscriptionId -ErrorAction Stop } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'AzsBilling.SubscriberIdIsNotDirectTenant,Get-AzsSubscriberUsage'
    }

    It 'with several -SubscriptionId values, one failing query does not stop the others' {
        $other = [guid]::NewGuid().ToString()
        $rows = @(Get-AzsSubscriberUsage -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -SubscriptionId $other, $script:ProviderSub `
                -ErrorAction SilentlyContinue -ErrorVariable failed)
        $failed.Count | Should -Be 1
        $failed[0].TargetObject.SubscriptionId | Should -Be $other
        $rows.Count | Should -Be (Get-ProviderTotal $script:DayStart $script:DayEnd Daily).rows
    }
}

Describe 'A page that fails after retries' {
    BeforeAll {
        $script:HourEnd = [datetime]::UtcNow.Date.AddDays(-1)
        $script:HourStart = $script:HourEnd.AddDays(-2)
        $script:HourTotal = Get-ProviderTotal $script:HourStart $script:HourEnd Hourly
        $null = Connect-Operator -Extra @{ MaxRetries = 0 }
    }
    AfterAll {
        Clear-EmulatorFault
        $null = Connect-Operator
    }

    It 'writes a non-terminating error carrying the continuation token, and -ContinuationToken reads the rest exactly' {
        $script:HourTotal.pages | Should -BeGreaterThan 2
        $seen = 0
        $first = @(Get-AzsSubscriberUsage -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly `
                -ErrorAction SilentlyContinue -ErrorVariable failed | ForEach-Object {
                if ($seen -eq 0) { Set-EmulatorFault '503:count=1' }
                $seen++
                $_
            })
        $failed.Count | Should -Be 1 -Because 'a short result never comes without an error'
        $failed[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $failed[0].TargetObject.ContinuationToken | Should -Not -BeNullOrEmpty
        $failed[0].TargetObject.PagesRead | Should -Be 1
        $failed[0].TargetObject.RowsRead | Should -Be $first.Count
        $first.Count | Should -Be $script:Ready.page_size
        Clear-EmulatorFault
        $rest = @(Get-AzsSubscriberUsage -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly `
                -ContinuationToken $failed[0].TargetObject.ContinuationToken)
        ($first.Count + $rest.Count) | Should -Be $script:HourTotal.rows
        $keys = @($first + $rest | ForEach-Object { '{0}|{1}|{2:o}|{3}|{4}' -f $_.SubscriptionId, $_.MeterId, $_.UsageStartTime, $_.ResourceUri, $_.AdditionalInfo.Count })
        $all = @(Get-AzsSubscriberUsage -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly |
                ForEach-Object { '{0}|{1}|{2:o}|{3}|{4}' -f $_.SubscriptionId, $_.MeterId, $_.UsageStartTime, $_.ResourceUri, $_.AdditionalInfo.Count })
        $keys | Should -Be $all
    }

    It 'a later subscription of the same command still runs after one query failed' {
        Set-EmulatorFault '503:count=1'
        $rows = @(Get-AzsSubscriberUsage -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -SubscriptionId $script:ProviderSub, $script:ProviderSub `
                -ErrorAction SilentlyContinue -ErrorVariable failed)
        $failed.Count | Should -Be 1
        $failed[0].TargetObject.PagesRead | Should -Be 0
        $rows.Count | Should -Be (Get-ProviderTotal $script:DayStart $script:DayEnd Daily).rows
    }
}

Describe "The library's log in -Verbose and -Debug" {
    BeforeAll { $null = Connect-Operator }
    AfterEach { Clear-EmulatorFault }

    It 'shows the retry of an injected 503 in -Verbose, and the pages in -Debug, never the secret' {
        Set-EmulatorFault '503:count=1,path=usage'
        $output = Get-AzsSubscriberUsage -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -Verbose -Debug 4>&1 5>&1
        $rows = @($output | Where-Object { $_ -is [AzsBilling.UsageAggregate] })
        $verbose = @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $debug = @($output | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
        $rows.Count | Should -Be (Get-ProviderTotal $script:DayStart $script:DayEnd Daily).rows -Because 'the retry healed the page'
        $retries = @($verbose | Where-Object { $_ -match 'HTTP 503 Service Unavailable; retry 1 of \d+ in \d+ ms' })
        $retries.Count | Should -Be 1 -Because ($verbose -join "`n")
        $retries[0] | Should -Match '^GET https://[^ ?]+/providers/Microsoft\.Commerce\.Admin/subscriberUsageAggregates: '
        @($debug | Where-Object { $_ -match '^usage page 1: \d+ rows in \d+ ms' }).Count | Should -Be 1 -Because ($debug -join "`n")
        ($verbose + $debug) -join "`n" | Should -Not -Match ([regex]::Escape($script:Operator.client_secret))
    }

    It 'keeps the records out of the output without -Verbose' {
        Set-EmulatorFault '503:count=1,path=usage'
        $output = Get-AzsSubscriberUsage -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd 4>&1 5>&1
        @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -or $_ -is [System.Management.Automation.DebugRecord] }) |
            Should -BeNullOrEmpty
    }
}

Describe 'Get-AzsUserSubscription keeps the Azs.Subscriptions.Admin parameter meanings' {
    BeforeAll { $null = Connect-Operator }
    AfterEach { Clear-EmulatorFault }

    It '-TargetSubscriptionId (also by position) is the tenant subscription' {
        (Get-AzsUserSubscription -TargetSubscriptionId $script:FirstTenantSub).SubscriptionId | Should -Be $script:FirstTenantSub
        (Get-AzsUserSubscription $script:FirstTenantSub.ToUpperInvariant()).SubscriptionId | Should -Be $script:FirstTenantSub
        $none = Get-AzsUserSubscription -TargetSubscriptionId ([guid]::NewGuid()) -ErrorAction SilentlyContinue -ErrorVariable failed
        $none | Should -BeNullOrEmpty
        $failed[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It '-SubscriptionId (and its alias -ProviderSubscriptionId) is the provider subscription listed under' {
        @(Get-AzsUserSubscription -SubscriptionId $script:ProviderSub).Count | Should -Be 20
        @(Get-AzsUserSubscription -ProviderSubscriptionId $script:ProviderSub).Count | Should -Be 20
        $one = Get-AzsUserSubscription -SubscriptionId $script:ProviderSub -TargetSubscriptionId $script:FirstTenantSub
        $one.SubscriptionId | Should -Be $script:FirstTenantSub
        # A tenant subscription given as -SubscriptionId is not a provider: never that tenant's own record.
        $wrong = @(Get-AzsUserSubscription -SubscriptionId $script:FirstTenantSub -ErrorAction SilentlyContinue -ErrorVariable failed)
        ($wrong.Count -eq 1 -and $wrong[0].SubscriptionId -eq $script:FirstTenantSub) | Should -BeFalse
    }

    It '-TargetSubscriptionId gets that one subscription from the service, not the whole list' {
        # A fault on that subscription's own path: only a request for it consumes the fault (the list's path
        # does not name it).
        Set-EmulatorFault "429:count=1,target=admin,path=$($script:FirstTenantSub)"
        (Get-AzsUserSubscription -TargetSubscriptionId $script:FirstTenantSub).SubscriptionId | Should -Be $script:FirstTenantSub
        $probe = Invoke-WebRequest -Uri "$($script:Ready.admin_arm)subscriptions/$($script:ProviderSub)/providers/Microsoft.Subscriptions.Admin/subscriptions/$($script:FirstTenantSub)?api-version=2015-11-01" `
            -SkipCertificateCheck -SkipHttpErrorCheck
        $probe.StatusCode | Should -Not -Be 429 -Because 'the cmdlet asked the service for that subscription'
    }

    It '-TargetSubscriptionId and -Filter do not go together, as in Azs.Subscriptions.Admin' {
        { Get-AzsUserSubscription -TargetSubscriptionId $script:FirstTenantSub -Filter "state eq 'Enabled'" } |
            Should -Throw -ErrorId 'AmbiguousParameterSet*'
    }

    It 'refuses a non-GUID <Name> before any request is sent' -ForEach @(
        @{ Name = '-TargetSubscriptionId'; Splat = @{ TargetSubscriptionId = 'my-subscription' } }
        @{ Name = '-SubscriptionId'; Splat = @{ SubscriptionId = 'my-provider' } }
    ) {
        Set-EmulatorFault '429:count=1,target=admin'
        $err = { Get-AzsUserSubscription @Splat } | Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'GUID'
        Test-FaultStillArmed | Should -BeTrue -Because 'nothing was sent'
    }
}

Describe '-Connection picks the connection, whichever is current' {
    BeforeAll {
        $script:Admin = Connect-Operator
        $script:Tenant = Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.tenant_arm -Tenant $script:Ready.tenant_id `
            -Credential (New-SpCredential $script:TenantSp) -CaBundlePath $script:Ready.ca_pem
    }
    AfterAll {
        $script:Tenant | Disconnect-AzsBillingEnvironment
        $null = Connect-Operator
    }

    It 'the admin commands use -Connection while a tenant connection is current' {
        @(Get-AzsUserSubscription -Connection $script:Admin).Count | Should -Be 20
        @(Get-AzsSubscriberUsage -Connection $script:Admin -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd).Count |
            Should -Be (Get-ProviderTotal $script:DayStart $script:DayEnd Daily).rows
        { Get-AzsUserSubscription } | Should -Throw -ExpectedMessage '*Default Provider Subscription*' -Because 'the current connection is the tenant one'
    }

    It 'Get-AzsTenantUsage uses -Connection and its subscription' {
        $rows = @(Get-AzsTenantUsage -Connection $script:Tenant -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd)
        $rows.Count | Should -BeGreaterThan 0
        $rows | Where-Object SubscriptionId -NE $script:FirstTenantSub | Should -BeNullOrEmpty
    }

    It 'refuses a connection that was disconnected' {
        $gone = Connect-Operator
        $gone | Disconnect-AzsBillingEnvironment
        $err = { Get-AzsUserSubscription -Connection $gone } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'AzsBilling.ConnectionNotOpen,Get-AzsUserSubscription'
        $err = { Get-AzsSubscriberUsage -Connection $gone -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'AzsBilling.ConnectionNotOpen,Get-AzsSubscriberUsage'
    }
}

Describe 'Times in a zone with daylight saving (child pwsh, TZ=America/New_York)' {
    BeforeAll {
        if (-not $IsLinux -and -not $IsMacOS) { return }
        # The last autumn change in New York (first Sunday of November) before today, and the README's window.
        $year = [datetime]::UtcNow.Year
        $november = [datetime]::new($year, 11, 1)
        $fallBack = $november.AddDays((7 - [int]$november.DayOfWeek) % 7)
        if ($fallBack.AddDays(2) -gt [datetime]::UtcNow) {
            $november = [datetime]::new($year - 1, 11, 1)
            $fallBack = $november.AddDays((7 - [int]$november.DayOfWeek) % 7)
        }
        $script:FallBack = $fallBack.ToString('yyyy-MM-dd')
        $script:Zone = Invoke-Child -Tz 'America/New_York' -Body @'
$week = [datetime]::UtcNow.Date
$readme = Get-Content -Raw $env:AZSB_README
$block = [regex]::Matches($readme, '(?s)```powershell\r?\n(.*?)```') | ForEach-Object { $_.Groups[1].Value } | Where-Object { $_ -match 'Get-AzsSubscriberUsage' } | Select-Object -First 1
# Run the block without its Import-Module and Connect-AzsBillingEnvironment statements (this process is connected).
$lines = $block -split '\r?\n'
$kept = [System.Collections.Generic.List[string]]::new()
$skipping = $false
foreach ($line in $lines) {
    if ($line -match '^\s*(Import-Module|Connect-AzsBillingEnvironment)\b') { $skipping = $true }
    if (-not $skipping) { $kept.Add($line) }
    if ($skipping -and -not $line.TrimEnd().EndsWith('`')) { $skipping = $false }
}
$Error.Clear()
$readmeOutput = @(& ([scriptblock]::Create($kept -join "`n")))
$readmeErrors = @($Error)
$oldExample = try { $null = Get-AzsSubscriberUsage -ReportedStartTime (Get-Date).Date.AddDays(-7) -ReportedEndTime (Get-Date).Date -ErrorAction Stop; 'no error' } catch { $_.Exception.Message }
$utcStart = [datetime]::SpecifyKind([datetime]'FALLBACK', 'Utc').AddDays(-1)
$key = { @($input | ForEach-Object { '{0}|{1}|{2:o}|{3}' -f $_.SubscriptionId, $_.MeterId, $_.UsageStartTime, $_.Quantity }) -join "`n" }
$byUtc = Get-AzsSubscriberUsage -ReportedStartTime $utcStart -ReportedEndTime $utcStart.AddDays(1) | & $key
$byOffset = Get-AzsSubscriberUsage -ReportedStartTime ([datetimeoffset]::new($utcStart.AddHours(-5).Ticks, [timespan]::FromHours(-5))) -ReportedEndTime ([datetimeoffset]::new($utcStart.AddDays(1).Ticks, [timespan]::Zero)) | & $key
$verbose = Get-AzsSubscriberUsage -ReportedStartTime ([datetime]'FALLBACK') -ReportedEndTime ([datetime]'FALLBACK').AddDays(1) -AggregationGranularity Hourly -Verbose -WarningVariable dst 4>&1 3>$null |
    Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
$utcWarnings = @()
$null = Get-AzsSubscriberUsage -ReportedStartTime $utcStart -ReportedEndTime $utcStart.AddDays(1) -AggregationGranularity Hourly -WarningVariable +utcWarnings 3>$null
[pscustomobject]@{
    Offset          = [TimeZoneInfo]::Local.GetUtcOffset([datetime]::UtcNow).TotalMinutes
    ReadmeErrors    = @($readmeErrors | ForEach-Object { "$_" })
    ReadmeOutput    = $readmeOutput.Count
    ReadmeQuantity  = ($readmeOutput | Where-Object { $_.PSObject.Properties['Quantity'] } | Measure-Object Quantity -Sum).Sum
    WeekQuantity    = (Get-AzsSubscriberUsage -ReportedStartTime $week.AddDays(-7) -ReportedEndTime $week | Measure-Object Quantity -Sum).Sum
    OldExample      = $oldExample
    ByUtc           = $byUtc
    ByOffset        = $byOffset
    Verbose         = @($verbose)
    DstWarnings     = @($dst | ForEach-Object { "$_" })
    UtcWarnings     = @($utcWarnings | ForEach-Object { "$_" })
} | ConvertTo-Json -Compress -Depth 4
'@.Replace('FALLBACK', $script:FallBack)
    }

    It 'runs in a zone that is not UTC' {
        if (-not $IsLinux -and -not $IsMacOS) { Set-ItResult -Skipped -Because 'TZ selects the zone on Unix only'; return }
        $script:Zone.Offset | Should -BeIn @(-300, -240)
    }

    It 'runs the README''s PowerShell example without an error and bills the last seven UTC days' {
        if (-not $IsLinux -and -not $IsMacOS) { Set-ItResult -Skipped -Because 'TZ selects the zone on Unix only'; return }
        @($script:Zone.ReadmeErrors) | Should -BeNullOrEmpty
        $script:Zone.ReadmeOutput | Should -BeGreaterThan 0
        $script:Zone.WeekQuantity | Should -BeGreaterThan 0
        [math]::Abs($script:Zone.ReadmeQuantity - $script:Zone.WeekQuantity) | Should -BeLessThan (1e-9 * $script:Zone.WeekQuantity) -Because 'the same rows, summed in another order'
    }

    It 'says why (Get-Date).Date fails for Daily usage outside UTC, and what to give instead' {
        if (-not $IsLinux -and -not $IsMacOS) { Set-ItResult -Skipped -Because 'TZ selects the zone on Unix only'; return }
        $script:Zone.OldExample | Should -Match 'read as local time'
        $script:Zone.OldExample | Should -Match ([regex]::Escape('[datetime]::UtcNow.Date'))
    }

    It 'accepts [datetimeoffset] arguments as their instant' {
        if (-not $IsLinux -and -not $IsMacOS) { Set-ItResult -Skipped -Because 'TZ selects the zone on Unix only'; return }
        $script:Zone.ByUtc | Should -Not -BeNullOrEmpty
        $script:Zone.ByOffset | Should -Be $script:Zone.ByUtc
    }

    It 'says in -Verbose how each DateTime was read, and warns of a local window across the daylight saving change' {
        if (-not $IsLinux -and -not $IsMacOS) { Set-ItResult -Skipped -Because 'TZ selects the zone on Unix only'; return }
        $start = @($script:Zone.Verbose | Where-Object { $_ -like '-ReportedStartTime*' })
        $start.Count | Should -Be 1
        $start[0] | Should -Match 'Kind Unspecified'
        $start[0] | Should -Match 'read as local time \(America/New_York, UTC-04:00 then\)'
        $start[0] | Should -Match ([regex]::Escape("$($script:FallBack)T04:00:00Z"))
        @($script:Zone.Verbose | Where-Object { $_ -like '-ReportedEndTime*' })[0] | Should -Match 'UTC-05:00 then'
        @($script:Zone.DstWarnings).Count | Should -Be 1
        $script:Zone.DstWarnings[0] | Should -Match 'daylight saving'
        $script:Zone.DstWarnings[0] | Should -Match '25 hours'
        @($script:Zone.UtcWarnings) | Should -BeNullOrEmpty
    }
}
