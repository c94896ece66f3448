"""The handler protocol v1 as the SDK speaks it: ready, replies, errors, retries."""

import json

from tests.helpers import HandlerTest, fixture

ASYNC = {"FIXTURE_ASYNC": "1"}


class ReadyAndLoad(HandlerTest):
    def test_ready_line_names_protocol_and_concurrency(self):
        handler = self.start({"FIXTURE_CONCURRENCY": "3"})
        self.assertEqual(handler.ready(), {"status": "ready", "protocol": 1, "concurrency": 3})
        self.assertEqual(handler.finish(), 0)

    def test_load_return_value_is_ctx(self):
        handler = self.started()
        handler.task("t1", {"x": 1})
        self.assertEqual(handler.reply("t1")["result"],
                         {"payload": {"x": 1}, "loaded": True, "async_load": False})
        self.assertEqual(handler.finish(), 0)

    def test_async_load(self):
        handler = self.started({"FIXTURE_LOAD": "async", **ASYNC})
        handler.task("t1", {})
        self.assertTrue(handler.reply("t1")["result"]["async_load"])
        self.assertEqual(handler.finish(), 0)

    def test_load_failure_reports_status_error_and_exits_1(self):
        handler = self.start({"FIXTURE_LOAD_FAIL": "weights missing: /models/x.bin"})
        line = handler.ready()
        self.assertEqual(line["status"], "error")
        self.assertIn("weights missing: /models/x.bin", line["error"])
        self.assertIn("RuntimeError", line["error"])
        self.assertEqual(handler.finish(), 1)
        self.assertEqual(len(handler.messages()), 1)
        self.assertIn("Traceback", handler.stderr.text())

    def test_no_task_function_is_a_load_error(self):
        handler = self.start(script=fixture("no_task.py"))
        line = handler.ready()
        self.assertEqual(line["status"], "error")
        self.assertIn("@drover.task", line["error"])
        self.assertEqual(handler.finish(), 1)

    def test_runqy_python_readme_handler_runs_unchanged(self):
        handler = self.started(script=fixture("runqy_style.py"))
        handler.task("t1", {"input": "abc"}, type="inference", queue="q", retry_count=0,
                     max_retry=3)
        self.assertEqual(handler.reply("t1"),
                         {"task_id": "t1", "result": {"prediction": "cba"}, "error": None,
                          "retry": False})
        self.assertEqual(handler.finish(), 0)


