#!/usr/bin/env bash
# `make bench`: every benchmark in one run, then one table of the figures that have
# targets. Planning without the cloud (engine bench), strata against the emulator's
# limits (providers bench), and the release binary's size.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo="${CARGO:-cargo}"
target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target"
summary="$(cd "$target" && pwd)/bench-summary.tsv"
rm -f "$summary"
export STRATA_BENCH_SUMMARY="$summary"

echo "== planning without the cloud: cargo bench -p strata-engine --bench plan"
"$cargo" bench -p strata-engine --bench plan
echo
echo "== against the emulator: cargo bench -p strata-providers --bench emulator"
"$cargo" bench -p strata-providers --bench emulator
echo
echo "== the release binary: cargo build --release --bin strata"
"$cargo" build --release --bin strata
bytes=$(stat -c %s "$target/release/strata")
printf 'binary\trelease binary size (profile.release in Cargo.toml)\t%s MiB\t(no target)\t-\n' \
    "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')" >>"$summary"

echo
echo "== summary"
{
    printf 'part\tmeasure\tvalue\ttarget\tverdict\n'
    cat "$summary"
} | column -t -s $'\t'
if grep -q 'NOT MET' "$summary"; then
    echo "some targets are not met"
    exit 1
fi
