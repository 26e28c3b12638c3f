#Requires -Version 7.4
# Pester 5 tests of the warehouse commands on a PostgreSQL store (a private server, TestPostgres.ps1) against a
# spawned emulator: -Store takes a postgresql:// URL, a sync stores exactly the emulator's rows, the stored sums
# equal a SQLite store's, the password of a URL appears in no output, Verbose line or error, and a database
# never synced into is refused by the commands that only read. Environment as in run.sh.

BeforeAll {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:ModulePath = if ($env:AZSB_MODULE) { $env:AZSB_MODULE } else { Join-Path $repo 'target/powershell/AzsBilling/AzsBilling.psd1' }

    . (Join-Path $PSScriptRoot 'TestEmulator.ps1')
    . (Join-Path $PSScriptRoot 'TestPostgres.ps1')
    $script:EmulatorRun = Start-TestEmulator -Arguments @('--seed', '37', '--subscriptions', '5', '--resources-per-subscription', '2', '--days', '6')
    $script:Ready = $script:EmulatorRun.Ready
    $script:Postgres = Start-TestPostgres
    # Trust authentication ignores the password: it is there to be hidden.
    $script:Secret = 'pg-Secret-7f3a91'
    $script:PgUrl = "postgresql://azsb:$($script:Secret)@127.0.0.1:$($script:Postgres.Port)/usage"
    $script:Shown = "postgresql://azsb@127.0.0.1:$($script:Postgres.Port)/usage"

    Import-Module $script:ModulePath -Force -ErrorAction Stop
    $operator = $script:Ready.service_principals | Where-Object name -EQ 'operator'
    $credential = [pscredential]::new($operator.client_id, (ConvertTo-SecureString $operator.client_secret -AsPlainText -Force))
    $null = Connect-AzsBillingEnvironment -ArmEndpoint $script:Ready.admin_arm -Tenant $script:Ready.tenant_id `
        -Credential $credential -CaBundlePath $script:Ready.ca_pem
    $script:Start = [datetime]::SpecifyKind([datetime]::UtcNow.Date.AddDays(-5), 'Utc')
    $script:Until = $script:Start.AddDays(3)
}

AfterAll {
    Get-Module AzsBilling | Remove-Module -Force
    Stop-TestPostgres $script:Postgres
    Stop-TestEmulator $script:EmulatorRun
}

Describe 'A PostgreSQL store' {
    It 'refuses a database never synced into for the commands that only read' {
        { Get-AzsUsageSyncState -Store $script:PgUrl -ErrorAction Stop } | Should -Throw '*no usage store*'
    }

    It 'stores exactly the emulator''s rows and sums them as a SQLite store does, never showing the password' {
        $verbose = Sync-AzsUsage -Store $script:PgUrl -StartTime $script:Start -Until $script:Until -Verbose 4>&1
        $report = @($verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $report.Count | Should -Be 1
        $report[0].Store | Should -Be $script:Shown
        ($verbose | Out-String) | Should -Not -BeLike "*$($script:Secret)*"
        ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String) | Should -BeLike "*Store: $($script:Shown)*"

        $uri = "$($script:Ready.control)usage/totals?api=provider&subscription=$($script:Ready.default_provider_subscription_id)" +
            "&reportedStartTime=$($script:Start.ToString('yyyy-MM-ddTHH:mm:ssZ'))&reportedEndTime=$($script:Until.ToString('yyyy-MM-ddTHH:mm:ssZ'))&aggregationGranularity=Hourly"
        $totals = Invoke-RestMethod -Uri $uri -SkipCertificateCheck
        $report[0].Rows | Should -Be ([long]$totals.rows)

        $state = @(Get-AzsUsageSyncState -Store $script:PgUrl)
        $state.Count | Should -Be 1
        $state[0].Rows | Should -Be ([long]$totals.rows)
        $state[0].Store | Should -Be $script:Shown

        $sqlite = Join-Path $script:EmulatorRun.StateDir 'compare.db'
        $null = Sync-AzsUsage -Store $sqlite -StartTime $script:Start -Until $script:Until
        $range = @{ From = $script:Start.AddDays(-2); To = $script:Until.AddDays(1); GroupBy = 'Day'; TimeZone = 'Pacific/Auckland' }
        $fromPg = Get-AzsStoredUsage -Store $script:PgUrl @range | ForEach-Object { "$($_.Period)|$($_.SubscriptionId)|$($_.MeterId)|$($_.Quantity)|$($_.Rows)" }
        $fromSqlite = Get-AzsStoredUsage -Store $sqlite @range | ForEach-Object { "$($_.Period)|$($_.SubscriptionId)|$($_.MeterId)|$($_.Quantity)|$($_.Rows)" }
        $fromPg.Count | Should -BeGreaterThan 0
        $fromPg | Should -Be $fromSqlite
    }

    It 'names the store without its password when it cannot be reached' {
        $unreachable = "postgresql://azsb:$($script:Secret)@127.0.0.1:1/usage?connect_timeout=5"
        $failure = $null
        try { Get-AzsUsageSyncState -Store $unreachable -ErrorAction Stop } catch { $failure = $_ }
        $failure | Should -Not -BeNullOrEmpty
        ($failure | Out-String) + $failure.Exception.ToString() + "$($failure.TargetObject)" + $failure.CategoryInfo.TargetName |
            Should -Not -BeLike "*$($script:Secret)*"
        $failure.Exception.Message | Should -BeLike '*postgresql://azsb@127.0.0.1:1/usage*'
    }
}
