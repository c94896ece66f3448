"""drover.client against a real Redis (REDIS_URL): enqueue, options, get, wait, cancel, stats.

Skipped when redis-py is missing (run with /usr/bin/python3, which has python3-redis)."""

import threading
import time
import unittest

from tests.client_fixtures.support import REDIS_URL, cleanup_prefix, new_prefix, requires_redis_py

try:
    from drover.client import CancelResult, Client, DroverError, EnqueueResult, TaskInfo
except ImportError:  # reported by the skip below
    pass


@requires_redis_py
class ClientCase(unittest.TestCase):
    def setUp(self):
        self.prefix = new_prefix()
        self.client = Client(REDIS_URL, prefix=self.prefix)
        self.addCleanup(self.client.close)
        self.addCleanup(cleanup_prefix, self.client.redis, self.prefix)

    def assertDrover(self, code, fn, *args, **kwargs):
        with self.assertRaises(DroverError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.code, code, str(cm.exception))
        return cm.exception


class EnqueueAndGet(ClientCase):
    def test_enqueue_get_roundtrip(self):
        res = self.client.enqueue("emails", {"to": "a@b.c", "n": [1, 2.5, None], "s": "é✓"}, type="send",
                                  meta={"trace": "t1"}, max_retries=5, timeout_ms=2500, result_ttl_ms=60_000,
                                  backoff={"type": "fixed", "base_ms": 250, "jitter": False})
        self.assertIsInstance(res, EnqueueResult)
        self.assertTrue(res.created)
        self.assertRegex(res.id, r"^emails:[0-9a-z]{20}$")
        info = self.client.get(res.id)
        self.assertIsInstance(info, TaskInfo)
        self.assertEqual((info.id, info.queue, info.state, info.type), (res.id, "emails", "pending", "send"))
        self.assertEqual(info.payload, {"to": "a@b.c", "n": [1, 2.5, None], "s": "é✓"})
        self.assertEqual((info.attempts, info.retry_count, info.max_retry, info.cancel_requested), (0, 0, 5, False))
        o = info.options
        self.assertEqual((o.priority, o.max_retries, o.timeout_ms, o.result_ttl_ms), (0, 5, 2500, 60_000))
        self.assertEqual(tuple(o.backoff), ("fixed", 250, 600_000, False))
        self.assertEqual(o.meta, {"trace": "t1"})
        server_ms = int(self.client.redis.time()[0]) * 1000
        self.assertLess(abs(info.enqueued_at - server_ms), 5000)
        self.assertEqual(info.run_at, info.enqueued_at)
        self.assertIsNone(info.result)
        self.assertIsNone(info.error)

    def test_queue_defaults_apply_when_options_are_left_out(self):
        info = self.client.get(self.client.enqueue("q", 1).id)
        self.assertEqual((info.max_retry, info.options.timeout_ms), (3, 0))
        self.assertEqual(tuple(info.options.backoff), ("exponential", 1000, 600_000, True))
        self.assertIsNone(info.options.result_ttl_ms)

    def test_priority_orders_the_pending_set(self):
        ids = {}
        for name, prio in (("low", -5), ("mid1", 0), ("high", 10), ("mid2", 0)):
            ids[self.client.enqueue("p", name, priority=prio, id=name).id] = name
        keys = self.client.keys.queue("p")
        # Priority 0 waits in a list (entries without "<queue>:"), the others in priority bands.
        self.assertEqual(self.client.redis.lrange(keys["pendingList"], 0, -1), ["mid1", "mid2"])
        banded = self.client.redis.zrange(keys["pending"], 0, -1)
        self.assertEqual([ids[i] for i in banded], ["high", "low"])
        self.assertEqual(self.client.stats("p").counts["pending"], 4)

    def test_delay_and_run_at_schedule(self):
        info = self.client.get(self.client.enqueue("d", 1, delay_ms=60_000).id)
        self.assertEqual(info.state, "scheduled")
        self.assertAlmostEqual(info.run_at - info.enqueued_at, 60_000, delta=5)
        later = info.enqueued_at + 3_600_000
        at = self.client.get(self.client.enqueue("d", 2, run_at=later).id)
        self.assertEqual((at.state, at.run_at), ("scheduled", later))
        past = self.client.get(self.client.enqueue("d", 3, run_at=1).id)
        self.assertEqual(past.state, "pending")
        self.assertEqual(self.client.stats("d").counts["scheduled"], 2)

    def test_idempotency_key_dedupes(self):
        a = self.client.enqueue("i", {"v": 1}, idempotency_key="order-7")
        b = self.client.enqueue("i", {"v": 2}, idempotency_key="order-7")
        c = self.client.enqueue("i", {"v": 3}, idempotency_key="order-8")
        self.assertEqual((a.created, b.created, c.created), (True, False, True))
        self.assertEqual(a.id, b.id)
        self.assertNotEqual(a.id, c.id)
        info = self.client.get(a.id)
        self.assertEqual((info.payload, info.options.idempotency_key), ({"v": 1}, "order-7"))

    def test_caller_chosen_id(self):
        a = self.client.enqueue("orders", {"v": 1}, id="order-42")
        self.assertEqual(a, EnqueueResult("orders:order-42", True))
        b = self.client.enqueue("orders", {"v": 2}, id="order-42")
        self.assertEqual(b, EnqueueResult("orders:order-42", False))
        self.assertEqual(self.client.get("orders:order-42").payload, {"v": 1})

    def test_enqueue_many_keeps_item_order(self):
        results = self.client.enqueue_many("m", [
            {"payload": {"i": 0}},
            {"payload": {"i": 1}, "options": {"priority": 3, "id": "one"}},
            {"payload": {"i": 2}, "options": {"delay_ms": 60_000}},
            {"payload": {"i": 3}, "options": {"id": "one"}},
        ])
        self.assertEqual([r.created for r in results], [True, True, True, False])
        self.assertEqual(results[1].id, "m:one")
        self.assertEqual(results[3].id, "m:one")
        self.assertEqual([self.client.get(r.id).payload["i"] for r in results], [0, 1, 2, 1])
        self.assertEqual(self.client.get(results[2].id).state, "scheduled")
        self.assertEqual(self.client.enqueue_many("m", []), [])

    def test_enqueue_many_falls_back_to_eval_after_script_flush(self):
        self.client.redis.script_flush()
        results = self.client.enqueue_many("m", [{"payload": 1}, {"payload": 2}])
        self.assertEqual([self.client.get(r.id).payload for r in results], [1, 2])
        self.client.redis.script_flush()
        self.assertTrue(self.client.enqueue("m", 3).created)


