"""The running task: who it is, whether it was cancelled, progress and partial output.

The current task is found through a :mod:`contextvars` variable, which asyncio tasks
and the SDK's worker threads each carry for their own task. A thread you start
yourself inherits nothing (use ``contextvars.copy_context().run``); as a fallback,
when exactly one task is in flight, that task is used.
"""

import contextvars
import math
import threading
import time

from .errors import SerializationError
from .log import warn
from .protocol_io import encode_line

__all__ = ["TaskInfo", "current_task", "cancelled", "progress", "partial"]


class TaskInfo(object):
    """Read-only facts about one task, from its task line (absent fields are None)."""

    __slots__ = ("task_id", "type", "queue", "retry_count", "max_retry", "deadline_ms", "meta")

    def __init__(self, task_id, type=None, queue=None, retry_count=None, max_retry=None,
                 deadline_ms=None, meta=None):
        for name, value in (("task_id", task_id), ("type", type), ("queue", queue),
                            ("retry_count", retry_count), ("max_retry", max_retry),
                            ("deadline_ms", deadline_ms), ("meta", meta)):
            object.__setattr__(self, name, value)

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
        self.cancel_requested = threading.Event()
        self.done = False
        self.aio_task = None  # the asyncio.Task serving it
        self.started = False  # that asyncio.Task has begun running
        self.in_thread = False  # a sync function is running in the pool

    def emit(self, message):
        """Write a progress/partial line unless the task was already answered."""
        if not self.done:
            self.writer.write_bytes(encode_line(message))


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
    """The :class:`TaskInfo` of the task being served, or None outside a task."""
    state = _lookup()
    return state.info if state is not None else None


def cancelled():
    """True once the supervisor asked to cancel the current task."""
    state = _lookup()
    return state is not None and state.cancel_requested.is_set()


def progress(fraction, message=None):
    """Report progress of the current task: ``fraction`` in 0..1 (clamped).

    Writes ``{"type":"progress","task_id":…,"progress":f,"message":…}``. Outside a
    task it does nothing.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
        raise TypeError("progress() needs a number between 0 and 1, got %r" % (fraction,))
    value = float(fraction)
    if math.isnan(value):
        raise ValueError("progress() got NaN")
    value = min(1.0, max(0.0, value))
    state = _lookup()
    if state is None:
        _outside("progress")
        return
    line = {"type": "progress", "task_id": state.info.task_id, "progress": value}
    if message is not None:
        line["message"] = str(message)
    state.emit(line)


def partial(data):
    """Stream a piece of output of the current task (a token, a frame, a row).

    Writes ``{"type":"partial","task_id":…,"data":data}``; ``data`` must be JSON.
    Outside a task it does nothing.
    """
    state = _lookup()
    if state is None:
        _outside("partial")
        return
    line = {"type": "partial", "task_id": state.info.task_id, "data": data}
    try:
        encoded = encode_line(line)
    except (TypeError, ValueError) as error:
        raise SerializationError("partial() data is not JSON-serialisable: %s" % error)
    if not state.done:
        state.writer.write_bytes(encoded)
