"""EOF, SIGTERM, cancel, run_once and orphan protection."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from tests.helpers import HandlerTest, fixture

ASYNC = {"FIXTURE_ASYNC": "1"}


def _close_stdin():
    try:
        os.close(0)
    except OSError:  # already closed in this test run
        pass


class Lifecycle(HandlerTest):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="drover-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def gate(self, name):
        return os.path.join(self.tmp, name)

    def release(self, path):
        open(path, "w").close()

    def started_task(self, handler, task_id, op="wait_file", **payload):
        handler.task(task_id, dict(op=op, **payload))
        handler.message(lambda m: m.get("task_id") == task_id and m.get("message") == "started")

    def test_eof_finishes_in_flight_work_then_exits_0(self):
        for env in ({}, ASYNC):
            with self.subTest(async_task=bool(env)):
                handler = self.started(env)
                gate = self.gate("eof-%d" % len(env))
                self.started_task(handler, "t1", path=gate)
                handler.close_stdin()
                self.assertIsNone(handler.proc.poll())
                self.release(gate)
                self.assertEqual(handler.reply("t1")["result"], "released")
                self.assertEqual(handler.wait(), 0)

    def test_first_sigterm_finishes_current_task_and_refuses_new_ones(self):
        for env in ({}, ASYNC):
            with self.subTest(async_task=bool(env)):
                handler = self.started(env)
                gate = self.gate("term-%d" % len(env))
                self.started_task(handler, "t1", path=gate)
                handler.proc.send_signal(signal.SIGTERM)
                handler.stderr_has("SIGTERM received")
                handler.task("late", 1)
                late = handler.reply("late")
                self.assertTrue(late["retry"])
                self.assertEqual(late["error"]["type"], "ShutdownError")
                self.release(gate)
                self.assertEqual(handler.reply("t1")["result"], "released")
                self.assertEqual(handler.wait(), 0)  # stdin still open: no EOF needed

    def test_sigterm_when_idle_exits_0(self):
        handler = self.started()
        handler.proc.send_signal(signal.SIGTERM)
        self.assertEqual(handler.wait(), 0)

    def test_second_sigterm_exits_at_once(self):
        for env in ({}, {"FIXTURE_MODE": "once"}):
            with self.subTest(**env):
                handler = self.started(env)
                self.started_task(handler, "stuck", path=self.gate("never"))
                handler.proc.send_signal(signal.SIGTERM)
                handler.stderr_has("SIGTERM received")
                handler.proc.send_signal(signal.SIGTERM)
                self.assertEqual(handler.wait(), 128 + signal.SIGTERM)
                self.assertFalse([m for m in handler.messages() if "result" in m])

    def test_cancel_async_task(self):
        handler = self.started(ASYNC)
        self.started_task(handler, "c1", op="until_cancelled")
        handler.send({"type": "cancel", "task_id": "c1"})
        reply = handler.reply("c1")
        self.assertEqual(reply["error"]["type"], "Cancelled")
        self.assertFalse(reply["retry"])
        self.assertIsNone(reply["result"])
        handler.task("after", {"op": "cancelled_flag"})
        self.assertEqual(handler.reply("after")["result"], {"cancelled": False, "task": "after"})
        self.assertEqual(handler.finish(), 0)

    def test_cancel_sync_task_is_cooperative(self):
        handler = self.started()
        self.started_task(handler, "c1", op="until_cancelled")
        handler.send({"type": "cancel", "task_id": "c1"})
        self.assertEqual(handler.reply("c1")["result"], {"saw_cancel": True})
        self.assertEqual(handler.finish(), 0)

    def test_cancel_of_a_queued_task_answers_it_without_running_it(self):
        handler = self.started()
        gate = self.gate("queued")
        self.started_task(handler, "running", path=gate)
        handler.task("queued", {"op": "info"})
        handler.send({"type": "cancel", "task_id": "queued"})
        handler.send({"type": "cancel", "task_id": "no-such-task"})
        self.assertEqual(handler.reply("queued")["error"]["type"], "Cancelled")
        self.release(gate)
        self.assertEqual(handler.reply("running")["result"], "released")
        self.assertEqual(handler.finish(), 0)
        # Answered once, by the cancel: the worker that reached it later skipped it.
        self.assertEqual([(m.get("error") or {}).get("type") for m in handler.messages() if m.get("task_id") == "queued"
                          and ("result" in m or "error" in m)], ["Cancelled"])

    def test_run_once_serves_one_task_and_exits(self):
        handler = self.start({"FIXTURE_MODE": "once"})
        self.assertEqual(handler.ready(), {"status": "ready", "protocol": 1, "concurrency": 1})
        handler.task("t1", "one")
        handler.task("t2", "two")
        self.assertEqual(handler.reply("t1")["result"]["payload"], "one")
        self.assertEqual(handler.wait(), 0)  # without EOF
        self.assertEqual([m.get("task_id") for m in handler.messages()], [None, "t1"])

    def test_run_once_piped_by_hand(self):
        proc = subprocess.Popen([sys.executable, fixture("ops_handler.py")],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=dict(os.environ, FIXTURE_MODE="once"))
        out, err = proc.communicate(b'{"task_id":"t1","payload":{"foo":"bar"}}\n', timeout=10)
        self.assertEqual(proc.returncode, 0, err)
        lines = out.decode().splitlines()
        self.assertEqual(lines[0], '{"status":"ready","protocol":1,"concurrency":1}')
        self.assertEqual(lines[1], '{"task_id":"t1","result":{"payload":{"foo":"bar"},'
                                   '"loaded":true,"async_load":false},"error":null,"retry":false}')
        self.assertEqual(len(lines), 2)

    def test_run_once_with_no_task_exits_0(self):
        handler = self.start({"FIXTURE_MODE": "once"})
        self.assertEqual(handler.finish(), 0)

    def test_run_once_of_a_plain_function_imports_no_event_loop(self):
        # A one-shot handler pays its imports on every task: asyncio and the thread pool
        # (~20 ms of a ~50 ms start), inspect and traceback (~16 ms) only for an async
        # function (asyncio imports the last two itself).
        for env, needed in (({}, False), (ASYNC, True)):
            with self.subTest(async_task=needed):
                handler = self.started(env, script=fixture("once_plain.py"))
                handler.task("m", {})
                self.assertEqual(handler.reply("m")["result"],
                                 {"asyncio": needed, "pool": needed, "inspect": needed, "traceback": needed})
                self.assertEqual(handler.wait(), 0)

    def test_run_once_signals_as_run(self):
        once = {"FIXTURE_MODE": "once"}
        with self.subTest("SIGTERM while waiting for the task: exit 0"):
            handler = self.started(once)
            handler.proc.send_signal(signal.SIGTERM)
            self.assertEqual(handler.wait(), 0)
        with self.subTest("a first SIGTERM lets the task finish, then exit 0"):
            handler = self.started(once)
            gate = self.gate("once-term")
            self.started_task(handler, "t1", path=gate)
            handler.proc.send_signal(signal.SIGTERM)
            handler.stderr_has("SIGTERM received")
            self.release(gate)
            self.assertEqual(handler.reply("t1")["result"], "released")
            self.assertEqual(handler.wait(), 0)
        # A second SIGTERM: test_second_sigterm_exits_at_once.

    def test_started_with_stdin_closed(self):
        # fd 0 closed: the private dup of stdout must not land on fd 0 (which then
        # becomes /dev/null); no stdin means EOF: ready, then exit 0.
        proc = subprocess.Popen([sys.executable, fixture("ops_handler.py")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=_close_stdin)
        out, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(out, b'{"status":"ready","protocol":1,"concurrency":1}\n')

    def test_handler_dies_with_its_parent(self):
        # The parent spawns the handler, waits for ready, then vanishes. stdin stays open
        # (this test holds the write end), so only PR_SET_PDEATHSIG can end the handler.
        if not sys.platform.startswith("linux"):
            self.skipTest("PR_SET_PDEATHSIG is Linux-only")
        read_end, write_end = os.pipe()
        self.addCleanup(os.close, write_end)
        parent = ("import subprocess, sys, os\n"
                  "p = subprocess.Popen([sys.executable, sys.argv[1]], stdin=int(sys.argv[2]),"
                  " stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\n"
                  "p.stdout.readline()\nprint(p.pid, flush=True)\nos._exit(0)\n")
        out = subprocess.run([sys.executable, "-c", parent, fixture("ops_handler.py"),
                              str(read_end)], pass_fds=(read_end,), stdout=subprocess.PIPE,
                             timeout=10, check=True).stdout
        os.close(read_end)
        pid = int(out)
        self.addCleanup(self._kill_quietly, pid)
        deadline = time.monotonic() + 5
        while self._alive(pid):
            self.assertLess(time.monotonic(), deadline, "handler outlived its parent")
            time.sleep(0.02)

    @staticmethod
    def _alive(pid):
        try:
            with open("/proc/%d/stat" % pid) as stat:
                return stat.read().split(")")[-1].split()[0] != "Z"
        except OSError:
            return False

    @staticmethod
    def _kill_quietly(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
