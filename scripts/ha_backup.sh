#!/usr/bin/env bash
# `make backup [TYPE=full|diff|incr]`: a pgBackRest backup of the database cluster (the `make ha`
# nodes by default, from the standby when one runs) and a copy of Odoo's filestore labelled with
# it, both in PREPAID_BACKUP_DIR (default $RT/backups). The WAL in between is archived
# continuously by PostgreSQL's archive_command into the same repository, so `make restore` can
# go back to any moment after the oldest backup kept. Settings: scripts/ha/backup_common.sh.
#
# Scheduled backups: `make backup-schedule` (scripts/ha_backup_schedule.sh) writes the cron lines
# (a full backup every Sunday at 01:30 and an incremental one the other nights; four full backups
# kept). PREPAID_BACKUP_DIR=/mnt/backup-disk/prepaid before `make` keeps them on another disk.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$ADDON_DIR/scripts/ha/backup_common.sh"
TYPE=${TYPE:-full}
case "$TYPE" in full|diff|incr) ;; *) echo "TYPE must be full, diff or incr" >&2; exit 2 ;; esac

ensure_pgbackrest
write_conf

# which node is the primary, which a standby (pgBackRest copies the files from a standby when
# there is one, to spare the primary; it reads only the start/stop from the primary)
find_roles() {
  primary="" standby=""
  local node
  for node in $(present_nodes); do
    case "$(node_sql "${node##*:}" 'select pg_is_in_recovery()' || true)" in
      f) primary=$node ;;
      t) standby=$node ;;
    esac
  done
}
find_roles
[ -n "$primary" ] || { echo "no running primary among: $(present_nodes | tr '\n' ' ')" >&2; exit 1; }
if [ -z "${PREPAID_BACKUP_NODES:-}" ]; then
  # the `make ha` cluster archives once $BK_CONF exists (just written): `ha.sh up` renders its
  # nodes' configuration again, reloads a changed archive_command and, the first time, restarts
  # the nodes one after the other (archive_mode needs it); nothing when it is up to date
  [ "$(node_sql "${primary##*:}" 'show archive_mode')" = on ] \
    || say "turning WAL archiving on in the make ha cluster (its nodes restart one after the other)"
  bash "$ADDON_DIR/scripts/ha.sh" up >/dev/null
  find_roles
fi
[ "$(node_sql "${primary##*:}" 'show archive_mode')" = on ] \
  || { echo "archive_mode is off on ${primary}: WAL is not archived, no point-in-time restore." >&2
       echo "Set archive_mode = on and archive_command = 'pgbackrest --config=$BK_CONF --stanza=$BK_STANZA" >&2
       echo "archive-push %p' on every node, restart them, and run make backup again." >&2; exit 1; }

if [ ! -f "$BK_REPO/backup/$BK_STANZA/backup.info" ]; then
  say "creating the stanza $BK_STANZA in $BK_REPO"
  pgbr stanza-create >/dev/null
fi
pgbr check >/dev/null || { echo "pgbackrest check failed (archive_command?): see $BK_STATE/log" >&2; exit 1; }

opts=(--type="$TYPE")
if [ -n "$standby" ]; then opts+=(--backup-standby); else opts+=(--no-backup-standby); fi
say "$TYPE backup of $BK_STANZA (primary ${primary}${standby:+, copied from the standby $standby})"
start=$(date +%s.%N)
pgbr backup "${opts[@]}" >/dev/null
label=$(backup_list | tail -1 | cut -d' ' -f1)
secs=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")

# Odoo's filestore: attachments are files named by their content (never rewritten), so a copy
# per backup is enough; the copy of a backup is kept as long as the backup.
mkdir -p "$BK_FILES"
if [ -d "$BK_FILESTORE" ]; then
  tar -C "$(dirname "$BK_FILESTORE")" -czf "$BK_FILES/$label.tar.gz.part" "$(basename "$BK_FILESTORE")"
  mv "$BK_FILES/$label.tar.gz.part" "$BK_FILES/$label.tar.gz"
  files="$(find "$BK_FILESTORE" -type f | wc -l) files, $(du -sh "$BK_FILES/$label.tar.gz" | cut -f1)"
else
  files="none: $BK_FILESTORE does not exist"
fi
# copies of backups that pgBackRest has expired go with them
labels=$(backup_list | cut -d' ' -f1)
for tarball in "$BK_FILES"/*.tar.gz; do
  [ -e "$tarball" ] || continue
  grep -qxF "$(basename "$tarball" .tar.gz)" <<<"$labels" || { say "removing expired $tarball"; rm -f "$tarball"; }
done

size=$(pgbr info --set="$label" --output=json | python3 -c '
import json, sys
b = json.load(sys.stdin)[0]["backup"][-1]["info"]
size, stored = b["size"] / 2**20, b["repository"]["delta"] / 2**20
print(f"database {size:.1f} MiB, stored {stored:.1f} MiB")')
say "backup $label done in ${secs}s ($size)"
say "filestore of $BK_DB: $files"
say "kept in $BK_DIR; backups: $(tr '\n' ' ' <<<"$labels")"
