"""run_once() for a plain function: one task in the main thread, no event loop.

A one-shot handler starts once per task, so what it imports is paid per task: asyncio
and the thread pool of the engine (engine.py) cost ~20 ms of a ~50 ms start. A plain
(not ``async``, not batched) function needs neither: read one task line, call, reply.
The behaviour is the engine's with one task: lines before the task that are not one
are skipped, anything after it is ignored, EOF before it exits 0; a first SIGTERM or
SIGINT while the task runs lets it finish (then exit 0) and a second exits at once
with 128 + signal number; one while waiting for the task exits 0.
"""

import os
import select
import signal

from . import context
from .call_helpers import await_it, call_to_reply
from .context import TaskInfo, TaskState
from .log import warn
from .replies import encode_reply, shutting_down_reply
from .task_line import parse_task_line

CHUNK = 1 << 20


def eligible(registered):
    """Whether run_once() may serve ``registered`` here (else the engine does)."""
    return not registered.is_async and registered.batch is None


def _first_task(fd, stopped):
    """The first task message of ``fd``, or None at EOF or once ``stopped()`` (a signal).

    The signal handler only counts: a signal wakes the select() through the wakeup fd, so
    no exception ever lands between reading a line and keeping it.
    """
    if fd is None:
        return None
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    try:
        previous = signal.set_wakeup_fd(wake_w)
    except ValueError:  # not the main thread: no signal handlers, nothing to wake us
        previous = None
    pending = b""
    try:
        while not stopped():
            readable, _, _ = select.select([fd, wake_r], [], [])
            if wake_r in readable:
                os.read(wake_r, 512)
            if fd not in readable:
                continue
            chunk = os.read(fd, CHUNK)
            pending += chunk
            while b"\n" in pending or (not chunk and pending):
                line, _, pending = pending.partition(b"\n")
                kind, value = parse_task_line(line)
                if kind == "task":
                    return value
            if not chunk:
                return None
        return None
    finally:
        if previous is not None:
            signal.set_wakeup_fd(previous)
        os.close(wake_r)
        os.close(wake_w)


def serve_one(registered, ctx, writer, in_fd, ready):
    """Write ``ready``, serve the first task of ``in_fd``; returns the exit code."""
    state = {"running": False, "signals": 0}

    def on_signal(signum, _frame):
        state["signals"] += 1
        if not state["running"]:
            return  # waiting for the task: _first_task sees it and gives up
        name = signal.Signals(signum).name
        if state["signals"] > 1:
            warn("second %s: exiting now" % name)
            os._exit(128 + signum)
        warn("%s received: finishing the task in flight" % name)

    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(signum, on_signal)
        except ValueError:  # not the main thread: no graceful signal handling, as in the engine
            pass
    writer.write(ready)
    try:
        message = _first_task(in_fd, lambda: state["signals"] > 0)
    except OSError as error:
        warn("reading stdin failed (%s); treating it as EOF" % (error,))
        message = None
    if message is None:
        return 0
    task_id = message["task_id"]
    if state["signals"]:  # asked to stop before it started, as the engine answers a late task
        writer.write_bytes(encode_reply(shutting_down_reply(task_id)))
        return 0
    state["running"] = True
    task = TaskState(TaskInfo.from_message(message), message.get("payload"), writer)
    context._register(task)
    context._enter(task)
    task.started = True
    data, code = call_to_reply(registered, task.payload, ctx, task_id, _run_awaitable)
    task.done = True
    writer.write_bytes(data)
    context._unregister(task)
    return code or 0


def _run_awaitable(awaitable):
    """What a plain function returned, when it is a coroutine: run on a loop made for it."""
    import asyncio
    return asyncio.run(await_it(awaitable))

