"""In-process tests of the SDK's pure parts (no subprocess)."""

import contextlib
import functools
import inspect
import io
import json
import os
import threading
import unittest

import drover
from drover import call_helpers, decorators, protocol_io, replies
from drover.batch_item import BatchItem
from drover.batcher import Batcher
from drover.context import BatchScope, TaskInfo, TaskState
from drover.task_threads import TaskThreads


class Signatures(unittest.TestCase):
    def setUp(self):
        saved = dict(decorators._registry)
        self.addCleanup(decorators._registry.update, saved)

    def wants(self, fn):
        return decorators._wants_ctx(fn)

    def test_ctx_is_passed_by_signature(self):
        self.assertFalse(self.wants(lambda payload: None))
        self.assertTrue(self.wants(lambda payload, ctx: None))
        self.assertTrue(self.wants(lambda payload, ctx=None: None))
        self.assertTrue(self.wants(lambda *args: None))
        self.assertFalse(self.wants(lambda payload, *, flag=1: None))

        class Model(object):
            def predict(self, payload):
                return payload

            def __call__(self, payload, ctx):
                return ctx

        self.assertFalse(self.wants(Model().predict))
        self.assertTrue(self.wants(Model()))
        self.assertFalse(self.wants(functools.partial(lambda a, payload: None, 1)))

    def test_async_detection(self):
        async def handler(payload):
            return payload

        class AsyncCallable(object):
            async def __call__(self, payload):
                return payload

        self.assertTrue(decorators.is_async_callable(handler))
        self.assertTrue(decorators.is_async_callable(AsyncCallable()))
        self.assertFalse(decorators.is_async_callable(lambda payload: None))

    def test_plain_functions_read_from_their_code_agree_with_inspect(self):
        def positional_only(payload, ctx, /):
            return ctx

        def keyword_ctx(payload, *, ctx=None):
            return ctx

        def inner(payload, ctx):
            return ctx

        @functools.wraps(inner)
        def wrapped(*args, **kwargs):  # signature() follows __wrapped__ to (payload, ctx)
            return inner(*args, **kwargs)

        def generator(payload):
            yield payload

        async def coroutine(payload, ctx):
            return ctx

        for fn, wants in ((positional_only, True), (keyword_ctx, False), (wrapped, True),
                          (generator, False), (coroutine, True)):
            self.assertEqual(self.wants(fn), wants, fn.__name__)
            sig = inspect.signature(fn)
            count = sum(1 for p in sig.parameters.values() if p.kind in
                        (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
            var = any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values())
            self.assertEqual(decorators._positional_count(fn), (count, var), fn.__name__)
            self.assertEqual(decorators.is_async_callable(fn), inspect.iscoroutinefunction(fn), fn.__name__)

    def test_is_awaitable_agrees_with_inspect(self):
        async def coroutine():
            return 1

        def generator():
            yield 1

        class Awaitable(object):
            def __await__(self):
                return iter(())

        made = coroutine()
        self.addCleanup(made.close)
        for obj in (made, generator(), Awaitable(), 1, None, "x", coroutine):
            self.assertEqual(call_helpers.is_awaitable(obj), inspect.isawaitable(obj), repr(obj))

    def test_task_decorator_forms_and_checks(self):
        @drover.task()
        def first(payload):
            return payload

        self.assertIs(decorators.get_task().fn, first)
        with self.assertRaises(TypeError):
            drover.task(lambda: None)
        with self.assertRaises(TypeError):
            drover.task(42)

    def test_load_registered_after_task_is_seen(self):
        @drover.task
        def process(payload, ctx):
            return ctx

        @drover.load
        def setup():
            return 1

        self.assertIs(decorators.get_loader(), setup)
        self.assertTrue(decorators.get_task().wants_ctx)


class Errors(unittest.TestCase):
    def test_retryable_error(self):
        self.assertIs(drover.Retry, drover.RetryableError)
        self.assertIsNone(drover.RetryableError("x").retry_after_ms)
        self.assertEqual(drover.RetryableError("x", retry_after_ms=12.6).retry_after_ms, 13)
        self.assertEqual(drover.RetryableError("x", retry_after_ms=-5).retry_after_ms, 0)
        with self.assertRaises(TypeError):
            drover.RetryableError("x", retry_after_ms="soon")
        with self.assertRaises(ValueError):
            drover.RetryableError("x", retry_after_ms=float("nan"))

    def test_error_reply_shapes(self):
        try:
            raise drover.RetryableError("later", retry_after_ms=5)
        except drover.RetryableError as error:
            reply = replies.error_reply("t", error)
        self.assertEqual((reply["retry"], reply["retry_after_ms"]), (True, 5))
        self.assertEqual(reply["error"]["type"], "RetryableError")
        self.assertIn("Traceback", reply["error"]["stack"])
        reply = replies.error_reply("t", KeyError())
        self.assertEqual(reply["error"]["message"], "KeyError")
        self.assertFalse(reply["retry"])
        self.assertEqual(replies.error_reply("t", drover.Cancelled())["error"]["type"], "Cancelled")

    def test_unserialisable_reply_becomes_serialization_error(self):
        line = json.loads(replies.encode_reply(replies.result_reply("t", {1, 2})))
        self.assertEqual(line["error"]["type"], "SerializationError")
        self.assertIn("set", line["error"]["message"])
        self.assertEqual(line["task_id"], "t")


class Encoding(unittest.TestCase):
    def test_one_line_utf8_compact(self):
        data = protocol_io.encode_line({"a": "é\nx\u2028", "b": [1, 2]})
        self.assertEqual(data.count(b"\n"), 1)
        self.assertTrue(data.endswith(b"\n"))
        self.assertIn("é".encode("utf-8"), data)
        self.assertEqual(json.loads(data), {"a": "é\nx\u2028", "b": [1, 2]})

    def test_nan_is_refused(self):
        for bad in (float("nan"), float("inf")):
            with self.assertRaises(ValueError):
                protocol_io.encode_line({"x": bad})

    def test_lone_surrogates_are_escaped_alone(self):
        data = protocol_io.encode_line({"name": "é-\udcff"})
        self.assertIn(b"\\udcff", data)
        self.assertIn("é".encode("utf-8"), data)


class Writer(unittest.TestCase):
    def test_threads_never_interleave(self):
        read_end, write_end = os.pipe()
        writer = protocol_io.LineWriter(write_end)
        chunks = []

        def read_all():
            with os.fdopen(read_end, "rb") as stream:
                chunks.append(stream.read())

        reader = threading.Thread(target=read_all)
        reader.start()

        def flood(n):
            for i in range(100):
                writer.write({"thread": n, "i": i, "pad": "x" * 9000})

        threads = [threading.Thread(target=flood, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        os.close(write_end)
        reader.join(10)
        lines = [json.loads(line) for line in chunks[0].splitlines()]
        self.assertEqual(len(lines), 600)
        for n in range(6):
            self.assertEqual([x["i"] for x in lines if x["thread"] == n], list(range(100)))

    def test_closed_stream_calls_on_closed(self):
        read_end, write_end = os.pipe()
        os.close(read_end)
        seen = []
        writer = protocol_io.LineWriter(write_end, on_closed=seen.append)
        writer.write({"x": 1})
        os.close(write_end)
        self.assertEqual(len(seen), 1)
        self.assertIsInstance(seen[0], BrokenPipeError)


class BatchReplies(unittest.TestCase):
    """A batch's replies go out in one write (the supervisor refills the slots together)."""

    def test_one_write_per_batch_without_the_items_answered_already(self):
        writes = []

        class RecordingWriter(object):
            def write_bytes(self, data):
                writes.append(data)

        writer = RecordingWriter()
        states = [TaskState(TaskInfo.from_message({"task_id": "t%d" % i}), i, writer) for i in range(3)]
        items = [BatchItem(state, 0.0) for state in states]
        items[1]._reply_cancelled()  # a cancel answered this one while the batch ran
        batcher = Batcher.__new__(Batcher)  # only _reply_all is exercised: it needs engine.writer
        batcher.engine = type("Engine", (), {"writer": writer})()
        batcher._reply_all(BatchScope(items), [10, 11, ValueError("bad 12")])
        self.assertEqual(len(writes), 2)  # the cancel's reply, then the batch's one write
        lines = [json.loads(line) for line in writes[1].decode().splitlines()]
        self.assertEqual([line["task_id"] for line in lines], ["t0", "t2"])
        self.assertEqual(lines[0]["result"], 10)
        self.assertEqual(lines[1]["error"]["message"], "bad 12")


class TaskThreadsTest(unittest.TestCase):
    def test_runs_everything_submitted_before_shutdown_returns(self):
        threads = TaskThreads(3)
        done = []
        lock = threading.Lock()

        def work(i):
            with lock:
                done.append(i)

        for i in range(200):
            threads.submit(work, i)
        threads.shutdown()
        self.assertEqual(sorted(done), list(range(200)))

    def test_one_thread_runs_in_submission_order(self):
        threads = TaskThreads(1)
        done = []
        for i in range(50):
            threads.submit(done.append, i)
        threads.shutdown()
        self.assertEqual(done, list(range(50)))

    def test_an_error_is_warned_about_and_the_thread_goes_on(self):
        threads = TaskThreads(1)
        done = []
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            threads.submit(lambda: 1 / 0)
            threads.submit(done.append, "after")
            threads.shutdown()
        self.assertEqual(done, ["after"])
        self.assertIn("ZeroDivisionError", stderr.getvalue())


class OutsideATask(unittest.TestCase):
    def test_helpers_are_harmless_outside_a_task(self):
        self.assertIsNone(drover.current_task())
        self.assertFalse(drover.cancelled())
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertIsNone(drover.progress(0.5, "x"))
            self.assertIsNone(drover.partial({"a": 1}))
        self.assertIn("outside a task", err.getvalue())
        with self.assertRaises(TypeError):
            drover.progress("half")
        with self.assertRaises(ValueError):
            drover.progress(float("nan"))

    def test_task_info(self):
        info = TaskInfo.from_message({"task_id": "t", "queue": "q", "deadline_ms": 1})
        self.assertEqual((info.task_id, info.queue, info.type), ("t", "q", None))
        self.assertLess(info.remaining_ms(), 0)
        self.assertIsNone(TaskInfo("t").remaining_ms())
        with self.assertRaises(AttributeError):
            info.task_id = "other"
        self.assertIn("queue='q'", repr(info))

    def test_public_api(self):
        for name in ("task", "load", "run", "run_once", "progress", "partial", "current_task",
                     "cancelled", "RetryableError", "Retry", "Cancelled", "SerializationError",
                     "TaskInfo"):
            self.assertTrue(hasattr(drover, name), name)
        self.assertEqual(drover.PROTOCOL_VERSION, 1)
        with self.assertRaises(ValueError):
            drover.run(concurrency=0)
        with self.assertRaises(TypeError):
            drover.run(concurrency="2")
