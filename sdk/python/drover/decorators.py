"""``@task`` and ``@load``: register the handler's functions (runqy-python's names)."""

import types

from .log import warn

__all__ = ["task", "load"]

_CO_VARARGS = 0x04  # inspect.CO_VARARGS
_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE


DEFAULT_MAX_WAIT_MS = 5


class BatchOptions(object):
    """``@task(batch=N, max_wait_ms=W)``: call the function with up to N payloads at once,
    gathered for at most W ms after the first one arrived."""

    __slots__ = ("size", "max_wait_ms")

    def __init__(self, size, max_wait_ms=None):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise TypeError("@task(batch=...) needs an int >= 1, got %r" % (size,))
        if max_wait_ms is None:
            max_wait_ms = DEFAULT_MAX_WAIT_MS
        if (isinstance(max_wait_ms, bool) or not isinstance(max_wait_ms, (int, float))
                or not 0 <= max_wait_ms < float("inf")):
            raise TypeError("@task(max_wait_ms=...) needs a number of milliseconds >= 0, got %r"
                            % (max_wait_ms,))
        self.size = size
        self.max_wait_ms = max_wait_ms

    def __repr__(self):
        return "BatchOptions(size=%r, max_wait_ms=%r)" % (self.size, self.max_wait_ms)


class Registered(object):
    """A registered task function and how to call it (``batch``: None, or BatchOptions)."""

    def __init__(self, fn, batch=None):
        self.fn = fn
        self.batch = batch
        self.is_async = is_async_callable(fn)
        self.wants_ctx = _wants_ctx(fn)

    def call(self, payload, ctx):
        """Call the function (returns its result, or a coroutine for async functions)."""
        if self.wants_ctx:
            return self.fn(payload, ctx)
        return self.fn(payload)


_registry = {"task": None, "load": None}


def _plain_function(fn):
    """A ``def`` whose code tells all: not wrapped (functools.wraps), no ``__signature__``, not
    marked a coroutine function. Read from its code object, without importing inspect (~10 ms
    of a one-shot handler's start); anything else goes through inspect."""
    return (type(fn) is types.FunctionType and not hasattr(fn, "__wrapped__")
            and not hasattr(fn, "__signature__") and not hasattr(fn, "_is_coroutine_marker"))


def is_async_callable(fn):
    if _plain_function(fn):
        return bool(fn.__code__.co_flags & _CO_COROUTINE)
    import inspect
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)
    )


def _positional_count(fn):
    """(number of positional parameters, has *args), or None if unknown."""
    if _plain_function(fn):
        code = fn.__code__
        return code.co_argcount, bool(code.co_flags & _CO_VARARGS)
    import inspect
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    count = sum(1 for p in params if p.kind in positional)
    var = any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in params)
    return count, var


def _wants_ctx(fn):
    """``process(payload, ctx)`` gets ctx; ``process(payload)`` does not."""
    shape = _positional_count(fn)
    if shape is None:
        return _registry["load"] is not None  # runqy-python's rule
    count, var = shape
    return var or count >= 2


def task(fn=None, *, batch=None, max_wait_ms=None):
    """Register the task function: ``def process(payload)`` or ``def process(payload, ctx)``.

    ``ctx`` is what the ``@load`` function returned (None without one). ``async def``
    functions are supported. Usable as ``@task`` or ``@task()``.

    ``@task(batch=32, max_wait_ms=5)`` registers a batched function instead:
    ``def process(payloads, ctx)`` gets a list of up to 32 payloads (those that arrived
    within 5 ms of the first) and returns a list with one result per payload, in order;
    an item of that list that is an exception instance fails only its task. See
    docs/batching.md.
    """
    if batch is None and max_wait_ms is not None:
        raise TypeError("@task(max_wait_ms=...) needs batch=N as well")
    options = BatchOptions(batch, max_wait_ms) if batch is not None else None
    if fn is None:
        return lambda function: _register(function, options)
    return _register(fn, options)


def _register(fn, options):
    if not callable(fn):
        raise TypeError("@task needs a function, got %r" % (fn,))
    shape = _positional_count(fn)
    if shape is not None and shape[0] == 0 and not shape[1]:
        raise TypeError("@task function %s must accept the payload as its first argument"
                        % getattr(fn, "__name__", fn))
    if _registry["task"] is not None and _registry["task"].fn is not fn:
        warn("@task registered twice; %s replaces %s"
             % (getattr(fn, "__name__", fn), getattr(_registry["task"].fn, "__name__", "?")))
    _registry["task"] = Registered(fn, options)
    return fn


def load(fn=None):
    """Register a function run once before the ready line; its return value is ctx.

    It may be ``async def``. If it raises, the handler reports
    ``{"status":"error",…}`` and exits with code 1.
    """
    if fn is None:
        return load
    if not callable(fn):
        raise TypeError("@load needs a function, got %r" % (fn,))
    _registry["load"] = fn
    return fn


def get_task():
    """The registered task, re-reading its signature (``@load`` may come after ``@task``)."""
    registered = _registry["task"]
    if registered is not None:
        registered.wants_ctx = _wants_ctx(registered.fn)
    return registered


def get_loader():
    return _registry["load"]
