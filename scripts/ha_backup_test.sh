#!/usr/bin/env bash
# `make backup-test`: the restore test, on a throwaway PostgreSQL 15 instance of its own
# ($RT/ha-backup-test, port PREPAID_BACKUP_TEST_PORT=5451, archive_command to pgBackRest as on
# the `make ha` cluster) and a streaming standby of it (port + 1: the backup copies its files from
# the standby, as on the `make ha` cluster), holding an Odoo database with the addon:
#   vends A (+ attachment A) -> `make backup` -> vends B (+ attachment B) -> time T -> vends C
#   (+ attachment C) -> attachment A's file lost -> `make restore TARGET=T`
# and then exactly the vends A and B exist, none of C, and the attachments A and B read back.
# Then vends D and `make restore` (latest, across the new timeline): A, B and D, no C.
# Last, the same on a private two-node Patroni cluster (scripts/ha/backup_test_patroni.sh;
# PREPAID_BACKUP_TEST_PATRONI=0 skips it).
# The main cluster (5432) is only read (pg_dump of the base database).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
T="$RT/ha-backup-test"
PORT=${PREPAID_BACKUP_TEST_PORT:-5451}
DB=prepaid_backup_test
PGDATA_T="$T/pg"
STANDBY="$T/pg2"
export PREPAID_BACKUP_CONF="$T/pgbackrest.conf" PREPAID_BACKUP_DIR="$T/backups" \
  PREPAID_BACKUP_NODES="$PGDATA_T:$PORT $STANDBY:$((PORT + 1))" PREPAID_BACKUP_DB=$DB \
  PREPAID_BACKUP_FILESTORE="$T/odoo-data/filestore/$DB" PREPAID_RESTORE_MODE=pg_ctl \
  PREPAID_BACKUP_SOCKET=/var/run/postgresql
source "$ADDON_DIR/scripts/ha/backup_common.sh"
PY="$VENV/bin/python $ADDON_DIR/scripts/ha_backup_vends.py -c $T/odoo.conf -d $DB"
say() { echo "[backup-test] $*"; }
now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.1f}')"; }

bash "$ADDON_DIR/scripts/setup.sh" >/dev/null
ensure_pgbackrest