class ExistingConnection(ClientCase):
    def test_an_existing_bytes_client_is_used_and_left_open(self):
        import redis

        raw = redis.Redis.from_url(REDIS_URL)  # decode_responses=False: replies are bytes
        self.addCleanup(raw.close)
        with Client(redis=raw, prefix=self.prefix) as client:
            task = client.enqueue("bytes", {"s": "é"}, meta={"k": 1})
            info = client.get(task.id)
            self.assertEqual((info.payload, info.options.meta, info.state), ({"s": "é"}, {"k": 1}, "pending"))
            self.assertEqual(client.stats("bytes").counts["pending"], 1)
            self.assertEqual(client.cancel(task.id).state, "cancelled")
            self.assertEqual(client.wait(task.id, timeout=2).state, "cancelled")
            self.assertEqual([e.type for e in client.events(task.id)], ["final"])
            self.assertIs(client.redis, raw)
        self.assertTrue(raw.ping())  # not closed by the client
        with self.assertRaises(DroverError) as cm:
            Client(REDIS_URL, redis=raw)
        self.assertEqual(cm.exception.code, "INVALID_OPTION")


    def test_default_url_follows_the_environment(self):
        import os
        from unittest import mock

        with mock.patch.dict(os.environ, {"DROVER_REDIS_URL": REDIS_URL, "REDIS_URL": "redis://127.0.0.1:1"}):
            with Client(prefix=self.prefix) as client:
                self.assertTrue(client.enqueue("env", 1).created)
        with mock.patch.dict(os.environ, {"DROVER_REDIS_URL": "", "REDIS_URL": "redis://127.0.0.1:1"}):
            with Client(prefix=self.prefix) as client:
                self.assertDrover("CONNECTION_ERROR", client.enqueue, "env", 1)


