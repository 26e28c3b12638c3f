# Sourced by the benchmarks. start_postgres starts a private PostgreSQL server (initdb in "$work/pg", loopback,
# a free port; as the postgres user when run as root, since the server refuses root), creates the database
# "usage" and exports PG_URL; stop_postgres stops it (call it from the caller's trap). The programs come from
# $AZSB_PG_BIN, else Debian's newest /usr/lib/postgresql/*/bin (apt-get install postgresql).
pg_bin() {
  if [ -n "${AZSB_PG_BIN:-}" ]; then echo "$AZSB_PG_BIN"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$dir/initdb" ] || { echo "PostgreSQL's server programs are not installed (apt-get install postgresql)" >&2; return 1; }
  echo "$dir"
}

pg_as_server_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin port
  bin=$(pg_bin)
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  mkdir -p "$work/pg"
  # The server's user must reach its directory: through "$work" (mktemp makes it 0700), owning "$work/pg".
  if [ "$(id -u)" = 0 ]; then chmod o+x "$work"; chown postgres: "$work/pg"; fi
  pg_as_server_user "$bin/initdb" -D "$work/pg/data" -U azsb --auth=trust --encoding=UTF8 --no-locale --no-sync > /dev/null
  pg_as_server_user "$bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $work/pg" start > /dev/null
  pg_data=$work/pg/data
  pg_stop="$bin/pg_ctl"
  pg_as_server_user "$bin/psql" -h 127.0.0.1 -p "$port" -U azsb -d postgres -qc 'CREATE DATABASE usage' > /dev/null
  export PG_URL="postgresql://azsb@127.0.0.1:$port/usage"
}

stop_postgres() {
  if [ -n "${pg_data:-}" ]; then pg_as_server_user "$pg_stop" -D "$pg_data" -m fast -w stop > /dev/null 2>&1 || true; fi
}
