"""run(concurrency=N): up to N tasks at once, async on one loop, sync in N threads.

Overlap is shown by events, not timing: task A waits for an event that only a later
task B sets, so A can only succeed if B ran while A was still in flight.
"""

from tests.helpers import HandlerTest


class Concurrency(HandlerTest):
    def test_tasks_overlap_up_to_n(self):
        for asynchronous in (True, False):
            with self.subTest(async_task=asynchronous):
                env = {"FIXTURE_CONCURRENCY": "2"}
                if asynchronous:
                    env["FIXTURE_ASYNC"] = "1"
                handler = self.started(env)
                handler.task("a", {"op": "wait_event", "name": "go", "timeout": 5})
                handler.task("b", {"op": "set_event", "name": "go"})
                self.assertEqual(handler.reply("a")["result"], "waited")
                replies = [m["task_id"] for m in handler.messages() if "result" in m]
                self.assertEqual(replies, ["b", "a"])
                self.assertEqual(handler.finish(), 0)

    def test_concurrency_1_serves_one_task_at_a_time(self):
        for asynchronous in (True, False):
            with self.subTest(async_task=asynchronous):
                env = {"FIXTURE_ASYNC": "1"} if asynchronous else {}
                handler = self.started(env)
                handler.task("a", {"op": "wait_event", "name": "go", "timeout": 0.3})
                handler.task("b", {"op": "set_event", "name": "go"})
                self.assertEqual(handler.reply("a")["error"]["type"], "TimeoutError")
                self.assertEqual(handler.reply("b")["result"], "set")
                self.assertEqual(handler.finish(), 0)

    def test_never_more_than_n_at_once(self):
        # With N=2, two waiters hold both slots, so the setter runs only after they time out.
        handler = self.started({"FIXTURE_ASYNC": "1", "FIXTURE_CONCURRENCY": "2"})
        handler.task("a", {"op": "wait_event", "name": "g", "timeout": 0.3})
        handler.task("b", {"op": "wait_event", "name": "g", "timeout": 0.3})
        handler.task("c", {"op": "set_event", "name": "g"})
        self.assertEqual(handler.reply("c")["result"], "set")
        self.assertEqual(handler.reply("a")["error"]["type"], "TimeoutError")
        self.assertEqual(handler.reply("b")["error"]["type"], "TimeoutError")
        self.assertEqual(handler.finish(), 0)

    def test_concurrent_writers_never_interleave(self):
        handler = self.started({"FIXTURE_CONCURRENCY": "4"})
        n, size = 150, 6000  # lines longer than PIPE_BUF
        for i in range(4):
            handler.task("f%d" % i, {"op": "flood", "n": n, "size": size})
        for i in range(4):
            self.assertEqual(handler.reply("f%d" % i)["result"], "flooded", handler.stderr.text())
        self.assertEqual(handler.finish(), 0)
        for i in range(4):
            events = handler.events("f%d" % i)
            self.assertEqual([e["data"]["i"] for e in events], list(range(n)))
            self.assertTrue(all(len(e["data"]["pad"]) == size for e in events))
