# Shared paths of the runtime; sourced by the other scripts.
ADDON_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RT=${PREPAID_RUNTIME:-$HOME/.cache/prepaid_electricity}
VENV="$RT/venv"
CONF="$RT/odoo.conf"
ODOO_PY="$RT/odoo/usr/lib/python3/dist-packages"
export PYTHONPATH="$ODOO_PY${PYTHONPATH:+:$PYTHONPATH}"
odoo() { "$VENV/bin/python" "$RT/odoo/usr/bin/odoo" "$@"; }
db_exists() { psql -Atqc "select 1 from pg_database where datname='$1'" postgres | grep -q 1; }
# A base database with Odoo's own modules (Chinese company, chart of accounts), built once per
# Odoo build and copied for every test run: installing our addon on it takes seconds.
ensure_base_db() {  # ensure_base_db NAME [--with-demo]
  local name=$1; shift
  local stamp="$RT/data/.$name.$(cat "$RT/odoo-version")"
  if db_exists "$name" && [ -f "$stamp" ]; then return; fi
  echo "[db] creating $name (Odoo, accounting, point of sale; Chinese company)"
  odoo db -c "$CONF" init "$name" --force --country CN "$@" >"$RT/$name-init.log" 2>&1 \
    || { tail -30 "$RT/$name-init.log"; return 1; }
  if [ "${1:-}" = --with-demo ]; then
    # the station's staff work in Chinese: the language is there for them to choose
    odoo i18n loadlang -c "$CONF" -d "$name" -l zh_CN >>"$RT/$name-init.log" 2>&1 \
      || { tail -30 "$RT/$name-init.log"; return 1; }
  fi
  odoo module install -c "$CONF" -d "$name" account l10n_cn >>"$RT/$name-init.log" 2>&1 \
    || { tail -30 "$RT/$name-init.log"; return 1; }
  if [ "${1:-}" = --with-demo ]; then
    # account's demo data always loads the generic chart (USD) on the main company: load
    # China's instead (with its accounting demo, in CNY), before the Point of Sale's demo
    # orders make the company's accounting impossible to replace.
    echo "env['account.chart.template'].try_loading('cn', env.ref('base.main_company'), install_demo=True); env.cr.commit()" \
      | odoo shell -c "$CONF" -d "$name" --no-http --log-level=warn >>"$RT/$name-init.log" 2>&1
    [ "$(psql -Atqc "select chart_template from res_company where id = 1" "$name")" = cn ] \
      || { tail -30 "$RT/$name-init.log"; echo "[db] China's chart of accounts did not load" >&2; return 1; }
  fi
  odoo module install -c "$CONF" -d "$name" point_of_sale >>"$RT/$name-init.log" 2>&1 \
    || { tail -30 "$RT/$name-init.log"; return 1; }
  touch "$stamp"
}
# The demo database (`make run`'s, and the source of `make ha`'s): installed once with the addon
# and its demo data. A new `make run` demo: its remote meters demo starts again (new head-end
# pairing, new virtual meters whose five days of history match the demo's base, no old reports).
install_demo_db() {  # install_demo_db NAME LOG
  ensure_base_db "$1" --with-demo
  echo "[db] installing prepaid_electricity with its demo data in $1"
  odoo module install -c "$CONF" -d "$1" prepaid_electricity >"$2" 2>&1 || { tail -40 "$2"; return 1; }
  touch "$RT/data/.$1.installed"
  if [ "$1" = "${PREPAID_DEMO_DB:-prepaid_demo}" ]; then   # `make run`'s devices were paired with the old one
    rm -f "$RT"/run/{head_end.json,head_end.json.spool.jsonl,head_end.json.rejected.jsonl,concentrator.json}
  fi
}
