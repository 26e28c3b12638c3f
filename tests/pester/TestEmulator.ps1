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

function Set-TestEmulatorFault {
    # Replaces the running emulator's fault rules (README "Faults"), e.g. '503:count=1'. Test-only HTTP to
    # its control route (the module itself always verifies TLS). $Control: the ready document's "control".
    param([Parameter(Mandatory)] [string] $Control, [string[]] $Rules)
    $body = @{ rules = @($Rules) } | ConvertTo-Json -Compress
    $null = Invoke-RestMethod -Method Put -Uri "$($Control)faults" -Body $body -ContentType 'application/json' -SkipCertificateCheck
}

function Clear-TestEmulatorFault {
    param([Parameter(Mandatory)] [string] $Control)
    $null = Invoke-RestMethod -Method Delete -Uri "$($Control)faults" -SkipCertificateCheck
}

function Start-TestSshServer {
    # A private sshd on a free loopback port with the PowerShell subsystem, a fresh host key and a fresh client
    # key, for the PowerShell remoting tests (New-PSSession -HostName). Needs openssh-server (sshd) and
    # openssh-client (ssh), which .ci/run installs. Returns @{ Port; KeyFile; UserName; Dir; Pid }.
    $sshd = (Get-Command sshd -ErrorAction SilentlyContinue).Source
    if (-not $sshd -and (Test-Path /usr/sbin/sshd)) { $sshd = '/usr/sbin/sshd' }
    if (-not $sshd -or -not (Get-Command ssh -ErrorAction SilentlyContinue)) {
        throw 'The remoting tests need sshd and ssh: install openssh-server and openssh-client (.ci/run does).'
    }
    $dir = Join-Path ([System.IO.Path]::GetTempPath()) "azsb-sshd-$([guid]::NewGuid().ToString('n'))"
    $null = New-Item -ItemType Directory -Path $dir
    foreach ($key in 'host_key', 'client_key') {
        & ssh-keygen -q -t ed25519 -N '' -f (Join-Path $dir $key)
        if ($LASTEXITCODE -ne 0) { throw "ssh-keygen failed for $key" }
    }
    Copy-Item (Join-Path $dir 'client_key.pub') (Join-Path $dir 'authorized_keys')
    # A port the OS hands out, released just before sshd binds it.
    $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $probe.Start()
    $port = $probe.LocalEndpoint.Port
    $probe.Stop()
    # pwsh as run.sh found it: a dotnet tool's ProcessPath is the dotnet host, which cannot be a subsystem.
    $pwsh = if ($env:AZSB_PWSH) { $env:AZSB_PWSH } else { (Get-Command pwsh -ErrorAction Stop).Source }
    @(
        "Port $port"
        'ListenAddress 127.0.0.1'
        "HostKey $dir/host_key"
        "AuthorizedKeysFile $dir/authorized_keys"
        'PasswordAuthentication no'
        'KbdInteractiveAuthentication no'
        'PubkeyAuthentication yes'
        'PermitRootLogin prohibit-password'
        'StrictModes no'
        'UsePAM no'
        "PidFile $dir/sshd.pid"
        "Subsystem powershell $pwsh -sshs -NoLogo -NoProfile"
    ) | Set-Content -Path (Join-Path $dir 'sshd_config')
    if (-not (Test-Path /run/sshd)) { $null = New-Item -ItemType Directory -Path /run/sshd -ErrorAction SilentlyContinue }
    & $sshd -f (Join-Path $dir 'sshd_config') -E (Join-Path $dir 'sshd.log')
    if ($LASTEXITCODE -ne 0) { throw "sshd did not start: $(Get-Content -Raw (Join-Path $dir 'sshd.log') -ErrorAction SilentlyContinue)" }
    $deadline = [datetime]::UtcNow.AddSeconds(10)
    while (-not (Test-Path (Join-Path $dir 'sshd.pid')) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
    @{ Port = $port; KeyFile = (Join-Path $dir 'client_key'); UserName = [Environment]::UserName; Dir = $dir
        Pid = [int](Get-Content (Join-Path $dir 'sshd.pid')) }
}

function New-TestSshSession {
    param([Parameter(Mandatory)] [hashtable] $Server)
    New-PSSession -HostName 127.0.0.1 -Port $Server.Port -UserName $Server.UserName -KeyFilePath $Server.KeyFile `
        -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' } -ErrorAction Stop
}

function Stop-TestSshServer {
    param([hashtable] $Server)
    if (-not $Server) { return }
    Stop-Process -Id $Server.Pid -Force -ErrorAction SilentlyContinue
    Remove-Item -Recurse -Force $Server.Dir -ErrorAction SilentlyContinue
}
