# A private PostgreSQL server for the Pester tests, as tests/support/pg_server.rs is for Rust's: initdb in a
# temporary directory, loopback, a free port, trust authentication for the superuser azsb; as the postgres
# user when run as root (the server refuses root). Programs from $env:AZSB_PG_BIN, else Debian's newest
# /usr/lib/postgresql/*/bin.

function Invoke-TestPostgresProgram([object] $Server, [string] $Program, [string[]] $Arguments) {
    $path = Join-Path $Server.Bin $Program
    $output = if ($Server.RunAs) { & runuser -u $Server.RunAs -- $path @Arguments 2>&1 } else { & $path @Arguments 2>&1 }
    if ($LASTEXITCODE -ne 0) { throw "$Program $($Arguments -join ' ') failed: $($output -join "`n")" }
}

function Start-TestPostgres {
    $bin = if ($env:AZSB_PG_BIN) { $env:AZSB_PG_BIN } else {
        Get-ChildItem /usr/lib/postgresql -Directory -ErrorAction SilentlyContinue |
            Sort-Object { [int]$_.Name } | Select-Object -Last 1 | ForEach-Object { Join-Path $_.FullName 'bin' }
    }
    if (-not $bin -or -not (Test-Path (Join-Path $bin 'initdb'))) {
        throw 'PostgreSQL''s server programs (initdb, pg_ctl) are not installed: apt-get install postgresql, or set AZSB_PG_BIN'
    }
    $dir = Join-Path ([IO.Path]::GetTempPath()) "azsb-pg-$([guid]::NewGuid().ToString('n'))"
    $null = New-Item -ItemType Directory $dir
    $runAs = if ((& id -u) -eq '0') { 'postgres' } else { $null }
    if ($runAs) { & chown "${runAs}:" $dir }
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
    $server = [pscustomobject]@{ Bin = $bin; Dir = $dir; Data = (Join-Path $dir 'data'); Port = $port; RunAs = $runAs }
    Invoke-TestPostgresProgram $server 'initdb' @('-D', $server.Data, '-U', 'azsb', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync')
    Invoke-TestPostgresProgram $server 'pg_ctl' @('-D', $server.Data, '-l', (Join-Path $dir 'server.log'), '-w', '-t', '60',
        '-o', "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off", 'start')
    Invoke-TestPostgresProgram $server 'psql' @('-h', '127.0.0.1', '-p', "$port", '-U', 'azsb', '-d', 'postgres', '-qc', 'CREATE DATABASE usage')
    $server
}

function Stop-TestPostgres([object] $Server) {
    if (-not $Server) { return }
    try { Invoke-TestPostgresProgram $Server 'pg_ctl' @('-D', $Server.Data, '-m', 'immediate', '-w', 'stop') } catch { }
    Remove-Item -Recurse -Force $Server.Dir -ErrorAction SilentlyContinue
}
