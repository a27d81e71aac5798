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