# --- a new instance: archive_mode on, WAL to pgBackRest -------------------------------------------
for dir in "$PGDATA_T" "$STANDBY"; do
  if [ -f "$dir/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$dir" stop -m immediate >/dev/null || true; fi
done
rm -rf "$T"
mkdir -p "$T/odoo-data"
ensure_reachable "$T"
install -d -m 700 -o postgres -g postgres "$PGDATA_T" "$STANDBY"
install -d -o postgres -g postgres "$T/log"
as_pg "$PG_BIN/initdb" -D "$PGDATA_T" --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$T/initdb.log"
cat >>"$PGDATA_T/postgresql.conf" <<CONF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$BK_SOCKET'
shared_buffers = 64MB
wal_level = replica
archive_mode = on
archive_command = 'pgbackrest --config=$PREPAID_BACKUP_CONF --stanza=$BK_STANZA archive-push %p'
CONF
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_T" -l "$T/log/postgresql.log" -w start >/dev/null
as_pg "$PG_BIN/psql" -h "$BK_SOCKET" -p "$PORT" -XAtqc "create role root superuser login" postgres
as_pg "$PG_BIN/pg_basebackup" -h "$BK_SOCKET" -p "$PORT" -D "$STANDBY" -R -X stream -c fast
echo "port = $((PORT + 1))" >>"$STANDBY/postgresql.conf"
as_pg "$PG_BIN/pg_ctl" -D "$STANDBY" -l "$T/log/standby.log" -w start >/dev/null
say "instance on port $PORT in $PGDATA_T (archive_command: pgbackrest archive-push), standby on $((PORT + 1))"

# --- an Odoo database with the addon (from the main cluster's base database) ---------------------
sed -e "s|^data_dir *=.*|data_dir = $T/odoo-data|" "$CONF" >"$T/odoo.conf"
printf 'db_port = %s\n' "$PORT" >>"$T/odoo.conf"
ensure_base_db prepaid_base
start=$(now)
createdb -h "$BK_SOCKET" -p "$PORT" "$DB"
pg_dump -Fc prepaid_base | pg_restore -h "$BK_SOCKET" -p "$PORT" -d "$DB" --no-owner
mkdir -p "$T/odoo-data/filestore"
[ -d "$RT/data/filestore/prepaid_base" ] && cp -a "$RT/data/filestore/prepaid_base" "$T/odoo-data/filestore/$DB"
odoo module install -c "$T/odoo.conf" -d "$DB" prepaid_electricity >"$T/install.log" 2>&1 || { tail -30 "$T/install.log"; exit 1; }
say "database $DB with prepaid_electricity in $(since "$start")s"

# --- vends, backup, vends, T, vends --------------------------------------------------------------
$PY vend A 5 >"$T/A.json"
say "vends A: $(cat "$T/A.json")"
start=$(now)
bash "$ADDON_DIR/scripts/ha_backup.sh" | tee "$T/backup.log"
backup_secs=$(since "$start")
$PY vend B 5 >"$T/B.json"
say "vends B: $(cat "$T/B.json")"
sleep 1.2
TARGET=$(as_pg "$PG_BIN/psql" -h "$BK_SOCKET" -p "$PORT" -XAtqc \
  "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'" postgres)
as_pg "$PG_BIN/psql" -h "$BK_SOCKET" -p "$PORT" -XAtqc "select pg_switch_wal()" postgres >/dev/null
sleep 1.2
say "T = $TARGET"
$PY vend C 5 >"$T/C.json"
say "vends C: $(cat "$T/C.json")"
lost=$($PY file A)
rm -f "$lost"
say "attachment A's file lost: $lost"

# --- restore to T -------------------------------------------------------------------------------
start=$(now)
TARGET="$TARGET" bash "$ADDON_DIR/scripts/ha_restore.sh" | tee "$T/restore.log"
restore_secs=$(since "$start")

# --- check ----------------------------------------------------------------------------------------
$PY state >"$T/state.json"
python3 - "$T" "$backup_secs" "$restore_secs" <<'PY' && status=0 || status=$?
import json, sys
t, backup_secs, restore_secs = sys.argv[1:]
a, b, c = (set(json.load(open(f'{t}/{name}.json'))) for name in 'ABC')
state = json.load(open(f'{t}/state.json'))
have = set(state['vends'])
expected = a | b
missing, extra = expected - have, have - expected
after_t = have & c
print(f"[backup-test] vends committed before T: {len(expected)}, after T: {len(c)}; after the restore: "
      f"{len(have)} (missing {len(missing)}, from after T {len(after_t)}, unknown {len(extra - c)})")
print(f"[backup-test] attachments after the restore: {state['attachments']} (expected A, B ok; no C)")
print(f"[backup-test] backup {backup_secs}s, restore {restore_secs}s")
ok = not missing and not extra and state['attachments'] == {'A': 'ok', 'B': 'ok'}
print('[backup-test] restore to T: ' + ('PASSED' if ok else 'FAILED'))
sys.exit(0 if ok else 1)
PY
if [ "$status" = 0 ]; then
  $PY vend D 5 >"$T/D.json"
  say "vends D (on the restored timeline): $(cat "$T/D.json")"
  start=$(now)
  TARGET=latest bash "$ADDON_DIR/scripts/ha_restore.sh" | tee "$T/restore-latest.log"
  restore_secs=$(since "$start")
  $PY state >"$T/state.json"
  python3 - "$T" "$restore_secs" <<'PY' && status=0 || status=$?
import json, sys
t, restore_secs = sys.argv[1:]
a, b, c, d = (set(json.load(open(f'{t}/{name}.json'))) for name in 'ABCD')
state = json.load(open(f'{t}/state.json'))
have, expected = set(state['vends']), a | b | d
print(f"[backup-test] restore to the latest WAL in {restore_secs}s: {len(have)} vends (expected {len(expected)}: "
      f"missing {len(expected - have)}, unexpected {len(have - expected)}), attachments {state['attachments']}")
ok = have == expected and state['attachments'] == {'A': 'ok', 'B': 'ok', 'D': 'ok'}
print('[backup-test] restore to the latest WAL: ' + ('PASSED' if ok else 'FAILED'))
sys.exit(0 if ok else 1)
PY
fi
if [ "${PREPAID_BACKUP_TEST_KEEP:-}" != 1 ]; then
  for dir in "$PGDATA_T" "$STANDBY"; do
    if [ -f "$dir/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$dir" stop -m fast >/dev/null || true; fi
  done
  say "instances stopped (PREPAID_BACKUP_TEST_KEEP=1 keeps it running); files in $T"
fi
# the Patroni way of the restore (scripts/ha/backup_test_patroni.sh: a private two-node cluster)
if [ "$status" = 0 ] && [ "${PREPAID_BACKUP_TEST_PATRONI:-1}" = 1 ]; then
  bash "$ADDON_DIR/scripts/ha/backup_test_patroni.sh" && status=0 || status=$?
fi
exit $status
