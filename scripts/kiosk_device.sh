#!/usr/bin/env bash
# `make note VALUE=50`: a customer inserts a bank note into the demo kiosk's virtual bill acceptor;
# `make pay OUTCOME=decline`: the simulated bank card terminal answers the next payment so.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
RUN="$RT/run"
case "$1" in
  note)
    "$VENV/bin/python" -c 'import json, sys
from card_bridge.virtual_acceptor import send
print(json.dumps(send(sys.argv[1], {"insert": sys.argv[2]})))' "${PREPAID_ACCEPTOR_CONTROL:-127.0.0.1:7101}" "$2" ;;
  pay)
    "$VENV/bin/python" -c 'import sys
from card_bridge.terminal import set_next
set_next(sys.argv[1], sys.argv[2]); print("next payment:", sys.argv[2])' "sim://$RUN/terminal.json" "$2" ;;
  *) echo "usage: $0 note VALUE | pay OUTCOME" >&2; exit 2 ;;
esac
