#!/usr/bin/env bash
# Compares the per-request path of two OnePortal binaries (e.g. the last landed
# release build and this one) with wrk on loopback: GET /v2/me with a client
# token and POST /oauth2/token, 10 s each, rate limits off. Run it a few rounds,
# alternating the binaries, and compare medians: the machine is shared and noisy.
#
#   bench/compare-request-path.sh OLD_BINARY NEW_BINARY [ROUNDS]
#
# Needs wrk (apt-get install wrk) and curl.
set -euo pipefail
OLD=$1; NEW=$2; ROUNDS=${3:-2}
TOKEN_LUA=$(mktemp --suffix=.lua)
trap 'rm -f "$TOKEN_LUA"' EXIT
cat >"$TOKEN_LUA" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=client_credentials"
LUA

one() {
  local bin=$1 port=$2 label=$3 data pid token client id secret access basic
  data=$(mktemp -d)
  ONEPORTAL_LOG=error ONEPORTAL_RATE_LIMITS__REQUESTS_PER_MINUTE=0 ONEPORTAL_OAUTH__ISSUANCE_PER_MINUTE=0 \
    "$bin" serve --demo --demo-password bench-demo-pass-1 --data-dir "$data" --bind "127.0.0.1:$port" >"$data/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  for _ in $(seq 1 50); do
    token=$("$bin" users token --email developer@acme.example --data-dir "$data" --public-url "http://127.0.0.1:$port" 2>/dev/null) && break
    sleep 0.3
  done
  client=$(curl -s -X POST "http://127.0.0.1:$port/v2/api-clients" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"apiClientName":"bench","scopes":["BasicRead"]}')
  id=$(sed -E 's/.*"clientId":"([^"]+)".*/\1/' <<<"$client")
  secret=$(sed -E 's/.*"clientSecret":"([^"]+)".*/\1/' <<<"$client")
  access=$(curl -s -u "$id:$secret" -d grant_type=client_credentials "http://127.0.0.1:$port/oauth2/token" |
    sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  basic=$(printf '%s:%s' "$id" "$secret" | base64 -w0)
  echo "== $label GET /v2/me"
  wrk -t2 -c64 -d10s --latency -H "Authorization: Bearer $access" "http://127.0.0.1:$port/v2/me" | grep -E "Requests/sec|99%"
  echo "== $label POST /oauth2/token"
  wrk -t2 -c64 -d10s --latency -s "$TOKEN_LUA" -H "Authorization: Basic $basic" "http://127.0.0.1:$port/oauth2/token" | grep -E "Requests/sec|99%|Non-2xx"
  kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$data"
}

for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then one "$OLD" 18081 "old, round $round"; one "$NEW" 18082 "new, round $round"
  else one "$NEW" 18082 "new, round $round"; one "$OLD" 18081 "old, round $round"; fi
done
