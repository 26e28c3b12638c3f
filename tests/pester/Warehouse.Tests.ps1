#Requires -Version 7.4
# Pester 5 tests of the usage warehouse commands against a spawned emulator: a sync stores exactly the rows the
# emulator says the reported window holds, a second sync is a no-op, progress comes per window, a stopped
# pipeline (what Ctrl+C does) cancels and keeps what was committed, a resume completes the store, the stored
# sums are exact, the default store, and the errors. Environment as in run.sh.

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:ModulePath = if ($env:AZSB_MODULE) { $env:AZSB_MODULE } else { Join-Path $repo 'target/powershell/AzsBilling/AzsBilling.psd1' }
    $script:Pwsh = if ($env:AZSB_PWSH) { $env:AZSB_PWSH } else { [Environment]::ProcessPath }

    . (Join-Path $PSScriptRoot 'TestEmulator.ps1')
    $script:EmulatorRun = Start-TestEmulator -Arguments @('--seed', '31', '--subscriptions', '6', '--resources-per-subscription', '2', '--days', '12')
    $script:Ready = $script:EmulatorRun.Ready
    $script:StateDir = $script:EmulatorRun.StateDir
    $script:Control = $script:Ready.control
    $script:Operator = $script:Ready.service_principals | Where-Object name -EQ 'operator'
    $script:TenantSp = $script:Ready.service_principals | Where-Object name -EQ 'tenant'
    $script:ProviderSub = $script:Ready.default_provider_subscription_id

    Import-Module $script:ModulePath -Force -ErrorAction Stop

    function New-SpCredential([object] $Sp) {
        [pscredential]::new($Sp.client_id, (ConvertTo-SecureString $Sp.client_secret -AsPlainText -Force))
    }
    function Connect-Operator {
        Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id `
            -Credential (New-SpCredential $script:Operator) -CaBundlePath $script:Ready.ca_pem
    }
    # Measure-Object sums in double; a bill's check must not.
    function Get-DecimalSum([object[]] $Values) {
        $total = [decimal]0
        foreach ($v in $Values) { $total += [decimal]$v }
        $total
    }
    function New-StorePath { Join-Path $script:StateDir "store-$([guid]::NewGuid().ToString('n')).db" }

    # A fixed reported window, so the emulator's totals route can say what it holds.
    $script:Start = [datetime]::SpecifyKind([datetime]::UtcNow.Date.AddDays(-8), 'Utc')
    $script:Until = $script:Start.AddDays(6)

    function Get-Total([string] $Api, [string] $Subscription, [string] $Granularity = 'Hourly') {
        $uri = "$($script:Control)usage/totals?api=$Api&subscription=$Subscription" +
            "&reportedStartTime=$($script:Start.ToString('yyyy-MM-ddTHH:mm:ssZ'))&reportedEndTime=$($script:Until.ToString('yyyy-MM-ddTHH:mm:ssZ'))&aggregationGranularity=$Granularity"
        $t = Invoke-RestMethod -Uri $uri -SkipCertificateCheck
        [pscustomobject]@{ Rows = [long]$t.rows; Quantity = [decimal]::Parse($t.quantity_micros, [cultureinfo]::InvariantCulture) / 1000000 }
    }
    # Every stored row of the store, summed: wide enough a usage range that nothing falls outside.
    function Get-StoredTotal([string] $Store, [string] $Granularity = 'Hourly', [string] $SubscriptionId) {
        $extra = @{}
        if ($SubscriptionId) { $extra.SubscriptionId = $SubscriptionId }
        $sums = @(Get-AzsStoredUsage -Store $Store -From $script:Start.AddDays(-30) -To $script:Until.AddDays(2) -GroupBy Month -AggregationGranularity $Granularity @extra)
        [pscustomobject]@{
            Rows     = [long]($sums | Measure-Object Rows -Sum).Sum
            Quantity = Get-DecimalSum ($sums | ForEach-Object Quantity)
            Sums     = $sums
        }
    }

    $null = Connect-Operator
    $script:ProviderTotal = Get-Total provider $script:ProviderSub
}

AfterAll {
    Get-Module AzsBilling | Remove-Module -Force
    Stop-TestEmulator $script:EmulatorRun
}

Describe 'Sync-AzsUsage' {
    It 'stores exactly the rows of the reported window, and a second sync is a no-op' {
        $store = New-StorePath
        $verbose = Sync-AzsUsage -Store $store -StartTime $script:Start -Until $script:Until -Verbose 4>&1
        $report = @($verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $report.Count | Should -Be 1
        $report[0].PSObject.TypeNames[0] | Should -Be 'AzsBilling.UsageSyncReport'
        $report[0].Rows | Should -Be $script:ProviderTotal.Rows
        $report[0].Windows | Should -Be 6
        $report[0].Watermark | Should -Be $script:Until
        $report[0].Watermark.Kind | Should -Be 'Utc'
        $report[0].Tenants | Should -BeGreaterThan 0
        $committed = @($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Committed:*' })
        $committed.Count | Should -Be 6
        $committed[-1].Message | Should -BeLike "Committed: 6 of 6 windows, $($script:ProviderTotal.Rows) rows,*"

        $stored = Get-StoredTotal $store
        $stored.Rows | Should -Be $script:ProviderTotal.Rows
        $stored.Quantity | Should -Be $script:ProviderTotal.Quantity
        $stored.Sums[0].Quantity | Should -BeOfType [decimal]

        $again = Sync-AzsUsage -Store $store -StartTime $script:Start -Until $script:Until
        $again.Windows | Should -Be 0
        $again.Rows | Should -Be 0
        (Get-StoredTotal $store).Rows | Should -Be $script:ProviderTotal.Rows
    }

    It 'syncs one subscription with the tenant API on a tenant connection' {
        $tenant = Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.tenant_arm -Tenant $script:Ready.tenant_id `
            -Credential (New-SpCredential $script:TenantSp) -CaBundlePath $script:Ready.ca_pem
        try {
            $store = New-StorePath
            $report = Sync-AzsUsage -Store $store -StartTime $script:Start -Until $script:Until -AggregationGranularity Daily -Connection $tenant
            $expected = Get-Total tenant $tenant.SubscriptionId Daily
            $report.Rows | Should -Be $expected.Rows
            $state = @(Get-AzsUsageSyncState -Store $store)
            $state.Count | Should -Be 1
            $state[0].Api | Should -Be 'Tenant'
            $state[0].SubscriptionId | Should -Be $tenant.SubscriptionId
            $state[0].AggregationGranularity | Should -Be 'Daily'
            (Get-StoredTotal $store Daily).Quantity | Should -Be $expected.Quantity
        } finally {
            $null = Connect-Operator
        }
    }

    It 'resolves a relative -Store against the current location' {
        $dir = Join-Path $script:StateDir "rel-$([guid]::NewGuid().ToString('n'))"
        $null = New-Item -ItemType Directory -Path $dir
        Push-Location $dir
        try {
            $null = Sync-AzsUsage -Store 'rel.db' -StartTime $script:Start -Until $script:Start.AddDays(1)
            $null = Sync-AzsUsage -Store 'sqlite:rel2.db' -StartTime $script:Start -Until $script:Start.AddDays(1)
        } finally {
            Pop-Location
        }
        Test-Path (Join-Path $dir 'rel.db') | Should -BeTrue
        Test-Path (Join-Path $dir 'rel2.db') | Should -BeTrue
    }

    It 'uses the per-user store when no -Store is given' {
        $data = Join-Path $script:StateDir "xdg-$([guid]::NewGuid().ToString('n'))"
        $file = Join-Path $script:StateDir 'default-store.ps1'
        Set-Content -Path $file -Value @'
param($ModulePath, $ReadyJson, $Start, $Until)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath
$ready = $ReadyJson | ConvertFrom-Json
$op = $ready.service_principals | Where-Object name -EQ 'operator'
$cred = [pscredential]::new($op.client_id, (ConvertTo-SecureString $op.client_secret -AsPlainText -Force))
$null = Connect-AzsBillingEnvironment -ArmEndpoint $ready.admin_arm -Tenant $ready.tenant_id -Credential $cred -CaBundlePath $ready.ca_pem
$report = Sync-AzsUsage -StartTime $Start -Until $Until
$state = @(Get-AzsUsageSyncState)
@{ store = $report.Store; rows = $report.Rows; cursors = $state.Count; state_rows = $state[0].Rows } | ConvertTo-Json -Compress
'@
        $previous = $env:XDG_DATA_HOME
        $env:XDG_DATA_HOME = $data
        try {
            $out = & $script:Pwsh -NoProfile -NonInteractive -File $file -ModulePath $script:ModulePath `
                -ReadyJson ($script:Ready | ConvertTo-Json -Depth 10 -Compress) -Start $script:Start.ToString('o') -Until $script:Start.AddDays(1).ToString('o') 2>&1
        } finally {
            if ($null -eq $previous) { Remove-Item Env:XDG_DATA_HOME } else { $env:XDG_DATA_HOME = $previous }
        }
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $answer = @($out)[-1] | ConvertFrom-Json
        $path = Join-Path $data 'azs-billing/usage.db'
        $answer.store | Should -Be "sqlite:$path"
        Test-Path $path | Should -BeTrue
        $answer.cursors | Should -Be 1
        $answer.state_rows | Should -Be $answer.rows
        $answer.rows | Should -BeGreaterThan 0
    }

    It 'cancels when the pipeline is stopped (Ctrl+C), keeps the committed windows, and a resume completes the store' {
        $store = New-StorePath
        Set-TestEmulatorFault -Control $script:Control -Rules @('latency:delay-ms=250,target=admin')
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($ModulePath, $Ready, $Sp, $Store, $Start, $Until)
                    $ProgressPreference = 'SilentlyContinue'
                    Import-Module $ModulePath
                    $cred = [pscredential]::new($Sp.client_id, (ConvertTo-SecureString $Sp.client_secret -AsPlainText -Force))
                    $null = Connect-AzsBillingEnvironment -ArmEndpoint $Ready.admin_arm -Tenant $Ready.tenant_id -Credential $cred -CaBundlePath $Ready.ca_pem
                    Sync-AzsUsage -Store $Store -StartTime $Start -Until $Until -Concurrency 1 -SliceHours 1
                }).AddArgument($script:ModulePath).AddArgument($script:Ready).AddArgument($script:Operator).AddArgument($store).AddArgument($script:Start).AddArgument($script:Until)
            $async = $ps.BeginInvoke()
            # Wait for the first committed window; reading the store does not wait for the running sync (once
            # the sync has created it: a second after the file appears, its schema is long committed).
            $deadline = [datetime]::UtcNow.AddSeconds(90)
            while (-not (Test-Path $store) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Start-Sleep -Seconds 1
            $rows = 0
            while ($rows -eq 0 -and [datetime]::UtcNow -lt $deadline -and -not $async.IsCompleted) {
                Start-Sleep -Milliseconds 200
                $rows = [long](@(Get-AzsUsageSyncState -Store $store) | Measure-Object Rows -Sum).Sum
            }
            $rows | Should -BeGreaterThan 0
            $async.IsCompleted | Should -BeFalse -Because 'the sync must still be running when it is stopped'
            $stopped = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $stopped.Elapsed.TotalSeconds | Should -BeLessThan 20
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        } finally {
            $ps.Dispose()
            Clear-TestEmulatorFault -Control $script:Control
        }
        $state = @(Get-AzsUsageSyncState -Store $store)
        $state.Count | Should -Be 1
        $state[0].LastError | Should -Match 'cancel'
        $state[0].Rows | Should -BeGreaterThan 0
        $state[0].Rows | Should -BeLessThan $script:ProviderTotal.Rows
        $state[0].Watermark | Should -BeLessThan $script:Until
        (Get-StoredTotal $store).Rows | Should -Be $state[0].Rows -Because 'the rolled-back window left no rows'

        $resumed = Sync-AzsUsage -Store $store -StartTime $script:Start -Until $script:Until
        $resumed.Rows | Should -Be ($script:ProviderTotal.Rows - $state[0].Rows)
        $final = Get-StoredTotal $store
        $final.Rows | Should -Be $script:ProviderTotal.Rows
        $final.Quantity | Should -Be $script:ProviderTotal.Quantity
        (Get-AzsUsageSyncState -Store $store)[0].LastError | Should -BeNullOrEmpty
    }

    It 'resumes after the syncing process is killed (-9) into the store of an uninterrupted sync' {
        # The row set: every stored row's key and quantity, in a stable order.
        function Get-RowSet([string] $Store) {
            (Get-AzsStoredUsage -Store $Store -From $script:Start.AddDays(-30) -To $script:Until.AddDays(2) |
                ForEach-Object { '{0:o}|{1}|{2}|{3}|{4}|{5:o}|{6}' -f $_.ReportedStartTime, $_.SubscriptionId, $_.MeterId, $_.ResourceUri, $_.AdditionalInfo, $_.UsageStartTime, $_.Quantity } |
                Sort-Object) -join "`n"
        }
        $reference = New-StorePath
        $null = Sync-AzsUsage -Store $reference -StartTime $script:Start -Until $script:Until -Concurrency 2 -SliceHours 3
        $store = New-StorePath
        $file = Join-Path $script:StateDir 'killed-sync.ps1'
        Set-Content -Path $file -Value @'
param($ModulePath, $ReadyPath, $Store, $Start, $Until)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath
$ready = Get-Content -Raw $ReadyPath | ConvertFrom-Json
$op = $ready.service_principals | Where-Object name -EQ 'operator'
$cred = [pscredential]::new($op.client_id, (ConvertTo-SecureString $op.client_secret -AsPlainText -Force))
$null = Connect-AzsBillingEnvironment -ArmEndpoint $ready.admin_arm -Tenant $ready.tenant_id -Credential $cred -CaBundlePath $ready.ca_pem
$null = Sync-AzsUsage -Store $Store -StartTime $Start -Until $Until -Concurrency 2 -SliceHours 3
'@
        Set-TestEmulatorFault -Control $script:Control -Rules @('latency:delay-ms=150,target=admin,path=Usage')
        try {
            $child = Start-Process -FilePath $script:Pwsh -PassThru -ArgumentList @('-NoProfile', '-NonInteractive', '-File', $file,
                '-ModulePath', $script:ModulePath, '-ReadyPath', (Join-Path $script:StateDir 'ready.json'),
                '-Store', $store, '-Start', $script:Start.ToString('o'), '-Until', $script:Until.ToString('o'))
            $deadline = [datetime]::UtcNow.AddSeconds(120)
            while (-not (Test-Path $store) -and [datetime]::UtcNow -lt $deadline -and -not $child.HasExited) { Start-Sleep -Milliseconds 100 }
            Start-Sleep -Seconds 1
            $rows = 0
            while ($rows -eq 0 -and [datetime]::UtcNow -lt $deadline -and -not $child.HasExited) {
                Start-Sleep -Milliseconds 100
                $rows = [long](@(Get-AzsUsageSyncState -Store $store) | Measure-Object Rows -Sum).Sum
            }
            $child.HasExited | Should -BeFalse -Because 'the sync must still be running when it is killed'
            Start-Sleep -Milliseconds 200
            # SIGKILL to the whole tree: a dotnet-tool pwsh is a launcher whose child runs the script.
            $child.Kill($true)
            $child.WaitForExit(10000) | Should -BeTrue
        } finally {
            Clear-TestEmulatorFault -Control $script:Control
        }
        $state = (Get-AzsUsageSyncState -Store $store)[0]
        $state.LastRunFinished | Should -BeNullOrEmpty -Because 'the killed run never finished'
        $state.Rows | Should -BeGreaterThan 0
        $state.Rows | Should -BeLessThan $script:ProviderTotal.Rows
        $null = Sync-AzsUsage -Store $store -StartTime $script:Start -Until $script:Until -Concurrency 2 -SliceHours 3
        (Get-RowSet $store) | Should -BeExactly (Get-RowSet $reference)
    }

    It 'writes a non-terminating error when the service keeps failing, and keeps the windows before it' {
        $store = New-StorePath
        $null = Sync-AzsUsage -Store $store -StartTime $script:Start -Until $script:Start.AddDays(2)
        $noRetries = Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id `
            -Credential (New-SpCredential $script:Operator) -CaBundlePath $script:Ready.ca_pem -MaxRetries 0
        Set-TestEmulatorFault -Control $script:Control -Rules @('503:target=admin,path=subscriberUsageAggregates')
        try {
            $report = Sync-AzsUsage -Store $store -StartTime $script:Start -Until $script:Until -Connection $noRetries -ErrorAction SilentlyContinue -ErrorVariable failed
        } finally {
            Clear-TestEmulatorFault -Control $script:Control
        }
        $report | Should -BeNullOrEmpty
        $failed.Count | Should -Be 1
        $failed[0].TargetObject.Store | Should -Be "sqlite:$store"
        $failed[0].TargetObject.HttpStatus | Should -Be 503
        $state = (Get-AzsUsageSyncState -Store $store)[0]
        $state.Watermark | Should -Be $script:Start.AddDays(2)
        $state.LastError | Should -Not -BeNullOrEmpty
        { Sync-AzsUsage -Store $store -StartTime $script:Start -Until $script:Until -ErrorAction Stop } | Should -Not -Throw
        (Get-AzsUsageSyncState -Store $store)[0].Rows | Should -Be $script:ProviderTotal.Rows
    }

    It 'refuses <Case> before anything is sent, naming the parameter' -ForEach @(
        @{ Case = 'a concurrency out of range'; Arguments = @{ Concurrency = 0 }; Message = '-Concurrency*1 to 64*' }
        @{ Case = 'a start off the hour'; Arguments = @{ StartTime = '2026-11-01T00:30:00Z' }; Message = '-StartTime*whole UTC hour*' }
        @{ Case = '-SubscriberId with the tenant API'; Arguments = @{ Api = 'Tenant'; SubscriberId = '6a1e2b3c-0000-4000-8000-000000000001' }; Message = '-SubscriberId*' }
        @{ Case = 'an unknown store scheme'; Arguments = @{ Store = 'mysql://db/usage' }; Message = '-Store*sqlite:PATH*' }
    ) {
        $given = @{ Store = (New-StorePath); StartTime = $script:Start; Until = $script:Until }
        foreach ($k in $Arguments.Keys) { $given[$k] = $Arguments[$k] }
        Set-TestEmulatorFault -Control $script:Control -Rules @('429:count=1,target=admin')
        try {
            $err = $null
            try { Sync-AzsUsage @given -ErrorAction Stop } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.ToString() | Should -BeLike $Message
            # The armed 429 is still there: nothing reached the stamp.
            (Invoke-WebRequest -Uri "$($script:Ready.admin_arm)metadata/endpoints?api-version=2015-01-01" -SkipCertificateCheck -SkipHttpErrorCheck).StatusCode | Should -Be 429
        } finally {
            Clear-TestEmulatorFault -Control $script:Control
        }
    }
}

Describe 'Get-AzsStoredUsage' {
    BeforeAll {
        $script:SumStore = New-StorePath
        $null = Sync-AzsUsage -Store $script:SumStore -StartTime $script:Start -Until $script:Until
    }

    It 'sums each local day of a time zone, and a zone-less bound is read in that zone' {
        $day = $script:Start.AddDays(2)
        $from = $day.ToString('yyyy-MM-dd')
        $sums = @(Get-AzsStoredUsage -Store $script:SumStore -From $from -To $day.AddDays(1).ToString('yyyy-MM-dd') -GroupBy Day -TimeZone 'Pacific/Auckland')
        $sums.Count | Should -BeGreaterThan 0
        $sums | ForEach-Object { $_.Period | Should -Be $from }
        # Auckland's midnight is 12 hours (NZST) or 13 (NZDT) before UTC's.
        $sums[0].PeriodStart.Kind | Should -Be 'Utc'
        ($day - $sums[0].PeriodStart).TotalHours | Should -BeIn @(12, 13)
        $sums[0].PSObject.TypeNames[0] | Should -Be 'AzsBilling.StoredUsageSummary'
        $sums[0].MeterName | Should -Not -BeNullOrEmpty
    }

    It 'gives the same month total per subscription and meter as the rows summed by hand' {
        $sub = (Get-AzsUserSubscription | Where-Object IsDirectTenant | Select-Object -First 1).SubscriptionId
        $byMeter = @(Get-AzsStoredUsage -Store $script:SumStore -From $script:Start.AddDays(-30) -To $script:Until.AddDays(2) -GroupBy Month -SubscriptionId $sub)
        $byMeter | ForEach-Object { $_.SubscriptionId | Should -Be $sub }
        $meter = $byMeter[0].MeterId
        $one = @(Get-AzsStoredUsage -Store $script:SumStore -From $script:Start.AddDays(-30) -To $script:Until.AddDays(2) -GroupBy Month -SubscriptionId $sub -MeterId $meter)
        ($one | Measure-Object Rows -Sum).Sum | Should -Be (($byMeter | Where-Object MeterId -EQ $meter) | Measure-Object Rows -Sum).Sum
        $all = @(Get-AzsStoredUsage -Store $script:SumStore -From $script:Start.AddDays(-30) -To $script:Until.AddDays(2) -GroupBy Day)
        $allDays = Get-DecimalSum ($all | Where-Object { $_.SubscriptionId -eq $sub -and $_.MeterId -eq $meter } | ForEach-Object Quantity)
        $allDays | Should -Be (Get-DecimalSum ($one | ForEach-Object Quantity))
    }

    It 'reads every stored row back, exact quantities in usage order' {
        $rows = @(Get-AzsStoredUsage -Store $script:SumStore -From $script:Start.AddDays(-30) -To $script:Until.AddDays(2))
        $rows.Count | Should -Be $script:ProviderTotal.Rows
        $rows[0].GetType().FullName | Should -Be 'AzsBilling.StoredUsageRow'
        $rows[0].Quantity | Should -BeOfType [decimal]
        $rows[0].UsageStartTime.Kind | Should -Be 'Utc'
        $rows[0].Owner | Should -Not -BeNullOrEmpty
        (Get-DecimalSum ($rows | ForEach-Object Quantity)) | Should -Be $script:ProviderTotal.Quantity
        for ($i = 1; $i -lt $rows.Count; $i++) { if ($rows[$i].UsageStartTime -lt $rows[$i - 1].UsageStartTime) { throw "row $i is out of usage order" } }
        $script:AllRows = $rows
    }

    It 'narrows rows and sums with the same filters' {
        $range = @{ Store = $script:SumStore; From = $script:Start.AddDays(-30); To = $script:Until.AddDays(2) }
        $compute = @(Get-AzsStoredUsage @range -Category compute)
        $compute.Count | Should -BeGreaterThan 0
        $compute.Count | Should -Be @($script:AllRows | Where-Object MeterCategory -EQ 'Compute').Count
        $tagged = $script:AllRows | Where-Object { $_.Tags['environment'] } | Select-Object -First 1
        $environment = $tagged.Tags['environment']
        @(Get-AzsStoredUsage @range -Tag @{ Environment = $environment }).Count |
            Should -Be @($script:AllRows | Where-Object { $_.Tags['environment'] -ceq $environment }).Count
        @(Get-AzsStoredUsage @range -Tag 'environment').Count | Should -Be @($script:AllRows | Where-Object { $null -ne $_.Tags['environment'] }).Count
        $vm = @(Get-AzsStoredUsage @range -ResourceType 'Microsoft.Compute/virtualMachines')
        $vm.Count | Should -BeGreaterThan 0
        $vm | ForEach-Object { $_.ResourceType | Should -Be 'virtualMachines' }
        $owner = $script:AllRows[0].Owner
        $held = @(Get-AzsStoredUsage @range -Owner $owner.ToUpperInvariant())
        $held.Count | Should -Be @($script:AllRows | Where-Object Owner -EQ $owner).Count
        $group = ($script:AllRows | Where-Object ResourceGroup | Select-Object -First 1).ResourceGroup
        @(Get-AzsStoredUsage @range -ResourceGroup $group).Count | Should -Be @($script:AllRows | Where-Object ResourceGroup -EQ $group).Count
        $sums = @(Get-AzsStoredUsage @range -GroupBy Month -Owner $owner)
        ($sums | Measure-Object Rows -Sum).Sum | Should -Be $held.Count
        (Get-DecimalSum ($sums | ForEach-Object Quantity)) | Should -Be (Get-DecimalSum ($held | ForEach-Object Quantity))
    }

    It 'refuses <Case>, naming the parameter' -ForEach @(
        @{ Case = 'an unknown category'; Arguments = @{ Category = 'Teleportation' }; Message = '-Category*Compute*' }
        @{ Case = 'two tags'; Arguments = @{ Tag = @{ a = '1'; b = '2' } }; Message = '-Tag takes one tag*' }
        @{ Case = 'an empty window'; Arguments = @{ To = '2020-01-01T00:00:00Z' }; Message = '-From*not before*' }
    ) {
        $given = @{ Store = $script:SumStore; From = $script:Start; To = $script:Until }
        foreach ($k in $Arguments.Keys) { $given[$k] = $Arguments[$k] }
        { Get-AzsStoredUsage @given -ErrorAction Stop } | Should -Throw $Message
    }

    It 'refuses a store that does not exist instead of creating one' {
        $missing = Join-Path $script:StateDir 'no-such-store.db'
        { Get-AzsStoredUsage -Store $missing -From $script:Start -To $script:Until -GroupBy Day -ErrorAction Stop } |
            Should -Throw "*-Store*$missing*Sync-AzsUsage*"
        { Get-AzsUsageSyncState -Store $missing -ErrorAction Stop } | Should -Throw '*no usage store*'
        Test-Path $missing | Should -BeFalse
    }

    It 'refuses an unknown time zone, naming it' {
        { Get-AzsStoredUsage -Store $script:SumStore -From $script:Start -To $script:Until -GroupBy Day -TimeZone 'Mars/Olympus' -ErrorAction Stop } |
            Should -Throw '*-TimeZone*Mars/Olympus*IANA*'
    }
}

Describe 'Export-AzsUsage' {
    BeforeAll {
        $script:ExportStore = New-StorePath
        $null = Sync-AzsUsage -Store $script:ExportStore -StartTime $script:Start -Until $script:Until
        $script:Range = @{ Store = $script:ExportStore; From = $script:Start.AddDays(-30); To = $script:Until.AddDays(2) }
    }

    It 'writes every row to CSV with invariant ISO 8601 times and exact quantities, in any culture' {
        $path = Join-Path $script:StateDir "export-$([guid]::NewGuid().ToString('n')).csv"
        $culture = [cultureinfo]::CurrentCulture
        [cultureinfo]::CurrentCulture = 'de-DE'
        try {
            $report = Export-AzsUsage -Path $path @script:Range
        } finally {
            [cultureinfo]::CurrentCulture = $culture
        }
        $report.PSObject.TypeNames[0] | Should -Be 'AzsBilling.UsageExportReport'
        $report.Rows | Should -Be $script:ProviderTotal.Rows
        $report.Bytes | Should -Be (Get-Item $path).Length
        $rows = @(Import-Csv $path)
        $rows.Count | Should -Be $script:ProviderTotal.Rows
        $rows[0].PSObject.Properties.Name | Select-Object -First 4 | Should -Be @('usage_start', 'usage_end', 'subscription_id', 'owner')
        $rows[0].usage_start | Should -Match '^\d{4}-\d\d-\d\dT\d\d:00:00Z$'
        (Get-DecimalSum ($rows | ForEach-Object { [decimal]::Parse($_.quantity, [cultureinfo]::InvariantCulture) })) | Should -Be $script:ProviderTotal.Quantity
    }

    It 'writes exactly the columns of Usagesummary.ps1 with -Layout Usagesummary' {
        $path = Join-Path $script:StateDir "summary-$([guid]::NewGuid().ToString('n')).csv"
        $null = Export-AzsUsage -Path $path -Layout Usagesummary @script:Range
        $rows = @(Import-Csv $path)
        $rows[0].PSObject.Properties.Name | Should -Be @('UsageStartTime', 'UsageEndTime', 'MeterName', 'Quantity', 'resourceType', 'location',
            'resourceGroup', 'resourceName', 'subowner', 'tags', 'MeterId', 'additionalInfo', 'subscription', 'resourceUri')
        $rows.Count | Should -Be $script:ProviderTotal.Rows
        $vm = $rows | Where-Object resourceUri -Like '*/virtualMachines/*' | Select-Object -First 1
        $vm.resourceType | Should -Be 'virtualMachines'
        $vm.resourceName | Should -Be ($vm.resourceUri -split '/')[8]
        $vm.subowner | Should -Not -BeNullOrEmpty
    }

    It 'writes one JSON object per line with -Format NdJson, narrowed by the filters' {
        $path = Join-Path $script:StateDir "export-$([guid]::NewGuid().ToString('n')).ndjson"
        $report = Export-AzsUsage -Path $path -Format NdJson -Category Compute @script:Range
        $lines = @(Get-Content $path)
        $lines.Count | Should -Be $report.Rows
        $lines.Count | Should -Be @(Get-AzsStoredUsage -Category Compute @script:Range).Count
        $lines | ForEach-Object { ($_ | ConvertFrom-Json).category | Should -Be 'Compute' }
    }

    It 'writes a Parquet dataset of one file per usage day with -Format Parquet' {
        $path = Join-Path $script:StateDir "dataset-$([guid]::NewGuid().ToString('n'))"
        $report = Export-AzsUsage -Path $path -Format Parquet @script:Range
        $report.Rows | Should -Be $script:ProviderTotal.Rows
        $files = @(Get-ChildItem -Recurse -File $path)
        $files.Count | Should -Be $report.Files
        $report.Bytes | Should -Be (($files | Measure-Object Length -Sum).Sum)
        $days = @($script:AllRows | ForEach-Object { $_.UsageStartTime.ToString('yyyy-MM-dd') } | Sort-Object -Unique)
        $files | ForEach-Object { $_.Name | Should -Be 'part-0.parquet' }
        @($files | ForEach-Object { $_.Directory.Name -replace '^usage_date=', '' } | Sort-Object) | Should -Be $days
        $files | ForEach-Object { $_.Directory.Parent.Name | Should -Be 'granularity=Hourly' }
    }

    It 'exports a reported window straight from the API with no store, the emulator''s exact rows' {
        $path = Join-Path $script:StateDir "live-$([guid]::NewGuid().ToString('n')).csv"
        $report = Export-AzsUsage -Path $path -ReportedStartTime $script:Start -ReportedEndTime $script:Until
        $report.Rows | Should -Be $script:ProviderTotal.Rows
        $rows = @(Import-Csv $path)
        $rows.Count | Should -Be $script:ProviderTotal.Rows
        (Get-DecimalSum ($rows | ForEach-Object { [decimal]::Parse($_.quantity, [cultureinfo]::InvariantCulture) })) | Should -Be $script:ProviderTotal.Quantity
        $rows | ForEach-Object { $_.cursor_id | Should -Be '0' }
        @($rows | Where-Object { -not $_.owner }).Count | Should -Be 0
        { Export-AzsUsage -Path $path -ReportedStartTime $script:Start -ReportedEndTime $script:Until -Api Tenant -SubscriberId $script:ProviderSub -ErrorAction Stop } |
            Should -Throw '*-SubscriberId*'
    }

    It 'resolves a relative -Path against the current location, and -NoClobber refuses an existing file' {
        $dir = Join-Path $script:StateDir "exp-$([guid]::NewGuid().ToString('n'))"
        $null = New-Item -ItemType Directory -Path $dir
        Push-Location $dir
        try {
            $null = Export-AzsUsage -Path 'rel.csv' @script:Range
            { Export-AzsUsage -Path 'rel.csv' -NoClobber @script:Range -ErrorAction Stop } | Should -Throw '*exists*-NoClobber*'
        } finally {
            Pop-Location
        }
        Test-Path (Join-Path $dir 'rel.csv') | Should -BeTrue
    }

    It 'leaves no file behind when the export fails, and refuses -Layout with NdJson' {
        $path = Join-Path $script:StateDir "failed-$([guid]::NewGuid().ToString('n')).csv"
        { Export-AzsUsage -Path $path -Category Teleportation @script:Range -ErrorAction Stop } | Should -Throw '*-Category*'
        Test-Path $path | Should -BeFalse
        @(Get-ChildItem $script:StateDir -Filter '*.partial-*').Count | Should -Be 0
        { Export-AzsUsage -Path $path -Format NdJson -Layout Usagesummary @script:Range -ErrorAction Stop } | Should -Throw '*-Layout*'
    }
}

