# `make test` installs what is missing, then runs every check and test.
.PHONY: setup test

setup:
	bash scripts/setup.sh

test:
	bash scripts/test.sh
