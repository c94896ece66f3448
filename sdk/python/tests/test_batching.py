"""@task(batch=N, max_wait_ms=W): tasks gathered into one call with a list of payloads.

Batches are shown by structure, not timing: each result lists the ids of its batch, and
"the batch formed because it was full" is shown with a max_wait_ms far longer than the test.
"""

import contextlib
import io
import json
import os
import shutil
import signal
import tempfile
import unittest

import drover
from drover import decorators
from tests.helpers import HandlerTest, fixture

BATCH = fixture("batch_handler.py")
NEVER_MS = "60000"  # a wait no test lasts: a batch forms only when full or when input ends


def result_of(reply):
    assert reply["error"] is None, reply
    return reply["result"]


class BatchTest(HandlerTest):
    script = BATCH

    def batched(self, batch=4, max_wait_ms=NEVER_MS, **env):
        full = {"FIXTURE_BATCH": str(batch), "FIXTURE_MAX_WAIT_MS": str(max_wait_ms)}
        full.update({k: str(v) for k, v in env.items()})
        return self.started(full, protocol_pipe=True)

    def tmp_path(self, name):
        directory = tempfile.mkdtemp(prefix="drover-batch-")
        self.addCleanup(shutil.rmtree, directory, True)
        return os.path.join(directory, name)

    def send_together(self, handler, tasks):
        """Several task lines in one write, so they arrive within one read."""
        handler.send("\n".join(json.dumps({"task_id": i, "payload": p}) for i, p in tasks))


class Forming(BatchTest):
    def test_ready_line_declares_the_batch_size_as_concurrency(self):
        handler = self.start({"FIXTURE_BATCH": "32"}, protocol_pipe=True)
        self.assertEqual(handler.ready(), {"status": "ready", "protocol": 1, "concurrency": 32})
        self.assertEqual(handler.finish(), 0)

    def test_run_concurrency_overrides_the_declared_concurrency(self):
        handler = self.start({"FIXTURE_BATCH": "8", "FIXTURE_CONCURRENCY": "16"}, protocol_pipe=True)
        self.assertEqual(handler.ready()["concurrency"], 16)
        self.assertEqual(handler.finish(), 0)

    def test_a_full_batch_is_dispatched_without_waiting_and_results_map_to_ids(self):
        for asynchronous in ("0", "1"):
            with self.subTest(async_fn=asynchronous):
                handler = self.batched(batch=3, FIXTURE_ASYNC=asynchronous)
                self.send_together(handler, [("a", {"value": 10}), ("b", {"value": 20}),
                                             ("c", {"value": 30})])
                # max_wait is a minute: only a full batch can answer within the timeout
                results = {i: result_of(handler.reply(i)) for i in ("a", "b", "c")}
                for task_id, value in (("a", 10), ("b", 20), ("c", 30)):
                    self.assertEqual(results[task_id]["value"], value)
                    self.assertEqual(results[task_id]["batch"], ["a", "b", "c"])
                    self.assertEqual(results[task_id]["call"], 1)
                    self.assertTrue(results[task_id]["current_task_is_none"])
                    self.assertGreaterEqual(results[task_id]["waited_ms"], 0)
                self.assertEqual(handler.finish(), 0)

    def test_a_lone_task_is_dispatched_alone_after_max_wait(self):
        handler = self.batched(batch=32, max_wait_ms=30)
        handler.task("solo", {"value": 1})
        result = result_of(handler.reply("solo"))  # stdin stays open: only the wait ends it
        self.assertEqual(result["batch"], ["solo"])
        self.assertEqual(handler.finish(), 0)

    def test_more_tasks_than_the_batch_size_make_several_batches_in_order(self):
        handler = self.batched(batch=2, FIXTURE_CONCURRENCY=5)
        self.send_together(handler, [(t, {"value": t}) for t in ("t1", "t2", "t3", "t4", "t5")])
        batches = {t: result_of(handler.reply(t))["batch"] for t in ("t1", "t2", "t3", "t4")}
        self.assertEqual(batches["t1"], ["t1", "t2"])
        self.assertEqual(batches["t3"], ["t3", "t4"])
        handler.close_stdin()  # the fifth waits for a partner until input ends
        self.assertEqual(result_of(handler.reply("t5"))["batch"], ["t5"])
        self.assertEqual(handler.finish(), 0)

    def test_batches_never_overlap_and_the_next_one_gathers_meanwhile(self):
        for asynchronous in ("0", "1"):
            with self.subTest(async_fn=asynchronous):
                release = self.tmp_path("release-" + asynchronous)
                handler = self.batched(batch=2, FIXTURE_CONCURRENCY=4, FIXTURE_ASYNC=asynchronous)
                self.send_together(handler, [("a", {"op": "block", "path": release}), ("b", {})])
                handler.stderr_has("BATCH-BLOCKED a,b")
                self.send_together(handler, [("c", {}), ("d", {})])
                open(release, "w").close()
                self.assertEqual(result_of(handler.reply("a"))["batch"], ["a", "b"])
                self.assertEqual(result_of(handler.reply("d"))["batch"], ["c", "d"])
                self.assertEqual(handler.finish(), 0)
                self.assertNotIn("BATCH-PEAK 2", handler.stderr.text())

    def test_run_once_serves_one_task_as_a_batch_of_one_without_waiting(self):
        handler = self.batched(batch=8, FIXTURE_MODE="once")
        handler.task("only", {"value": 5})
        self.assertEqual(result_of(handler.reply("only"))["batch"], ["only"])
        self.assertEqual(handler.wait(), 0)


