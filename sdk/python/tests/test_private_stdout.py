"""Nothing but protocol lines ever reaches the protocol stream, whoever writes to fd 1."""

from tests.helpers import HandlerTest

STRAY = ["PRINT", "SYSWRITE", "DUNDER", "SYSTEM", "SUBPROCESS", "CTYPES", "PRINTF", "OSWRITE"]


class PrivateStdout(HandlerTest):
    def assert_clean(self, handler, tag):
        """Every protocol line is JSON, none carries stray text, all of it is on stderr."""
        messages = handler.messages()  # raises on any non-JSON line
        proto_text = b"".join(handler.proto.lines)
        err = handler.stderr.text()
        for kind in STRAY:
            marker = "%s-%s" % (kind, tag)
            self.assertNotIn(marker.encode(), proto_text)
            self.assertIn(marker, err)
        return messages

    def test_stray_output_goes_to_stderr(self):
        for env in ({}, {"FIXTURE_ASYNC": "1"}, {"FIXTURE_CONCURRENCY": "3"}):
            with self.subTest(env=env):
                handler = self.started(env)
                for i in range(3):
                    handler.task("s%d" % i, {"op": "stray", "tag": "T%d" % i})
                for i in range(3):
                    self.assertEqual(handler.reply("s%d" % i)["result"], "clean")
                self.assertEqual(handler.finish(), 0)
                for i in range(3):
                    self.assert_clean(handler, "T%d" % i)
                self.assertEqual(len(handler.messages()), 4)

    def test_print_during_load_goes_to_stderr(self):
        handler = self.started()
        self.assertEqual(handler.finish(), 0)
        self.assertNotIn(b"LOAD-STDOUT-MARKER", b"".join(handler.proto.lines))
        self.assertIn("LOAD-STDOUT-MARKER", handler.stderr.text())

    def test_children_inherit_no_protocol_fd(self):
        for kwargs in ({}, {"protocol_pipe": True}):
            with self.subTest(**kwargs):
                handler = self.started(**kwargs)
                handler.task("c", {"op": "child_fds"})
                result = handler.reply("c")["result"]
                self.assertTrue(result["mine"], "the handler holds private fds above 2")
                self.assertEqual(result["seen_by_child"], [])
                self.assertEqual(handler.finish(), 0)

    def test_stdin_is_private_too(self):
        handler = self.started()
        handler.task("in", {"op": "stdin"})
        handler.task("next", "still here")
        self.assertEqual(handler.reply("in")["result"], {"child": "", "sys_stdin": ""})
        self.assertEqual(handler.reply("next")["result"]["payload"], "still here")
        self.assertEqual(handler.finish(), 0)

    def test_protocol_pipe_fd3(self):
        handler = self.start(protocol_pipe=True)
        self.assertEqual(handler.ready()["status"], "ready")
        handler.task("s", {"op": "stray", "tag": "P"})
        handler.task("e", {"op": "env"})
        handler.task("l", {"op": "leak_fd3"})
        handler.task("p", {"op": "progress"})
        self.assertEqual(handler.reply("s")["result"], "clean")
        # not visible to children through the environment
        self.assertEqual(handler.reply("e")["result"], {"fd_env": None})
        self.assertEqual(handler.reply("l")["result"], "tried")
        self.assertEqual(handler.reply("p")["result"], "streamed")
        self.assertEqual(handler.finish(), 0)
        self.assert_clean(handler, "P")
        self.assertNotIn(b"LEAK-FD3", b"".join(handler.proto.lines))
        self.assertEqual(len(handler.events("p")), 4)
        # the real stdout carries nothing at all: fd 1 is stderr now
        self.assertEqual(handler.stdout.lines, [])

    def test_protocol_fd_env_naming_a_closed_fd_falls_back_to_stdout(self):
        handler = self.start(protocol_fd_env="57")
        self.assertEqual(handler.ready()["status"], "ready")
        handler.task("t", 1)
        self.assertEqual(handler.reply("t")["result"]["payload"], 1)
        self.assertEqual(handler.finish(), 0)
        self.assertIn("DROVER_PROTOCOL_FD=57", handler.stderr.text())

    def test_garbage_protocol_fd_env_falls_back_to_stdout(self):
        handler = self.start(protocol_fd_env="three")
        self.assertEqual(handler.ready()["status"], "ready")
        self.assertEqual(handler.finish(), 0)
        self.assertIn("not an fd number", handler.stderr.text())
