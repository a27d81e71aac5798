#!/usr/bin/env bash
# Benchmarks: builds `prepaid_bench` and `prepaid_bench_reports` (once) and prints the figures.
# Not part of `make test`. `bash bench/run.sh reports` runs only the sales report benchmark.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
bash "$ADDON_DIR/scripts/setup.sh"
ensure_base_db prepaid_base
if [ "${1:-}" != reports ]; then
  if ! db_exists prepaid_bench; then
    odoo db -c "$CONF" duplicate prepaid_base prepaid_bench >/dev/null
    odoo module install -c "$CONF" -d prepaid_bench prepaid_electricity >"$RT/bench-install.log" 2>&1
  else
    odoo -c "$CONF" -d prepaid_bench -u prepaid_electricity --stop-after-init --no-http >"$RT/bench-install.log" 2>&1
  fi
  "$VENV/bin/python" "$ADDON_DIR/bench/vend_bench.py" prepaid_bench "$CONF"
  "$VENV/bin/python" "$ADDON_DIR/bench/pos_sync_bench.py" prepaid_bench "$CONF"
  [ -f "$ADDON_DIR/bench/card_encode.py" ] && "$VENV/bin/python" "$ADDON_DIR/bench/card_encode.py" || true
fi
# Sales reports (`bash bench/run.sh reports` runs only these): their own database, grown
# from 200,000 to 2,000,000 vends.
if ! db_exists prepaid_bench_reports; then
  odoo db -c "$CONF" duplicate prepaid_base prepaid_bench_reports >/dev/null
  odoo module install -c "$CONF" -d prepaid_bench_reports prepaid_electricity >"$RT/bench-reports-install.log" 2>&1
else
  odoo -c "$CONF" -d prepaid_bench_reports -u prepaid_electricity --stop-after-init --no-http >"$RT/bench-reports-install.log" 2>&1
fi
"$VENV/bin/python" "$ADDON_DIR/bench/report_bench.py" prepaid_bench_reports "$CONF"
