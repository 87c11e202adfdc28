#!/usr/bin/env bash
# Runs every test suite of OiStream (restore, build, test) and ends with one line: "N passed, N failed",
# summed over every test runner. Exit code 0 only when everything built and nothing failed.
set -uo pipefail
cd "$(dirname "$0")"

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# .NET: xunit through dotnet test. A hung test is killed after 5 minutes (with a dump of where it hung) rather
# than stalling CI. dotnet test prints one summary per test project:
#   "Passed!  - Failed:     0, Passed:    57, Skipped:     0, Total:    57, Duration: 2 s - X.dll (net10.0)"
dotnet test OiStream.sln -c Release --blame-hang-timeout 5m 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
while read -r f p; do
  failed=$((failed + f))
  passed=$((passed + p))
done < <(grep -oE 'Failed: +[0-9]+, Passed: +[0-9]+' "$log" | sed -E 's/Failed: +([0-9]+), Passed: +([0-9]+)/\1 \2/')
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with code $rc before reporting a failed test (a build error or a crashed test host); counting it as a failure." >&2
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
