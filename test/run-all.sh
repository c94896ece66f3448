#!/usr/bin/env bash
# The whole test command: builds, makes sure a Redis answers (starting a private one on a free
# loopback port when none does), runs vitest and the Python SDK's unittest suites, and ends with
# one line "N passed, N failed" summing every suite.
set -uo pipefail
cd "$(dirname "$0")/.."

export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
started_redis_pid=""
tmp="$(mktemp -d)"

cleanup() {
  if [ -n "$started_redis_pid" ]; then kill "$started_redis_pid" 2>/dev/null; wait "$started_redis_pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

redis_answers() {
  node -e '
    const u = new URL(process.argv[1]);
    const s = require("net").connect(Number(u.port || 6379), u.hostname);
    s.setTimeout(1000, () => process.exit(1));
    s.on("error", () => process.exit(1));
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => process.exit(String(d).includes("PONG") || String(d).includes("NOAUTH") ? 0 : 1));
  ' "$REDIS_URL"
}

if ! redis_answers; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "run-all: no Redis at $REDIS_URL and no redis-server; installing it with apt-get" >&2
    (apt-get install -y redis-server >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y redis-server >/dev/null 2>&1)) \
      || { echo "run-all: could not install redis-server" >&2; echo "0 passed, 1 failed"; exit 1; }
  fi
  port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$tmp" >"$tmp/redis.log" 2>&1 &
  started_redis_pid=$!
  export REDIS_URL="redis://127.0.0.1:$port"
  for _ in $(seq 1 50); do redis_answers && break; sleep 0.1; done
  echo "run-all: started redis-server on $REDIS_URL" >&2
fi

# test/integration/cli/top.test.ts drives `drover top` in a real terminal through tmux.
if ! command -v tmux >/dev/null 2>&1; then
  echo "run-all: installing tmux for the drover top terminal tests" >&2
  (apt-get install -y tmux >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y tmux >/dev/null 2>&1)) \
    || echo "run-all: could not install tmux: the drover top terminal tests will be skipped" >&2
fi

# The Python client (its own suite and the vitest cases that drive it, examples included) needs
# redis-py, which comes from Debian for /usr/bin/python3: install it before any suite runs.
client_py=/usr/bin/python3
if [ -x "$client_py" ] && ! "$client_py" -c 'import redis' 2>/dev/null; then
  echo "run-all: installing python3-redis for the Python client tests" >&2
  apt-get install -y python3-redis >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y python3-redis >/dev/null 2>&1) \
    || echo "run-all: could not install python3-redis: the Python client tests will fail" >&2
fi
[ -x "$client_py" ] || client_py="$(command -v python3)"

passed=0
failed=0

echo "== build and typecheck (sources, then tests)" >&2
if ! npx tsc -p tsconfig.json; then
  echo "run-all: build failed" >&2
  failed=$((failed + 1))
fi
if ! npx tsc -p tsconfig.test.json; then
  echo "run-all: the tests do not typecheck" >&2
  failed=$((failed + 1))
fi

echo "== vitest" >&2
npx vitest run --reporter=default --reporter=json --outputFile.json="$tmp/vitest.json" "$@"
vitest_status=$?
if [ -s "$tmp/vitest.json" ]; then
  # failed = failed tests + suites that failed without a failing test (an import error, say);
  # a non-zero vitest exit with nothing counted (an unhandled error) counts as one more.
  read -r vp vf < <(node -e '
    const r = require(process.argv[1]);
    const silentSuites = r.testResults.filter((s) => s.status === "failed" && !s.assertionResults.some((a) => a.status === "failed")).length;
    let failed = r.numFailedTests + silentSuites;
    if (Number(process.argv[2]) !== 0 && failed === 0) failed = 1;
    console.log(r.numPassedTests, failed);
  ' "$tmp/vitest.json" "$vitest_status")
  passed=$((passed + vp)); failed=$((failed + vf))
  # Names of what failed, printed again just before the summary: a CI log keeps only its tail.
  node -e '
    const r = require(process.argv[1]);
    const rel = (f) => require("path").relative(process.cwd(), f);
    for (const s of r.testResults) {
      const bad = s.assertionResults.filter((a) => a.status === "failed");
      for (const a of bad) console.log(`FAILED vitest ${rel(s.name)} > ${a.fullName}`);
      if (s.status === "failed" && bad.length === 0) console.log(`FAILED vitest ${rel(s.name)} (suite): ${String(s.message).split("\n")[0]}`);
    }
  ' "$tmp/vitest.json" >"$tmp/failed-names.txt"
else
  echo "run-all: vitest produced no report" >&2
  failed=$((failed + 1))
fi

# Count a unittest run: passed = ran - failures - errors - skipped (skips are reported, not
# passed); a non-zero exit with nothing counted (a crash) counts as one failure.
count_unittest() {
  local log="$1" status="$2" ran bad skipped
  if ! grep -qE '^Ran [0-9]+ tests?' "$log"; then
    echo "run-all: python unittest did not run ($log)" >&2
    failed=$((failed + 1))
    return 0
  fi
  ran="$(grep -oE '^Ran [0-9]+' "$log" | grep -oE '[0-9]+')"
  bad="$(grep -E '^(FAILED|OK)' "$log" | grep -oE '(failures|errors)=[0-9]+' | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')"
  skipped="$(grep -E '^(FAILED|OK)' "$log" | grep -oE 'skipped=[0-9]+' | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')"
  [ "$status" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
  passed=$((passed + ran - bad - skipped)); failed=$((failed + bad))
  [ "$skipped" -gt 0 ] && echo "run-all: $skipped python tests skipped in $log (see the reasons above)" >&2
  return 0
}

echo "== python unittest: handler SDK" >&2
python3 - <<'PY' >"$tmp/py.log" 2>&1
import sys, unittest

def flatten(suite):
    for t in suite:
        yield from flatten(t) if isinstance(t, unittest.TestSuite) else [t]

tests = unittest.TestLoader().discover("sdk/python/tests", top_level_dir="sdk/python")
suite = unittest.TestSuite(t for t in flatten(tests) if ".test_client" not in t.id())
result = unittest.TextTestRunner(verbosity=2).run(suite)
sys.exit(0 if result.wasSuccessful() else 1)
PY
py_status=$?
cat "$tmp/py.log" >&2
count_unittest "$tmp/py.log" "$py_status"

echo "== python unittest: client" >&2
"$client_py" -m unittest discover -s sdk/python/tests -t sdk/python -p 'test_client*.py' -v >"$tmp/py-client.log" 2>&1
py_status=$?
cat "$tmp/py-client.log" >&2
count_unittest "$tmp/py-client.log" "$py_status"

grep -hE '^(FAIL|ERROR): ' "$tmp/py.log" "$tmp/py-client.log" 2>/dev/null | sed 's/^/FAILED python /' >>"$tmp/failed-names.txt"
[ -s "$tmp/failed-names.txt" ] && { echo "== what failed" >&2; cat "$tmp/failed-names.txt" >&2; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
