#!/usr/bin/env bash
# Coverage-guided fuzzing of the untrusted-text entry points, the backend's two and the
# client's, with cargo-fuzz (libFuzzer) on the stable toolchain:
#   handle_json       Backend::handle_json on scripts of requests: never panics, every
#                     answer is a parseable Response written byte for byte as serde
#                     writes it (INVALID_INPUT for malformed JSON), and the backend's
#                     hand-written Request::from_json reads what serde reads
#   restore_snapshot  Backend::restore on arbitrary text: never panics; what it accepts
#                     round-trips exactly and keeps answering
#   client_json       the client's hand-written JSON (protocol::json) against serde_json:
#                     Response::from_json and SavedToken::from_json never panic and agree
#                     with serde on what they accept and the values read; Request::to_json
#                     writes what serde writes
#
# Usage: scripts/fuzz.sh [seconds-per-target]      (default 20: the bounded run of the
#                                                   test command)
# Longer run (what to do before a release, or after touching the backend or protocol):
#   scripts/fuzz.sh 1800              # 30 minutes per target
#   FUZZ_JOBS=2 scripts/fuzz.sh 3600  # both cores, an hour per target
# The corpus grows in fuzz/corpus/<target> (git-ignored) and is reused by later runs.
# A failure leaves its input in fuzz/artifacts/<target>/; replay it with
#   cargo fuzz run -s none <target> fuzz/artifacts/<target>/<file>
#
# `-s none`: no sanitizer. AddressSanitizer needs the unstable -Zsanitizer flag (nightly or
# RUSTC_BOOTSTRAP=1); the crate forbids `unsafe`, so the sanitizer would only watch the
# dependencies. Coverage instrumentation itself (sancov) works on stable.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds="${1:-20}"
parallel=()
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then
    parallel=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz (crates.io)"
    cargo install cargo-fuzz --version 0.13.2
fi

cargo fuzz build -s none
mkdir -p fuzz/logs
for target in handle_json restore_snapshot client_json; do
    echo "==> fuzzing $target for ${seconds}s (log: fuzz/logs/$target.log)"
    mkdir -p "fuzz/corpus/$target" "fuzz/seeds/$target"
    # The target writes its seeds (built from the live fixture) into fuzz/seeds/<target>
    # before libFuzzer reads the corpus directories.
    if ! PINAUTH_FUZZ_SEEDS="fuzz/seeds/$target" cargo fuzz run -s none "$target" \
        "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -dict=fuzz/json.dict -max_len=8192 \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 ${parallel[@]+"${parallel[@]}"} \
        >"fuzz/logs/$target.log" 2>&1; then
        tail -n 60 "fuzz/logs/$target.log"
        echo "==> $target FAILED: the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E '^(#[0-9]+[[:space:]]+DONE|Done|stat::(number_of_executed_units|new_units_added|peak_rss_mb))' \
        "fuzz/logs/$target.log" || true
done
echo "==> fuzzing found nothing"
