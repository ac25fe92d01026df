#!/usr/bin/env bash
# The demo: specs/digidex in its `local` environment against the AWS emulator.
# Starts the emulator on 127.0.0.1:5000 (the endpoint env/local.kdl names), seeds what
# the team owns outside the spec (a DB snapshot and an SSM parameter), then runs plan,
# apply, a second plan that must show no changes, the outputs, and destroy, printing each
# command before it runs it; stops the emulator however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
strata="$target/debug/strata"
seed="$target/debug/seed-digidex"
moto=".emulator/venv/bin/moto_server"
port=5000
endpoint="http://127.0.0.1:$port"
spec="specs/digidex"

for tool in "$strata" "$seed" "$moto"; do
    [ -x "$tool" ] || { echo "demo: $tool is missing; run \`make demo\`, which builds and installs it" >&2; exit 1; }
done
if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "demo: port $port is already in use; env/local.kdl expects the emulator there — stop whatever listens on it" >&2
    exit 1
fi

echo "+ $moto -H 127.0.0.1 -p $port &"
MOTO_IAM_LOAD_MANAGED_POLICIES=true MOTO_ACM_VALIDATION_WAIT=0 \
    "$moto" -H 127.0.0.1 -p "$port" >/tmp/strata-demo-emulator.log 2>&1 &
moto_pid=$!
# The emulator's contents die with it, and so does the meaning of the `local` state: it
# is set aside when the demo ends, so that no later run (or test) mistakes it for live.
stop() {
    kill $moto_pid 2>/dev/null; wait $moto_pid 2>/dev/null || true
    if [ -e "$spec/.strata/local.state.json" ]; then
        mv "$spec/.strata/local.state.json" "$spec/.strata/local.state.json.previous"
        echo "demo: the emulator is stopped; its state is kept as $spec/.strata/local.state.json.previous"
    fi
}
trap stop EXIT
for _ in $(seq 1 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
        "$endpoint/moto-api/data.json" >/dev/null 2>&1; then break; fi
    kill -0 $moto_pid 2>/dev/null || { echo "demo: the emulator exited; see /tmp/strata-demo-emulator.log" >&2; exit 1; }
    sleep 0.2
done

run() {
    echo
    echo "+ $*"
    "$@"
}

run "$seed" --endpoint "$endpoint"
run "$strata" plan "$spec" --env local
run "$strata" apply "$spec" --env local --auto-approve
run "$strata" plan "$spec" --env local --detailed-exitcode
run "$strata" output "$spec" --env local
run "$strata" destroy "$spec" --env local --auto-approve
echo
echo "demo: done — planned, applied, re-planned with no changes, and destroyed $spec"
