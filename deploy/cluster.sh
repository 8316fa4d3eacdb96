#!/usr/bin/env bash
# The portal as a council would run it, on this one machine, from Debian's packages (no
# containers): HAProxy (TLS, health checks on /readyz) in front of two gunicorn web nodes, two
# connector workers, the mail worker, the jobs worker (court bundles), Redis, and a PostgreSQL 15
# primary with a synchronous streaming-replication hot standby. Everything listens on loopback
# only, on ports away from the machine's own services (5432, 6379). State lives under instance/cluster/ (git-ignored).
#
#   deploy/cluster.sh start     (make cluster)        start, creating and seeding it the first time
#   deploy/cluster.sh stop      (make cluster-stop)   stop everything (data kept)
#   deploy/cluster.sh status                          what runs, which database node is primary
#   deploy/cluster.sh env                             the settings, for `flask --app portal ...`
#   deploy/cluster.sh promote                         stop the primary, promote the standby
#   deploy/cluster.sh rejoin                          rebuild the old primary as the new standby
#   deploy/cluster.sh destroy                         stop and delete instance/cluster/
#
# Settings come from deploy/haproxy.cfg, deploy/postgresql/{primary,standby}.conf and the same
# commands as the units in deploy/systemd/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DIR="$ROOT/instance/cluster"
RUN="$DIR/run"
LOG="$DIR/log"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
PG1_PORT="${PG1_PORT:-15432}"
PG2_PORT="${PG2_PORT:-15433}"
REDIS_PORT="${REDIS_PORT:-16379}"
NODE1_PORT="${NODE1_PORT:-18001}"
NODE2_PORT="${NODE2_PORT:-18002}"
HAPROXY_PORT="${HAPROXY_PORT:-18000}"
STATS_PORT="${STATS_PORT:-18404}"
CASESIM_PORT="${CASESIM_PORT:-18100}"
SMTP_PORT="${SMTP_PORT:-18025}"
WEB_WORKERS="${WEB_WORKERS:-2}"
VENV="$ROOT/.venv/bin"
FLASK="$VENV/flask --app portal"

as_postgres() { runuser -u postgres -- "$@"; }
say() { printf '%s\n' "$*"; }

port_of() { case "$1" in pg1) echo "$PG1_PORT" ;; pg2) echo "$PG2_PORT" ;; esac; }
pg_running() { as_postgres "$PGBIN/pg_ctl" -D "$DIR/$1" status >/dev/null 2>&1; }
is_standby() { [ -f "$DIR/$1/standby.signal" ]; }
timeline() { "$PGBIN/pg_controldata" "$DIR/$1" 2>/dev/null | awk -F: '/Latest checkpoint.s TimeLineID/ {gsub(/ /,"",$2); print $2}'; }
other() { [ "$1" = pg1 ] && echo pg2 || echo pg1; }

# Which node is (or should be) the primary: the running one not in recovery; else the one
# without standby.signal; if both lack it (after a failover, before rejoin), the later timeline.
primary_node() {
  local n
  for n in pg1 pg2; do
    if pg_running "$n" && [ "$(psql_on "$n" -Atc 'select pg_is_in_recovery()' 2>/dev/null)" = f ]; then echo "$n"; return; fi
  done
  if is_standby pg1 && ! is_standby pg2; then echo pg2; return; fi
  if is_standby pg2 && ! is_standby pg1; then echo pg1; return; fi
  if [ "$(timeline pg2 || echo 0)" -gt "$(timeline pg1 || echo 0)" ]; then echo pg2; else echo pg1; fi
}

psql_on() { local n="$1"; shift; as_postgres "$PGBIN/psql" -h "$DIR/pgrun" -p "$(port_of "$n")" -d postgres -v ON_ERROR_STOP=1 -q "$@"; }

secrets() {
  # shellcheck disable=SC1091
  . "$DIR/secrets.env"
}

# The portal's settings: production, as on a council's servers (TLS at the load balancer,
# Secure cookies, a master key from a file, Redis for throttles, SMTP for email).
portal_env() {
  secrets
  export PORTAL_ENV=production
  export PORTAL_SECRET_KEY="$CLUSTER_SECRET_KEY"
  export PORTAL_MASTER_KEY_FILE="$DIR/master.key"
  # libpq tries both hosts and keeps the one that takes writes: after a failover the portal finds
  # the promoted standby by itself (target_session_attrs=read-write).
  export PORTAL_DATABASE_URL="postgresql+psycopg://portal:$CLUSTER_DB_PASSWORD@/portal?host=127.0.0.1:$PG1_PORT&host=127.0.0.1:$PG2_PORT&target_session_attrs=read-write&connect_timeout=3"
  export PORTAL_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  export PORTAL_BASE_URL="https://127.0.0.1:$HAPROXY_PORT"
  export PORTAL_TRUSTED_PROXY_HOPS=1
  export PORTAL_INSTANCE_PATH="$DIR/portal-instance"
  export PORTAL_SMTP_HOST=127.0.0.1 PORTAL_SMTP_PORT="$SMTP_PORT" PORTAL_SMTP_STARTTLS=false
  export PORTAL_SMTP_FROM=safeguarding-portal@cluster.demo
  export PORTAL_CONNECTOR_ALLOWED_HOSTS="127.0.0.1:$CASESIM_PORT"
}

