"""run_once() for a plain function: one task in the main thread, no event loop.

A one-shot handler starts once per task, so what it imports is paid per task: asyncio
and the thread pool of the engine (engine.py) cost ~20 ms of a ~50 ms start. A plain
(not ``async``, not batched) function needs neither: read one task line, call, reply.
The behaviour is the engine's with one task: lines before the task that are not one
are skipped, anything after it is ignored, EOF before it exits 0; a first SIGTERM or
SIGINT while the task runs lets it finish (then exit 0) and a second exits at once
with 128 + signal number; one while waiting for the task exits 0.
"""

import inspect
import os
import signal

from . import context
from .call_helpers import await_it, exit_code
from .context import TaskInfo, TaskState
from .log import warn
from .replies import encode_reply, error_reply, result_reply
from .task_line import parse_task_line

CHUNK = 1 << 20


class _StopWaiting(Exception):
    """Raised by the signal handler while no task has arrived yet."""


def eligible(registered):
    """Whether run_once() may serve ``registered`` here (else the engine does)."""
    return not registered.is_async and registered.batch is None


def _lines(fd):
    """The lines of ``fd`` (bytes, newline stripped), read as they come."""
    pending = b""
    while fd is not None:
        chunk = os.read(fd, CHUNK)
        if not chunk:
            break
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            yield line
    if pending:
        yield pending


def serve_one(registered, ctx, writer, in_fd, ready):
    """Write ``ready``, serve the first task of ``in_fd``; returns the exit code."""
    state = {"task": None, "signals": 0}

    def on_signal(signum, _frame):
        state["signals"] += 1
        name = signal.Signals(signum).name
        if state["task"] is None:
            raise _StopWaiting()
        if state["signals"] > 1:
            warn("second %s: exiting now" % name)
            os._exit(128 + signum)
        warn("%s received: finishing the task in flight" % name)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    writer.write(ready)
    message = None
    try:
        for raw in _lines(in_fd):
            kind, value = parse_task_line(raw)
            if kind == "task":
                message = value
                break
    except _StopWaiting:
        return 0
    except OSError as error:
        warn("reading stdin failed (%s); treating it as EOF" % (error,))
    if message is None:
        return 0
    task_id = message["task_id"]
    task = TaskState(TaskInfo.from_message(message), message.get("payload"), writer)
    state["task"] = task
    context._register(task)
    context._enter(task)
    task.started = True
    code = 0
    try:
        result = registered.call(task.payload, ctx)
        if inspect.isawaitable(result):  # a plain function that returned a coroutine
            import asyncio
            result = asyncio.run(await_it(result))
        data = encode_reply(result_reply(task_id, result))
    except SystemExit as error:
        code = exit_code(error)
        data = encode_reply(error_reply(task_id, error))
    except BaseException as error:
        data = encode_reply(error_reply(task_id, error))
    task.done = True
    writer.write_bytes(data)
    context._unregister(task)
    return code

