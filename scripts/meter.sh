#!/usr/bin/env bash
# `make meter [CONSUME=10]`: the demo card (`make run`) goes into its customer's virtual meter,
# which first uses CONSUME kWh; the meter's registers are kept in run/meter.json.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exec "$VENV/bin/python" "$ADDON_DIR/scripts/virtual_meter.py" --config "$CONF" --state "$RT/run/meter.json" \
  --reader "Virtual PCD 00 00" --consume "${1:-10}"
