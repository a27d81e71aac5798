#!/usr/bin/env bash
# `make backup-schedule`: scheduled backups of the `make ha` cluster with cron (Debian's cron,
# installed and started when missing): a full backup every Sunday and an incremental one the other
# nights, at PREPAID_BACKUP_TIME ("MINUTE HOUR", default "30 1"), kept in PREPAID_BACKUP_DIR, logged
# to PREPAID_BACKUP_LOG. The schedule is /etc/cron.d/prepaid-electricity-backup;
# `make backup-schedule OFF=1` removes it. WAL is archived continuously in between (archive_command),
# so a restore can reach any moment, not only the nights.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$ADDON_DIR/scripts/ha/backup_common.sh"
CRON_FILE=${PREPAID_BACKUP_CRON_FILE:-/etc/cron.d/prepaid-electricity-backup}
LOG=${PREPAID_BACKUP_LOG:-/var/log/prepaid-electricity-backup.log}
read -r MINUTE HOUR <<<"${PREPAID_BACKUP_TIME:-30 1}"
say() { echo "[backup-schedule] $*"; }

if [ -n "${OFF:-}" ]; then
  rm -f "$CRON_FILE"
  say "removed $CRON_FILE: no scheduled backups"
  exit 0
fi
[[ "$MINUTE" =~ ^[0-9]+$ && "$HOUR" =~ ^[0-9]+$ && $MINUTE -lt 60 && $HOUR -lt 24 ]] \
  || { echo "PREPAID_BACKUP_TIME must be \"MINUTE HOUR\", e.g. \"30 1\"" >&2; exit 2; }
if ! command -v cron >/dev/null; then
  say "installing cron (Debian)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends cron >/dev/null
fi
# make backup runs as root (it runs pgBackRest as the postgres OS user itself)
cat >"$CRON_FILE.new" <<EOF
# Scheduled backups of the prepaid electricity database cluster and Odoo's filestore.
# Written by \`make backup-schedule\` (scripts/ha_backup_schedule.sh): run it again to change them.
SHELL=/bin/bash
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PREPAID_RUNTIME=$RT
PREPAID_BACKUP_DIR=$BK_DIR
$MINUTE $HOUR * * 0   root cd $ADDON_DIR && make backup TYPE=full >>$LOG 2>&1
$MINUTE $HOUR * * 1-6 root cd $ADDON_DIR && make backup TYPE=incr >>$LOG 2>&1
EOF
chmod 644 "$CRON_FILE.new"
mv "$CRON_FILE.new" "$CRON_FILE"
if ! pgrep -x cron >/dev/null; then
  say "starting cron"
  service cron start >/dev/null 2>&1 || cron
fi
say "full backup on Sundays, incremental the other days, at $(printf '%02d:%02d' "$HOUR" "$MINUTE"), into $BK_DIR"
say "schedule: $CRON_FILE; log: $LOG"
