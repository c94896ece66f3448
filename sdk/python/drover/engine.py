"""Serving tasks: one asyncio loop in the main thread, task threads for sync functions.

A plain function's task never touches the loop: the stdin reader thread parses its line and
queues it for one of ``concurrency`` task threads (task_threads.py), which calls the
function and writes the reply. Each hop between threads costs a wake-up; the loop in
between (reader -> loop -> pool -> loop) made the SDK 2.5x slower than a plain handler on
tiny tasks. The engine's bookkeeping is shared by these threads under ``self.lock``.

An ``async def`` task's line goes to the loop, where it becomes an asyncio task that waits
for one of ``concurrency`` slots. A batched task function (``@task(batch=N)``) is served
by a Batcher (batcher.py) on the loop: tasks are gathered and the function is called with
a list of payloads.

Shutdown: the engine finishes when no task is in flight and either stdin hit EOF,
a first SIGTERM/SIGINT arrived (tasks arriving later are answered ``retry: true``),
or, for run_once, the one task was answered. A second signal exits at once with
128 + signal number. Finishing happens on the loop: a task thread that answers the last
task wakes it.
"""

import asyncio
import concurrent.futures
import contextvars
import os
import signal
import sys
import threading

from . import context
from .batcher import Batcher
from .call_helpers import await_it as _await, call_to_reply, exit_code as _exit_code, is_awaitable
from .context import TaskInfo, TaskState
from .log import warn
from .replies import cancelled_reply, encode_reply, error_reply, result_reply, shutting_down_reply
from .stdin_reader import start_reader
from .task_line import parse_task_line
from .task_threads import TaskThreads


