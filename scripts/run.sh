#!/usr/bin/env bash
# `make run`: set up, create or update the demo database, start Odoo on 127.0.0.1:8069 in the
# background and wait until it answers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$ADDON_DIR/scripts/setup.sh"
DB=${PREPAID_DEMO_DB:-prepaid_demo}
PORT=${PREPAID_HTTP_PORT:-8069}
RUN="$RT/run"; mkdir -p "$RUN"
bash "$ADDON_DIR/scripts/stop.sh" >/dev/null 2>&1 || true
if db_exists "$DB" && [ -f "$RT/data/.$DB.installed" ]; then
  echo "[run] updating prepaid_electricity in $DB"
  odoo -c "$CONF" -d "$DB" -u prepaid_electricity --stop-after-init --no-http >"$RUN/upgrade.log" 2>&1 \
    || { tail -40 "$RUN/upgrade.log"; exit 1; }
else
  install_demo_db "$DB" "$RUN/install.log"
fi
echo "[run] starting Odoo (log: $RUN/odoo.log)"
nohup "$VENV/bin/python" "$RT/odoo/usr/bin/odoo" -c "$CONF" -d "$DB" --db-filter="^$DB\$" \
  --http-port "$PORT" >"$RUN/odoo.log" 2>&1 &
echo $! >"$RUN/odoo.pid"
for _ in $(seq 120); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/web/login" || true)
  [ "$code" = 200 ] && break
  sleep 1
done
[ "$code" = 200 ] || { echo "Odoo did not answer; see $RUN/odoo.log"; tail -20 "$RUN/odoo.log"; exit 1; }
# The card bridge on a virtual reader: pcscd with vpcd, a virtual SLE4442, the bridge paired
# with the demo database; Li Na's card is written onto the virtual card through it. The demo
# takes vpcd's first slot (TCP 35963, "Virtual PCD 00 00"); the tests take the second one.
# pcscd is shared with the tests: whoever starts it leaves it running for the other, and it
# ends by itself a minute after its last client (--auto-exit).
SERIAL=3101010000000001
READER="Virtual PCD 00 00"
if ! pgrep -x -r R,S,D pcscd >/dev/null; then       # (a stopped pcscd may linger as a zombie)
  nohup pcscd --foreground --auto-exit >"$RUN/pcscd.log" 2>&1 &
  sleep 1.5
fi
new_card=$([ -f "$RUN/demo_card.bin" ] || echo 1)
nohup "$VENV/bin/card-bridge" emulate --state "$RUN/demo_card.bin" --serial "$SERIAL" --port 35963 >"$RUN/emulate.log" 2>&1 &
echo $! >"$RUN/emulate.pid"
sleep 1
# the emulator refuses a slot that already holds a card (another emulator, an old test run)
kill -0 "$(cat "$RUN/emulate.pid")" 2>/dev/null || { echo "[run] the virtual card did not start:"; tail -5 "$RUN/emulate.log"; exit 1; }
code=$(DEMO_ACTION=pair odoo shell -c "$CONF" -d "$DB" --no-http --log-level=warn <"$ADDON_DIR/scripts/demo_bridge.py" 2>/dev/null \
       | sed -n 's/^PAIRING_CODE=//p')
"$VENV/bin/card-bridge" --config "$RUN/bridge.json" pair "http://127.0.0.1:$PORT" "$code" --name demo-workstation
# The demo workstation is also the PC of the lobby kiosk (demo "Self-Service Kiosk (Lobby)"): the
# same bridge drives a virtual ccTalk bill acceptor on a pseudo-terminal (notes inserted with
# `make note VALUE=50`), a virtual ESC/POS printer on TCP (slips kept in run/slips) and the
# simulated bank card terminal (`make pay OUTCOME=decline` for the next payment). Short long
# polls (1 s): the kiosk sees a card within about a second of its insertion.
ACCEPTOR_CONTROL=${PREPAID_ACCEPTOR_CONTROL:-127.0.0.1:7101}
PRINTER_PORT=${PREPAID_PRINTER_PORT:-9101}
nohup "$VENV/bin/card-bridge" emulate-acceptor --link "$RUN/acceptor.tty" --control "$ACCEPTOR_CONTROL" \
  >"$RUN/acceptor.log" 2>&1 &
echo $! >"$RUN/acceptor.pid"
nohup "$VENV/bin/card-bridge" emulate-printer --port "$PRINTER_PORT" --dir "$RUN/slips" >"$RUN/printer.log" 2>&1 &
echo $! >"$RUN/printer.pid"
sleep 1
for name in acceptor printer; do
  kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null || { echo "[run] the virtual $name did not start:"; tail -5 "$RUN/$name.log"; exit 1; }