class Replies(HandlerTest):
    def check_both(self, env_extra=None):
        for env in ({}, ASYNC):
            with self.subTest(async_task=bool(env)):
                yield self.started({**env, **(env_extra or {})})

    def test_sync_and_async_results(self):
        for handler in self.check_both():
            handler.task("a", [1, "two", None])
            handler.task("b", "plain")
            self.assertEqual(handler.reply("a")["result"]["payload"], [1, "two", None])
            self.assertEqual(handler.reply("b")["result"]["payload"], "plain")
            self.assertEqual(handler.finish(), 0)

    def test_missing_payload_is_none(self):
        handler = self.started()
        handler.send({"task_id": "t1"})
        reply = handler.reply("t1")
        self.assertIsNone(reply["result"]["payload"])
        self.assertIsNone(reply["error"])
        self.assertEqual(handler.finish(), 0)

    def test_exception_becomes_typed_error_with_stack(self):
        for handler in self.check_both():
            handler.task("t1", {"op": "raise", "message": "bad input: ünïcode"})
            reply = handler.reply("t1")
            self.assertIsNone(reply["result"])
            self.assertFalse(reply["retry"])
            self.assertEqual(reply["error"]["message"], "bad input: ünïcode")
            self.assertEqual(reply["error"]["type"], "ValueError")
            self.assertIn("deep_failure", reply["error"]["stack"])
            self.assertIn("ops_handler.py", reply["error"]["stack"])
            self.assertNotIn("engine.py", reply["error"]["stack"])
            # the loop goes on
            handler.task("t2", 7)
            self.assertEqual(handler.reply("t2")["result"]["payload"], 7)
            self.assertEqual(handler.finish(), 0)

    def test_retryable_error(self):
        for handler in self.check_both():
            handler.task("r1", {"op": "retry", "message": "upstream 429", "after": 1500})
            handler.task("r2", {"op": "retry"})
            handler.task("r3", {"op": "retry_alias"})
            r1, r2, r3 = handler.reply("r1"), handler.reply("r2"), handler.reply("r3")
            self.assertTrue(r1["retry"])
            self.assertEqual(r1["retry_after_ms"], 1500)
            self.assertEqual(r1["error"]["message"], "upstream 429")
            self.assertEqual(r1["error"]["type"], "RetryableError")
            self.assertTrue(r2["retry"])
            self.assertNotIn("retry_after_ms", r2)
            self.assertTrue(r3["retry"])
            self.assertEqual(r3["error"]["message"], "alias")
            self.assertEqual(handler.finish(), 0)

    def test_non_serialisable_result_is_an_error_not_a_crash(self):
        for handler in self.check_both():
            handler.task("obj", {"op": "object"})
            handler.task("nan", {"op": "nan"})
            handler.task("ok", 1)
            for task_id in ("obj", "nan"):
                reply = handler.reply(task_id)
                self.assertEqual(reply["error"]["type"], "SerializationError")
                self.assertFalse(reply["retry"])
                self.assertIsNone(reply["result"])
            self.assertIn("object", handler.reply("obj")["error"]["message"])
            self.assertEqual(handler.reply("ok")["result"]["payload"], 1)
            self.assertEqual(handler.finish(), 0)

    def test_bad_stdin_lines_are_skipped_with_a_warning(self):
        handler = self.started()
        handler.send("this is not json")
        handler.send("[1, 2]")
        handler.send({"payload": {"no": "task_id"}})
        handler.send({"task_id": {"a": 1}, "payload": 1})
        handler.send(b"\xff\xfe{")
        handler.send("")
        handler.task("t1", "after")
        self.assertEqual(handler.reply("t1")["result"]["payload"], "after")
        self.assertEqual(handler.finish(), 0)
        self.assertEqual([m["status"] for m in handler.messages() if "status" in m], ["ready"])
        self.assertEqual(len(handler.messages()), 2)
        err = handler.stderr.text()
        self.assertIn("not JSON", err)
        self.assertIn("without task_id", err)
        self.assertIn("task_id is not a string", err)

    def test_utf8_output_and_lone_surrogates(self):
        handler = self.started()
        handler.task("u", {"op": "unicode", "text": "héllo ✓ 日本"})
        raw = handler.proto.wait_for(lambda line: b'"u"' in line and b"result" in line)
        self.assertIn("héllo ✓ 日本".encode("utf-8"), raw)  # ensure_ascii=False
        reply = json.loads(raw)
        self.assertEqual(reply["result"]["text"], "héllo ✓ 日本")
        self.assertEqual(reply["result"]["surrogate"], "bad\udcff")
        self.assertEqual(handler.finish(), 0)

    def test_progress_and_partial(self):
        for handler in self.check_both():
            handler.task("p1", {"op": "progress"})
            self.assertEqual(handler.reply("p1")["result"], "streamed")
            self.assertEqual(handler.events("p1"), [
                {"type": "progress", "task_id": "p1", "progress": 0.25, "message": "quarter"},
                {"type": "progress", "task_id": "p1", "progress": 1.0},
                {"type": "partial", "task_id": "p1", "data": {"token": "a"}},
                {"type": "partial", "task_id": "p1", "data": "b"},
            ])
            # the events come before the reply
            kinds = [m.get("type", "reply") for m in handler.messages() if m.get("task_id") == "p1"]
            self.assertEqual(kinds[-1], "reply")
            self.assertEqual(handler.finish(), 0)

    def test_current_task_fields(self):
        for handler in self.check_both():
            handler.task("i1", {"op": "info"}, type="resize", queue="images", retry_count=2,
                         max_retry=5, deadline_ms=1893456000000, meta={"trace": "abc"})
            handler.task("i2", {"op": "info"})
            self.assertEqual(handler.reply("i1")["result"], {
                "task_id": "i1", "type": "resize", "queue": "images", "retry_count": 2,
                "max_retry": 5, "deadline_ms": 1893456000000, "meta": {"trace": "abc"}})
            self.assertEqual(handler.reply("i2")["result"], {
                "task_id": "i2", "type": None, "queue": None, "retry_count": None,
                "max_retry": None, "deadline_ms": None, "meta": None})
            self.assertEqual(handler.finish(), 0)

    def test_a_task_of_type_cancel_with_a_payload_is_a_task(self):
        handler = self.started()
        handler.task("c1", {"op": "info"}, type="cancel")
        self.assertEqual(handler.reply("c1")["result"]["type"], "cancel")
        self.assertEqual(handler.finish(), 0)

    def test_sys_exit_in_a_task_replies_then_exits_with_its_code(self):
        for env in ({}, {"FIXTURE_MODE": "once"}):
            with self.subTest(**env):
                handler = self.started(env)
                handler.task("x", {"op": "exit", "code": 3})
                reply = handler.reply("x")
                self.assertEqual(reply["error"]["type"], "SystemExit")
                self.assertEqual(handler.wait(), 3)

    def test_a_coroutine_returned_by_a_plain_function_is_awaited(self):
        for env in ({}, {"FIXTURE_MODE": "once"}):
            with self.subTest(**env):
                handler = self.started(env)
                handler.task("c", {"op": "returns_coroutine"})
                self.assertEqual(handler.reply("c")["result"], "awaited")
                self.assertEqual(handler.finish(), 0)
