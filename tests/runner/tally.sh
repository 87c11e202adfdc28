#!/usr/bin/env bash
# Counts what one test runner reported, strictly: prints "PASSED FAILED" on stdout, and on stderr why anything counts
# as failed. A suite that printed no summary, ran zero tests, skipped or cancelled any (this project has none on
# purpose), or whose runner exited non-zero without reporting a failure, counts as failed.
#
#   tally.sh dotnet LOG EXIT_CODE PROJECT...   # PROJECT: each test assembly that must report, e.g. OiStream.Core.Tests
#   tally.sh node LOG EXIT_CODE                # node --test's TAP summary ("# tests N", "# pass N", …)
set -uo pipefail
kind=$1 log=$2 rc=$3
shift 3
passed=0
failed=0
problem() { echo "tally: $*" >&2; failed=$((failed + 1)); }

case "$kind" in
  dotnet)
    # One line per assembly: "Passed!  - Failed:     0, Passed:    57, Skipped:     0, Total:    57, Duration: 2 s - X.dll (net10.0)"
    for project in "$@"; do
      line=$(grep -E "(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+, Total: +[0-9]+.* - $project\.dll" "$log" | tail -1)
      if [ -z "$line" ]; then
        problem "$project printed no summary (it did not build, did not run, or its output changed)"
        continue
      fi
      f=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$line")
      p=$(sed -E 's/.*Passed: +([0-9]+),.*/\1/' <<<"$line")
      s=$(sed -E 's/.*Skipped: +([0-9]+),.*/\1/' <<<"$line")
      t=$(sed -E 's/.*Total: +([0-9]+),.*/\1/' <<<"$line")
      passed=$((passed + p))
      failed=$((failed + f))
      [ "$t" -eq 0 ] && problem "$project ran no test"
      [ "$s" -gt 0 ] && { echo "tally: $project skipped $s test(s); skipped tests count as failed" >&2; failed=$((failed + s)); }
    done
    ;;
  node)
    count() { grep -oE "^# $1 [0-9]+" "$log" | grep -oE '[0-9]+$' | tail -1; }
    tests=$(count tests) p=$(count pass) f=$(count fail) c=$(count cancelled) s=$(count skipped) todo=$(count todo)
    if [ -z "$tests" ] || [ -z "$p" ] || [ -z "$f" ]; then
      problem "node --test printed no summary"
    else
      passed=$((passed + p))
      failed=$((failed + f))
      [ "$tests" -eq 0 ] && problem "node --test ran no test"
      for kind_count in "cancelled:${c:-0}" "skipped:${s:-0}" "todo:${todo:-0}"; do
        n=${kind_count#*:}
        [ "$n" -gt 0 ] && { echo "tally: node --test reported $n ${kind_count%%:*} test(s); they count as failed" >&2; failed=$((failed + n)); }
      done
    fi
    ;;
  *)
    echo "tally: unknown runner '$kind' (use dotnet or node)" >&2
    exit 2
    ;;
esac

if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  problem "the $kind runner exited with code $rc without reporting a failed test (a build error, a crash, or a timeout)"
fi
echo "$passed $failed"
