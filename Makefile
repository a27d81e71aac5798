# The two commands: `make run` runs the product, `make test` runs every test.
# Both install what they need first (scripts/setup.sh); the runtime lives in
# $(PREPAID_RUNTIME), by default ~/.cache/prepaid_electricity.
.PHONY: run stop test setup

run:
	@bash scripts/run.sh

stop:
	@bash scripts/stop.sh

test:
	@bash scripts/test.sh

setup:
	@bash scripts/setup.sh
