#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests, the demo and benchmarks.
#
#   pg-cluster.sh start STATEFILE   start a cluster in a new temporary folder;
#                                   STATEFILE receives the folder's path and
#                                   <folder>/conninfo the connection string
#   pg-cluster.sh stop STATEFILE    stop it and remove the folder
#   pg-cluster.sh pause STATEFILE   stop the server (pg_ctl stop -m fast), keep it
#   pg-cluster.sh resume STATEFILE  start it again
#
# With PGORM_PGBOUNCER=1, start also runs PgBouncer in transaction pool mode
# in front of the cluster (Unix socket in the same folder, port 6432) and
# writes its connection string to <folder>/conninfo-pgbouncer.
#
# With DATABASE_URL set, both do nothing: that server is used instead.
# initdb refuses to run as root, so as root the cluster runs as `postgres`.
set -euo pipefail

cmd=${1:?usage: pg-cluster.sh start|stop|pause|resume STATEFILE}
state=${2:?usage: pg-cluster.sh start|stop|pause|resume STATEFILE}

if [ -n "${DATABASE_URL:-}" ]; then
  rm -f "$state"
  exit 0
fi

bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [ -x "$d/initdb" ]; then bindir=$d; break; fi
done
if [ -z "$bindir" ]; then
  if command -v initdb >/dev/null; then bindir=$(dirname "$(command -v initdb)"); else
    echo "pg-cluster: no PostgreSQL server found (apt-get install postgresql)" >&2; exit 2
  fi
fi

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  if [ -f "$state" ] && [ -d "$(cat "$state")" ]; then
    "$0" stop "$state" || true
  fi
  dir=$(mktemp -d /tmp/pgorm-pg.XXXXXX)
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  port=5432
  as_pg "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 2; }
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
port = $port
CONF
  if [ -z "${PGORM_CLUSTER_DURABLE:-}" ]; then
    # tests: durability is not needed, speed is
    printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' \
      >>"$dir/data/postgresql.conf"
  fi
  cat >>"$dir/data/postgresql.conf" <<CONF
max_connections = 200
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
log_min_messages = warning
CONF
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 2; }
  echo "host=$dir port=$port user=postgres dbname=postgres" >"$dir/conninfo"
  chmod 644 "$dir/conninfo"
  if [ -n "${PGORM_PGBOUNCER:-}" ]; then
    command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] ||
      { echo "pg-cluster: pgbouncer is not installed (apt-get install pgbouncer)" >&2; exit 2; }
    bouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
    # Every database of the cluster (tests make their own), transaction
    # pooling, several server connections per database handed out in turn
    # (server_round_robin): a session-level assumption (a named prepared
    # statement, a LISTEN) fails here instead of working by luck.
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$dir port=$port
[pgbouncer]
listen_addr =
listen_port = 6432
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
server_round_robin = 1
default_pool_size = 8
max_client_conn = 1000
max_db_connections = 0
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
admin_users = postgres
INI
    echo '"postgres" ""' >"$dir/userlist.txt"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/pgbouncer.ini" "$dir/userlist.txt"; fi
    as_pg "$bouncer" -d "$dir/pgbouncer.ini" >/dev/null 2>&1 ||
      { cat "$dir/pgbouncer.log" >&2 2>/dev/null; exit 2; }
    for _ in $(seq 50); do [ -S "$dir/.s.PGSQL.6432" ] && break; sleep 0.1; done
    [ -S "$dir/.s.PGSQL.6432" ] || { cat "$dir/pgbouncer.log" >&2; exit 2; }
    echo "host=$dir port=6432 user=postgres dbname=postgres" >"$dir/conninfo-pgbouncer"
    chmod 644 "$dir/conninfo-pgbouncer"
    echo "pg-cluster: PgBouncer (transaction pooling) on $dir port 6432"
  fi
  echo "$dir" >"$state"
  echo "pg-cluster: started in $dir"
  ;;
stop)
  [ -f "$state" ] || exit 0
  dir=$(cat "$state")
  if [ -f "$dir/pgbouncer.pid" ]; then
    kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
  fi
  if [ -d "$dir/data" ]; then
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  rm -f "$state"
  echo "pg-cluster: stopped"
  ;;
pause)
  dir=$(cat "$state")
  as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
resume)
  dir=$(cat "$state")
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
  ;;
*)
  echo "usage: pg-cluster.sh start|stop|pause|resume STATEFILE" >&2; exit 1 ;;
esac
