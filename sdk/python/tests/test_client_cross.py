"""Cross-language: tasks enqueued by drover.client are claimed and finished by the TypeScript
backend (dist/, driven by client_fixtures/ts_backend.mjs), and the reverse (the CLI enqueues,
Python reads). wait(), run() and events() are woken by what TypeScript writes."""

import json
import subprocess
import threading
import time
import unittest
from unittest import mock

from tests.client_fixtures.support import (CLI, NODE, REDIS_URL, check_node, cleanup_prefix, finish_ts, new_prefix,
                                           ok_values, requires_redis_py, run_ts, start_ts)
from tests.helpers import REPO_DIR

try:
    from drover.client import (Client, DroverError, FinalEvent, PartialEvent, ProgressEvent, TaskFailedError,
                               camel_dict)
except ImportError:  # reported by the skip below
    pass


@requires_redis_py
class CrossLanguage(unittest.TestCase):
    def setUp(self):
        check_node(self)
        self.prefix = new_prefix("x")
        self.client = Client(REDIS_URL, prefix=self.prefix)
        self.addCleanup(self.client.close)
        self.addCleanup(cleanup_prefix, self.client.redis, self.prefix)

    def in_thread(self, fn, *args, **kwargs):
        box = {}

        def target():
            try:
                box["value"] = fn(*args, **kwargs)
            except BaseException as e:  # checked by the caller
                box["error"] = e
            box["at_ms"] = time.time() * 1000

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        return thread, box

    def test_python_task_is_claimed_and_completed_by_typescript(self):
        task = self.client.enqueue("xl", {"n": 21}, type="double", meta={"who": "py"}, max_retries=2,
                                   timeout_ms=5000, priority=3)
        claim, progress, complete, ts_info, ts_stats = ok_values(self, run_ts(self, self.prefix, [
            {"op": "claim", "queue": "xl"},
            {"op": "progress", "id": task.id, "value": 0.5, "message": "half"},
            {"op": "complete", "id": task.id, "result": {"n": 42}},
            {"op": "get", "id": task.id},
            {"op": "stats", "queue": "xl"},
        ]))
        self.assertEqual(claim, [task.id])
        self.assertTrue(complete["accepted"])
        info = self.client.wait(task.id, timeout=5)
        self.assertEqual((info.state, info.result, info.attempts, info.type), ("completed", {"n": 42}, 1, "double"))
        self.assertEqual((info.progress.progress, info.progress.message), (0.5, "half"))
        # Python's TaskInfo is TypeScript's, field for field (camelCase, absent fields left out).
        self.assertEqual(camel_dict(info), ts_info)
        stats = camel_dict(self.client.stats("xl"))
        self.assertEqual(stats["counts"]["completed"], 1)
        self.assertEqual(sum(m["completed"] for m in stats["throughput"]), 1)
        for key in ("queue", "counts", "totals", "failuresByReason", "supervisors"):
            self.assertEqual(stats[key], ts_stats[key], key)

    def test_the_supervisor_sees_python_options(self):
        low = self.client.enqueue("po", "low", priority=-1).id
        mid = self.client.enqueue("po", "mid").id
        high = self.client.enqueue("po", "high", priority=9).id
        later = self.client.enqueue("po", "later", delay_ms=60_000).id
        claimed, = ok_values(self, run_ts(self, self.prefix, [{"op": "claim", "queue": "po", "count": 10}]))
        self.assertEqual(claimed, [high, mid, low])
        self.assertEqual(self.client.get(later).state, "scheduled")

    def test_typescript_cli_enqueue_is_read_by_python(self):
        check_node(self)
        out = subprocess.run([NODE, CLI, "enqueue", "cli-q", json.dumps({"from": "cli"}), "--prefix", self.prefix,
                              "--redis", REDIS_URL, "--priority", "7", "--type", "t1"],
                             cwd=REPO_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        task_id = out.stdout.decode().strip()
        self.assertRegex(task_id, r"^cli-q:[0-9a-z]{20}$")
        info = self.client.get(task_id)
        self.assertEqual((info.state, info.payload, info.type, info.options.priority),
                         ("pending", {"from": "cli"}, "t1", 7))
        self.assertEqual(self.client.cancel(task_id).state, "cancelled")

    def test_run_returns_the_result_woken_by_pubsub_without_polling(self):
        reads = []
        original = self.client._read_task

        def counting(keys):
            reads.append(time.monotonic())
            return original(keys)

        proc = start_ts(self, self.prefix, [
            {"op": "claim", "queue": "wake", "wait_ms": 10_000},
            {"op": "sleep", "ms": 800},
            {"op": "complete", "id": "__claimed__", "result": "done"},
        ])
        # the fixture completes the task it claimed: give it the id once known
        with mock.patch.object(self.client, "_read_task", side_effect=counting):
            thread, box = self.in_thread(self.client.run, "wake", {"x": 1}, timeout=10, id="w1")
            thread.join(15)
        results = finish_ts(self, proc)
        self.assertTrue(results[0]["ok"] and results[2]["ok"], results)
        self.assertNotIn("error", box)
        self.assertEqual(box["value"], "done")
        completed_at = results[2]["value"]["at"]
        self.assertLess(box["at_ms"] - completed_at, 250, "wait() woke too late after the TypeScript complete")
        # one read after subscribing, one after the done message: no polling loop
        self.assertLessEqual(len(reads), 3, reads)
        self.assertGreaterEqual(reads[-1] - reads[0], 0.5)

    def test_run_raises_task_failed_error(self):
        proc = start_ts(self, self.prefix, [
            {"op": "claim", "queue": "boom", "wait_ms": 10_000},
            {"op": "fail", "id": "__claimed__", "message": "it broke", "type": "ValueError", "retry": False},
        ])
        with self.assertRaises(TaskFailedError) as cm:
            self.client.run("boom", {"x": 1}, timeout=10, max_retries=0)
        finish_ts(self, proc)
        err = cm.exception
        self.assertIsInstance(err, DroverError)
        self.assertEqual(err.code, "TASK_FAILED")
        self.assertEqual(err.task.state, "failed")
        self.assertEqual((err.task_error.message, err.task_error.type, err.task_error.reason),
                         ("it broke", "ValueError", "error"))
        self.assertIn("it broke", str(err))
        self.assertEqual(self.client.stats("boom").totals.failed, 1)

    def test_events_yield_progress_partial_then_final(self):
        task = self.client.enqueue("ev", {"prompt": "hi"})
        stream = self.client.events(task.id, block_ms=1000)
        proc = start_ts(self, self.prefix, [
            {"op": "claim", "queue": "ev", "wait_ms": 10_000},
            {"op": "sleep", "ms": 200},
            {"op": "progress", "id": task.id, "value": 0.25, "message": "quarter"},
            {"op": "partial", "id": task.id, "data": {"tok": "a"}},
            {"op": "sleep", "ms": 200},
            {"op": "complete", "id": task.id, "result": {"text": "a"}},
        ])
        items = list(stream)
        finish_ts(self, proc)
        self.assertEqual([type(i) for i in items], [ProgressEvent, PartialEvent, FinalEvent], items)
        self.assertEqual((items[0].progress, items[0].message, items[0].type), (0.25, "quarter", "progress"))
        self.assertEqual((items[1].data, items[1].task_id), ({"tok": "a"}, task.id))
        self.assertEqual((items[2].task.state, items[2].task.result), ("completed", {"text": "a"}))
        # from_start=False on a finished task: only the final item
        tail = list(self.client.events(task.id, from_start=False))
        self.assertEqual([type(i) for i in tail], [FinalEvent])

    def test_cancel_of_an_active_task_reaches_its_supervisor(self):
        task = self.client.enqueue("ca", 1)
        ok_values(self, run_ts(self, self.prefix, [{"op": "claim", "queue": "ca"}]))
        pubsub = self.client.redis.pubsub(ignore_subscribe_messages=True)
        self.addCleanup(pubsub.close)
        pubsub.subscribe(self.client.keys.channels("ca")["cancel"])
        pubsub.get_message(timeout=1)
        self.assertEqual(self.client.cancel(task.id).state, "active")
        msg = pubsub.get_message(timeout=2)
        self.assertIsNotNone(msg)
        self.assertEqual(msg["data"], task.id)
        self.assertTrue(self.client.get(task.id).cancel_requested)

    def test_stats_count_live_supervisors(self):
        ok_values(self, run_ts(self, self.prefix, [{"op": "register", "id": "sup-1", "queues": ["sq", "other"]}]))
        self.assertEqual(self.client.stats("sq").supervisors, 1)
        self.assertEqual(self.client.stats("nobody").supervisors, 0)


if __name__ == "__main__":
    unittest.main()
