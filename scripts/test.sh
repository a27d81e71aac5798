#!/usr/bin/env bash
# `make test`: set up, build a fresh test database, run every test, exit non-zero on any failure.
#  0. the linters (scripts/lint.sh: ruff, pylint-odoo, eslint): a finding fails the run and counts
#     as one failure per tool in the last line; the tests run all the same;
#  1. pytest: the plain-Python engine tests without Odoo, then (with pytest-odoo) the TransactionCase tests;
#  2. Odoo's own runner: the HttpCase / browser tests (tag prepaid_http), which must really
#     start Chromium: a skipped browser test fails the run.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$ADDON_DIR/scripts/setup.sh" || exit 1
set -e
TEST_DB=${PREPAID_TEST_DB:-prepaid_test}
LOGS="$RT/test-logs"; mkdir -p "$LOGS"
ensure_base_db prepaid_base
echo "[test] fresh database $TEST_DB"
odoo db -c "$CONF" duplicate -f prepaid_base "$TEST_DB" >"$LOGS/db.log" 2>&1 || { cat "$LOGS/db.log"; exit 1; }
odoo module install -c "$CONF" -d "$TEST_DB" prepaid_electricity >"$LOGS/install.log" 2>&1 \
  || { grep -E "ERROR|CRITICAL|Error" -A20 "$LOGS/install.log" | head -80; exit 1; }
set +e
status=0

echo "[test] lint: ruff, pylint-odoo, eslint"
bash "$ADDON_DIR/scripts/lint.sh" 2>&1 | tee "$LOGS/lint.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
n_lintf=$(grep -Eo "^\[lint\] findings in: .*" "$LOGS/lint.log" | cut -d: -f2 | wc -w)

echo "[test] pytest: the engine (plain Python: Odoo is not on the path)"
(cd "$RT/standalone" && env -u PYTHONPATH "$VENV/bin/python" -m pytest -p no:cacheprovider -p no:odoo -q engine/tests) 2>&1 \
  | tee "$LOGS/pytest-engine.log" | grep -v "^WARNING: Location"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || status=1

echo "[test] pytest: TransactionCase tests"
(cd "$RT/addons" && "$VENV/bin/python" -m pytest -p no:cacheprovider -q \
    --odoo-config="$CONF" --odoo-database="$TEST_DB" \
    --ignore-glob="*/tests/test_browser_*" --ignore-glob="*/tests/test_http_*" prepaid_electricity/tests ${PYTEST_ARGS:-}) 2>&1 | tee "$LOGS/pytest.log" | grep -v "^WARNING: Location"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || status=1

echo "[test] pytest: card_bridge (standalone, no Odoo)"
(cd "$ADDON_DIR/card_bridge" && "$VENV/bin/python" -m pytest -p no:cacheprovider -p no:odoo -q tests) 2>&1 \
  | tee "$LOGS/pytest-bridge.log" | grep -v "^WARNING: Location"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || status=1

echo "[test] pytest: head_end (standalone, no Odoo)"
(cd "$ADDON_DIR/head_end" && "$VENV/bin/python" -m pytest -p no:cacheprovider -p no:odoo -q tests) 2>&1 \
  | tee "$LOGS/pytest-head-end.log" | grep -v "^WARNING: Location"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || status=1

echo "[test] Odoo runner: browser and end-to-end HTTP tests"
port=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
odoo -c "$CONF" -d "$TEST_DB" --test-enable --test-tags prepaid_http --stop-after-init \
    --http-port "$port" --log-level=info >"$LOGS/odoo-tests.log" 2>&1
rc=$?
grep -E "odoo.tests.result|Chrome pid|(FAIL|ERROR):|Traceback|skipped" "$LOGS/odoo-tests.log" | grep -v "INFO.*Starting" | tail -40
summary=$(grep -Eo "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$LOGS/odoo-tests.log" | tail -1)
echo "[test] Odoo runner: ${summary:-no summary line}"
if [ "$rc" -ne 0 ] || [ -z "$summary" ]; then status=1; fi
if grep -q " skipped " "$LOGS/odoo-tests.log"; then echo "[test] FAILED: a browser test was skipped"; status=1; fi
if ! grep -q "Chrome pid" "$LOGS/odoo-tests.log"; then echo "[test] FAILED: Chromium never started"; status=1; fi
if grep -Eq "^[0-9 :,-]+ [0-9]+ (ERROR|CRITICAL) " "$LOGS/odoo-tests.log"; then
  echo "[test] FAILED: errors in the Odoo log:"; grep -E "^[0-9 :,-]+ [0-9]+ (ERROR|CRITICAL) " "$LOGS/odoo-tests.log" | head; status=1
fi
count() { local n; n=$(grep -Eo "[0-9]+ $1" "$2" 2>/dev/null | tail -1 | cut -d' ' -f1); echo "${n:-0}"; }
n_py=$(( $(count passed "$LOGS/pytest-engine.log") + $(count passed "$LOGS/pytest.log") + $(count passed "$LOGS/pytest-bridge.log") + $(count passed "$LOGS/pytest-head-end.log") ))
n_pyf=$(( $(count failed "$LOGS/pytest-engine.log") + $(count error "$LOGS/pytest-engine.log") + $(count failed "$LOGS/pytest.log") + $(count failed "$LOGS/pytest-bridge.log") + $(count error "$LOGS/pytest.log") + $(count failed "$LOGS/pytest-head-end.log") + $(count error "$LOGS/pytest-head-end.log") ))
n_od=$(sed -E 's/.* of ([0-9]+) tests/\1/' <<<"${summary:-0 failed, 0 error(s) of 0 tests}")
n_odf=$(( $(cut -d' ' -f1 <<<"${summary:-0}") + $(sed -E 's/.*, ([0-9]+) error.*/\1/' <<<"${summary:-0 failed, 0 error(s)}") ))
total_failed=$(( ${n_pyf:-0} + n_odf + n_lintf ))
total_passed=$(( ${n_py:-0} + n_od - n_odf ))
if [ "$status" -ne 0 ] && [ "$total_failed" -eq 0 ]; then total_failed=1; fi
echo "$total_passed passed, $total_failed failed"
exit $status