# A process started in its own session (so that it and its children can be signalled as one
# group), its pid in run/NAME.pid, its output in log/NAME.log.
spawn() {
  local name="$1"; shift
  if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
    say "  $name: already running"; return
  fi
  setsid "$@" >>"$LOG/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN/$name.pid"
  say "  $name: started (pid $!, log instance/cluster/log/$name.log)"
}

wait_for() {  # wait_for DESCRIPTION SECONDS COMMAND...
  local what="$1" seconds="$2"; shift 2
  for _ in $(seq 1 $((seconds * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  say "$what did not come up in ${seconds}s (see instance/cluster/log/)" >&2; return 1
}

install_packages() {
  local missing=()
  command -v haproxy >/dev/null || missing+=(haproxy)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -x "$PGBIN/pg_ctl" ] || missing+=(postgresql-15)
  command -v openssl >/dev/null || missing+=(openssl)
  # WeasyPrint subsets the PDFs' fonts with it (court bundles in about 0.1 s less; optional).
  ldconfig -p | grep -q 'libharfbuzz-subset\.so\.0' || missing+=(libharfbuzz-subset0)
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing ${missing[*]} from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null
  fi
}

make_secrets() {
  mkdir -p "$DIR" "$RUN" "$LOG" "$DIR/tls" "$DIR/portal-instance"
  chmod 700 "$DIR"
  if [ ! -f "$DIR/secrets.env" ]; then
    umask 077
    {
      echo "CLUSTER_SECRET_KEY=$("$VENV/python" -c 'import secrets; print(secrets.token_urlsafe(48))')"
      echo "CLUSTER_DB_PASSWORD=$("$VENV/python" -c 'import secrets; print(secrets.token_hex(24))')"
      echo "CLUSTER_REPLICATION_PASSWORD=$("$VENV/python" -c 'import secrets; print(secrets.token_hex(24))')"
    } >"$DIR/secrets.env"
    "$VENV/python" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())' >"$DIR/master.key"
    umask 022
  fi
  if [ ! -f "$DIR/tls/portal.pem" ]; then
    # A self-signed certificate for 127.0.0.1 (a council uses its own): browsers will warn once.
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=127.0.0.1" \
      -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
      -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" >/dev/null 2>&1
    cat "$DIR/tls/cert.pem" "$DIR/tls/key.pem" >"$DIR/tls/portal.pem"
    chmod 600 "$DIR/tls/key.pem" "$DIR/tls/portal.pem"
  fi
  mkdir -p "$DIR/pgrun"
  chown postgres:postgres "$DIR/pgrun" "$LOG"
  # PostgreSQL reaches its data directories through this one.
  chmod 711 "$DIR"
}

# The node's own lines: the role's settings file, its port, socket directory and name.
node_conf() {  # node_conf NODE primary|standby
  local n="$1" role="$2" conf="$DIR/$1/postgresql.conf"
  sed -i '/^# portal cluster:/,$d' "$conf"
  cat >>"$conf" <<EOF
# portal cluster: the lines below are written by deploy/cluster.sh
include '$ROOT/deploy/postgresql/$role.conf'
port = $(port_of "$n")
unix_socket_directories = '$DIR/pgrun'
cluster_name = '$n'
EOF
}

pg_start() {
  local n="$1"
  pg_running "$n" && { say "  $n: already running (port $(port_of "$n"))"; return; }
  as_postgres "$PGBIN/pg_ctl" -D "$DIR/$n" -l "$LOG/$n.log" -w -t 60 start >/dev/null
  say "  $n: started on 127.0.0.1:$(port_of "$n")$(is_standby "$n" && echo ' (standby)' || echo ' (primary)')"
}

make_primary() {
  say "Creating the PostgreSQL primary (pg1, port $PG1_PORT)"
  mkdir -p "$DIR/pg1" && chown postgres:postgres "$DIR/pg1" && chmod 700 "$DIR/pg1"
  as_postgres "$PGBIN/initdb" -D "$DIR/pg1" --auth-local=peer --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --data-checksums >/dev/null
  node_conf pg1 primary
  # Until the standby exists, commits must not wait for it.
  echo "synchronous_standby_names = ''" >>"$DIR/pg1/postgresql.conf"
  pg_start pg1
  secrets
  psql_on pg1 <<EOF
CREATE ROLE portal LOGIN PASSWORD '$CLUSTER_DB_PASSWORD';
CREATE ROLE replicator LOGIN REPLICATION PASSWORD '$CLUSTER_REPLICATION_PASSWORD';
CREATE DATABASE portal OWNER portal;
EOF
}

make_standby() {  # make_standby NODE FROM
  local n="$1" from="$2"
  say "Creating the standby ($n, port $(port_of "$n")) from $from with pg_basebackup"
  secrets
  rm -rf "${DIR:?}/$n"
  mkdir -p "$DIR/$n" && chown postgres:postgres "$DIR/$n" && chmod 700 "$DIR/$n"
  psql_on "$from" -c "SELECT pg_drop_replication_slot('$n') WHERE EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$n')" >/dev/null
  PGPASSWORD="$CLUSTER_REPLICATION_PASSWORD" as_postgres env PGPASSWORD="$CLUSTER_REPLICATION_PASSWORD" \
    "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$(port_of "$from")" -U replicator -D "$DIR/$n" \
    -R -C -S "$n" -X stream --checkpoint=fast >/dev/null
  node_conf "$n" standby
  pg_start "$n"
  # The primary now asks for its standby's flush before acknowledging a commit.
  node_conf "$from" primary
  psql_on "$from" -c "SELECT pg_reload_conf()" >/dev/null
  wait_for "synchronous replication" 30 sh -c \
    "runuser -u postgres -- $PGBIN/psql -h $DIR/pgrun -p $(port_of "$from") -d postgres -Atc \"select sync_state from pg_stat_replication\" | grep -Eq '^(sync|quorum)$'"
  say "  $from -> $n: synchronous streaming replication"
}

start() {
  install_packages
  make_secrets
  say "PostgreSQL"
  if [ ! -f "$DIR/pg1/PG_VERSION" ]; then
    make_primary
    make_standby pg2 pg1
  else
    local p s; p="$(primary_node)"; s="$(other "$p")"
    pg_start "$p"
    if is_standby "$s"; then pg_start "$s"
    else say "  $s: a former primary, not started (deploy/cluster.sh rejoin makes it the standby)"; fi
  fi

  say "Redis"
  mkdir -p "$DIR/redis"
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then say "  redis: already running"
  else
    spawn redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DIR/redis" \
      --appendonly yes --save "" --protected-mode yes
    wait_for "Redis" 10 redis-cli -p "$REDIS_PORT" ping
  fi

  portal_env
  say "Schema and demo data"
  $FLASK db upgrade >>"$LOG/migrations.log" 2>&1 || { say "flask db upgrade failed: instance/cluster/log/migrations.log" >&2; exit 1; }
  say "  migrations at head"
  # The demo seed refuses production; it runs once, as development, against the same database
  # and master key (idempotent).
  if [ ! -f "$DIR/seeded" ]; then
    PORTAL_ENV=development $FLASK demo seed >>"$LOG/seed.log" 2>&1
    touch "$DIR/seeded"
    say "  seeded (demo accounts: README.md)"
  else say "  already seeded"; fi

  say "Mail sink, case-system simulator, workers"
  spawn smtp "$VENV/python" -W ignore -m smtpd -n -c DebuggingServer "127.0.0.1:$SMTP_PORT"
  spawn casesim env PORTAL_ENV=development $FLASK casesim run --host 127.0.0.1 --port "$CASESIM_PORT" \
    --db "$DIR/casesim.sqlite3"
  wait_for "the case-system simulator" 20 "$VENV/python" -c \
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$CASESIM_PORT/', timeout=1)" || true
  # The simulator speaks plain http on loopback: production's endpoint form asks for https, so
  # these two are set as development (the connector itself accepts http for a local simulator).
  for la in 938 939; do
    "$VENV/python" -c "from casesim.config import DEV_SECRETS; print(DEV_SECRETS['$la'][0])" \
      | PORTAL_ENV=development $FLASK connector set-endpoint "$la" --url "http://127.0.0.1:$CASESIM_PORT/la/$la" --overlap-hours 0 >>"$LOG/seed.log" 2>&1
  done
  spawn connector1 $FLASK connector run --worker-id cluster-1
  spawn connector2 $FLASK connector run --worker-id cluster-2
  # The mail worker also routes Operation Encompass notices and chases unread ones at 08:30.
  spawn mail $FLASK mail send --loop --interval 10
  # Court bundles (background jobs): each made in a child process of this worker (docs/operations.md).
  spawn jobs $FLASK jobs work --loop

  say "Web nodes (gunicorn, $WEB_WORKERS workers each)"
  for i in 1 2; do
    local port; port=$([ $i = 1 ] && echo "$NODE1_PORT" || echo "$NODE2_PORT")
    spawn "node$i" "$VENV/gunicorn" --workers "$WEB_WORKERS" --timeout 120 --bind "127.0.0.1:$port" \
      --access-logformat '%(h)s "%(r)s" %(s)s %(b)s %(L)ss' --access-logfile - wsgi:app
  done

  say "HAProxy"
  spawn haproxy env CLUSTER_DIR="$DIR" HAPROXY_BIND="127.0.0.1:$HAPROXY_PORT" \
    NODE1="127.0.0.1:$NODE1_PORT" NODE2="127.0.0.1:$NODE2_PORT" STATS_BIND="127.0.0.1:$STATS_PORT" \
    haproxy -W -db -f "$ROOT/deploy/haproxy.cfg"
  wait_for "The portal through HAProxy" 60 "$VENV/python" -c \
    "import ssl, urllib.request; urllib.request.urlopen('https://127.0.0.1:$HAPROXY_PORT/readyz', timeout=2, context=ssl.create_default_context(cafile='$DIR/tls/cert.pem'))"
  say ""
  say "The portal: https://127.0.0.1:$HAPROXY_PORT (self-signed certificate: instance/cluster/tls/cert.pem)"
  say "HAProxy's stats: http://127.0.0.1:$STATS_PORT   Stop: make cluster-stop   Drill: make failover-drill"
}

stop_pid() {
  local name="$1" f="$RUN/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    say "  $name: stopped"
  fi
  rm -f "$f"
}

stop() {
  for name in haproxy node1 node2 connector1 connector2 mail jobs casesim smtp; do stop_pid "$name"; done
  if [ -f "$RUN/redis.pid" ]; then redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true; rm -f "$RUN/redis.pid"; say "  redis: stopped"; fi
  for n in pg1 pg2; do
    if [ -f "$DIR/$n/PG_VERSION" ] && pg_running "$n"; then
      as_postgres "$PGBIN/pg_ctl" -D "$DIR/$n" -m fast -w stop >/dev/null; say "  $n: stopped"
    fi
  done
}

status() {
  [ -d "$DIR" ] || { say "No cluster (make cluster creates one)"; exit 1; }
  for name in haproxy node1 node2 connector1 connector2 mail jobs casesim smtp redis; do
    if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then say "  $name: running (pid $(cat "$RUN/$name.pid"))"
    else say "  $name: stopped"; fi
  done
  for n in pg1 pg2; do
    if pg_running "$n"; then
      say "  $n: running on $(port_of "$n"), $( [ "$(psql_on "$n" -Atc 'select pg_is_in_recovery()')" = t ] && echo standby || echo primary)"
    else say "  $n: stopped"; fi
  done
  local p; p="$(primary_node)"
  pg_running "$p" && psql_on "$p" -Atc "select '  replication to ' || application_name || ': ' || state || ', ' || sync_state from pg_stat_replication" || true
}

# Failover by hand (the drill does the same): stop the primary, promote the standby. The portal
# reconnects by itself (its URL names both hosts, target_session_attrs=read-write).
promote() {
  local p s; p="$(primary_node)"; s="$(other "$p")"
  is_standby "$s" || { say "$s is not a standby"; exit 1; }
  as_postgres "$PGBIN/pg_ctl" -D "$DIR/$p" -m fast -w stop >/dev/null || true
  as_postgres "$PGBIN/pg_ctl" -D "$DIR/$s" -w promote >/dev/null
  say "  $p stopped; $s promoted (it takes writes alone until: deploy/cluster.sh rejoin)"
}

# After a failover: the old primary is rebuilt from the new one as its synchronous standby.
rejoin() {
  local p s; p="$(primary_node)"; s="$(other "$p")"
  pg_running "$p" || { say "The primary ($p) is not running"; exit 1; }
  if pg_running "$s"; then as_postgres "$PGBIN/pg_ctl" -D "$DIR/$s" -m fast -w stop >/dev/null; fi
  make_standby "$s" "$p"
}

case "${1:-start}" in
  start) start ;;
  stop) say "Stopping the cluster"; stop ;;
  status) status ;;
  env) portal_env; env | grep '^PORTAL_' | sed 's/^/export /' ;;
  promote) promote ;;
  rejoin) rejoin ;;
  destroy) stop; rm -rf "$DIR"; say "instance/cluster/ deleted" ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
