# The two front-door commands: `make run` serves the demo, `make test` runs every test.
# Both set up what they need on a fresh Debian machine, and a second run reuses it.
.PHONY: run test stop app setup bench migrate

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh $(PYTEST_ARGS)

stop:
	bash scripts/db.sh stop

app:
	bash scripts/setup.sh run
	.venv/bin/python -m mobile --server http://127.0.0.1:8000

setup:
	bash scripts/setup.sh test

bench:
	bash scripts/bench.sh
