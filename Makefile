# strata's two entry points: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
MOTO_VERSION := 5.2.5
VENV := .emulator/venv
MOTO_STAMP := .emulator/moto-$(MOTO_VERSION).installed
CARGO ?= cargo

.PHONY: test demo emulator build lint bench bench-plan bench-release fuzz

# The AWS emulator (moto server), pinned, in a local Python venv.
$(MOTO_STAMP):
	@echo "installing the AWS emulator: moto[server]==$(MOTO_VERSION) in $(VENV)"
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'
	touch $@

emulator: $(MOTO_STAMP)

build:
	$(CARGO) build --bin strata

# Every test of the workspace, the emulator tests included.
test: emulator
	@if command -v cargo-nextest >/dev/null 2>&1; then \
		$(CARGO) nextest run --workspace --no-fail-fast; \
	else \
		$(CARGO) test --workspace --no-fail-fast; \
	fi

# The demo: specs/digidex against the local emulator — plan, apply, a second plan with no
# changes, the outputs, destroy (scripts/demo.sh prints each command before running it).
demo: emulator
	$(CARGO) build -p strata -p strata-seed --bins
	scripts/demo.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Planning at 1,000, 10,000 and 50,000 resources without the cloud: times, peak memory,
# growth (release build; a few minutes, no emulator).
bench-plan:
	$(CARGO) bench -p strata-engine --bench plan

# Every benchmark: bench-plan, then strata against the emulator's limits (refresh vs
# the bare SDK ceiling, apply vs the critical path), the release binary's size; ends
# with one table of the figures against their targets (scripts/bench.sh).
bench: emulator
	CARGO=$(CARGO) scripts/bench.sh

# How [profile.release] was chosen: a clean release build under each candidate (LTO,
# codegen units), its time, the binary's size, and `strata plan --no-refresh` of 10,000
# resources with it (scripts/release-profiles.sh; about an hour on 2 cores).
bench-release:
	CARGO=$(CARGO) scripts/release-profiles.sh

# Fuzzing: each target (spec folders, state and plan files) for FUZZ_SECONDS (default
# 60), stable toolchain; installs cargo-fuzz on first use (scripts/fuzz.sh).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)
