"""Client.subscribe(id): progress and partial items replayed from the start of the task's
stream, then followed live, ending with one FinalEvent; the events are written by the
TypeScript backend (client_fixtures/ts_backend.mjs), as a supervisor would."""

import time
import unittest

from tests.client_fixtures.support import (REDIS_URL, check_node, cleanup_prefix, finish_ts, new_prefix,
                                           requires_redis_py, start_ts)

try:
    from drover.client import Client, DroverError, FinalEvent, PartialEvent, ProgressEvent
except ImportError:  # reported by the skip below
    pass


def describe(item):
    if isinstance(item, ProgressEvent):
        return "progress:%g:%s" % (item.progress, item.message)
    if isinstance(item, PartialEvent):
        return "partial:%r" % (item.data,)
    return "final:%s:%r" % (item.task.state, item.task.result)


@requires_redis_py
class Subscribe(unittest.TestCase):
    def setUp(self):
        self.prefix = new_prefix("sub")
        self.client = Client(REDIS_URL, prefix=self.prefix)
        self.addCleanup(self.client.close)
        self.addCleanup(cleanup_prefix, self.client.redis, self.prefix)

    def until(self, check, what, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                self.fail("timed out waiting for %s" % what)
            time.sleep(0.02)

    def test_replays_what_was_reported_before_then_follows_until_the_final_task(self):
        check_node(self)
        task = self.client.enqueue("gen", "prompt")
        proc = start_ts(self, self.prefix, [
            {"op": "claim", "queue": "gen", "wait_ms": 10_000},
            {"op": "progress", "id": task.id, "value": 0.5, "message": "half"},
            {"op": "partial", "id": task.id, "data": "Hel"},
            {"op": "sleep", "ms": 300},
            {"op": "partial", "id": task.id, "data": "lo"},
            {"op": "complete", "id": task.id, "result": {"text": "Hello"}},
        ])
        # Subscribe only once the first two updates are stored: they must be replayed.
        self.until(lambda: self.client.get(task.id).partial == "Hel", "the first partial")
        items = [describe(i) for i in self.client.subscribe(task.id, timeout=20)]
        finish_ts(self, proc)
        self.assertEqual(items, ["progress:0.5:half", "partial:'Hel'", "partial:'lo'", "final:completed:{'text': 'Hello'}"])
        # A finished task: the same items at once.
        again = list(self.client.subscribe(task.id))
        self.assertEqual([describe(i) for i in again], items)
        self.assertIsInstance(again[-1], FinalEvent)

    def test_a_quiet_task_ends_the_subscription_as_soon_as_it_finishes(self):
        # No progress, no partial: the stream exists only because the subscriber watches it
        # (events-watch.lua), and finishing appends the 'end' entry it wakes on. Without the
        # watch it would notice only when its blocking read times out (blockMs, 5 s).
        check_node(self)
        task = self.client.enqueue("quiet", "x")
        proc = start_ts(self, self.prefix, [
            {"op": "claim", "queue": "quiet", "wait_ms": 10_000},
            {"op": "sleep", "ms": 300},
            {"op": "complete", "id": task.id, "result": "done"},
        ])
        started = time.monotonic()
        items = [describe(i) for i in self.client.subscribe(task.id, timeout=20)]
        finish_ts(self, proc)
        self.assertEqual(items, ["final:completed:'done'"])
        self.assertLess(time.monotonic() - started, 4.0)
        # Finished and never watched: ends at once too.
        quiet = self.client.enqueue("quiet2", "y")
        proc = start_ts(self, self.prefix, [
            {"op": "claim", "queue": "quiet2", "wait_ms": 10_000},
            {"op": "complete", "id": quiet.id, "result": "done"},
        ])
        finish_ts(self, proc)
        started = time.monotonic()
        self.assertEqual([describe(i) for i in self.client.subscribe(quiet.id)], ["final:completed:'done'"])
        self.assertLess(time.monotonic() - started, 4.0)

    def test_timeout_raises_wait_timeout_and_the_task_keeps_its_state(self):
        task = self.client.enqueue("idle", 1)
        with self.assertRaises(DroverError) as cm:
            list(self.client.subscribe(task.id, timeout=0.3))
        self.assertEqual(cm.exception.code, "WAIT_TIMEOUT")
        self.assertEqual(self.client.get(task.id).state, "pending")

    def test_unknown_id_and_bad_timeout_are_refused_at_the_call(self):
        for bad in ("gen:nope", "not-a-task-id"):
            with self.assertRaises(DroverError) as cm:
                self.client.subscribe(bad)
            self.assertEqual(cm.exception.code, "TASK_NOT_FOUND")
        task = self.client.enqueue("idle", 2)
        with self.assertRaises(DroverError) as cm:
            self.client.subscribe(task.id, timeout=-1)
        self.assertEqual(cm.exception.code, "INVALID_OPTION")


if __name__ == "__main__":
    unittest.main()