class PerItemOutcomes(BatchTest):
    def test_an_exception_in_the_list_fails_only_its_item(self):
        for asynchronous in ("0", "1"):
            with self.subTest(async_fn=asynchronous):
                handler = self.batched(batch=4, FIXTURE_ASYNC=asynchronous)
                self.send_together(handler, [("ok1", {"value": 1}), ("bad", {"op": "fail"}),
                                             ("later", {"op": "retry"}), ("ok2", {"value": 2})])
                bad = handler.reply("bad")
                self.assertEqual(bad["error"]["type"], "ValueError")
                self.assertEqual(bad["error"]["message"], "bad item bad")
                self.assertIs(bad["retry"], False)
                later = handler.reply("later")
                self.assertEqual(later["error"]["type"], "RetryableError")
                self.assertIs(later["retry"], True)
                self.assertEqual(later["retry_after_ms"], 1500)
                self.assertEqual(result_of(handler.reply("ok1"))["value"], 1)
                self.assertEqual(result_of(handler.reply("ok2"))["batch"], ["ok1", "bad", "later", "ok2"])
                self.assertEqual(handler.finish(), 0)

    def test_a_result_that_is_not_json_fails_only_its_item(self):
        handler = self.batched(batch=2)
        self.send_together(handler, [("obj", {"op": "object"}), ("fine", {"value": 3})])
        self.assertEqual(handler.reply("obj")["error"]["type"], "SerializationError")
        self.assertEqual(result_of(handler.reply("fine"))["value"], 3)
        self.assertEqual(handler.finish(), 0)

    def test_an_exception_from_the_call_fails_every_item(self):
        handler = self.batched(batch=2)
        self.send_together(handler, [("x", {"op": "raise_all"}), ("y", {})])
        for task_id in ("x", "y"):
            reply = handler.reply(task_id)
            self.assertEqual(reply["error"]["type"], "ValueError")
            self.assertEqual(reply["error"]["message"], "the whole batch broke")
            self.assertIn("whole_batch_behaviour", reply["error"]["stack"])
            self.assertIs(reply["retry"], False)
        self.send_together(handler, [("z1", {"op": "retry_all"}), ("z2", {})])
        for task_id in ("z1", "z2"):
            reply = handler.reply(task_id)
            self.assertIs(reply["retry"], True)
            self.assertEqual(reply["retry_after_ms"], 250)
        self.assertEqual(handler.finish(), 0)

    def test_a_wrong_length_fails_every_item_naming_both_lengths(self):
        handler = self.batched(batch=3)
        self.send_together(handler, [("p", {"op": "wrong_length"}), ("q", {}), ("r", {})])
        for task_id in ("p", "q", "r"):
            error = handler.reply(task_id)["error"]
            self.assertEqual(error["type"], "BatchResultError")
            self.assertIn("returned 2 results for 3 payloads", error["message"])
        self.assertEqual(handler.finish(), 0)

    def test_a_return_value_that_is_not_a_list_fails_every_item(self):
        handler = self.batched(batch=2)
        self.send_together(handler, [("p", {"op": "not_list"}), ("q", {})])
        for task_id in ("p", "q"):
            error = handler.reply(task_id)["error"]
            self.assertEqual(error["type"], "BatchResultError")
            self.assertIn("must return a list with one result per payload, got dict", error["message"])
        self.assertEqual(handler.finish(), 0)

    def test_sys_exit_in_a_batch_fails_its_items_and_stops_the_handler(self):
        handler = self.batched(batch=2)
        self.send_together(handler, [("e1", {"op": "exit"}), ("e2", {})])
        for task_id in ("e1", "e2"):
            self.assertEqual(handler.reply(task_id)["error"]["type"], "SystemExit")
        self.assertEqual(handler.wait(), 7)


