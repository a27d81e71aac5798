#!/usr/bin/env bash
# Idempotent set-up of everything prepaid_electricity needs on a Debian bookworm machine:
# system packages, Odoo 19 from Debian's package (unpacked privately, never installed),
# a Python virtualenv with pinned requirements, a running PostgreSQL and an Odoo config.
# A second run reuses what is there and notices a changed Odoo build or requirements file.
set -euo pipefail

ADDON_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RT=${PREPAID_RUNTIME:-$HOME/.cache/prepaid_electricity}
ODOO_PKG=odoo-19
ODOO_WANTED=19.0.0+dfsg-1
say() { printf '[setup] %s\n' "$*"; }

mkdir -p "$RT"

# --- 1. System packages (bookworm) ----------------------------------------------------------
# fonts-wqy-microhei: a small CJK font (1.6 MB), without which wkhtmltopdf prints every Chinese
# label of a receipt or report blank.
SYSTEM_PACKAGES=(
  postgresql wkhtmltopdf chromium pcscd libpcsclite-dev swig vsmartcard-vpcd
  libjs-jquery libjs-underscore libjs-jquery-form fonts-font-awesome
  fonts-roboto-unhinted fonts-inconsolata fonts-ocr-b fonts-wqy-microhei libmagic1 poppler-utils gettext
)
missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing system packages: ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >"$RT/apt-install.log" 2>&1 \
    || { tail -20 "$RT/apt-install.log"; exit 1; }
  fc-cache -f >/dev/null 2>&1 || true
fi

