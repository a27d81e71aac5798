#!/usr/bin/env bash
# Benchmarks: builds `prepaid_bench` (once) and prints the figures. Not part of `make test`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
bash "$ADDON_DIR/scripts/setup.sh"
ensure_base_db prepaid_base
if ! db_exists prepaid_bench; then
  odoo db -c "$CONF" duplicate prepaid_base prepaid_bench >/dev/null
  odoo module install -c "$CONF" -d prepaid_bench prepaid_electricity >"$RT/bench-install.log" 2>&1
else
  odoo -c "$CONF" -d prepaid_bench -u prepaid_electricity --stop-after-init --no-http >"$RT/bench-install.log" 2>&1
fi
"$VENV/bin/python" "$ADDON_DIR/bench/vend_bench.py" prepaid_bench "$CONF"
[ -f "$ADDON_DIR/bench/card_encode.py" ] && "$VENV/bin/python" "$ADDON_DIR/bench/card_encode.py" || true