class ContextInBatch(BatchTest):
    def test_progress_goes_to_every_item_and_item_partial_to_one(self):
        handler = self.batched(batch=2)
        self.send_together(handler, [("g1", {"op": "progress"}), ("g2", {})])
        result_of(handler.reply("g1"))
        result_of(handler.reply("g2"))
        self.assertEqual(handler.finish(), 0)
        self.assertEqual(handler.events("g1"), [
            {"type": "progress", "task_id": "g1", "progress": 0.5, "message": "half"},
            {"type": "partial", "task_id": "g1", "data": {"only": "g1"}},
        ])
        self.assertEqual(handler.events("g2"), [
            {"type": "progress", "task_id": "g2", "progress": 0.5, "message": "half"},
        ])

    def test_module_level_partial_in_a_batch_says_which_api_to_use(self):
        handler = self.batched(batch=1)
        handler.task("w", {"op": "partial_module"})
        error = handler.reply("w")["error"]
        self.assertEqual(error["type"], "TypeError")
        self.assertIn("current_batch()[i].partial(data)", error["message"])
        self.assertEqual(handler.finish(), 0)


class CancelInBatch(BatchTest):
    def test_a_cancelled_task_still_in_the_buffer_is_answered_and_never_runs(self):
        handler = self.batched(batch=4)
        self.send_together(handler, [("keep", {"value": 1}), ("drop", {"value": 2})])
        handler.send({"type": "cancel", "task_id": "drop"})
        reply = handler.reply("drop")
        self.assertEqual(reply["error"]["type"], "Cancelled")
        self.assertIs(reply["retry"], False)
        handler.close_stdin()  # input ends: the buffer is dispatched without the cancelled task
        self.assertEqual(result_of(handler.reply("keep"))["batch"], ["keep"])
        self.assertEqual(handler.finish(), 0)
        self.assertEqual(len([m for m in handler.messages() if m.get("task_id") == "drop"]), 1)

    def test_a_cancelled_task_in_a_running_batch_is_answered_at_once_the_rest_go_on(self):
        for asynchronous in ("0", "1"):
            with self.subTest(async_fn=asynchronous):
                release = self.tmp_path("release-" + asynchronous)
                handler = self.batched(batch=2, FIXTURE_ASYNC=asynchronous)
                self.send_together(handler, [("x", {"op": "block", "path": release}),
                                             ("y", {"value": 9})])
                handler.stderr_has("BATCH-BLOCKED x,y")
                handler.send({"type": "cancel", "task_id": "x"})
                # answered while the batch is still blocked (the file does not exist yet)
                self.assertEqual(handler.reply("x")["error"]["type"], "Cancelled")
                self.assertFalse(os.path.exists(release))
                open(release, "w").close()
                self.assertEqual(result_of(handler.reply("y"))["value"], 9)
                self.assertEqual(handler.finish(), 0)
                self.assertEqual(len([m for m in handler.messages() if m.get("task_id") == "x"]), 1)

    def test_when_every_item_is_cancelled_a_sync_batch_sees_cancelled(self):
        release = self.tmp_path("never")
        handler = self.batched(batch=2)
        self.send_together(handler, [("m", {"op": "block", "path": release}), ("n", {})])
        handler.stderr_has("BATCH-BLOCKED m,n")
        handler.send({"type": "cancel", "task_id": "m"})
        self.assertEqual(handler.reply("m")["error"]["type"], "Cancelled")
        handler.send({"type": "cancel", "task_id": "n"})
        self.assertEqual(handler.reply("n")["error"]["type"], "Cancelled")
        handler.stderr_has("BATCH-SAW-CANCEL")
        handler.task("after", {"value": 4})
        handler.close_stdin()
        self.assertEqual(result_of(handler.reply("after"))["batch"], ["after"])
        self.assertEqual(handler.finish(), 0)

    def test_when_every_item_is_cancelled_an_async_batch_is_cancelled(self):
        release = self.tmp_path("never")
        handler = self.batched(batch=2, FIXTURE_ASYNC=1)
        self.send_together(handler, [("m", {"op": "block", "path": release}), ("n", {})])
        handler.stderr_has("BATCH-BLOCKED m,n")
        handler.send({"type": "cancel", "task_id": "m"})
        handler.send({"type": "cancel", "task_id": "n"})
        self.assertEqual(handler.reply("m")["error"]["type"], "Cancelled")
        self.assertEqual(handler.reply("n")["error"]["type"], "Cancelled")
        handler.stderr_has("BATCH-ASYNC-CANCELLED")
        handler.task("after", {"value": 4})
        handler.close_stdin()
        self.assertEqual(result_of(handler.reply("after"))["batch"], ["after"])
        self.assertEqual(handler.finish(), 0)


