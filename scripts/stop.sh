#!/usr/bin/env bash
# `make stop`: stop what `make run` started. pcscd is left to the tests that may share it: it
# ends by itself a minute after its last client (run.sh starts it with --auto-exit).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
for name in concentrator head_end bridge acceptor printer emulate odoo; do   # the head-end reports to Odoo as it stops
  pidfile="$RT/run/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    echo "stopped $name ($pid)"
  fi
  rm -f "$pidfile"
done
