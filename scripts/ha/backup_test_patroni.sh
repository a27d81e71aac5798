#!/usr/bin/env bash
# The restore test of the Patroni way (scripts/ha_restore.sh, PREPAID_RESTORE_MODE=patroni) on a
# private two-node Patroni cluster laid out as `make ha`'s (scripts/ha/patroni.yml.in) but on
# other ports (etcd 2391, PostgreSQL 5461/5462, REST 8021/8022) in $RT/ha-backup-test/ha:
# rows A -> make backup (from the standby) -> rows B -> T -> rows C -> make restore TARGET=T ->
# exactly A and B on the new leader, and the second node streaming from it again.
# Run by hand: bash scripts/ha/backup_test_patroni.sh (the `make ha` cluster is not touched).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
HA="$RT/ha-backup-test/ha"
export PREPAID_BACKUP_CONF="$HA/pgbackrest.conf" PREPAID_BACKUP_DIR="$RT/ha-backup-test/ha-backups" \
  PREPAID_BACKUP_NODES="$HA/n1:5461 $HA/n2:5462" PREPAID_BACKUP_SOCKET="$HA/sock" PREPAID_BACKUP_DB=none \
  PREPAID_BACKUP_FILESTORE="$HA/odoo-data/filestore/none" PREPAID_RESTORE_MODE=patroni \
  PREPAID_PATRONI_CONFIGS="$HA/n1.yml $HA/n2.yml" PREPAID_RESTORE_STOP_ODOO=true
source "$ADDON_DIR/scripts/ha/backup_common.sh"
source "$ADDON_DIR/scripts/ha/patroni_node.sh"
say() { echo "[backup-test-patroni] $*"; }
sql() { node_sql "$1" "$2"; }
leader_port() { for p in 5461 5462; do [ "$(sql $p 'select pg_is_in_recovery()' || true)" = f ] && { echo $p; return; }; done; return 1; }
stop_all() {
  local name pid
  for name in n1 n2 etcd; do
    [ -f "$HA/run/$name.pid" ] || continue
    pid=$(cat "$HA/run/$name.pid"); kill "$pid" 2>/dev/null || true
    for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    rm -f "$HA/run/$name.pid"
  done
}
ensure_pgbackrest
stop_all 2>/dev/null || true
rm -rf "$HA" "$PREPAID_BACKUP_DIR"
mkdir -p "$HA"/{log/n1,log/n2,run,sock,etcd,n1,n2}
ensure_reachable "$HA"
write_conf 2>/dev/null || true     # no data directory yet: the configuration is written again below
touch "$HA/pgbackrest.conf"
for name in n1 n2; do
  rest=$([ $name = n1 ] && echo 8021 || echo 8022); port=$([ $name = n1 ] && echo 5461 || echo 5462)
  sed -e "s|@NAME@|$name|g; s|@HA@|$HA|g; s|@REST@|$rest|g; s|@PORT@|$port|g; s|@PGPASS@|pg-test|g" \
      -e "s|@REPLPASS@|repl-test|g; s|@ARCHIVE_MODE@|on|g; s|127.0.0.1:2381|127.0.0.1:2391|" \
      -e "s|@ARCHIVE_COMMAND@|pgbackrest --config=$HA/pgbackrest.conf --stanza=prepaid --pg1-path=$HA/$name archive-push %p|" \
      "$ADDON_DIR/scripts/ha/patroni.yml.in" >"$HA/$name.yml"
  chown postgres:postgres "$HA/$name.yml" "$HA/$name" "$HA/log/$name"; chmod 600 "$HA/$name.yml"; chmod 700 "$HA/$name"
done
chown postgres:postgres "$HA/sock" "$HA/run"
nohup etcd --name backup-test --data-dir "$HA/etcd" --listen-client-urls http://127.0.0.1:2391 \
  --advertise-client-urls http://127.0.0.1:2391 --listen-peer-urls http://127.0.0.1:2392 \
  --initial-advertise-peer-urls http://127.0.0.1:2392 --initial-cluster backup-test=http://127.0.0.1:2392 \
  --listen-metrics-urls http://127.0.0.1:2393 >"$HA/log/etcd.log" 2>&1 &
echo $! >"$HA/run/etcd.pid"
sleep 2
start_patroni n1
for _ in $(seq 90); do leader_port >/dev/null && break; sleep 1; done
start_patroni n2
for _ in $(seq 120); do [ "$(sql 5462 'select pg_is_in_recovery()' || true)" = t ] && break; sleep 1; done
patronictl -c "$HA/n1.yml" list
LP=$(leader_port)
sql "$LP" "create table vend (id text primary key, at timestamptz default clock_timestamp())"
vend() { for i in 1 2 3 4 5; do sql "$(leader_port)" "insert into vend (id) values ('$1-$i')"; done; }

vend A
bash "$ADDON_DIR/scripts/ha_backup.sh"
vend B
sleep 1.2
TARGET=$(sql "$LP" "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
sleep 1.2
vend C
say "T = $TARGET"
start=$(date +%s)
TARGET="$TARGET" PREPAID_RESTORE_START_HA="$(declare -f start_patroni); HA='$HA'; start_patroni n2" \
  bash "$ADDON_DIR/scripts/ha_restore.sh"
for _ in $(seq 120); do [ "$(sql 5462 'select pg_is_in_recovery()' || true)" = t ] && break; sleep 1; done
patronictl -c "$HA/n1.yml" list
have=$(sql "$(leader_port)" "select string_agg(id, ' ' order by id) from vend")
replica=$(sql 5462 "select string_agg(id, ' ' order by id) from vend" || true)
say "restore in $(( $(date +%s) - start ))s; on the leader: $have; on the replica: $replica"
stop_all
expected="A-1 A-2 A-3 A-4 A-5 B-1 B-2 B-3 B-4 B-5"
if [ "$have" = "$expected" ] && [ "$replica" = "$expected" ]; then say PASSED; else say "FAILED (expected $expected)"; exit 1; fi
