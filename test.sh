#!/usr/bin/env bash
# Runs every test suite of OiStream (restore, build, test) and ends with one line: "N passed, N failed",
# summed over every test runner. Exit code 0 only when everything built, every suite ran, and nothing failed,
# was skipped or was cancelled (tests/runner/tally.sh counts each runner).
set -uo pipefail
cd "$(dirname "$0")"

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# .NET: xunit through dotnet test (this also builds the hub the JavaScript tests below run against). A hung test is killed after 5 minutes (with a dump of where it hung) rather
# than stalling CI. dotnet test prints one summary per test project:
#   "Passed!  - Failed:     0, Passed:    57, Skipped:     0, Total:    57, Duration: 2 s - X.dll (net10.0)"
# -m:1 runs the test projects one after another: each starts hubs and simulators, and 2 cores cannot host them all
# at once without starving the fault and recovery tests of their time.
dotnet test OiStream.sln -c Release -m:1 --blame-hang-timeout 5m 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# Every test project must report: one that printed no summary, ran no test or skipped one counts as failed
# (tests/runner/tally.sh says which and why).
mapfile -t projects < <(find tests -name '*.Tests.csproj' -printf '%f\n' | sed 's/\.csproj$//' | sort)
read -r p f < <(tests/runner/tally.sh dotnet "$log" "$rc" "${projects[@]}")
passed=$((passed + p))
failed=$((failed + f))

# JavaScript: @microsoft/signalr against a real hub started here with --simulate on a free loopback port.
if [ "$rc" -eq 0 ]; then
  # node_modules is already current: building the hub above ran `npm ci` for the npm workspace (package.json at the
  # top: the JS client, the dashboard's packages and these tests) whenever package-lock.json was newer.
  hublog=$(mktemp)
  storedir=$(mktemp -d)
  dotnet run -c Release --no-build --project src/OiStream.Server -- --simulate --urls http://127.0.0.1:0 \
    --OiStream:Simulator:UsdmCoins=30 --OiStream:Simulator:CoinmCoins=4 --OiStream:Storage:Path="$storedir/history.db" >"$hublog" 2>&1 &
  hubpid=$!
  url=""
  for _ in $(seq 1 600); do
    url=$(grep -oE 'Now listening on: http://127\.0\.0\.1:[0-9]+' "$hublog" | head -1 | sed 's/Now listening on: //')
    [ -n "$url" ] && break
    kill -0 "$hubpid" 2>/dev/null || break
    sleep 0.1
  done
  ready=0
  if [ -n "$url" ]; then
    for _ in $(seq 1 600); do
      if node -e "fetch('$url/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then ready=1; break; fi
      sleep 0.1
    done
  fi
  if [ "$ready" -eq 1 ]; then
    jslog=$(mktemp)
    OISTREAM_URL="$url" timeout 300 node --test tests/js/ 2>&1 | tee "$jslog"
    read -r p f < <(tests/runner/tally.sh node "$jslog" "${PIPESTATUS[0]}")
    passed=$((passed + p))
    failed=$((failed + f))
    rm -f "$jslog"
  else
    echo "The hub for the JavaScript tests did not become ready; its log:" >&2
    tail -30 "$hublog" >&2
    failed=$((failed + 1))
  fi
  kill "$hubpid" 2>/dev/null
  wait "$hubpid" 2>/dev/null
  rm -rf "$hublog" "$storedir"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