class Errors(ClientCase):
    def test_unknown_id_is_task_not_found(self):
        for bad in ("q:nope", "not-an-id", ":x", "bad queue:x"):
            self.assertDrover("TASK_NOT_FOUND", self.client.get, bad)
            self.assertDrover("TASK_NOT_FOUND", self.client.wait, bad, 0.1)
            self.assertDrover("TASK_NOT_FOUND", self.client.cancel, bad)
            self.assertDrover("TASK_NOT_FOUND", self.client.events, bad)
        err = self.assertDrover("TASK_NOT_FOUND", self.client.get, "q:nope")
        self.assertIn("q:nope", str(err))
        self.assertEqual(err.exit_code, 4)

    def test_bad_options_name_the_option_and_value(self):
        cases = [
            (dict(priority=5000), "priority: expected an integer in [-1000, 1000], got 5000"),
            (dict(priority=1.5), "priority: expected an integer in [-1000, 1000], got 1.5"),
            (dict(priority=True), "priority: expected an integer in [-1000, 1000], got true"),
            (dict(delay_ms=-1), "delay_ms: expected an integer in [0, 9007199254740991], got -1"),
            (dict(max_retries="3"), 'max_retries: expected an integer in [0, 1000000], got "3"'),
            (dict(result_ttl_ms=0), "result_ttl_ms: expected an integer in [1, 9007199254740991], got 0"),
            (dict(idempotency_key=""), 'idempotency_key: expected a non-empty string of at most 512 characters, got ""'),
            (dict(meta=[1]), "meta: expected a plain object, got [1]"),
            (dict(backoff={"type": "linear"}), "backoff.type: expected 'exponential' or 'fixed', got \"linear\""),
            (dict(backoff={"base_ms": 10, "max_ms": 5}), "backoff.max_ms: expected an integer >= 10, got 5"),
            (dict(backoff={"baseMs": 10}), "backoff: expected only the fields type, base_ms, max_ms, jitter"),
            (dict(id="a b"), 'id: expected 1-256 characters without whitespace, got "a b"'),
        ]
        for kwargs, message in cases:
            err = self.assertDrover("INVALID_OPTION", self.client.enqueue, "q", 1, **kwargs)
            self.assertTrue(str(err).startswith(message), "%s -> %s" % (kwargs, err))
            self.assertEqual(err.exit_code, 2)
        self.assertDrover("INVALID_OPTION", self.client.enqueue, "a:b", 1)
        self.assertDrover("INVALID_OPTION", self.client.enqueue_many, "q", [{"payload": 1, "options": {"delayMs": 5}}])
        self.assertDrover("INVALID_OPTION", self.client.run, "q", 1, delayMs=5)
        self.assertDrover("INVALID_OPTION", self.client.wait, "q:x", -1)
        self.assertDrover("INVALID_INPUT", self.client.enqueue, "q", float("nan"))
        self.assertDrover("INVALID_INPUT", self.client.enqueue, "q", {"x": object()})
        self.assertEqual(list(self.client.redis.scan_iter(match=self.prefix + "*")), [])

    def test_bad_client_options(self):
        with self.assertRaises(DroverError) as cm:
            Client("http://localhost:6379")
        self.assertEqual(cm.exception.code, "INVALID_OPTION")
        self.assertIn("http://localhost:6379", str(cm.exception))
        self.assertDrover("INVALID_OPTION", Client, REDIS_URL, prefix="a{b}")
        self.assertDrover("INVALID_OPTION", Client, REDIS_URL, cluster="yes")

    def test_unreachable_redis_is_a_connection_error(self):
        with Client("redis://127.0.0.1:1", prefix=self.prefix) as client:
            err = self.assertDrover("CONNECTION_ERROR", client.get, "q:1")
            self.assertEqual(err.exit_code, 6)
            self.assertDrover("CONNECTION_ERROR", client.enqueue, "q", 1)

    def test_closed_client_refuses_work(self):
        client = Client(REDIS_URL, prefix=self.prefix)
        with client:
            client.enqueue("q", 1)
        self.assertDrover("QUEUE_ERROR", client.enqueue, "q", 1)
        client.close()  # idempotent


