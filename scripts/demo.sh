#!/usr/bin/env bash
# Rehearse the onboarding playbooks offline against a provider sandbox (make demo).
#
#   make demo PROVIDER=rackspace|hostway|odin      (default rackspace)
#
# Starts `python -m tests.sandbox <provider>` on a free loopback port, points the
# modules at it through the HOSTED_EXCHANGE_* variables, then runs
#   playbooks/onboard.yml --check --diff   (what would change)
#   playbooks/onboard.yml                  (change it)
#   playbooks/onboard.yml                  (again: must change nothing)
#   playbooks/report.yml                   (what mailbox_info reports)
#   scripts/demo_drift.yml                 (someone changes a hire by hand, adds an unlisted mailbox)
#   playbooks/audit.yml --check --diff     (the audit finds both) and shows its drift report
# and stops the sandbox on exit. The API URL is always the sandbox's, so a
# HOSTED_EXCHANGE_API_URL left in the shell can never send the demo to a real provider.
#
# Optional environment: HOSTED_EXCHANGE_API_USER / HOSTED_EXCHANGE_API_SECRET (the
# credentials the sandbox accepts), HOSTED_EXCHANGE_ACCOUNT, HOSTED_EXCHANGE_INITIAL_PASSWORD,
# DEMO_FIXTURE (a JSON/YAML file of mailboxes the sandbox starts with).
set -euo pipefail

cd "$(dirname "$0")/.." || exit 1
repo=$PWD
bin=$repo/.venv/bin

provider=${PROVIDER:-${HOSTED_EXCHANGE_PROVIDER:-rackspace}}
case "$provider" in
    rackspace | hostway | odin) ;;
    *) echo "demo: PROVIDER must be rackspace, hostway or odin (got '$provider')" >&2; exit 2 ;;
esac

export HOSTED_EXCHANGE_PROVIDER=$provider
export HOSTED_EXCHANGE_API_USER=${HOSTED_EXCHANGE_API_USER:-demo-user}
export HOSTED_EXCHANGE_API_SECRET=${HOSTED_EXCHANGE_API_SECRET:-demo-secret}
export HOSTED_EXCHANGE_INITIAL_PASSWORD=${HOSTED_EXCHANGE_INITIAL_PASSWORD:-Demo-Passw0rd-2026}
# the shared mailbox gets its own password, never the hires'
export HOSTED_EXCHANGE_SHARED_MAILBOX_PASSWORD=${HOSTED_EXCHANGE_SHARED_MAILBOX_PASSWORD:-Shared-Mailb0x-2026}
# the account each sandbox holds when started without a fixture (docs/sandbox.md);
# Rackspace needs none: the modules' default `me` is the caller's own account
case "$provider" in
    hostway) export HOSTED_EXCHANGE_ACCOUNT=${HOSTED_EXCHANGE_ACCOUNT:-test-account123} ;;
    odin) export HOSTED_EXCHANGE_ACCOUNT=${HOSTED_EXCHANGE_ACCOUNT:-1000} ;;
esac
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$repo/.build/collections}
export ANSIBLE_NOCOLOR=1

work=$repo/.build/demo
rm -rf "$work"
mkdir -p "$work"
pidfile=$work/sandbox.pid
port=$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

fixture_args=()
if [ -n "${DEMO_FIXTURE:-}" ]; then
    fixture_args=(--fixture "$DEMO_FIXTURE")
fi

echo "demo: starting the $provider sandbox on 127.0.0.1:$port (requests logged to $work/requests.jsonl)"
: >"$work/sandbox.out"  # exists before the background process opens it: the wait loop below reads it at once
"$bin/python" -m tests.sandbox "$provider" --port "$port" \
    --api-user "$HOSTED_EXCHANGE_API_USER" --api-secret "$HOSTED_EXCHANGE_API_SECRET" \
    --pidfile "$pidfile" --log "$work/requests.jsonl" "${fixture_args[@]}" \
    >"$work/sandbox.out" 2>&1 &
sandbox_pid=$!

stop_sandbox() {
    if kill -0 "$sandbox_pid" 2>/dev/null; then
        kill "$sandbox_pid"
        wait "$sandbox_pid" 2>/dev/null || true
        echo "demo: sandbox stopped"
    fi
}
trap stop_sandbox EXIT

# The sandbox prints "sandbox <provider> listening on <url>" once it accepts connections.
url=
for _ in $(seq 1 100); do
    url=$(sed -n 's/^sandbox .* listening on //p' "$work/sandbox.out" || true)
    [ -n "$url" ] && break
    if ! kill -0 "$sandbox_pid" 2>/dev/null; then
        echo "demo: the sandbox exited:" >&2
        cat "$work/sandbox.out" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "demo: the sandbox did not start listening within 10s:" >&2
    cat "$work/sandbox.out" >&2
    exit 1
fi
export HOSTED_EXCHANGE_API_URL=$url
echo "demo: sandbox listening on $url"

playbook() {
    echo
    echo "==================== $* ===================="
    "$bin/ansible-playbook" -i localhost, "$@"
}

playbook playbooks/onboard.yml --check --diff
playbook playbooks/onboard.yml
playbook playbooks/onboard.yml | tee "$work/again.out"
# the third run must be a no-op: every host in the recap reports changed=0
if grep -E '^\S+ +: ok=' "$work/again.out" | grep -vq 'changed=0 '; then
    echo "demo: the second real run of onboard.yml changed something; it should be idempotent" >&2
    exit 1
fi
playbook playbooks/report.yml

# Drift: someone changes a hire by hand and a mailbox nobody listed appears; the weekly audit
# (a --check --diff run) finds both and leaves a drift report a person reads at a glance.
playbook scripts/demo_drift.yml
ONBOARD_REPORT_DIR=$work playbook playbooks/audit.yml --check --diff
echo
echo "==================== the drift report ($work/drift-example.com.md) ===================="
cat "$work/drift-example.com.md"

echo
echo "demo: done; the sandbox served $(cat "$work/requests.jsonl" 2>/dev/null | wc -l) requests ($work/requests.jsonl)"
