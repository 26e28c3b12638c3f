# Starts and stops azs-emulator processes for the Pester tests (dot-source it in BeforeAll).

function Start-TestEmulator {
    # Spawns the emulator with the given arguments (plus a state dir and ready file) and waits for its ready
    # document. Returns @{ Process; Ready; StateDir }.
    param([string[]] $Arguments = @())
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $bin = if ($env:AZS_EMULATOR_BIN) { $env:AZS_EMULATOR_BIN } else { Join-Path $repo 'target/debug/azs-emulator' }
    $stateDir = Join-Path ([System.IO.Path]::GetTempPath()) "azsb-pester-$([guid]::NewGuid().ToString('n'))"
    $null = New-Item -ItemType Directory -Path $stateDir
    $readyFile = Join-Path $stateDir 'ready.json'
    $process = Start-Process -FilePath $bin -PassThru `
        -RedirectStandardOutput (Join-Path $stateDir 'stdout.log') -RedirectStandardError (Join-Path $stateDir 'stderr.log') `
        -ArgumentList (@($Arguments) + @('--state-dir', (Join-Path $stateDir 'state'), '--ready-file', $readyFile))
    $deadline = [datetime]::UtcNow.AddSeconds(30)
    $ready = $null
    while ($null -eq $ready -and [datetime]::UtcNow -lt $deadline) {
        Start-Sleep -Milliseconds 100
        if ($process.HasExited) { throw "the emulator exited: $(Get-Content -Raw (Join-Path $stateDir 'stderr.log'))" }
        if ((Test-Path $readyFile) -and (Get-Item $readyFile).Length -gt 0) {
            try { $ready = Get-Content -Raw $readyFile | ConvertFrom-Json } catch { $ready = $null }
        }
    }
    if ($null -eq $ready) { throw 'the emulator did not become ready within 30 seconds' }
    @{ Process = $process; Ready = $ready; StateDir = $stateDir }
}

function Stop-TestEmulator {
    param([hashtable] $Emulator)
    if (-not $Emulator) { return }
    if ($Emulator.Process -and -not $Emulator.Process.HasExited) {
        Stop-Process -Id $Emulator.Process.Id -Force -ErrorAction SilentlyContinue
        $Emulator.Process.WaitForExit(10000) | Out-Null
    }
    if ($Emulator.StateDir -and (Test-Path $Emulator.StateDir)) { Remove-Item -Recurse -Force $Emulator.StateDir -ErrorAction SilentlyContinue }
}
