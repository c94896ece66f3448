"""The running task: who it is, whether it was cancelled, progress and partial output.

The current task is found through a :mod:`contextvars` variable, which asyncio tasks
and the SDK's worker threads each carry for their own task. A thread you start
yourself inherits nothing (use ``contextvars.copy_context().run``); as a fallback,
when exactly one task is in flight, that task is used.

Inside a batched task (``@task(batch=N)``) the variable holds a :class:`BatchScope`
instead: ``current_task()`` is None (a batch has no single task), ``current_batch()``
lists the items, ``progress()`` reports for every item still running, and
``cancelled()`` is True once every item of the batch was cancelled.
"""

import contextvars
import math
import time

from .errors import SerializationError
from .log import warn
from .protocol_io import encode_line

__all__ = ["TaskInfo", "current_task", "current_batch", "cancelled", "progress", "partial"]


class TaskInfo(object):
    """Read-only facts about one task, from its task line (absent fields are None)."""

    __slots__ = ("task_id", "type", "queue", "retry_count", "max_retry", "deadline_ms", "meta")

    def __init__(self, task_id, type=None, queue=None, retry_count=None, max_retry=None,
                 deadline_ms=None, meta=None):
        _set = object.__setattr__  # __setattr__ below refuses writes
        _set(self, "task_id", task_id)
        _set(self, "type", type)
        _set(self, "queue", queue)
        _set(self, "retry_count", retry_count)
        _set(self, "max_retry", max_retry)
        _set(self, "deadline_ms", deadline_ms)
        _set(self, "meta", meta)

    def __setattr__(self, name, value):
        raise AttributeError("TaskInfo is read-only")

    @classmethod
    def from_message(cls, message):
        return cls(
            message.get("task_id"),
            type=message.get("type"),
            queue=message.get("queue"),
            retry_count=message.get("retry_count"),
            max_retry=message.get("max_retry"),
            deadline_ms=message.get("deadline_ms"),
            meta=message.get("meta"),
        )

    def remaining_ms(self):
        """Milliseconds until ``deadline_ms`` (may be negative), or None without a deadline."""
        if not isinstance(self.deadline_ms, (int, float)):
            return None
        return self.deadline_ms - time.time() * 1000.0

    def to_dict(self):
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self):
        fields = ", ".join("%s=%r" % (n, getattr(self, n)) for n in self.__slots__
                           if getattr(self, n) is not None)
        return "TaskInfo(%s)" % fields


class TaskState(object):
    """The SDK's bookkeeping for one in-flight task (internal)."""

    def __init__(self, info, payload, writer):
        self.info = info
        self.payload = payload
        self.writer = writer
        # A plain flag, not a threading.Event (nothing waits on it; an Event per task was ~3 µs).
        self.cancel_requested = False
        self.done = False
        self.aio_task = None  # the asyncio.Task serving it
        self.started = False  # its asyncio.Task began, or a task thread took it (engine.py)

    def emit(self, message):
        """Write a progress/partial line unless the task was already answered."""
        if not self.done:
            self.writer.write_bytes(encode_line(message))


class BatchScope(object):
    """The batch a batched task function is serving (internal; see current_batch())."""

    def __init__(self, items):
        self.items = tuple(items)  # BatchItem objects, in the order of the payloads
        self.aio_task = None  # the asyncio.Task running the batch

    def all_cancelled(self):
        return all(item.cancelled() for item in self.items)


_current = contextvars.ContextVar("drover_current_task", default=None)
_in_flight = {}
_warned_outside = [False]


def _register(state):
    _in_flight[state.info.task_id] = state


def _unregister(state):
    if _in_flight.get(state.info.task_id) is state:
        del _in_flight[state.info.task_id]


def _enter(state):
    """Make ``state`` the current task in this context; returns a reset token."""
    return _current.set(state)


def _lookup():
    state = _current.get()
    if state is not None:
        return state
    if len(_in_flight) == 1:
        for only in list(_in_flight.values()):
            return only
    return None


def _outside(what):
    if not _warned_outside[0]:
        _warned_outside[0] = True
        warn("%s() called outside a task; ignored" % what)


def current_task():
    """The :class:`TaskInfo` of the task being served, or None outside a task.

    None inside a batched task too: use :func:`current_batch`.
    """
    state = _lookup()
    if state is None or isinstance(state, BatchScope):
        return None
    return state.info


def current_batch():
    """Inside a batched task: the :class:`~drover.BatchItem` of each payload, in order.

    A tuple, as long as the list of payloads the function got. None outside a batch.
    """
    state = _lookup()
    return state.items if isinstance(state, BatchScope) else None


def cancelled():
    """True once the supervisor asked to cancel the current task.

    Inside a batched task: True once every item of the batch was cancelled (check one
    item with ``current_batch()[i].cancelled()``).
    """
    state = _lookup()
    if isinstance(state, BatchScope):
        return state.all_cancelled()
    return state is not None and state.cancel_requested


def progress_line(task_id, fraction, message=None):
    """The progress message for a task (``fraction`` checked, clamped to 0..1)."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
        raise TypeError("progress() needs a number between 0 and 1, got %r" % (fraction,))
    value = float(fraction)
    if math.isnan(value):
        raise ValueError("progress() got NaN")
    line = {"type": "progress", "task_id": task_id, "progress": min(1.0, max(0.0, value))}
    if message is not None:
        line["message"] = str(message)
    return line


def partial_bytes(task_id, data):
    """The encoded partial line for a task; raises SerializationError for non-JSON data."""
    try:
        return encode_line({"type": "partial", "task_id": task_id, "data": data})
    except (TypeError, ValueError) as error:
        raise SerializationError("partial() data is not JSON-serialisable: %s" % error)


def progress(fraction, message=None):
    """Report progress of the current task: ``fraction`` in 0..1 (clamped).

    Writes ``{"type":"progress","task_id":…,"progress":f,"message":…}``. Outside a
    task it does nothing. Inside a batched task it reports for every item of the
    batch that is not answered yet.
    """
    progress_line(None, fraction, message)  # validate even outside a task
    state = _lookup()
    if state is None:
        _outside("progress")
        return
    if isinstance(state, BatchScope):
        for item in state.items:
            item.progress(fraction, message)
        return
    state.emit(progress_line(state.info.task_id, fraction, message))


def partial(data):
    """Stream a piece of output of the current task (a token, a frame, a row).

    Writes ``{"type":"partial","task_id":…,"data":data}``; ``data`` must be JSON.
    Outside a task it does nothing. Inside a batched task it raises TypeError: a
    batch has no single task; use ``current_batch()[i].partial(data)``.
    """
    state = _lookup()
    if state is None:
        _outside("partial")
        return
    if isinstance(state, BatchScope):
        raise TypeError("partial() inside a batched task: say which item, with "
                        "drover.current_batch()[i].partial(data)")
    encoded = partial_bytes(state.info.task_id, data)
    if not state.done:
        state.writer.write_bytes(encoded)
