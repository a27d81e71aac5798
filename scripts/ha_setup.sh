#!/usr/bin/env bash
# The HA cluster's engines (issue 16), kept out of the main set-up: etcd, HAProxy and Patroni from
# Debian (patroni 3.0.2 brings python3-etcd, psycopg2, ... and speaks etcd's v3 API: `etcd3:`).
# Idempotent and quick once installed.
set -euo pipefail
need=()
for cmd in etcd:etcd-server haproxy:haproxy patroni:patroni patronictl:patroni; do
  command -v "${cmd%%:*}" >/dev/null || need+=("${cmd#*:}")
done
[ -x /usr/lib/postgresql/15/bin/pg_rewind ] || need+=(postgresql-15)
if [ ${#need[@]} -gt 0 ]; then
  echo "[ha-setup] installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${need[@]}" >/tmp/ha-apt.log 2>&1 \
    || { apt-get update >/dev/null 2>&1; apt-get install -y --no-install-recommends "${need[@]}" >/tmp/ha-apt.log 2>&1; } \
    || { tail -20 /tmp/ha-apt.log; exit 1; }
fi
# (Debian's own etcd/haproxy/patroni services stay off: ours run on their own ports under $RT/ha.)
