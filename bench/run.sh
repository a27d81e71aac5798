#!/usr/bin/env bash
# Benchmarks: builds `prepaid_bench` and `prepaid_bench_reports` (once) and prints the figures.
# Not part of `make test`. `bash bench/run.sh reports` runs only the sales report benchmark,
# `bash bench/run.sh vend` only quote + vend (it also builds `prepaid_bench_empty`, the same
# accounts without history, to measure against). `bash bench/run.sh head_end` runs only the
# head-end's (10,000 virtual meters behind 100 virtual concentrators over loopback; no database).
# `bash bench/run.sh remote_billing` the engine's share of billing 100,000 remote meters' day (no database);
# `bash bench/run.sh remote` the whole of it through Odoo (reports of 1,000 readings), and its cost
# with 0 and 10,000,000 readings of history (`prepaid_bench_remote`, `prepaid_bench_remote_empty`).
# `bash bench/run.sh kiosk`: a kiosk's time from the card in to the card written (`prepaid_bench_kiosk`).
# `bash bench/run.sh ha`: Odoo in multi-worker mode on the HA cluster (`make ha`, started if needed):
# 100 clients vending for a minute, alone, then with accountants running reports on the replica.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
bash "$ADDON_DIR/scripts/setup.sh"
if [ "${1:-}" = head_end ]; then exec "$VENV/bin/python" "$ADDON_DIR/bench/head_end_bench.py"; fi
if [ "${1:-}" = ha ]; then
  bash "$ADDON_DIR/scripts/ha.sh" up
  exec "$VENV/bin/python" "$ADDON_DIR/bench/ha_bench.py" "${@:2}"
fi
if [ "${1:-}" = remote_billing ]; then exec env -u PYTHONPATH "$VENV/bin/python" "$ADDON_DIR/bench/remote_billing_bench.py"; fi
ensure_base_db prepaid_base

bench_db() {  # bench_db NAME LOG: a copy of the base with the addon, installed once, then upgraded
  if ! db_exists "$1"; then
    odoo db -c "$CONF" duplicate prepaid_base "$1" >/dev/null
    odoo module install -c "$CONF" -d "$1" prepaid_electricity >"$RT/$2" 2>&1
  else
    odoo -c "$CONF" -d "$1" -u prepaid_electricity --stop-after-init --no-http >"$RT/$2" 2>&1
  fi
}

if [ "${1:-}" = kiosk ]; then
  bench_db prepaid_bench_kiosk bench-kiosk-install.log
  pgrep -x -r R,S,D pcscd >/dev/null || { pcscd --auto-exit; sleep 1; }   # shared, as with the tests
  exec "$VENV/bin/python" "$ADDON_DIR/bench/kiosk_bench.py" prepaid_bench_kiosk "$CONF" "$RT/odoo/usr/bin/odoo"
fi
if [ "${1:-}" = remote ]; then
  bench_db prepaid_bench_remote bench-remote-install.log
  if db_exists prepaid_bench_remote_empty; then
    odoo -c "$CONF" -d prepaid_bench_remote_empty -u prepaid_electricity --stop-after-init --no-http \
      >"$RT/bench-remote-empty-upgrade.log" 2>&1
  fi
  exec "$VENV/bin/python" "$ADDON_DIR/bench/remote_odoo_bench.py" prepaid_bench_remote "$CONF"
fi

if [ "${1:-}" != reports ]; then
  bench_db prepaid_bench bench-install.log
  "$VENV/bin/python" "$ADDON_DIR/bench/vend_bench.py" prepaid_bench "$CONF"
  [ "${1:-}" = vend ] && exit 0
  "$VENV/bin/python" "$ADDON_DIR/bench/pos_sync_bench.py" prepaid_bench "$CONF"
  [ -f "$ADDON_DIR/bench/card_encode.py" ] && "$VENV/bin/python" "$ADDON_DIR/bench/card_encode.py" || true
  "$VENV/bin/python" "$ADDON_DIR/bench/head_end_bench.py"
fi
# Sales reports (`bash bench/run.sh reports` runs only these): their own database, grown
# from 200,000 to 2,000,000 vends.
bench_db prepaid_bench_reports bench-reports-install.log
"$VENV/bin/python" "$ADDON_DIR/bench/report_bench.py" prepaid_bench_reports "$CONF"