# --- 2. A private apt configuration for sid (Odoo 19) and trixie (Montserrat) ---------------
# The mirror is the machine's own: taken from its apt configuration, never hard-coded.
mirror=$(grep -h -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
if [ -z "$mirror" ]; then
  mirror=$(grep -h -E '^deb ' /etc/apt/sources.list 2>/dev/null | grep -v security | awk '{for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' | head -1 || true)
fi
[ -n "$mirror" ] || { echo "no Debian mirror found in the machine's apt configuration" >&2; exit 1; }
APT_DIR="$RT/apt"
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$RT/debs"
cat >"$APT_DIR/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main
SRC
APT_OPTS=(-o "Dir::Etc::sourcelist=$APT_DIR/sources.list" -o "Dir::Etc::sourceparts=/nonexistent"
          -o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::Cache=$APT_DIR/cache"
          -o "APT::Default-Release=" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
# Refresh the private lists at most once a day.
if [ -z "$(find "$APT_DIR/lists" -name '*sid*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  say "updating the private apt lists (sid, trixie)"
  apt-get "${APT_OPTS[@]}" update -q >/dev/null
fi
candidates=$(apt-cache "${APT_OPTS[@]}" madison "$ODOO_PKG" | awk -F'|' '{gsub(/ /,"",$2); print $2}')
if grep -qx "$ODOO_WANTED" <<<"$candidates"; then
  odoo_version=$ODOO_WANTED
else
  odoo_version=$(grep '^19\.0' <<<"$candidates" | sort -V | tail -1 || true)
fi
[ -n "$odoo_version" ] || { echo "apt offers no $ODOO_PKG 19.0 build" >&2; exit 1; }
say "Odoo package: $ODOO_PKG $odoo_version"

fetch_deb() {  # fetch_deb NAME VERSION -> path of the .deb in $RT/debs
  local name=$1 version=$2 f
  f=$(ls "$RT/debs/${name}_${version//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
  if [ -z "$f" ]; then
    (cd "$RT/debs" && apt-get "${APT_OPTS[@]}" download -q "$name=$version" >/dev/null)
    f=$(ls "$RT/debs/${name}_${version//:/%3a}_"*.deb | head -1)
  fi
  echo "$f"
}

ODOO_ROOT="$RT/odoo-$odoo_version"
if [ ! -f "$ODOO_ROOT/.unpacked" ]; then
  deb=$(fetch_deb "$ODOO_PKG" "$odoo_version")
  say "unpacking $(basename "$deb")"
  rm -rf "$ODOO_ROOT"; mkdir -p "$ODOO_ROOT"
  dpkg -x "$deb" "$ODOO_ROOT"
  # The package links jquery, fonts... into its own usr/share: point those at the system's.
  for d in javascript fonts fonts-font-awesome; do
    rm -rf "${ODOO_ROOT:?}/usr/share/$d"; ln -s "/usr/share/$d" "$ODOO_ROOT/usr/share/$d"
  done
  # Debian's DFSG clean-up removed a file that web.assets_backend still lists.
  selfie="$ODOO_ROOT/usr/lib/python3/dist-packages/odoo/addons/mail/static/lib/selfie_segmentation/selfie_segmentation.js"
  mkdir -p "$(dirname "$selfie")"; [ -e "$selfie" ] || : >"$selfie"
  touch "$ODOO_ROOT/.unpacked"
fi
ln -sfn "$ODOO_ROOT" "$RT/odoo"

# Montserrat is not in bookworm: take trixie's font files (arch all) into the system fonts.
if [ ! -d /usr/share/fonts/truetype/montserrat ] && [ ! -d /usr/share/fonts/opentype/montserrat ]; then
  mv=$(apt-cache "${APT_OPTS[@]}" madison fonts-montserrat | awk -F'|' '$3 ~ /trixie/ {gsub(/ /,"",$2); print $2; exit}')
  deb=$(fetch_deb fonts-montserrat "$mv")
  say "installing fonts-montserrat $mv (trixie)"
  dpkg -x "$deb" "$RT/montserrat"
  cp -rn "$RT/montserrat/usr/share/fonts/." /usr/share/fonts/
fi
broken=$(find "$ODOO_ROOT/usr/lib/python3/dist-packages/odoo/addons" -xtype l 2>/dev/null | wc -l)
[ "$broken" -eq 0 ] || { say "warning: $broken broken symlinks left in the Odoo tree"; find "$ODOO_ROOT/usr/lib/python3/dist-packages/odoo/addons" -xtype l | head; }

# --- 3. The virtualenv ------------------------------------------------------------------------
VENV="$RT/venv"
req_hash=$(sha256sum "$ADDON_DIR/requirements.txt" | cut -c1-16)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$req_hash" ]; then
  say "installing Python requirements into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$ADDON_DIR/requirements.txt" >"$RT/pip.log" 2>&1 || { grep -v "^WARNING: Location" "$RT/pip.log" | tail -20; exit 1; }
  if [ -f "$ADDON_DIR/card_bridge/pyproject.toml" ]; then "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e "$ADDON_DIR/card_bridge"; fi
  if [ -f "$ADDON_DIR/head_end/pyproject.toml" ]; then "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e "$ADDON_DIR/head_end"; fi
  echo "$req_hash" >"$VENV/.requirements"
fi
# The head-end (head_end/, the `head-end` command) also in a virtualenv made before it existed.
if [ -f "$ADDON_DIR/head_end/pyproject.toml" ] && [ ! -x "$VENV/bin/head-end" ]; then
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e "$ADDON_DIR/head_end"
fi
# The lint tools (scripts/lint.sh): added to the same venv, never removing anything.
dev_hash=$(sha256sum "$ADDON_DIR/requirements-dev.txt" | cut -c1-16)
if [ "$(cat "$VENV/.requirements-dev" 2>/dev/null)" != "$dev_hash" ]; then
  say "installing the lint tools (requirements-dev.txt) into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$ADDON_DIR/requirements-dev.txt" >"$RT/pip-dev.log" 2>&1 || { grep -v "^WARNING: Location" "$RT/pip-dev.log" | tail -20; exit 1; }
  echo "$dev_hash" >"$VENV/.requirements-dev"
fi
# eslint for static/, pinned by package.json and package-lock.json, in the runtime's node_modules.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "installing nodejs and npm"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm >"$RT/apt-node.log" 2>&1 \
    || { tail -20 "$RT/apt-node.log"; exit 1; }
fi
npm_hash=$(cat "$ADDON_DIR/package.json" "$ADDON_DIR/package-lock.json" | sha256sum | cut -c1-16)
if [ ! -x "$RT/node_modules/.bin/eslint" ] || [ "$(cat "$RT/node_modules/.npm-hash" 2>/dev/null)" != "$npm_hash" ]; then
  say "installing eslint into $RT/node_modules"
  cp "$ADDON_DIR/package.json" "$ADDON_DIR/package-lock.json" "$ADDON_DIR/.npmrc" "$RT/"
  npm ci --prefix "$RT" --ignore-scripts --no-audit --no-fund >"$RT/npm.log" 2>&1 || { tail -20 "$RT/npm.log"; exit 1; }
  echo "$npm_hash" >"$RT/node_modules/.npm-hash"
fi

# --- 4. PostgreSQL ----------------------------------------------------------------------------
if ! pg_lsclusters -h 2>/dev/null | grep -q online; then
  cluster=$(pg_lsclusters -h | awk '{print $1" "$2; exit}')
  say "starting PostgreSQL cluster $cluster"
  pg_ctlcluster $cluster start
fi
for _ in $(seq 30); do su postgres -c "psql -Atqc 'select 1'" >/dev/null 2>&1 && break; sleep 0.5; done
me=$(id -un)
if ! su postgres -c "psql -Atqc \"select 1 from pg_roles where rolname='$me'\"" | grep -q 1; then
  say "creating PostgreSQL superuser role $me"
  su postgres -c "createuser --superuser '$me'"
fi

# --- 5. The addons folder and the Odoo configuration -----------------------------------------
mkdir -p "$RT/addons" "$RT/data"
ln -sfn "$ADDON_DIR" "$RT/addons/prepaid_electricity"
# The engine as a top-level package of its own (outside the addon's package, whose __init__
# imports Odoo): its tests run there with plain pytest and Odoo off the path.
mkdir -p "$RT/standalone"
ln -sfn "$ADDON_DIR/engine" "$RT/standalone/engine"
KEYFILE="$RT/card_keys.json"
cat >"$RT/odoo.conf" <<CONF
[options]
addons_path = $ODOO_ROOT/usr/lib/python3/dist-packages/odoo/addons,$RT/addons
data_dir = $RT/data
db_user = $me
http_interface = 127.0.0.1
http_port = 8069
list_db = True
prepaid_card_key_file = $KEYFILE
CONF
# Card master keys of the demo station (310101), created once, mode 0600, never in the database.
if [ ! -f "$KEYFILE" ]; then
  (umask 077; "$VENV/bin/python" -c 'import json, secrets, sys; json.dump({"310101": {"1": secrets.token_hex(16)}}, open(sys.argv[1], "w"))' "$KEYFILE")
fi
echo "$odoo_version" >"$RT/odoo-version"
say "runtime ready in $RT (Odoo $odoo_version)"
