#!/usr/bin/env bash
# `make bench-release`: how the release profile was chosen. Builds the `strata` binary
# from clean under each candidate profile, each in its own target directory (so every
# build time is a whole build, dependencies included), then measures the binary: its
# size, its size stripped of symbols, and `strata plan --no-refresh` on a generated
# project of 10,000 AWS resources (best of 5 runs, wall time and peak memory).
#
# Candidates are `--config` overrides of `[profile.release]`, so the committed profile
# is not touched. Takes about an hour on 2 cores; disk: about 3 GB per candidate, the
# target directories are removed afterwards unless KEEP=1 (then REUSE=1 measures the
# kept binaries again without building them).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo="${CARGO:-cargo}"
root="${PROFILES_DIR:-${TMPDIR:-/tmp}/strata-release-profiles}"
mkdir -p "$root"
root="$(cd "$root" && pwd)"
n="${PROFILES_N:-10000}"

# name|overrides (space-separated `--config` values)
candidates=(
    "default (lto off, 16 codegen units)|profile.release.lto=false"
    "thin LTO|profile.release.lto=\"thin\""
    "fat LTO, 1 codegen unit|profile.release.lto=\"fat\" profile.release.codegen-units=1"
)
if [[ -n "${PROFILES_ONLY:-}" ]]; then
    # PROFILES_ONLY=1,3 keeps those candidates (1-based).
    kept=()
    IFS=, read -ra picks <<<"$PROFILES_ONLY"
    for p in "${picks[@]}"; do kept+=("${candidates[$((p - 1))]}"); done
    candidates=("${kept[@]}")
fi

# A project of $n AWS resources, in stacks of 500: per group a VPC, two subnets and a
# security group that refer to it, and a bucket tagged with the group's id; a third of
# the groups refer to the previous stack's VPC. Planned against no state: all new.
spec="$root/spec-$n"
rm -rf "$spec"
mkdir -p "$spec/env"
python3 - "$spec" "$n" <<'EOF'
import os, sys
spec, n = sys.argv[1], int(sys.argv[2])
groups, per_stack = n // 5, 100
stacks = (groups + per_stack - 1) // per_stack
with open(os.path.join(spec, "variables.kdl"), "w") as f:
    f.write('variable prefix type=string default=bench description="Name prefix."\n')
with open(os.path.join(spec, "env", "bench.kdl"), "w") as f:
    f.write('environment bench {\n    aws region=eu-west-3 endpoint="http://127.0.0.1:5000"\n'
            '    state path=".strata/bench.state.json"\n}\n')
for s in range(stacks):
    dep = f" depends-on=s{s-1:03}" if s else ""
    lines = [f"stack s{s:03}{dep} {{"]
    for g in range(s * per_stack, min(groups, (s + 1) * per_stack)):
        cross = f'(ref)"s{s-1:03}.vpc{g - per_stack}.id"' if s and g % 3 == 0 else f'(ref)"vpc{g}.id"'
        lines.append(f"""    ec2.vpc vpc{g} {{
        cidr-block "10.{g % 250}.0.0/16"
        enable-dns-support #true
        tags Name="${{var.prefix}}-{g}" env="${{env}}"
    }}
    ec2.subnet a{g} {{
        vpc-id (ref)"vpc{g}.id"
        cidr-block "10.{g % 250}.1.0/24"
        availability-zone "${{region}}a"
        tags Name="${{var.prefix}}-a{g}"
    }}
    ec2.subnet b{g} {{
        vpc-id "${{vpc{g}.id}}"
        cidr-block "10.{g % 250}.2.0/24"
        availability-zone "${{region}}b"
        depends-on a{g}
    }}
    ec2.security-group sg{g} {{
        name "sg-{g}-${{env}}"
        description "group {g}"
        vpc-id {cross}
        ingress tcp from-port=5432 to-port=5432 {{
            cidr-blocks "10.{g % 250}.0.0/16"
        }}
        tags subnets="${{a{g}.id}},${{b{g}.id}}"
    }}
    s3.bucket bucket{g} {{
        bucket "${{var.prefix}}-{s}-{g}"
        encryption AES256
        tags group="${{sg{g}.id}}"
    }}""")
    lines.append(f'    output first (ref)"vpc{s * per_stack}.id"\n}}\n')
    with open(os.path.join(spec, f"s{s:03}.kdl"), "w") as f:
        f.write("\n".join(lines))
EOF

rows=()
for candidate in "${candidates[@]}"; do
    name="${candidate%%|*}"
    read -ra overrides <<<"${candidate#*|}"
    args=()
    for o in "${overrides[@]}"; do args+=(--config "$o"); done
    target="$root/target-${name%% (*}"
    target="${target// /-}"
    target="${target//,/}"
    if [[ "${REUSE:-0}" == 1 && -f "$target/build-seconds" ]]; then
        # REUSE=1 (with an earlier KEEP=1): the binary and build time of an earlier run.
        echo "== $name: reusing the build in $target"
    else
        rm -rf "$target"
        echo "== $name: cargo build --release --bin strata ${args[*]}"
        start=$(date +%s)
        CARGO_TARGET_DIR="$target" "$cargo" build --quiet --release --bin strata "${args[@]}"
        echo $(($(date +%s) - start)) >"$target/build-seconds"
    fi
    secs=$(cat "$target/build-seconds")
    echo "   built in ${secs}s"
    bin="$target/release/strata"
    size=$(stat -c %s "$bin")
    strip -o "$target/strata-stripped" "$bin"
    stripped=$(stat -c %s "$target/strata-stripped")

    # The plan must succeed before it is timed; its output once, for the record.
    "$bin" plan "$spec" --env bench --no-refresh >"$target/plan.out" 2>&1 || {
        echo "strata plan failed with the $name build:" >&2
        tail -20 "$target/plan.out" >&2
        exit 1
    }
    best_ms="" best_kb=""
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f '%e %M' -o "$target/time.out" "$bin" plan "$spec" --env bench --no-refresh >/dev/null 2>&1
        out=$(tail -1 "$target/time.out")
        ms=$(awk -v s="${out% *}" 'BEGIN { printf "%d", s * 1000 }')
        kb="${out#* }"
        if [[ -z "$best_ms" || "$ms" -lt "$best_ms" ]]; then best_ms=$ms best_kb=$kb; fi
    done
    rows+=("$(printf '%s\t%dm%02ds\t%.1f MiB\t%.1f MiB\t%d ms\t%d MB' "$name" $((secs / 60)) $((secs % 60)) \
        "$(awk -v b="$size" 'BEGIN { print b / 1048576 }')" \
        "$(awk -v b="$stripped" 'BEGIN { print b / 1048576 }')" \
        "$best_ms" $((best_kb / 1024)))")
    echo "${rows[-1]}"
    [[ "${KEEP:-0}" == 1 ]] || rm -rf "$target"
done

echo
echo "== release profiles: clean build, binary, plan --no-refresh of $n resources (best of 5)"
{
    printf 'profile\tbuild\tbinary\tstripped\tplan\tpeak\n'
    printf '%s\n' "${rows[@]}"
} | column -t -s $'\t'
