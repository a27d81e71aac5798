#!/usr/bin/env bash
# The HA cluster of issue 16 on this machine: `ha.sh up|stop|status` (make ha / make ha-stop).
# Everything lives in $RT/ha: etcd (2381/2382), Patroni n1/n2 (PostgreSQL 15 on 5441/5442, REST
# 8011/8012, scope prepaid, synchronous mode strict), HAProxy (read-write 5440 -> /primary,
# read-only 5439 -> /replica else the primary, stats 7000, Odoo's HTTP front 8078) and Odoo in
# multi-worker mode (sales 8079, gevent 8082; reports 8083) on the database prepaid_ha. The main
# cluster (5432) is only read once (pg_dump of the demo database, made first on a fresh machine)
# to create prepaid_ha.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
HA="$RT/ha"
TPL="$ADDON_DIR/scripts/ha"
DB=prepaid_ha
SOURCE_DB=${PREPAID_HA_SOURCE_DB:-prepaid_demo}
PG_BIN=/usr/lib/postgresql/15/bin
source "$TPL/patroni_node.sh"
WORKERS=${PREPAID_HA_WORKERS:-4}                # 2 cores: sales wait on the standby's flush as much as on the CPU
REPORT_WORKERS=${PREPAID_HA_REPORT_WORKERS:-2}

