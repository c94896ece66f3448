"""Inference batching: gather tasks, call the batched function once with their payloads.

A task that arrives waits in a FIFO buffer. A batch of up to ``size`` tasks starts when
no batch is running and either the buffer holds ``size`` tasks, or its oldest task has
waited ``max_wait_ms``, or no more tasks can come (EOF, SIGTERM, run_once). Batches
run one at a time (the function is never called concurrently with itself, as a model
on one accelerator wants): a sync function in the engine's single worker thread, an
``async def`` on the loop.

Replies: one per task, written as soon as the batch returns (by the worker thread for
sync functions). A cancel answers its task at once, whether it is still in the buffer
(dropped, never run) or in the running batch (the call goes on for the other items; the
cancelled item's result is discarded; an ``async`` batch whose items are all cancelled
is cancelled).
"""

import asyncio
import collections
import contextvars

from . import context
from .batch_item import BatchItem
from .call_helpers import await_it as _await, exit_code as _exit_code, is_awaitable
from .context import BatchScope
from .errors import BatchResultError


def _outcomes(results, count):
    """One outcome per payload from what the function returned; raises BatchResultError."""
    if hasattr(results, "tolist") and not isinstance(results, (list, tuple)):
        results = results.tolist()  # a numpy array: one row per payload
    if not isinstance(results, (list, tuple)):
        raise BatchResultError(
            "a batched task function must return a list with one result per payload, got %s"
            % type(results).__name__)
    if len(results) != count:
        raise BatchResultError(
            "the batched task function returned %d results for %d payloads "
            "(it must return one result or exception per payload, in order)"
            % (len(results), count))
    return results


class Batcher(object):
    def __init__(self, engine, options):
        self.engine = engine
        self.loop = engine.loop
        self.size = options.size
        self.max_wait = options.max_wait_ms / 1000.0
        self.buffer = collections.deque()  # BatchItem, in arrival order
        self.running = None  # the BatchScope being served
        self.timer = None
        self.flushing = False  # no more tasks will come: dispatch without waiting

    # -- from the engine (loop thread) ---------------------------------------------
    def add(self, state):
        self.buffer.append(BatchItem(state, self.loop.time()))
        self._maybe_dispatch()

    def cancel(self, state):
        """Answer a cancelled task now; a task still in the buffer never runs."""
        for item in self.buffer:
            if item._state is state:
                self.buffer.remove(item)
                item._reply_cancelled()
                self.engine.finish_task(state)
                return
        scope = self.running
        if scope is None:
            return
        for item in scope.items:
            if item._state is state:
                item._reply_cancelled()
                self.engine.finish_task(state)
                if scope.all_cancelled() and self.engine.registered.is_async and scope.aio_task:
                    scope.aio_task.cancel()
                return

    def flush(self):
        """EOF or stop: nothing more will arrive, so waiting for more is pointless."""
        self.flushing = True
        self._maybe_dispatch()

    def idle(self):
        return self.running is None and not self.buffer

    # -- forming batches -----------------------------------------------------------
    def _no_more_tasks(self):
        engine = self.engine
        return self.flushing or (engine.max_tasks is not None and engine.accepted >= engine.max_tasks)

    def _maybe_dispatch(self):
        if self.running is not None or not self.buffer:
            return
        due = self.buffer[0]._arrived + self.max_wait
        if len(self.buffer) >= self.size or self._no_more_tasks() or self.loop.time() >= due:
            self._dispatch()
        elif self.timer is None:
            self.timer = self.loop.call_at(due, self._on_timer)

    def _on_timer(self):
        self.timer = None
        self._maybe_dispatch()

    def _dispatch(self):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        count = min(self.size, len(self.buffer))
        items = [self.buffer.popleft() for _ in range(count)]
        now = self.loop.time()
        for item in items:
            item.waited_ms = (now - item._arrived) * 1000.0
        scope = BatchScope(items)
        self.running = scope
        scope.aio_task = self.loop.create_task(self._serve(scope))

    # -- running one batch ---------------------------------------------------------
    async def _serve(self, scope):
        context._enter(scope)  # this asyncio task's own context
        try:
            if self.engine.registered.is_async:
                await self._run_async(scope)
            else:
                run = contextvars.copy_context().run
                await self.loop.run_in_executor(self.engine.pool, run, self._run_sync, scope)
        except asyncio.CancelledError:
            for item in scope.items:
                item._reply_cancelled()  # only items not answered yet
        finally:
            self.running = None
            self._maybe_dispatch()
            for item in scope.items:
                self.engine.finish_task(item._state)

    def _call(self, scope):
        payloads = [item.payload for item in scope.items]
        return self.engine.registered.call(payloads, self.engine.ctx)

    def _reply_all(self, scope, results):
        try:
            outcomes = _outcomes(results, len(scope.items))
        except BatchResultError as error:
            outcomes = [error] * len(scope.items)
        # One write for the whole batch: the supervisor reads every reply at once and refills
        # the freed slots together, so the next batch's tasks arrive together too. A reply per
        # write let the refill trickle in over several ms and split batches at max_wait_ms.
        lines = [item._reply_bytes(outcome) for item, outcome in zip(scope.items, outcomes)]
        data = b"".join(line for line in lines if line is not None)
        if data:
            self.engine.writer.write_bytes(data)

    async def _run_async(self, scope):
        try:
            results = self._call(scope)
            if is_awaitable(results):
                results = await results
        except asyncio.CancelledError:
            raise
        except SystemExit as error:
            self.engine.request_stop(_exit_code(error))
            results = [error] * len(scope.items)
        except BaseException as error:
            results = [error] * len(scope.items)
        self._reply_all(scope, results)

    def _run_sync(self, scope):
        """In the worker thread: call, then write every reply."""
        try:
            results = self._call(scope)
            if is_awaitable(results):
                future = asyncio.run_coroutine_threadsafe(_await(results), self.loop)
                results = future.result()
        except SystemExit as error:
            self.loop.call_soon_threadsafe(self.engine.request_stop, _exit_code(error))
            results = [error] * len(scope.items)
        except BaseException as error:
            results = [error] * len(scope.items)
        self._reply_all(scope, results)
