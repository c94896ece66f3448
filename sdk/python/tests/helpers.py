"""Spawn handler fixtures and speak the protocol with them (test helper)."""

import json
import os
import subprocess
import sys
import threading
import time
import unittest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
SDK_DIR = os.path.dirname(TESTS_DIR)
REPO_DIR = os.path.dirname(os.path.dirname(SDK_DIR))
FIXTURES = os.path.join(TESTS_DIR, "fixtures")
TIMEOUT = 10.0


def fixture(name):
    return os.path.join(FIXTURES, name)


class Lines(object):
    """Collects the lines of a byte stream in a thread; waits on them by predicate."""

    def __init__(self, stream):
        self.lines = []
        self.closed = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream):
        try:
            for raw in iter(stream.readline, b""):
                with self._cond:
                    self.lines.append(raw)
                    self._cond.notify_all()
        finally:
            stream.close()
            with self._cond:
                self.closed = True
                self._cond.notify_all()

    def wait_for(self, predicate, timeout=TIMEOUT, what="a matching line"):
        end = time.monotonic() + timeout
        with self._cond:
            seen = 0
            while True:
                for raw in self.lines[seen:]:
                    result = predicate(raw)
                    if result:
                        return raw
                seen = len(self.lines)
                left = end - time.monotonic()
                if self.closed or left <= 0:
                    raise AssertionError("no %s within %.1fs; got %r" % (what, timeout, self.lines))
                self._cond.wait(left)

    def wait_closed(self, timeout=TIMEOUT):
        self._thread.join(timeout)
        return self.closed

    def text(self):
        with self._cond:
            return b"".join(self.lines).decode("utf-8", "replace")


class Handler(object):
    """A running fixture. ``proto`` holds the protocol stream's lines.

    ``protocol_pipe=True`` offers the dedicated pipe as the supervisor does: the
    write end of an os.pipe() becomes fd 3 in the child and DROVER_PROTOCOL_FD=3.
    """

    def __init__(self, script, env=None, protocol_pipe=False, protocol_fd_env=None):
        full_env = dict(os.environ)
        full_env.pop("DROVER_PROTOCOL_FD", None)
        full_env.update(env or {})
        argv = [sys.executable, script]
        kwargs = {}
        read_end = write_end = None
        if protocol_pipe:
            # As the supervisor does: the pipe's write end is fd 3 in the handler. A tiny
            # Python trampoline moves it there (pass_fds keeps the fd's own number).
            read_end, write_end = os.pipe()
            full_env["DROVER_PROTOCOL_FD"] = "3"
            trampoline = ("import os, sys\nif %d != 3:\n    os.dup2(%d, 3)\n    os.close(%d)\n"
                          "os.set_inheritable(3, True)\n"
                          "os.execv(sys.executable, [sys.executable] + sys.argv[1:])"
                          % (write_end, write_end, write_end))
            argv = [sys.executable, "-c", trampoline, script]
            kwargs = {"pass_fds": (write_end,)}
        elif protocol_fd_env is not None:
            full_env["DROVER_PROTOCOL_FD"] = protocol_fd_env
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=full_env, **kwargs
        )
        self.stdout = Lines(self.proc.stdout)
        self.stderr = Lines(self.proc.stderr)
        if protocol_pipe:
            os.close(write_end)
            self.proto = Lines(os.fdopen(read_end, "rb"))
        else:
            self.proto = self.stdout

    # -- talking -----------------------------------------------------------------
    def send(self, message):
        line = message if isinstance(message, (bytes, str)) else json.dumps(message)
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def task(self, task_id, payload=None, **fields):
        message = {"task_id": task_id, "payload": payload}
        message.update(fields)
        self.send(message)

    def close_stdin(self):
        self.proc.stdin.close()

    # -- waiting -----------------------------------------------------------------
    def message(self, predicate, timeout=TIMEOUT, what="a matching protocol line"):
        def parse_and_match(raw):
            message = json.loads(raw)
            return predicate(message)

        return json.loads(self.proto.wait_for(parse_and_match, timeout, what))

    def ready(self, timeout=TIMEOUT):
        return self.message(lambda m: "status" in m, timeout, "ready/error line")

    def reply(self, task_id, timeout=TIMEOUT):
        return self.message(lambda m: m.get("task_id") == task_id and "type" not in m,
                            timeout, "reply to %s" % task_id)

    def events(self, task_id):
        """progress/partial lines of a task, in order."""
        return [m for m in self.messages() if m.get("task_id") == task_id and "type" in m]

    def messages(self):
        """Every protocol line, parsed; fails if any line is not a JSON object."""
        out = []
        for raw in list(self.proto.lines):
            message = json.loads(raw)
            assert isinstance(message, dict), raw
            out.append(message)
        return out

    def stderr_has(self, text, timeout=TIMEOUT):
        return self.stderr.wait_for(lambda raw: text.encode() in raw, timeout, repr(text))

    def wait(self, timeout=TIMEOUT):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("handler did not exit within %.1fs; stderr:\n%s"
                                 % (timeout, self.stderr.text()))

    def finish(self, timeout=TIMEOUT):
        """Close stdin and wait for exit; return the exit code."""
        try:
            self.close_stdin()
        except (BrokenPipeError, ValueError):
            pass
        code = self.wait(timeout)
        self.stdout.wait_closed()
        self.stderr.wait_closed()
        self.proto.wait_closed()
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


class HandlerTest(unittest.TestCase):
    """Kills every handler a test started, even when the test fails."""

    script = fixture("ops_handler.py")

    def start(self, env=None, script=None, **kwargs):
        handler = Handler(script or self.script, env=env, **kwargs)
        self.addCleanup(self._cleanup, handler)
        return handler

    def _cleanup(self, handler):
        handler.kill()
        for stream in (handler.proc.stdin,):
            try:
                stream.close()
            except Exception:
                pass

    def started(self, env=None, **kwargs):
        """A handler that already said ready."""
        handler = self.start(env=env, **kwargs)
        ready = handler.ready()
        self.assertEqual(ready["status"], "ready", handler.stderr.text())
        return handler
