"""The generated script bundle and the parity of drover.client with the TypeScript sources:
ARGV encoding and option validation (compared with enqueue.ts run by node), error codes
(src/errors.ts), and packaging (import isolation, the ImportError without redis-py)."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from tests.client_fixtures.support import requires_redis_py, run_ts
from tests.helpers import REPO_DIR, SDK_DIR

BUNDLE_PATH = os.path.join(SDK_DIR, "drover", "client", "scripts.json")
LUA_DIR = os.path.join(REPO_DIR, "src", "queue", "redis", "lua")


def _bundle():
    with open(BUNDLE_PATH, encoding="utf-8") as f:
        return json.load(f)


class BundleFile(unittest.TestCase):
    """Needs no redis-py: the checked-in JSON against the Lua sources and src/errors.ts."""

    def test_every_lua_script_is_bundled_with_its_header_and_sha(self):
        bundle = _bundle()
        names = sorted(n[:-4] for n in os.listdir(LUA_DIR) if n.endswith(".lua"))
        self.assertEqual(sorted(bundle["scripts"]), names)
        for name, s in bundle["scripts"].items():
            with open(os.path.join(LUA_DIR, name + ".lua"), encoding="utf-8") as f:
                raw = f.read()
            keys = re.search(r"^-- KEYS: (.*)$", raw, re.M).group(1).split()
            channels = re.search(r"^-- CHANNELS: (.*)$", raw, re.M).group(1).split()
            self.assertEqual(s["keys"], [] if keys == ["(none)"] else keys, name)
            self.assertEqual(s["channels"], [] if channels == ["(none)"] else channels, name)
            self.assertEqual(hashlib.sha1(s["source"].encode("utf-8")).hexdigest(), s["sha1"], name)
            self.assertNotRegex(s["source"], r"(?m)^--@include ")
            # the header and the body after the last include are there verbatim
            self.assertIn(raw.split("\n", 1)[0], s["source"], name)
            self.assertTrue(s["source"].endswith(re.split(r"(?m)^--@include [\w-]+\n", raw)[-1]), name)
            self.assertTrue(s["source"].startswith("local C = {"), name)

    def test_error_codes_match_src_errors_ts(self):
        with open(os.path.join(REPO_DIR, "src", "errors.ts"), encoding="utf-8") as f:
            ts = f.read()
        union = re.search(r"export type DroverErrorCode =([^;]*);", ts).group(1)
        codes = re.findall(r"'([A-Z_]+)'", union)
        exits = dict(re.findall(r"^\s+([A-Z_]+): (\d+),$", ts, re.M))
        self.assertEqual(_bundle()["errors"]["codes"], {c: int(exits[c]) for c in codes})

    def test_import_drover_does_not_import_redis(self):
        code = "import sys, drover; assert 'redis' not in sys.modules, 'redis imported'; " \
               "assert 'drover.client' not in sys.modules; print('ok')"
        out = subprocess.run([sys.executable, "-c", code], cwd=SDK_DIR, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(out.stdout.decode().strip(), "ok", out.stderr.decode())

    def test_client_without_redis_py_says_how_to_install_it(self):
        code = "import sys; sys.modules['redis'] = None\nfrom drover.client import Client"
        out = subprocess.run([sys.executable, "-c", code], cwd=SDK_DIR, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=30)
        err = out.stderr.decode()
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("ImportError", err)
        self.assertIn("pip install 'drover[client]'", err)
        self.assertIn("apt-get install python3-redis", err)

    def test_the_package_ships_the_client_and_its_bundle(self):
        tmp = tempfile.mkdtemp(prefix="drover-client-build-")
        self.addCleanup(shutil.rmtree, tmp, True)
        source = os.path.join(tmp, "src")
        shutil.copytree(SDK_DIR, source, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.egg-info", "build"))
        target = os.path.join(tmp, "lib")
        build = subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "--quiet", "build_py",
                                "--build-lib", target], cwd=source, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=120)
        if build.returncode != 0 and b"project" in build.stdout and b"pyproject" in build.stdout:
            self.skipTest("setuptools here cannot read pyproject.toml: " + build.stdout.decode()[-300:])
        self.assertEqual(build.returncode, 0, build.stdout.decode())
        for rel in ("drover/client/__init__.py", "drover/client/client.py", "drover/client/scripts.json"):
            self.assertTrue(os.path.exists(os.path.join(target, rel)), rel)


# TypeScript option names -> Python names, for comparing error messages.
CAMEL = ["delayMs", "runAt", "maxRetries", "timeoutMs", "idempotencyKey", "resultTtlMs", "baseMs", "maxMs"]


def snake(name):
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), name)


def py_options(ts_options):
    out = {}
    for k, v in ts_options.items():
        if k == "backoff" and isinstance(v, dict):
            v = {snake(bk): bv for bk, bv in v.items()}
        out[snake(k)] = v
    return out


def py_message(ts_message):
    for name in CAMEL:
        ts_message = re.sub(r"\b%s\b" % name, snake(name), ts_message)
    return ts_message


ARGV_CASES = [
    ("q", {"a": 1, "b": [1, 2.5, {"c": "é✓", "d": None}], "e": "line\nbreak \u0001"}, {"id": "x1"}),
    ("q", "text", {"priority": -1000, "delayMs": 5, "maxRetries": 4, "timeoutMs": 7, "resultTtlMs": 9,
                   "idempotencyKey": "k", "type": "t", "meta": {"a": {"b": [1]}}, "id": "x2"}),
    ("q.x-1_A", None, {"runAt": 123, "backoff": {"type": "fixed", "baseMs": 5}, "id": "x3"}),
    ("q", 1.5, {"backoff": {"baseMs": 700000}, "priority": 1000, "id": "x4"}),
    ("q", [True, False], {"backoff": {"jitter": False, "maxMs": 2000}, "maxRetries": 1000000, "id": "x5"}),
    ("q", {}, {}),
    ("q", 3, {"priority": 7, "delayMs": 0, "maxRetries": 0, "timeoutMs": 0, "resultTtlMs": 1,
              "idempotencyKey": "ключ"}),
    # invalid: the same code and message on both sides
    ("q", 1, {"priority": 5000}),
    ("q", 1, {"priority": 1.5}),
    ("q", 1, {"priority": "1"}),
    ("q", 1, {"delayMs": -1}),
    ("q", 1, {"runAt": -5}),
    ("q", 1, {"maxRetries": 1000001}),
    ("q", 1, {"timeoutMs": True}),
    ("q", 1, {"idempotencyKey": ""}),
    ("q", 1, {"idempotencyKey": "x" * 513}),
    ("q", 1, {"resultTtlMs": 0}),
    ("q", 1, {"type": 5}),
    ("q", 1, {"id": "a b"}),
    ("q", 1, {"id": "a\tb"}),
    ("q", 1, {"id": "x" * 257}),
    ("q", 1, {"meta": [1]}),
    ("q", 1, {"meta": "x"}),
    ("q", 1, {"backoff": {"type": "linear"}}),
    ("q", 1, {"backoff": 5}),
    ("q", 1, {"backoff": {"baseMs": -1}}),
    ("q", 1, {"backoff": {"jitter": "yes"}}),
    ("q", 1, {"backoff": {"jitter": False, "maxMs": 10}}),
    ("q", 1, {"priority": 5000, "delayMs": -1}),
    ("a:b", 1, {}),
    ("", 1, {}),
    ("x" * 129, 1, {}),
]


@requires_redis_py
class ParityWithTypeScript(unittest.TestCase):
    def test_enqueue_argv_and_validation_match_enqueue_ts(self):
        from drover.client import DroverError
        from drover.client.keys import assert_queue_name
        from drover.client.options import enqueue_args, normalize_enqueue_options

        ops = [{"op": "argv", "queue": q, "payload": p, "options": o} for q, p, o in ARGV_CASES]
        results = run_ts(self, "drover:", ops)
        for (queue, payload, options), ts in zip(ARGV_CASES, results):
            with self.subTest(queue=queue[:20], options=json.dumps(options)[:80]):
                try:
                    assert_queue_name(queue)
                    py = [str(a) for a in enqueue_args(queue, payload, normalize_enqueue_options(py_options(options)))]
                except DroverError as e:
                    self.assertFalse(ts["ok"], "TypeScript accepted it: %s" % ts)
                    self.assertEqual((e.code, str(e)), (ts["code"], py_message(ts["message"])))
                    continue
                self.assertTrue(ts["ok"], "Python accepted what TypeScript rejected: %s" % ts)
                if "id" in options:
                    self.assertEqual(py, ts["value"])
                else:  # generated ids differ; their shape must not
                    self.assertEqual(py[1:], ts["value"][1:])
                    shape = r"^%s:[0-9a-z]{20}$" % re.escape(queue)
                    self.assertRegex(py[0], shape)
                    self.assertRegex(ts["value"][0], shape)
                    self.assertLess(abs(int(py[0].split(":")[1][:9], 36) - int(ts["value"][0].split(":")[1][:9], 36)),
                                    60_000)


if __name__ == "__main__":
    unittest.main()
