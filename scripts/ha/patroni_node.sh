# Starting a Patroni node, shared by scripts/ha.sh, scripts/ha_restore.sh and
# scripts/ha/backup_test_patroni.sh (sourced; $HA is the cluster's directory).
start_patroni() {  # start_patroni NAME [CONF]: node NAME's Patroni (CONF, default $HA/NAME.yml)
  # as the postgres OS user (Patroni starts PostgreSQL); setpriv execs, no parent is left behind:
  # the pid in $HA/run/NAME.pid is Patroni's own
  HOME=/var/lib/postgresql nohup setpriv --reuid=postgres --regid=postgres --init-groups -- \
    patroni "${2:-$HA/$1.yml}" >>"$HA/log/$1/patroni.out" 2>&1 &
  echo $! >"$HA/run/$1.pid"
}
