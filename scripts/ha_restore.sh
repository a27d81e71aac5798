#!/usr/bin/env bash
# `make restore [TARGET="2026-12-07 20:55:00+00"]`: the database cluster back to the moment
# TARGET (a PostgreSQL timestamp; with its time zone, else the server's), or to the last archived
# WAL without TARGET (or TARGET=latest), and Odoo's filestore with it. pgBackRest picks the last
# backup finished before TARGET and replays the archived WAL up to TARGET: the transactions
# committed at or before TARGET are there, none committed after it. Then the server is promoted
# (a new timeline: take a new `make backup` soon after).
#
# A time target needs a commit after it in the archived WAL (PostgreSQL stops replaying at the
# first commit past TARGET; on an idle system, restore to latest instead).
#
# Odoo must not write meanwhile: stop it first (the script runs PREPAID_RESTORE_STOP_ODOO and
# PREPAID_RESTORE_START_ODOO, shell commands, when they are set).
#
# Two ways (PREPAID_RESTORE_MODE):
#   pg_ctl   plain PostgreSQL servers: all stopped, the first node of PREPAID_BACKUP_NODES
#            restored in place (pgBackRest --delta), started, promoted at TARGET; the others
#            are left stopped, to be cloned again from it.
#   patroni  the `make ha` cluster (the default when Patroni configurations are found):
#            1. the WAL written so far is archived (pgbackrest check, while the primary runs);
#            2. Patroni is stopped on both nodes (it stops their PostgreSQL);
#            3. the cluster's key is removed from etcd (`patronictl remove prepaid`), so that
#               Patroni accepts a new history;
#            4. node 1 is restored to TARGET, started alone with pg_ctl until it is promoted,
#               then stopped again;
#            5. Patroni is started on node 1 alone: it finds a data directory and no cluster in
#               etcd, and leads a new cluster on it;
#            6. node 2's data directory is emptied and `scripts/ha.sh up` starts the rest: Patroni
#               n2 clones the leader (what `patronictl reinit prepaid n2` does on a running
#               node), then HAProxy and Odoo.
#            (Odoo, both pools, is stopped through $HA/run/odoo*.pid, as `make ha-stop` does.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$ADDON_DIR/scripts/ha/backup_common.sh"
source "$ADDON_DIR/scripts/ha/patroni_node.sh"
TARGET=${TARGET:-latest}
HA="$(dirname "$BK_CONF")"
PATRONI_CONFS=${PREPAID_PATRONI_CONFIGS:-"$HA/n1.yml $HA/n2.yml"}
MODE=${PREPAID_RESTORE_MODE:-}
if [ -z "$MODE" ]; then
  MODE=pg_ctl
  for conf in $PATRONI_CONFS; do [ -f "$conf" ] && MODE=patroni; done
fi
[ -f "$BK_CONF" ] || { echo "no $BK_CONF: no backup was ever made (make backup)" >&2; exit 1; }
[ -n "$(backup_list)" ] || { echo "no backup in $BK_REPO" >&2; exit 1; }
ensure_pgbackrest
say() { echo "[restore] $*"; }

restore_opts=(--delta)
if [ "$TARGET" != latest ]; then
  restore_opts+=(--type=time "--target=$TARGET" --target-action=promote)
fi

