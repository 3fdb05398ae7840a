#!/usr/bin/env bash
# Every check and test, stopping at the first failure. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --check
step "clippy (native)"
cargo clippy --all-targets -- -D warnings
step "clippy (native, client only: no mock-backend)"
cargo clippy --all-targets --no-default-features -- -D warnings
step "clippy (wasm32)"
cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings
step "clippy (wasm32, client only: no mock-backend)"
cargo clippy --all-targets --target wasm32-unknown-unknown --no-default-features -- -D warnings
step "clippy (the shipped wasm module, feature standalone: no standard library; with and without mock-backend)"
cargo clippy --lib --target wasm32-unknown-unknown --features standalone -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features standalone -- -D warnings
step "native tests"
cargo test
step "fuzzing, bounded (protocol decoding and snapshot loading; scripts/fuzz.sh)"
bash scripts/fuzz.sh 20
step "browser tests (headless Chromium)"
wasm-pack test --headless --chrome
step "npm package tests: install, TypeScript, the JavaScript API in Chromium"
bash scripts/js-tests.sh
step "the example app end to end (production build, Playwright)"
bash scripts/example-tests.sh
step "benchmark harness, quick run (prints figures, asserts no times)"
bash scripts/bench.sh --quick
step "all tests passed"
