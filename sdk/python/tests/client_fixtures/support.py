"""Shared helpers of the client tests (tests/test_client*.py): skip when redis-py is missing,
a random key prefix per test (cleaned up with SCAN + UNLINK), and a driver for the TypeScript
backend (ts_backend.mjs, importing dist/) and the CLI (bin/drover.js)."""

import json
import os
import secrets
import shutil
import subprocess
import sys
import unittest

from tests.helpers import REPO_DIR

try:
    import redis  # noqa: F401

    HAVE_REDIS_PY = True
except ImportError:
    HAVE_REDIS_PY = False

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"
FIXTURE_DIR = os.path.dirname(os.path.abspath(__file__))
TS_BACKEND = os.path.join(FIXTURE_DIR, "ts_backend.mjs")
CLI = os.path.join(REPO_DIR, "bin", "drover.js")
DIST_BACKEND = os.path.join(REPO_DIR, "dist", "src", "queue", "redis", "backend.js")
NODE = shutil.which("node")

requires_redis_py = unittest.skipUnless(
    HAVE_REDIS_PY,
    "drover.client needs redis-py, not installed for %s (apt-get install python3-redis, or "
    "pip install 'drover[client]'); run the suite with /usr/bin/python3" % sys.executable)


def new_prefix(label="py"):
    return "drover-test:pyc-%s:%s:" % (label, secrets.token_hex(4))


def cleanup_prefix(conn, prefix):
    """Deletes every key under a prefix (SCAN, never KEYS)."""
    for key in list(conn.scan_iter(match=prefix + "*", count=500)):
        conn.unlink(key)


def check_node(test):
    if NODE is None:
        test.fail("node is not on PATH (the cross-language tests drive the TypeScript backend)")
    if not os.path.exists(DIST_BACKEND):
        test.fail("%s is missing: build with `npx tsc -p tsconfig.json` in %s" % (DIST_BACKEND, REPO_DIR))


def ts_program(prefix, ops, redis_url=REDIS_URL, cluster=False):
    return json.dumps({"redis": redis_url, "cluster": cluster, "prefix": prefix, "ops": ops})


def parse_ts_output(stdout):
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def run_ts(test, prefix, ops, timeout=20, **kw):
    """Runs ops on the TypeScript backend; returns one {"op","ok","value"|"code","message"} per op."""
    check_node(test)
    proc = subprocess.run([NODE, TS_BACKEND, ts_program(prefix, ops, **kw)], cwd=REPO_DIR, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)
    test.assertEqual(proc.returncode, 0, proc.stderr.decode())
    out = parse_ts_output(proc.stdout.decode())
    test.assertEqual(len(out), len(ops), proc.stdout.decode() + proc.stderr.decode())
    return out


def start_ts(test, prefix, ops, **kw):
    """The same in the background; finish with finish_ts(test, proc)."""
    check_node(test)
    proc = subprocess.Popen([NODE, TS_BACKEND, ts_program(prefix, ops, **kw)], cwd=REPO_DIR,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def stop():
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()

    test.addCleanup(stop)
    return proc


def finish_ts(test, proc, timeout=20):
    out, err = proc.communicate(timeout=timeout)
    test.assertEqual(proc.returncode, 0, err.decode())
    return parse_ts_output(out.decode())


def ok_values(test, results):
    for r in results:
        test.assertTrue(r["ok"], r)
    return [r["value"] for r in results]
