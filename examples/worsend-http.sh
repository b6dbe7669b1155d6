#!/usr/bin/env bash
# worsend's http transport against a local HTTPS push endpoint (python3 http.server with
# a throwaway self-signed certificate): the first push answers 503, worsend retries with
# backoff within the deadline and the second is accepted. Loopback only.
#
#   examples/worsend-http.sh [BUILD_DIR]      (default: build)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORSEND="$REPO/${1:-build}/bin/worsend"
[[ -x $WORSEND ]] || { echo "build worsend first: ninja -C build worsend" >&2; exit 1; }
for c in python3 openssl; do command -v "$c" >/dev/null || { echo "needs $c" >&2; exit 1; }; done
# shellcheck source=examples/worsend-common.sh
source "$REPO/examples/worsend-common.sh"

timeout 30 openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
PORT=$(timeout 5 python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 60 python3 - "$PORT" "$TMP" <<'PY' &
import http.server, json, ssl, sys
port, tmp = int(sys.argv[1]), sys.argv[2]
answers = [503, 201]
class Push(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = answers.pop(0) if answers else 201
        print(f"push endpoint: {status} for {body['device']} (TTL {self.headers['TTL']}, "
              f"Urgency {self.headers['Urgency']}, token {'yes' if self.headers['Authorization'] else 'no'})", flush=True)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", port), Push)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(f"{tmp}/cert.pem", f"{tmp}/key.pem")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(f"{tmp}/ready", "w").close()
srv.serve_forever()
PY
PIDS+=($!)
for _ in $(seq 50); do [[ -e $TMP/ready ]] && break; sleep 0.1; done  # readiness, not a fixed wait

printf 'example-token\n' >"$TMP/token"
chmod 600 "$TMP/token"
timeout 10 "$WORSEND" device add rabbit --http "https://127.0.0.1:$PORT/push/rabbit" --token-file "$TMP/token"

echo '{"id":"w1","op":"wake","device":"rabbit","caller":"sip:shark@example.net","call_id":"c-http","deadline_ms":10000}' |
    timeout 30 "$WORSEND" serve --ca-file "$TMP/cert.pem" --retry-initial 200
echo "== audit trail"
timeout 10 "$WORSEND" log --call-id c-http
