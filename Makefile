# The two commands: `make run` runs the product, `make test` runs every test.
# Both install what they need first (scripts/setup.sh); the runtime lives in
# $(PREPAID_RUNTIME), by default ~/.cache/prepaid_electricity.
# With `make run` up, `make meter [CONSUME=10]` puts the demo card into its customer's virtual
# meter (which first uses CONSUME kWh), so that the next sale can be made.
.PHONY: run stop test setup meter

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