alive() { [ -f "$HA/run/$1.pid" ] && kill -0 "$(cat "$HA/run/$1.pid")" 2>/dev/null; }
secret() { sed -n "s/^$1=//p" "$HA/secrets"; }
wait_for() {  # wait_for SECONDS WHAT COMMAND...
  local secs=$1 what=$2; shift 2
  for _ in $(seq $((secs * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "[ha] timed out waiting for $what" >&2; return 1
}
http_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1")" = 200 ]; }
ha_psql() {  # ha_psql PORT SQL [DB]
  PGPASSWORD=$(secret POSTGRES_PASSWORD) psql -h 127.0.0.1 -p "$1" -U postgres -Atqc "$2" "${3:-postgres}"
}
stop_pid() {  # stop_pid NAME [SECONDS]: SIGTERM, wait, SIGKILL
  local name=$1 secs=${2:-30} pid
  alive "$name" || { rm -f "$HA/run/$name.pid"; return 0; }
  pid=$(cat "$HA/run/$name.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq $((secs * 4))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && { echo "[ha] $name did not stop: SIGKILL"; kill -9 "$pid" 2>/dev/null || true; }
  rm -f "$HA/run/$name.pid"
}

render() {  # render TEMPLATE OUT NAME=VALUE...
  local tpl=$1 out=$2; shift 2
  local text; text=$(cat "$tpl")
  for kv in "$@"; do text=${text//@${kv%%=*}@/${kv#*=}}; done
  printf '%s\n' "$text" >"$out"
}

CHANGED_NODES=()
configure() {
  mkdir -p "$HA"/{log/n1,log/n2,run,sock,etcd,odoo-data,n1,n2}
  # PostgreSQL runs as the postgres OS user: it must be able to reach $RT/ha (search only, no read)
  local d=$HA
  while [ "$d" != / ]; do
    if [ "$(stat -c %U "$d")" = root ]; then chmod o+x "$d"; fi
    d=$(dirname "$d")
  done
  if [ ! -s "$HA/secrets" ]; then
    umask 077
    for key in POSTGRES_PASSWORD REPLICATION_PASSWORD ODOO_PASSWORD OPERATOR_PASSWORD; do
      printf '%s=%s\n' "$key" "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    done >"$HA/secrets"
    umask 022
  fi
  for key in ODOO_PASSWORD OPERATOR_PASSWORD; do   # secrets of an older layout
    grep -q "^$key=" "$HA/secrets" || printf '%s=%s\n' "$key" "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" >>"$HA/secrets"
  done
  chmod 600 "$HA/secrets"
  local archive_mode=off archive_command= name rest port
  if [ -f "$HA/pgbackrest.conf" ]; then archive_mode=on; fi
  for name in n1 n2; do
    rest=$([ $name = n1 ] && echo 8011 || echo 8012)
    port=$([ $name = n1 ] && echo 5441 || echo 5442)
    # each node archives as itself: pgBackRest checks that the server pushing WAL runs in pg1-path
    # (the configuration's pg1 is n1: without this, archiving stopped as soon as n2 led)
    if [ $archive_mode = on ]; then
      archive_command="pgbackrest --config=$HA/pgbackrest.conf --stanza=prepaid --pg1-path=$HA/$name archive-push %p"
    fi
    render "$TPL/patroni.yml.in" "$HA/$name.yml.new" NAME=$name HA="$HA" REST=$rest PORT=$port \
      PGPASS="$(secret POSTGRES_PASSWORD)" REPLPASS="$(secret REPLICATION_PASSWORD)" \
      ARCHIVE_MODE=$archive_mode ARCHIVE_COMMAND="$archive_command"
    if cmp -s "$HA/$name.yml.new" "$HA/$name.yml"; then rm "$HA/$name.yml.new"
    else mv "$HA/$name.yml.new" "$HA/$name.yml"; alive "$name" && CHANGED_NODES+=("$name"); fi
    chown postgres:postgres "$HA/$name.yml" "$HA/$name" "$HA/log/$name"
    chmod 600 "$HA/$name.yml"; chmod 700 "$HA/$name"
  done
  chown postgres:postgres "$HA/sock"
  render "$TPL/haproxy.cfg.in" "$HA/haproxy.cfg.new" WORKERS="$WORKERS" REPORT_WORKERS="$REPORT_WORKERS"
  if cmp -s "$HA/haproxy.cfg.new" "$HA/haproxy.cfg"; then rm "$HA/haproxy.cfg.new"; else mv "$HA/haproxy.cfg.new" "$HA/haproxy.cfg"; fi
  local addons_path card_keys
  addons_path=$(sed -n 's/^addons_path *= *//p' "$CONF")
  card_keys=$(sed -n 's/^prepaid_card_key_file *= *//p' "$CONF")
  # two pools of workers: the sales (tills, kiosks, bridges, head-end, the back office) and the
  # reports (HAProxy sends the report routes there): a report never holds a worker a sale waits for
  render "$TPL/odoo.conf.in" "$HA/odoo.conf.new" ADDONS_PATH="$addons_path" CARD_KEYS="$card_keys" HA="$HA" \
    ODOOPASS="$(secret ODOO_PASSWORD)" ROLE="sales and back office" HTTP_PORT=8079 GEVENT_PORT=8082 \
    WORKERS="$WORKERS" CRON_THREADS=1 LOG=odoo
  render "$TPL/odoo.conf.in" "$HA/odoo-reports.conf.new" ADDONS_PATH="$addons_path" CARD_KEYS="$card_keys" HA="$HA" \
    ODOOPASS="$(secret ODOO_PASSWORD)" ROLE="reports (read-only routes, on the replica)" HTTP_PORT=8083 \
    GEVENT_PORT=8084 WORKERS="$REPORT_WORKERS" CRON_THREADS=0 LOG=odoo-reports
  for name in odoo odoo-reports; do   # a changed configuration restarts that Odoo (start_odoo)
    if cmp -s "$HA/$name.conf.new" "$HA/$name.conf"; then rm "$HA/$name.conf.new"; else mv "$HA/$name.conf.new" "$HA/$name.conf"; fi
    chmod 600 "$HA/$name.conf"
  done
}

start_etcd() {
  alive etcd && return 0
  echo "[ha] starting etcd (127.0.0.1:2381, data $HA/etcd)"
  nohup etcd --name prepaid-ha --data-dir "$HA/etcd" \
    --listen-client-urls http://127.0.0.1:2381 --advertise-client-urls http://127.0.0.1:2381 \
    --listen-peer-urls http://127.0.0.1:2382 --initial-advertise-peer-urls http://127.0.0.1:2382 \
    --initial-cluster prepaid-ha=http://127.0.0.1:2382 --initial-cluster-state new \
    --listen-metrics-urls http://127.0.0.1:2383 >>"$HA/log/etcd.log" 2>&1 &
  echo $! >"$HA/run/etcd.pid"
  wait_for 30 etcd http_ok http://127.0.0.1:2381/health
}

start_node() {  # start_node n1|n2: its Patroni, as the postgres OS user (Patroni starts PostgreSQL)
  local name=$1
  alive "$name" && return 0
  echo "[ha] starting Patroni $name"
  start_patroni "$name"
}

leader_port() {
  http_ok http://127.0.0.1:8011/primary && { echo 5441; return; }
  http_ok http://127.0.0.1:8012/primary && { echo 5442; return; }
  return 1
}
# HAProxy takes a new server for up until its checks say otherwise (fall 2): settled when, in the
# read-write backend, exactly one server is UP and the other DOWN, and that one is the primary
haproxy_settled() {
  local states; states=$(curl -s --max-time 2 "http://127.0.0.1:7000/;csv" | awk -F, '$1 == "pg_primary" && $2 ~ /^n[12]$/ {print $18}' | sort | tr '\n' ' ')
  [ "$states" = "DOWN UP " ]
}
primary_on_5440() { haproxy_settled && [ "$(ha_psql 5440 "select pg_is_in_recovery()")" = f ]; }
has_sync_standby() { patronictl -c "$HA/n1.yml" list 2>/dev/null | grep -Eq 'Sync Standby *\| *(running|streaming)'; }

start_haproxy() {
  if alive haproxy && [ "$HA/haproxy.cfg" -nt "$HA/run/haproxy.pid" ]; then
    # new configuration: reload (the old process finishes its sessions)
    haproxy -c -q -f "$HA/haproxy.cfg"
    haproxy -D -f "$HA/haproxy.cfg" -p "$HA/run/haproxy.pid" -sf "$(cat "$HA/run/haproxy.pid")"
  elif ! alive haproxy; then
    echo "[ha] starting HAProxy (rw 5440, ro 5439, stats 7000, http 8078)"
    haproxy -D -f "$HA/haproxy.cfg" -p "$HA/run/haproxy.pid" >>"$HA/log/haproxy.log" 2>&1
  fi
}

ensure_db() {
  # Odoo refuses to connect as postgres: its own role (no superuser), owner of the database
  ha_psql 5440 "do \$\$ begin
    if not exists (select 1 from pg_roles where rolname = 'odoo') then create role odoo login createdb; end if;
  end \$\$; alter role odoo password '$(secret ODOO_PASSWORD)'" >/dev/null
  local stamp="$HA/.$DB.installed"
  if [ -f "$stamp" ] && [ "$(ha_psql 5440 "select 1 from pg_database where datname='$DB'")" = 1 ]; then
    # the addon's code changed since the last update: update the module
    if [ -n "$(find -L "$ADDON_DIR" -newer "$stamp" \( -name '*.py' -o -name '*.xml' -o -name '*.csv' \) \
               -not -path '*/scripts/*' -not -path '*/node_modules/*' -not -path '*/tests/*' -print -quit)" ]; then
      echo "[ha] updating prepaid_electricity in $DB"
      odoo -c "$HA/odoo.conf" -d "$DB" -u prepaid_electricity --stop-after-init --no-http --workers 0 \
        >"$HA/log/odoo-update.log" 2>&1 || { tail -30 "$HA/log/odoo-update.log"; return 1; }
      touch "$stamp"
    fi
    return 0
  fi
  if ! db_exists "$SOURCE_DB" || [ ! -f "$RT/data/.$SOURCE_DB.installed" ]; then
    mkdir -p "$RT/run"
    install_demo_db "$SOURCE_DB" "$HA/log/demo-install.log"   # a fresh machine: the demo first
  fi
  echo "[ha] creating $DB from a pg_dump of $SOURCE_DB (main cluster), then updating the addon"
  ha_psql 5440 "drop database if exists $DB with (force)" >/dev/null
  ha_psql 5440 "create database $DB owner odoo" >/dev/null
  pg_dump -Fc "$SOURCE_DB" >"$HA/run/$DB.dump"
  PGPASSWORD=$(secret ODOO_PASSWORD) pg_restore -h 127.0.0.1 -p 5440 -U odoo --no-owner --no-acl \
    -d "$DB" "$HA/run/$DB.dump" >"$HA/log/restore.log" 2>&1 || { tail -20 "$HA/log/restore.log"; return 1; }
  rm -f "$HA/run/$DB.dump"
  rm -rf "$HA/odoo-data/filestore/$DB"; mkdir -p "$HA/odoo-data/filestore"
  [ -d "$RT/data/filestore/$SOURCE_DB" ] && cp -a "$RT/data/filestore/$SOURCE_DB" "$HA/odoo-data/filestore/$DB"
  # a copy is another database: its own uuid (the demo's bridges and caches stay the demo's)
  ha_psql 5440 "update ir_config_parameter set value=gen_random_uuid()::text where key='database.uuid'" "$DB" >/dev/null
  odoo -c "$HA/odoo.conf" -d "$DB" -u prepaid_electricity --stop-after-init --no-http --workers 0 \
    >"$HA/log/odoo-update.log" 2>&1 || { tail -30 "$HA/log/odoo-update.log"; return 1; }
  touch "$stamp"
}

start_odoo() {  # start_odoo NAME CONF PORT [NICENESS]: an Odoo in multi-worker mode
  local name=$1 conf=$2 port=$3 niceness=${4:-0}
  if alive "$name" && http_ok "http://127.0.0.1:$port/web/login" && [ ! "$conf" -nt "$HA/run/$name.pid" ]; then
    return 0
  fi
  stop_pid "$name" 20
  echo "[ha] starting Odoo $name ($(sed -n 's/^workers = //p' "$conf") workers, http $port; log $HA/log/$name.log)"
  nohup nice -n "$niceness" "$VENV/bin/python" "$RT/odoo/usr/bin/odoo" -c "$conf" >>"$HA/log/$name.out" 2>&1 &
  echo $! >"$HA/run/$name.pid"
  wait_for 120 "Odoo $name on $port" http_ok "http://127.0.0.1:$port/web/login" \
    || { tail -20 "$HA/log/$name.log"; return 1; }
}

up() {
  bash "$ADDON_DIR/scripts/ha_setup.sh"
  configure
  start_etcd
  start_node n1
  start_node n2
  wait_for 120 "a Patroni leader" leader_port || { tail -20 "$HA"/log/n*/patroni.out; exit 1; }
  wait_for 180 "a synchronous standby" has_sync_standby || { patronictl -c "$HA/n1.yml" list; exit 1; }
  if [ ${#CHANGED_NODES[@]} -gt 0 ]; then
    # a running node's configuration changed (e.g. archiving, once pgbackrest.conf exists): reload
    # it, and restart PostgreSQL where a parameter needs it (archive_mode), one node after the other
    echo "[ha] configuration changed on ${CHANGED_NODES[*]}: reload, restart where pending"
    patronictl -c "$HA/n1.yml" reload prepaid --force >/dev/null
    sleep 6
    patronictl -c "$HA/n1.yml" restart prepaid --force --pending >/dev/null || true
    wait_for 180 "a synchronous standby" has_sync_standby || { patronictl -c "$HA/n1.yml" list; exit 1; }
  fi
  start_haproxy
  # HAProxy takes a server for up until its first check: wait for the checks to settle
  wait_for 30 "the primary through HAProxy (5440)" primary_on_5440
  ensure_db
  start_odoo odoo "$HA/odoo.conf" 8079
  # the reports yield the CPU to the sales (this one machine; in production they have their own)
  start_odoo odoo-reports "$HA/odoo-reports.conf" 8083 10
  wait_for 30 "Odoo through HAProxy (8078)" http_ok http://127.0.0.1:8078/web/login
  status
  echo "[ha] up: Odoo http://127.0.0.1:8078 (workers 8079, reports 8083, websocket 8082), PostgreSQL rw 127.0.0.1:5440, ro 127.0.0.1:5439, HAProxy stats http://127.0.0.1:7000"
}

stop() {
  stop_pid odoo 30 &
  stop_pid odoo-reports 30 &
  wait
  stop_pid haproxy 10
  pkill -f "haproxy .*-f $HA/haproxy.cfg" || true   # processes of earlier reloads, still finishing
  stop_pid n1 60 &
  stop_pid n2 60 &
  wait
  stop_pid etcd 20
  echo "[ha] stopped (data kept in $HA)"
}

status() {
  if alive n1 || alive n2; then
    patronictl -c "$HA/n1.yml" list
  else
    echo "[ha] the Patroni nodes are not running"
  fi
  for name in etcd n1 n2 haproxy odoo odoo-reports; do
    printf '  %-8s %s\n' "$name" "$(alive "$name" && echo "running (pid $(cat "$HA/run/$name.pid"))" || echo stopped)"
  done
}

case "${1:-}" in
  up) up ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 up|stop|status" >&2; exit 2 ;;
esac