class StopWithBatches(BatchTest):
    def test_sigterm_dispatches_the_buffer_at_once(self):
        handler = self.batched(batch=8)
        self.send_together(handler, [("s1", {"value": 1}), ("s2", {"value": 2}), ("s0", {})])
        # Lines are handled in order: the answer to this cancel proves s1 and s2 were read.
        handler.send({"type": "cancel", "task_id": "s0"})
        self.assertEqual(handler.reply("s0")["error"]["type"], "Cancelled")
        handler.proc.send_signal(signal.SIGTERM)
        self.assertEqual(result_of(handler.reply("s1"))["batch"], ["s1", "s2"])
        self.assertEqual(handler.wait(), 0)


class Decorator(unittest.TestCase):
    def setUp(self):
        saved = dict(decorators._registry)
        self.addCleanup(decorators._registry.update, saved)
        quiet = contextlib.redirect_stderr(io.StringIO())  # "registered twice" warnings
        quiet.__enter__()
        self.addCleanup(quiet.__exit__, None, None, None)

    def test_plain_task_is_not_batched(self):
        @drover.task
        def plain(payload):
            return payload

        self.assertIsNone(decorators.get_task().batch)

        @drover.task()
        def called(payload):
            return payload

        self.assertIs(decorators.get_task().fn, called)
        self.assertIsNone(decorators.get_task().batch)

    def test_batch_options_and_default_wait(self):
        @drover.task(batch=16)
        def many(payloads):
            return payloads

        options = decorators.get_task().batch
        self.assertEqual((options.size, options.max_wait_ms), (16, 5))
        self.assertIs(decorators.get_task().fn, many)
        self.assertFalse(decorators.get_task().wants_ctx)

        @drover.task(batch=2, max_wait_ms=0.5)
        def with_ctx(payloads, ctx):
            return payloads

        self.assertEqual(decorators.get_task().batch.max_wait_ms, 0.5)
        self.assertTrue(decorators.get_task().wants_ctx)

    def test_bad_options_are_refused_with_their_value(self):
        for kwargs, text in (({"batch": 0}, "batch=...) needs an int >= 1, got 0"),
                             ({"batch": True}, "got True"),
                             ({"batch": 2.0}, "got 2.0"),
                             ({"batch": 2, "max_wait_ms": -1}, "max_wait_ms=...) needs a number"),
                             ({"batch": 2, "max_wait_ms": float("inf")}, "got inf"),
                             ({"max_wait_ms": 5}, "needs batch=N as well")):
            with self.subTest(kwargs=kwargs):
                with self.assertRaises(TypeError) as caught:
                    drover.task(**kwargs)
                self.assertIn(text, str(caught.exception))
        with self.assertRaises(TypeError):
            drover.task(32)  # batch is keyword-only: 32 is not a function


if __name__ == "__main__":
    unittest.main()
