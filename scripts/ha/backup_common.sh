# Shared settings of scripts/ha_backup.sh and scripts/ha_restore.sh (sourced after env.sh).
# Everything can be changed with environment variables; the defaults are the `make ha` cluster.
#   PREPAID_BACKUP_DIR     where backups are kept (pgBackRest repository + filestore copies)
#   PREPAID_BACKUP_CONF    the pgBackRest configuration written from scripts/ha/pgbackrest.conf.in
#   PREPAID_BACKUP_NODES   the cluster's nodes on this host, "DATADIR:PORT DATADIR:PORT"
#   PREPAID_BACKUP_SOCKET  PostgreSQL's unix socket directory (pgBackRest connects through it)
#   PREPAID_BACKUP_DB      Odoo's database, whose filestore is copied with each backup
#   PREPAID_BACKUP_FILESTORE  that filestore (Odoo's data_dir/filestore/DB)
#   PREPAID_BACKUP_RETENTION  full backups kept
BK_STANZA=${PREPAID_BACKUP_STANZA:-prepaid}
BK_DIR=${PREPAID_BACKUP_DIR:-$RT/backups}
BK_CONF=${PREPAID_BACKUP_CONF:-$RT/ha/pgbackrest.conf}
BK_STATE="$(dirname "$BK_CONF")/pgbackrest"
BK_NODES=${PREPAID_BACKUP_NODES:-"$RT/ha/n1:5441 $RT/ha/n2:5442"}
BK_SOCKET=${PREPAID_BACKUP_SOCKET:-$RT/ha/sock}   # the `make ha` nodes' unix_socket_directories
BK_DB=${PREPAID_BACKUP_DB:-prepaid_ha}
BK_FILESTORE=${PREPAID_BACKUP_FILESTORE:-$RT/ha/odoo-data/filestore/$BK_DB}
BK_RETENTION=${PREPAID_BACKUP_RETENTION:-4}
BK_REPO="$BK_DIR/pgbackrest"
BK_FILES="$BK_DIR/filestore/$BK_DB"
PG_BIN=/usr/lib/postgresql/15/bin

say() { echo "[backup] $*"; }
as_pg() { runuser -u postgres -- "$@"; }
pgbr() { as_pg pgbackrest --config="$BK_CONF" --stanza="$BK_STANZA" "$@"; }
# psql on a node as postgres: node_sql PORT SQL
node_sql() { as_pg "$PG_BIN/psql" -h "$BK_SOCKET" -p "$1" -XAtqc "$2" postgres 2>/dev/null; }

ensure_pgbackrest() {
  command -v pgbackrest >/dev/null && return
  say "installing pgbackrest (Debian)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends pgbackrest >/dev/null
}

# postgres (archive_command, backups) must reach paths under $RT, which may sit in root's home:
# give the directories above them the search (x) permission only, no listing.
ensure_reachable() {
  local dir
  for dir in "$@"; do
    while [ "$dir" != / ]; do
      [ -d "$dir" ] && ! as_pg test -x "$dir" && { say "letting postgres traverse $dir (o+x)"; chmod o+x "$dir"; }
      dir=$(dirname "$dir")
    done
  done
}

# the nodes whose data directory exists: "path:port" lines
present_nodes() {
  local node
  for node in $BK_NODES; do [ -f "${node%:*}/PG_VERSION" ] && echo "$node"; done
}

write_conf() {
  local nodes="" i=0 node tmp
  for node in $(present_nodes); do
    i=$((i + 1))
    nodes+="pg$i-path=${node%:*}"$'\n'"pg$i-port=${node##*:}"$'\n'"pg$i-socket-path=$BK_SOCKET"$'\n'"pg$i-user=postgres"$'\n'
  done
  [ "$i" -gt 0 ] || { echo "no PostgreSQL data directory among: $BK_NODES" >&2; return 1; }
  mkdir -p "$(dirname "$BK_CONF")" "$BK_STATE"/{log,lock,spool} "$BK_REPO" "$BK_FILES"
  chown -R postgres:postgres "$BK_STATE" "$BK_REPO"
  chmod 750 "$BK_REPO"
  ensure_reachable "$BK_STATE" "$BK_REPO" "$(dirname "$BK_CONF")"
  tmp=$(mktemp)
  NODES="${nodes%$'\n'}" CONF="$BK_CONF" STANZA="$BK_STANZA" REPO="$BK_REPO" RETENTION="$BK_RETENTION" \
    STATE="$BK_STATE" python3 - "$ADDON_DIR/scripts/ha/pgbackrest.conf.in" >"$tmp" <<'PY'
import os, sys
text = open(sys.argv[1]).read()
for key, var in [('@PG_NODES@', 'NODES'), ('@CONF@', 'CONF'), ('@STANZA@', 'STANZA'), ('@REPO@', 'REPO'),
                 ('@RETENTION_FULL@', 'RETENTION'), ('@STATE@', 'STATE')]:
    text = text.replace(key, os.environ[var])
sys.stdout.write(text)
PY
  if ! cmp -s "$tmp" "$BK_CONF"; then install -m 644 "$tmp" "$BK_CONF"; say "wrote $BK_CONF"; fi
  rm -f "$tmp"
}

# the backups of the repository as "label stop_epoch type" lines, oldest first
backup_list() {
  pgbr info --output=json 2>/dev/null | python3 -c '
import json, sys
for stanza in json.load(sys.stdin):
    for b in stanza.get("backup", []):
        print(b["label"], b["timestamp"]["stop"], b["type"])'
}