class Engine(object):
    def __init__(self, loop, registered, ctx, writer, concurrency, max_tasks=None):
        self.loop = loop
        self.registered = registered
        self.ctx = ctx
        self.writer = writer
        self.concurrency = concurrency
        self.max_tasks = max_tasks
        self.slots = asyncio.Semaphore(concurrency)
        self.pool = None  # batches of a sync function: one at a time, in one thread
        self.threads = None  # a plain function's tasks (the lines are handled off the loop)
        self.batcher = Batcher(self, registered.batch) if registered.batch is not None else None
        if self.batcher is not None and not registered.is_async:
            self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="drover-batch")
        elif not registered.is_async:
            self.threads = TaskThreads(concurrency)
        # The main thread's context (what @load set): each plain task runs in a copy of it.
        self.base_context = contextvars.copy_context()
        # Guards in_flight, accepted, eof, stopping, and each task's started/done hand-off
        # between a cancel and its start in a task thread (exactly one of them answers it).
        self.lock = threading.Lock()
        self.in_flight = {}
        self.accepted = 0
        self.eof = False
        self.stopping = False
        self.signals = 0
        self.exit_code = 0
        self.finished = loop.create_future()

    # -- input -----------------------------------------------------------------
    def on_line(self, raw):
        """One stdin line: in the reader thread for a plain function, else on the loop."""
        kind, value = parse_task_line(raw)
        if kind == "cancel":
            self.cancel(value)
            return
        if kind is None:
            return
        task_id = value["task_id"]
        state = None
        with self.lock:
            if self.stopping:
                refused = "stopping"
            elif self.max_tasks is not None and self.accepted >= self.max_tasks:
                refused = "run_once() serves one task; ignoring task %r" % (task_id,)
            elif task_id in self.in_flight:
                refused = "task %r is already in flight; ignoring the duplicate" % (task_id,)
            else:
                refused = None
                self.accepted += 1
                state = TaskState(TaskInfo.from_message(value), value.get("payload"), self.writer)
                self.in_flight[task_id] = state
                context._register(state)
        if refused == "stopping":
            self.writer.write_bytes(encode_reply(shutting_down_reply(task_id)))
            return
        if refused is not None:
            warn(refused)
            return
        if self.batcher is not None:
            self.batcher.add(state)
        elif self.threads is None:
            state.aio_task = self.loop.create_task(self._serve(state))
        else:
            run = self.base_context.copy().run
            run(context._enter, state)  # the task's own context, in which its thread runs it
            self.threads.submit(run, self._run_in_thread, state)

    def on_eof(self):
        with self.lock:
            self.eof = True
        if self.batcher is not None:
            self.batcher.flush()
        self._maybe_finish()

    def cancel(self, task_id):
        state = self.in_flight.get(task_id)
        if state is None:
            return  # already answered (or never seen): nothing to do
        state.cancel_requested = True
        if self.batcher is not None:
            self.batcher.cancel(state)
            return
        if self.threads is not None:
            # Still queued for a thread: answered now, and skipped there. Running in a thread,
            # it cannot be interrupted: it sees cancelled().
            with self.lock:
                answer = not state.started and not state.done
                state.done = state.done or answer
            if answer:
                self.writer.write_bytes(encode_reply(cancelled_reply(task_id)))
            return
        # A task not started yet sees the flag when it starts.
        if state.started:
            state.aio_task.cancel()

    def on_signal(self, signum):
        self.signals += 1
        name = signal.Signals(signum).name
        if self.signals > 1:
            warn("second %s: exiting now" % name)
            os._exit(128 + signum)
        in_flight = len(self.in_flight)
        # Stop first: a plain function's lines are read in another thread, and a line that
        # follows the warning must be refused, not queued behind the tasks in flight.
        self.request_stop(0)
        warn("%s received: finishing %d task(s) in flight, accepting no more" % (name, in_flight))

    def request_stop(self, code):
        """On the loop: accept no more tasks, finish once those in flight are answered."""
        with self.lock:
            if not self.stopping:
                self.stopping = True
                self.exit_code = code
        if self.batcher is not None:
            self.batcher.flush()
        self._maybe_finish()

    def finish_task(self, state):
        """Forget an answered task (idempotent; any thread); the engine may finish after it."""
        with self.lock:
            state.done = True
            if self.in_flight.get(state.info.task_id) is state:
                del self.in_flight[state.info.task_id]
            context._unregister(state)
            may_finish = not self.in_flight and self._finish_due()
        if not may_finish:
            return
        if self.threads is None:
            self._maybe_finish()  # batches and async tasks finish on the loop
            return
        try:
            self.loop.call_soon_threadsafe(self._maybe_finish)
        except RuntimeError:  # the loop is closed: the handler is exiting
            pass

    def _finish_due(self):
        """Under self.lock: nothing more will come (EOF, a stop, run_once's one task)."""
        done_once = self.max_tasks is not None and self.accepted >= self.max_tasks
        return self.eof or self.stopping or done_once

    def _maybe_finish(self):
        """On the loop: resolve ``finished`` once no task is in flight and none will come."""
        if self.finished.done():
            return
        if self.batcher is not None and not self.batcher.idle():
            return  # a batch whose items were all cancelled is still running
        with self.lock:
            due = not self.in_flight and self._finish_due()
        if due:
            self.finished.set_result(self.exit_code)

    # -- running one task -------------------------------------------------------
    async def _serve(self, state):
        context._enter(state)  # this asyncio task's own context
        task_id = state.info.task_id
        state.started = True  # from here on a cancel() may interrupt (no await before try)
        try:
            data = None
            try:
                if state.cancel_requested:
                    raise asyncio.CancelledError()
                async with self.slots:
                    if state.cancel_requested:
                        raise asyncio.CancelledError()
                    data = await self._run_async(state)
            except asyncio.CancelledError:
                data = encode_reply(cancelled_reply(task_id))
            if data is not None:
                state.done = True
                self.writer.write_bytes(data)
        finally:
            self.finish_task(state)

    async def _run_async(self, state):
        task_id = state.info.task_id
        try:
            result = self.registered.call(state.payload, self.ctx)
            if is_awaitable(result):
                result = await result
            return encode_reply(result_reply(task_id, result))
        except asyncio.CancelledError:
            return encode_reply(cancelled_reply(task_id))
        except SystemExit as error:
            self.request_stop(_exit_code(error))
            return encode_reply(error_reply(task_id, error))
        except BaseException as error:
            return encode_reply(error_reply(task_id, error))

    def _run_in_thread(self, state):
        """In a task thread: run a plain function's task unless a cancel answered it first;
        then forget it."""
        try:
            with self.lock:
                run = not state.done
                state.started = run
            if run:
                self._run_sync(state)
        except BaseException as error:  # the reply could not be written: say so, and go on
            warn("task %r: %s" % (state.info.task_id, error))
        finally:
            self.finish_task(state)

    def _run_sync(self, state):
        """In a task thread: call, encode, write the reply."""
        data, code = call_to_reply(self.registered, state.payload, self.ctx, state.info.task_id, self._on_loop)
        if code is not None:
            self.loop.call_soon_threadsafe(self.request_stop, code)
        state.done = True
        self.writer.write_bytes(data)

    def _on_loop(self, awaitable):
        """In a task thread: what a plain function returned, when awaitable, awaited on the loop."""
        return asyncio.run_coroutine_threadsafe(_await(awaitable), self.loop).result()

    # -- the loop ---------------------------------------------------------------
    def _install_signals(self):
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                self.loop.add_signal_handler(signum, self.on_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not the main thread, or not POSIX: no graceful signal handling

    def serve(self, in_fd, ready):
        """Write the ready line, serve until finished; returns the exit code.

        Signal handlers go in before the ready line: a SIGTERM that follows it is
        always the graceful kind.
        """
        self._install_signals()
        self.writer.write(ready)
        start_reader(in_fd, self.loop, self.on_line, self.on_eof, lines_in_reader=self.threads is not None)
        try:
            return self.loop.run_until_complete(self.finished)
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True)
            if self.threads is not None:
                self.threads.shutdown()
            for signum in (signal.SIGTERM, signal.SIGINT):
                try:
                    self.loop.remove_signal_handler(signum)
                except Exception:
                    pass
            _close_loop(self.loop)


def _close_loop(loop):
    """Cancel what the user left running on the loop, then close it (as asyncio.run)."""
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    except Exception as error:  # pragma: no cover
        warn("while closing the event loop: %s" % (error,))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        sys.stdout.flush()