done
nohup "$VENV/bin/card-bridge" --config "$RUN/bridge.json" run --reader "$READER" --wait 1 \
  --acceptor "$RUN/acceptor.tty" --printer "tcp://127.0.0.1:$PRINTER_PORT" --terminal "sim://$RUN/terminal.json" \
  >"$RUN/bridge.log" 2>&1 &
echo $! >"$RUN/bridge.pid"
if DEMO_ACTION=issue DEMO_CARD_SERIAL=$SERIAL DEMO_NEW_CARD=$new_card odoo shell -c "$CONF" -d "$DB" --no-http \
    --log-level=warn <"$ADDON_DIR/scripts/demo_bridge.py" 2>/dev/null | grep queued; then
  rm -f "$RUN/meter.json"     # a card issued anew goes into a new meter (`make meter`)
fi
# The remote meters demo (demo/prepaid_remote_demo.xml): the head-end, paired with the demo
# database as "Demo head-end", listens for concentrators on 127.0.0.1:$HE_PORT and asks Odoo for
# work every 10 s; the virtual concentrator 17000405 dials it with the four meters of Sunshine
# Apartments (170004050001..4, rooms 101..104). New virtual meters were installed five days ago
# (--history 5, as the demo's base), so the first work catches up those five days; their clocks
# run in real time in the meters' time zone (the head-end's --meter-tz), kept in concentrator.json.
HE_PORT=${PREPAID_HEAD_END_PORT:-7001}
HE="$VENV/bin/head-end"
state=$(DEMO_HEAD_END_CONFIG="$RUN/head_end.json" DEMO_URL="http://127.0.0.1:$PORT" odoo shell -c "$CONF" -d "$DB" \
        --no-http --log-level=warn <"$ADDON_DIR/scripts/demo_head_end.py" 2>/dev/null | grep -E '^(PAIRED|PAIRING_CODE=)' || true)
case "$state" in
  PAIRED) ;;
  PAIRING_CODE=*)
    "$HE" pair "http://127.0.0.1:$PORT" "${state#PAIRING_CODE=}" --config "$RUN/head_end.json" \
      --name demo-head-end ;;
  *) echo "[run] the demo head-end could not be paired"; exit 1 ;;
esac
nohup "$HE" run --listen "127.0.0.1:$HE_PORT" --server-config "$RUN/head_end.json" --poll 10 \
  --meter-tz Asia/Shanghai >"$RUN/head_end.log" 2>&1 &
echo $! >"$RUN/head_end.pid"
nohup "$HE" emulate --connect "127.0.0.1:$HE_PORT" --asset 17000405 --meters 4 --history 5 \
  --tz Asia/Shanghai --state "$RUN/concentrator.json" >"$RUN/concentrator.log" 2>&1 &
echo $! >"$RUN/concentrator.pid"
sleep 1
for name in head_end concentrator; do
  kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null || { echo "[run] $name did not start:"; tail -5 "$RUN/$name.log"; exit 1; }
done

KIOSK=$(DEMO_ACTION=kiosk odoo shell -c "$CONF" -d "$DB" --no-http --log-level=warn <"$ADDON_DIR/scripts/demo_bridge.py" \
        2>/dev/null | sed -n 's/^KIOSK_URL=//p')

cat <<MSG

  Prepaid electricity vending is running: http://127.0.0.1:$PORT/odoo  (database $DB)
  Demo logins (user / password):
    admin    / admin      administrator (all rights, card keys, stations)
    manager  / manager    vending manager (tariffs, refunds, reissues, reports)
    operator / operator   vending operator (sells, opens accounts, reads cards)
  Card bridge: paired as "Demo workstation", running on the virtual reader "$READER"
  with a virtual card ($SERIAL, Li Na) kept in $RUN/demo_card.bin (log: $RUN/bridge.log).
  After a sale, put the card into Li Na's meter with: make meter [CONSUME=10]
  (then Read Card at the POS shows what the meter wrote back, and she can buy again).
  Remote meters: the head-end "Demo head-end" listens on 127.0.0.1:$HE_PORT (log: $RUN/head_end.log)
  and reads the virtual concentrator 17000405 with rooms 101..104 of Sunshine Apartments
  (log: $RUN/concentrator.log; meters kept in $RUN/concentrator.json), every 10 s:
  see Electricity Vending > Remote Meters (Online Status, Bills, Strategy Log...). Room 104 (Sun Li)
  is tripped below its overdraft limit at the first readings: Vending > Top Up closes it again.
  Self-service kiosk: http://127.0.0.1:$PORT$KIOSK  (&lang=zh_CN for Chinese)
  on the same virtual card and bridge, with a virtual bill acceptor (insert a note: make note VALUE=50),
  a virtual receipt printer (slips in $RUN/slips) and a simulated bank card terminal
  (the next payment declined: make pay OUTCOME=decline).
  Stop it all with: make stop

MSG
