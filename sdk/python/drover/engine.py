"""Serving tasks: one asyncio loop in the main thread, a thread pool for sync functions.

Lines from stdin arrive in the loop (see stdin_reader). An ``async def`` task becomes an
asyncio task that waits for one of ``concurrency`` slots and runs on the loop; a plain
function's task goes straight to a pool of ``concurrency`` threads (an asyncio task and a
future per task were a third of the SDK's cost per tiny task). The reply is encoded and
written as soon as the function returns (by the worker thread for sync functions, so a
large result never blocks the loop).

A batched task function (``@task(batch=N)``) is served by a Batcher (batcher.py)
instead: tasks are gathered and the function is called with a list of payloads.

Shutdown: the engine finishes when no task is in flight and either stdin hit EOF,
a first SIGTERM/SIGINT arrived (tasks arriving later are answered ``retry: true``),
or, for run_once, the one task was answered. A second signal exits at once with
128 + signal number.
"""

import asyncio
import concurrent.futures
import contextvars
import inspect
import os
import signal
import sys
import threading

from . import context
from .batcher import Batcher
from .call_helpers import await_it as _await, exit_code as _exit_code
from .context import TaskInfo, TaskState
from .log import warn
from .replies import cancelled_reply, encode_reply, error_reply, result_reply, shutting_down_reply
from .stdin_reader import start_reader
from .task_line import parse_task_line


class Engine(object):
    def __init__(self, loop, registered, ctx, writer, concurrency, max_tasks=None):
        self.loop = loop
        self.registered = registered
        self.ctx = ctx
        self.writer = writer
        self.concurrency = concurrency
        self.max_tasks = max_tasks
        self.slots = asyncio.Semaphore(concurrency)
        self.pool = None
        self.batcher = Batcher(self, registered.batch) if registered.batch is not None else None
        if not registered.is_async:
            # Batches run one at a time: a single worker thread serves them.
            self.pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=1 if self.batcher else concurrency, thread_name_prefix="drover-task"
            )
        self.in_flight = {}
        # A plain function's task: its start in the pool and a cancel before that start exclude
        # each other (state.started / state.done), so exactly one of them answers it.
        self.start_lock = threading.Lock()
        self.accepted = 0
        self.eof = False
        self.stopping = False
        self.signals = 0
        self.exit_code = 0
        self.finished = loop.create_future()

    # -- input -----------------------------------------------------------------
    def on_line(self, raw):
        kind, value = parse_task_line(raw)
        if kind == "cancel":
            self.cancel(value)
            return
        if kind is None:
            return
        message = value
        task_id = message["task_id"]
        if self.stopping:
            self.writer.write_bytes(encode_reply(shutting_down_reply(task_id)))
            return
        if self.max_tasks is not None and self.accepted >= self.max_tasks:
            warn("run_once() serves one task; ignoring task %r" % (task_id,))
            return
        if task_id in self.in_flight:
            warn("task %r is already in flight; ignoring the duplicate" % (task_id,))
            return
        self.accepted += 1
        state = TaskState(TaskInfo.from_message(message), message.get("payload"), self.writer)
        self.in_flight[task_id] = state
        context._register(state)
        if self.batcher is not None:
            self.batcher.add(state)
            return
        if self.registered.is_async:
            state.aio_task = self.loop.create_task(self._serve(state))
            return
        run = contextvars.copy_context().run
        run(context._enter, state)  # the task's own context, in which the pool runs it
        self.pool.submit(run, self._run_in_pool, state)

    def on_eof(self):
        self.eof = True
        if self.batcher is not None:
            self.batcher.flush()
        self._maybe_finish()

    def cancel(self, task_id):
        state = self.in_flight.get(task_id)
        if state is None:
            return  # already answered (or never seen): nothing to do
        state.cancel_requested.set()
        if self.batcher is not None:
            self.batcher.cancel(state)
            return
        if not self.registered.is_async:
            # Still queued for the pool: answered now, and skipped there. Running in a thread, it
            # cannot be interrupted: it sees cancelled().
            with self.start_lock:
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
        warn("%s received: finishing %d task(s) in flight, accepting no more"
             % (name, len(self.in_flight)))
        self.request_stop(0)

    def request_stop(self, code):
        if not self.stopping:
            self.stopping = True
            self.exit_code = code
        if self.batcher is not None:
            self.batcher.flush()
        self._maybe_finish()

    def finish_task(self, state):
        """Forget an answered task (idempotent); the engine may finish after it."""
        state.done = True
        if self.in_flight.get(state.info.task_id) is state:
            del self.in_flight[state.info.task_id]
        context._unregister(state)
        self._maybe_finish()

    def _maybe_finish(self):
        done_once = self.max_tasks is not None and self.accepted >= self.max_tasks
        if self.in_flight or self.finished.done():
            return
        if self.batcher is not None and not self.batcher.idle():
            return  # a batch whose items were all cancelled is still running
        if self.eof or self.stopping or done_once:
            self.finished.set_result(self.exit_code)

    # -- running one task -------------------------------------------------------
    async def _serve(self, state):
        context._enter(state)  # this asyncio task's own context
        task_id = state.info.task_id
        state.started = True  # from here on a cancel() may interrupt (no await before try)
        try:
            data = None
            try:
                if state.cancel_requested.is_set():
                    raise asyncio.CancelledError()
                async with self.slots:
                    if state.cancel_requested.is_set():
                        raise asyncio.CancelledError()
                    data = await self._run_async(state)
            except asyncio.CancelledError:
                data = encode_reply(cancelled_reply(task_id))
            if data is not None:
                state.done = True
                self.writer.write_bytes(data)
        finally:
            state.done = True
            self.in_flight.pop(task_id, None)
            context._unregister(state)
            self._maybe_finish()

    async def _run_async(self, state):
        task_id = state.info.task_id
        try:
            result = self.registered.call(state.payload, self.ctx)
            if inspect.isawaitable(result):
                result = await result
            return encode_reply(result_reply(task_id, result))
        except asyncio.CancelledError:
            return encode_reply(cancelled_reply(task_id))
        except SystemExit as error:
            self.request_stop(_exit_code(error))
            return encode_reply(error_reply(task_id, error))
        except BaseException as error:
            return encode_reply(error_reply(task_id, error))

    def _run_in_pool(self, state):
        """In a pool thread: run a plain function's task unless a cancel answered it first;
        then the loop forgets it."""
        try:
            with self.start_lock:
                run = not state.done
                state.started = run
            if run:
                self._run_sync(state)
        except BaseException as error:  # the reply could not be written: say so, and go on
            warn("task %r: %s" % (state.info.task_id, error))
        finally:
            try:
                self.loop.call_soon_threadsafe(self.finish_task, state)
            except RuntimeError:  # the loop is closed: the handler is exiting
                pass

    def _run_sync(self, state):
        """In a pool thread: call, encode, write the reply."""
        task_id = state.info.task_id
        try:
            result = self.registered.call(state.payload, self.ctx)
            if inspect.isawaitable(result):
                future = asyncio.run_coroutine_threadsafe(_await(result), self.loop)
                result = future.result()
            data = encode_reply(result_reply(task_id, result))
        except SystemExit as error:
            self.loop.call_soon_threadsafe(self.request_stop, _exit_code(error))
            data = encode_reply(error_reply(task_id, error))
        except BaseException as error:
            data = encode_reply(error_reply(task_id, error))
        state.done = True
        self.writer.write_bytes(data)

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
        start_reader(in_fd, self.loop, self.on_line, self.on_eof)
        try:
            return self.loop.run_until_complete(self.finished)
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True)
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
