#!/usr/bin/env bash
# QtPsk demo: a TLS-PSK echo exchange between the example programs, both sides shown.
#
#   scripts/demo.sh [build-dir]        (default: build/default; builds nothing itself)
#
# Starts pskserver on 127.0.0.1 with a port the system picks, reads the port from its output,
# runs pskclient against it, prints both sides (hint, identity, protocol, cipher, echoed line)
# and stops the server by PID. Exits non-zero if anything failed.
# Optional environment: PSK_DEMO_PROTOCOL, a --protocol value for both sides (default: the
# programs' default, tls1.2, which shows the identity hint; TLS 1.3 has none).
set -euo pipefail

build_dir=${1:-build/default}
server_bin=$build_dir/examples/pskserver/pskserver
client_bin=$build_dir/examples/pskclient/pskclient
for program in "$server_bin" "$client_bin"; do
    if [[ ! -x $program ]]; then
        echo "demo: $program not found; build the examples first (cmake --build $build_dir)" >&2
        exit 2
    fi
done

# A demo key only: never use a published key for anything real.
key=00112233445566778899aabbccddeeff
identity=client1
message="Hello from the QtPsk demo"
# TLS 1.2 unless told otherwise: only TLS 1.2 carries the server's identity hint, which the demo shows.
protocol_args=(--protocol "${PSK_DEMO_PROTOCOL:-tls1.2}")

work_dir=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work_dir"
}
trap cleanup EXIT

server_log=$work_dir/server.log
"$server_bin" --port 0 --hint "QtPsk demo server" --psk "$identity:$key" --once \
    "${protocol_args[@]}" >"$server_log" 2>&1 &
server_pid=$!

# Wait (at most 10 s) for "Listening on 127.0.0.1:<port>".
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^Listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$server_log")
    [[ -n $port ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [[ -z $port ]]; then
    echo "demo: the server did not start listening:" >&2
    cat "$server_log" >&2
    exit 1
fi

echo "=== client ==="
client_status=0
"$client_bin" 127.0.0.1 "$port" --identity "$identity" --key "$key" --message "$message" \
    --timeout 10000 "${protocol_args[@]}" 2>&1 | tee "$work_dir/client.log" || client_status=$?

# With --once the server exits once the connection has closed; give it 10 s.
server_status=0
for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$server_pid" 2>/dev/null; then
    echo "demo: the server did not exit after the connection closed" >&2
    server_status=1
else
    wait "$server_pid" || server_status=$?
fi
server_pid=

echo "=== server ==="
cat "$server_log"

if [[ $client_status -ne 0 || $server_status -ne 0 ]]; then
    echo "demo: FAILED (client exit $client_status, server exit $server_status)" >&2
    exit 1
fi
if ! grep -qxF "Reply: $message" "$work_dir/client.log"; then
    echo "demo: FAILED (the client did not get its line back)" >&2
    exit 1
fi
protocol=${PSK_DEMO_PROTOCOL:-tls1.2}
if [[ $protocol == tls1.[23] ]]; then
    expected="Protocol: TLSv${protocol#tls}"
    if ! grep -qF "$expected" "$work_dir/client.log" || ! grep -qF "$expected" "$server_log"; then
        echo "demo: FAILED (both sides should report $expected)" >&2
        exit 1
    fi
fi
echo "demo: OK"
