#!/usr/bin/env bash
# Fuzzes what strata reads from users and disk: spec folders (target spec_load) and state
# and plan files (target state_load), with cargo-fuzz and libFuzzer on the stable
# toolchain (no sanitizer, so no nightly flag is needed).
#
#   scripts/fuzz.sh [SECONDS]   run each target for SECONDS (default 60); `make fuzz`
#   scripts/fuzz.sh seeds       rewrite fuzz/corpus/ from the real spec and state files
#
# cargo-fuzz is installed on first use into $STRATA_CACHE/cargo-fuzz (default
# ~/.cache/strata); the build goes to $STRATA_FUZZ_TARGET_DIR (default
# $STRATA_CACHE/fuzz-target) and what the fuzzer learns to $STRATA_CACHE/fuzz-corpus, so
# nothing is written in the clone but fuzz/artifacts/ (crash inputs, git-ignored).
# Exits non-zero if any target crashed, printing each crash input's path.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${STRATA_CACHE:-$HOME/.cache/strata}
cargo_fuzz_version=0.13.2
targets=(spec_load state_load)

seeds() {
    local out="$root/fuzz/corpus"
    rm -rf "$out/spec_load" "$out/state_load"
    mkdir -p "$out/spec_load" "$out/state_load"
    # Each spec folder (a folder with .kdl files, its env/ included) is one input: its
    # files one after the other, each after a `=== <path>` line.
    local dir name file
    while IFS= read -r dir; do
        name=${dir#./}
        name=${name//\//_}
        {
            for file in "$dir"/*.kdl "$dir"/env/*.kdl; do
                [ -f "$file" ] || continue
                printf '=== %s\n' "${file#"$dir"/}"
                cat "$file"
                printf '\n'
            done
        } >"$out/spec_load/$name"
        # A seed is for mutating: the huge malformed fixtures (a 1 MiB file, 100,000
        # nested blocks) have their own tests.
        if [ "$(wc -c <"$out/spec_load/$name")" -gt 65536 ]; then
            rm "$out/spec_load/$name"
        fi
    done < <(cd "$root" && find . -name '*.kdl' -not -path './fuzz/*' -not -path './target/*' \
        -exec dirname {} \; | sed 's|/env$||' | sort -u)
    # State files as they are; the engine's saved plans wrapped as plan files.
    while IFS= read -r file; do
        name=${file#./}
        cp "$root/$file" "$out/state_load/${name//\//_}"
    done < <(cd "$root" && find . -name '*.json' \( -path './state/tests/fixtures/*' \
        -o -name '*.state.json' \) -not -path './fuzz/*' -not -path './target/*' | sort)
    for file in "$root"/engine/tests/fixtures/render/*/plan.json; do
        name=$(basename "$(dirname "$file")")
        {
            printf '{\n"kind": "strata-plan",\n"format_version": 1,\n"strata_version": "0.1.0",\n'
            printf '"spec_dir": "/fuzz/spec",\n"environment": "dev",\n"created_at": "2025-11-23T18:39:00Z",\n"plan": '
            cat "$file"
            printf '}\n'
        } >"$out/state_load/plan-$name.json"
    done
    echo "seeds: $(ls "$out/spec_load" | wc -l) spec folders, $(ls "$out/state_load" | wc -l) state and plan files in fuzz/corpus/"
}

if [ "${1:-}" = seeds ]; then
    seeds
    exit 0
fi

seconds=${1:-60}
case $seconds in
'' | *[!0-9]*)
    echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] | scripts/fuzz.sh seeds" >&2
    exit 2
    ;;
esac

bin="$cache/cargo-fuzz/bin"
if ! "$bin/cargo-fuzz" --version 2>/dev/null | grep -q " $cargo_fuzz_version\$"; then
    echo "installing cargo-fuzz $cargo_fuzz_version into $cache/cargo-fuzz"
    cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked --root "$cache/cargo-fuzz"
fi
export PATH="$bin:$PATH"
export CARGO_TARGET_DIR=${STRATA_FUZZ_TARGET_DIR:-$cache/fuzz-target}

cd "$root"
cargo fuzz build --sanitizer none

failed=()
for target in "${targets[@]}"; do
    work="$cache/fuzz-corpus/$target"
    mkdir -p "$work" "fuzz/artifacts/$target"
    log="$cache/fuzz-$target.log"
    echo "== $target: ${seconds}s (log: $log)"
    # The learned corpus comes first: libFuzzer adds new inputs to the first folder only,
    # so the seeds in the clone stay as they are.
    if cargo fuzz run --sanitizer none "$target" "$work" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
        -print_final_stats=1 >"$log" 2>&1; then
        grep -E '^Done [0-9]+ runs' "$log" | sed "s/^/   $target: /" || true
    else
        failed+=("$target")
        tail -n 40 "$log"
        echo "!! $target failed; crash input(s):"
        grep -Eo '(Test unit|artifact) written to [^ ]+' "$log" | sed 's/.* to /   /' || true
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found crashes in: ${failed[*]} (reproduce: cargo fuzz run --sanitizer none TARGET INPUT)" >&2
    exit 1
fi
echo "fuzzing: no crash in ${targets[*]} (${seconds}s each)"