class WaitAndCancel(ClientCase):
    def test_wait_timeout_raises_wait_timeout(self):
        task = self.client.enqueue("w", 1)
        start = time.monotonic()
        err = self.assertDrover("WAIT_TIMEOUT", self.client.wait, task.id, 0.3)
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 0.29)
        self.assertLess(elapsed, 2.0)
        self.assertIn("pending", str(err))
        self.assertEqual(err.exit_code, 5)
        self.assertDrover("WAIT_TIMEOUT", self.client.wait, task.id, 0)

    def test_wait_returns_at_once_for_a_finished_task(self):
        task = self.client.enqueue("w", 1)
        self.client.cancel(task.id)
        start = time.monotonic()
        info = self.client.wait(task.id, timeout=5)
        self.assertEqual(info.state, "cancelled")
        self.assertLess(time.monotonic() - start, 1.0)

    def test_wait_wakes_on_a_finish_published_by_another_connection(self):
        task = self.client.enqueue("w", 1)
        other = Client(REDIS_URL, prefix=self.prefix)
        self.addCleanup(other.close)
        box = {}

        def waiter():
            try:
                box["info"] = self.client.wait(task.id, timeout=10)
            except Exception as e:  # surfaced by the assertions below
                box["error"] = e
            box["at"] = time.monotonic()

        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.5)
        self.assertTrue(thread.is_alive(), box)
        cancelled_at = time.monotonic()
        self.assertEqual(other.cancel(task.id), CancelResult("cancelled"))
        thread.join(5)
        self.assertFalse(thread.is_alive())
        self.assertNotIn("error", box)
        self.assertEqual(box["info"].state, "cancelled")
        self.assertLess(box["at"] - cancelled_at, 0.3)

    def test_no_lost_wakeup_when_the_task_finishes_right_after_the_read(self):
        task = self.client.enqueue("w", 1)
        other = Client(REDIS_URL, prefix=self.prefix)
        self.addCleanup(other.close)
        original = self.client._read_task
        calls = []

        def read_then_finish(keys):
            info = original(keys)
            calls.append(info.state)
            if len(calls) == 1:
                other.cancel(task.id)  # finishes after the read saw it pending
            return info

        self.client._read_task = read_then_finish
        start = time.monotonic()
        info = self.client.wait(task.id, timeout=3)
        self.assertEqual(info.state, "cancelled")
        self.assertEqual(calls, ["pending", "cancelled"])
        self.assertLess(time.monotonic() - start, 1.0)

    def test_cancel_pending_and_finished(self):
        task = self.client.enqueue("c", 1, idempotency_key="k1")
        self.assertEqual(self.client.cancel(task.id).state, "cancelled")
        info = self.client.get(task.id)
        self.assertEqual(info.state, "cancelled")
        self.assertEqual((info.error.message, info.error.reason, info.error.type),
                         ("cancelled before it ran", "cancelled", "Cancelled"))
        self.assertIsNotNone(info.expires_at)
        self.assertEqual(self.client.cancel(task.id).state, "cancelled")
        # the idempotency key was released
        self.assertTrue(self.client.enqueue("c", 2, idempotency_key="k1").created)
        stats = self.client.stats("c")
        self.assertEqual((stats.counts["cancelled"], stats.totals.cancelled), (1, 1))


class Stats(ClientCase):
    def test_stats_counts_states(self):
        self.client.enqueue("s", 1)
        self.client.enqueue("s", 2)
        self.client.enqueue("s", 3, delay_ms=60_000)
        self.client.cancel(self.client.enqueue("s", 4).id)
        st = self.client.stats("s")
        self.assertEqual(st.queue, "s")
        self.assertEqual(st.counts, {"pending": 2, "scheduled": 1, "active": 0, "completed": 0, "failed": 0,
                                     "cancelled": 1})
        self.assertEqual(len(st.throughput), 60)
        self.assertEqual(st.throughput[-1].minute % 60_000, 0)
        self.assertEqual(set(st.failures_by_reason), {"error", "timeout", "handler_crash", "lease_lost",
                                                      "load_failed", "cancelled"})
        self.assertEqual(st.supervisors, 0)
        self.assertDrover("INVALID_OPTION", self.client.stats, "bad:queue")


if __name__ == "__main__":
    unittest.main()