running() { as_pg "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

# restore PGDATA PORT: stopped server -> restored -> started until promoted (left running)
restore_node() {
  local pgdata=$1 port=$2 start
  say "pgbackrest restore into $pgdata (${TARGET})"
  start=$(date +%s.%N)
  pgbr restore "--pg1-path=$pgdata" "${restore_opts[@]}" >/dev/null
  say "files restored in $(python3 -c "import time; print(f'{time.time() - $start:.1f}')")s; replaying the WAL"
  as_pg "$PG_BIN/pg_ctl" -D "$pgdata" -l "$BK_STATE/log/restore-postgresql.log" -w -t 3600 \
    -o "-p $port -c unix_socket_directories=$BK_SOCKET" start >/dev/null
  for _ in $(seq 600); do
    [ "$(node_sql "$port" 'select pg_is_in_recovery()' || true)" = f ] && break
    sleep 1
  done
  [ "$(node_sql "$port" 'select pg_is_in_recovery()' || true)" = f ] \
    || { tail -20 "$BK_STATE/log/restore-postgresql.log"; echo "the restored server was not promoted" >&2; exit 1; }
  # the recovery settings pgBackRest wrote into postgresql.auto.conf served once: a node that later
  # follows another (a standby after a failover) must not stop at the old target
  for setting in restore_command recovery_target_time recovery_target_action; do
    node_sql "$port" "alter system reset $setting" >/dev/null
  done
  node_sql "$port" 'select pg_reload_conf()' >/dev/null
  say "recovered and promoted in $(python3 -c "import time; print(f'{time.time() - $start:.1f}')")s (now on WAL $(node_sql "$port" \
    'select pg_walfile_name(pg_current_wal_lsn())' || true))"
}

# the filestore copy of the backup the database was restored from: the last one finished by TARGET
restore_filestore() {
  local port=$1 until label
  if [ "$TARGET" = latest ]; then until=9999999999
  else until=$(node_sql "$port" "select floor(extract(epoch from timestamptz '$TARGET'))::bigint"); fi
  label=$(backup_list | awk -v until="$until" '$2 <= until {label = $1} END {print label}')
  if [ -z "$label" ] || [ ! -f "$BK_FILES/$label.tar.gz" ]; then
    say "no filestore copy for the backup ${label:-?} in $BK_FILES: the filestore is left as it is"
    return
  fi
  # attachments are files named by their content: the copy's files are put back where they are
  # missing, files added since (still referenced by the restored database or not) stay
  # (Odoo's garbage collection removes those no attachment references)
  mkdir -p "$(dirname "$BK_FILESTORE")"
  tar -C "$(dirname "$BK_FILESTORE")" --skip-old-files -xzf "$BK_FILES/$label.tar.gz"
  say "filestore of $BK_DB: the files of backup $label put back into $BK_FILESTORE"
}

[ -z "${PREPAID_RESTORE_STOP_ODOO:-}" ] || { say "stopping Odoo"; bash -c "$PREPAID_RESTORE_STOP_ODOO"; }

if [ "$MODE" = pg_ctl ]; then
  node=$(present_nodes | head -1)
  pgdata=${node%:*} port=${node##*:}
  # the WAL written so far goes to the archive (a WAL switch, waited for), then the servers stop
  pgbr check >/dev/null 2>&1 || say "warning: pgbackrest check failed: the last WAL may not be archived"
  others=""
  for other in $(present_nodes); do
    [ "$other" = "$node" ] || others+=" ${other%:*}"
    if running "${other%:*}"; then
      say "stopping PostgreSQL (${other%:*})"
      as_pg "$PG_BIN/pg_ctl" -D "${other%:*}" -m fast -w stop >/dev/null
    fi
  done
  restore_node "$pgdata" "$port"
  restore_filestore "$port"
  [ -z "$others" ] || say "the other nodes ($others ) stay stopped: re-create them from $pgdata (pg_basebackup)"
else
  # the `make ha` layout (scripts/ha.sh): pid files in $HA/run, `ha.sh up` starts what is stopped
  node1=$(awk '{print $1}' <<<"$BK_NODES") node2=$(awk '{print $2}' <<<"$BK_NODES")
  pgdata1=${node1%:*} port1=${node1##*:} pgdata2=${node2%:*}
  conf1=$(awk '{print $1}' <<<"$PATRONI_CONFS")
  stop_pid() {  # stop_pid NAME: SIGTERM to the process of $HA/run/NAME.pid and wait (as ha.sh)
    local pid
    [ -f "$HA/run/$1.pid" ] && pid=$(cat "$HA/run/$1.pid") && kill -0 "$pid" 2>/dev/null || return 0
    say "stopping $1 ($pid)"
    kill "$pid"
    for _ in $(seq 240); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then echo "$1 did not stop" >&2; exit 1; fi
    rm -f "$HA/run/$1.pid"
  }
  # 1. archive what was written so far (while the primary runs)
  pgbr check >/dev/null 2>&1 || say "warning: pgbackrest check failed: the last WAL may not be archived"
  # 2. Odoo off (nothing writes), then Patroni on both nodes (SIGTERM: it stops its PostgreSQL)
  [ -n "${PREPAID_RESTORE_STOP_ODOO:-}" ] || { stop_pid odoo; stop_pid odoo-reports; }
  stop_pid n1
  stop_pid n2
  for pgdata in "$pgdata1" "$pgdata2"; do
    if running "$pgdata"; then as_pg "$PG_BIN/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null; fi
  done
  # 3. the cluster's key out of etcd (etcd keeps running)
  say "removing the cluster $BK_STANZA from etcd (patronictl remove)"
  printf '%s\nYes I am aware\n' "$BK_STANZA" | patronictl -c "$conf1" remove "$BK_STANZA" >/dev/null
  # 4. node 1 restored and promoted alone, then stopped for Patroni
  restore_node "$pgdata1" "$port1"
  restore_filestore "$port1"
  as_pg "$PG_BIN/pg_ctl" -D "$pgdata1" -m fast -w stop >/dev/null
  # 5.-6. node 2 emptied; `ha.sh up`: Patroni n1 finds data and no cluster in etcd and leads a new
  # cluster on it, Patroni n2 clones it (pg_basebackup, what `patronictl reinit` does), then
  # HAProxy and Odoo
  # Patroni n1 alone first (as ha.sh starts it): with node 2 empty and no cluster in etcd, a
  # Patroni n2 started at the same time could win the race to initialize a new, empty cluster
  say "starting Patroni n1 on the restored data"
  start_patroni n1 "$conf1"
  for _ in $(seq 120); do
    patronictl -c "$conf1" list 2>/dev/null | grep -Eq 'Leader *\| *running' && break
    sleep 1
  done
  patronictl -c "$conf1" list 2>/dev/null | grep -Eq 'Leader *\| *running' \
    || { tail -20 "$HA/log/n1/patroni.out"; echo "Patroni n1 did not become the leader" >&2; exit 1; }
  say "emptying node 2 ($pgdata2): it is cloned again from node 1"
  find "$pgdata2" -mindepth 1 -delete
  if [ -n "${PREPAID_RESTORE_START_HA:-}" ]; then bash -c "$PREPAID_RESTORE_START_HA"
  else bash "$ADDON_DIR/scripts/ha.sh" up; fi
  PREPAID_RESTORE_START_ODOO=${PREPAID_RESTORE_START_ODOO:-}
fi

[ -z "${PREPAID_RESTORE_START_ODOO:-}" ] || { say "starting Odoo"; bash -c "$PREPAID_RESTORE_START_ODOO"; }
say "done; take a new backup soon (make backup): the restored cluster is on a new timeline"
