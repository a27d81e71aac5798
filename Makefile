# The two commands: `make run` runs the product, `make test` runs every test.
# Both install what they need first (scripts/setup.sh); the runtime lives in
# $(PREPAID_RUNTIME), by default ~/.cache/prepaid_electricity.
# With `make run` up, `make meter [CONSUME=10]` puts the demo card into its customer's virtual
# meter (which first uses CONSUME kWh), so that the next sale can be made. `make note VALUE=50`
# inserts a bank note into the demo kiosk's virtual bill acceptor; `make pay OUTCOME=decline`
# (or timeout, approve) sets the answer of its simulated bank card terminal to the next payment.
.PHONY: run stop test setup meter note pay

CONSUME ?= 10

run:
	@bash scripts/run.sh

stop:
	@bash scripts/stop.sh

test:
	@bash scripts/test.sh

setup:
	@bash scripts/setup.sh

meter:
	@bash scripts/meter.sh "$(CONSUME)"

VALUE ?= 50
OUTCOME ?= approve

note:
	@bash scripts/kiosk_device.sh note "$(VALUE)"

pay:
	@bash scripts/kiosk_device.sh pay "$(OUTCOME)"

# Backups of the database cluster (pgBackRest: full/incremental backups + archived WAL) and of
# Odoo's filestore, kept in PREPAID_BACKUP_DIR (default $(PREPAID_RUNTIME)/backups); `make restore`
# goes back to TARGET (e.g. TARGET="2026-12-07 20:55:00+00"; the last archived WAL without it).
# `make backup-test` proves a point-in-time restore on a throwaway instance.
TYPE ?= full
TARGET ?= latest

# `make backup-schedule` schedules them with cron (full on Sundays, incremental the other nights, at
# PREPAID_BACKUP_TIME="30 1"); `make backup-schedule OFF=1` stops that.
.PHONY: backup restore backup-test backup-schedule

backup:
	@TYPE="$(TYPE)" bash scripts/ha_backup.sh

restore:
	@TARGET="$(TARGET)" bash scripts/ha_restore.sh

backup-test:
	@bash scripts/ha_backup_test.sh

backup-schedule:
	@OFF="$(OFF)" bash scripts/ha_backup_schedule.sh

# Issue 16's HA cluster on this machine (etcd, Patroni n1/n2, HAProxy, multi-worker Odoo, all
# under $(PREPAID_RUNTIME)/ha): `make ha` starts it, `make ha-stop` stops it (data kept),
# `make ha-test` is the failover proof (SIGKILL of the leader under load; 0 lost, 0 duplicated).
.PHONY: ha ha-stop ha-test

ha:
	@bash scripts/ha.sh up

ha-stop:
	@bash scripts/ha.sh stop

# The same fault both times (the leader's WAL sender stopped 2 s, then the leader killed): synchronous,
# nothing acknowledged may be lost; asynchronous (the negative control), a loss must show.
HA_TEST_ARGS ?= --lag 2

ha-test:
	@bash scripts/ha.sh up && bash -c 'source scripts/env.sh && "$$VENV/bin/python" scripts/ha_test.py $(HA_TEST_ARGS) \
		&& "$$VENV/bin/python" scripts/ha_test.py --async --expect-loss $(HA_TEST_ARGS)'
