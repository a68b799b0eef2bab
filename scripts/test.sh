#!/usr/bin/env bash
# The test command: the whole vitest suite, under a virtual X server when one is available so the
# gpu.js headless-gl parity tests run for real (they skip with a printed reason otherwise).
set -uo pipefail
cd "$(dirname "$0")/.."
report=$(mktemp -t bas-vitest-XXXX.json)
# strict types are part of the suite
npx tsc -p tsconfig.json --noEmit || exit 1
# a hung test (a thread protocol blocks the event loop, so vitest cannot time it out) ends after
# 30 minutes instead of holding CI to its limit
# in CI the GL, browser and ../shared tests must run: their skip turns into a failure there
if [ "${CI:-}" = "true" ]; then export BAS_REQUIRE_GL=1 BAS_REQUIRE_SHARED=1 BAS_REQUIRE_BROWSER=1; fi
if command -v xvfb-run >/dev/null 2>&1; then
  timeout 1800 xvfb-run -a -s "-screen 0 1280x1024x24" npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@"
else
  echo "test: xvfb-run not found; GL tests will skip"
  timeout 1800 npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@"
fi
rc=$?
# one plain closing line, whatever the runner printed above
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped`);
' "$report" 2>/dev/null || true
rm -f "$report"
exit $rc
