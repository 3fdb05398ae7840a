# `make test` installs what is missing, then runs every check and test.
.PHONY: setup test demo pkg bench

setup:
	bash scripts/setup.sh

test:
	bash scripts/test.sh

# Builds the package and the example app, then serves it on http://127.0.0.1:${PORT:-8080}.
demo:
	bash scripts/demo.sh

# Builds the npm package into pkg/ and packs it (pinauth-<version>.tgz).
pkg: setup
	bash scripts/pkg.sh

# Sizes and speeds side by side with their budgets; writes BENCHMARKS.md.
bench: setup
	bash scripts/bench.sh
