"""``@task`` and ``@load``: register the handler's functions (runqy-python's names)."""

import inspect

from .log import warn

__all__ = ["task", "load"]

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class Registered(object):
    """A registered task function and how to call it."""

    def __init__(self, fn):
        self.fn = fn
        self.is_async = is_async_callable(fn)
        self.wants_ctx = _wants_ctx(fn)

    def call(self, payload, ctx):
        """Call the function (returns its result, or a coroutine for async functions)."""
        if self.wants_ctx:
            return self.fn(payload, ctx)
        return self.fn(payload)


_registry = {"task": None, "load": None}


def is_async_callable(fn):
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)
    )


def _positional_count(fn):
    """(number of positional parameters, has *args), or None if unknown."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    count = sum(1 for p in params if p.kind in _POSITIONAL)
    var = any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in params)
    return count, var


def _wants_ctx(fn):
    """``process(payload, ctx)`` gets ctx; ``process(payload)`` does not."""
    shape = _positional_count(fn)
    if shape is None:
        return _registry["load"] is not None  # runqy-python's rule
    count, var = shape
    return var or count >= 2


def task(fn=None):
    """Register the task function: ``def process(payload)`` or ``def process(payload, ctx)``.

    ``ctx`` is what the ``@load`` function returned (None without one). ``async def``
    functions are supported. Usable as ``@task`` or ``@task()``.
    """
    if fn is None:
        return task
    if not callable(fn):
        raise TypeError("@task needs a function, got %r" % (fn,))
    shape = _positional_count(fn)
    if shape is not None and shape[0] == 0 and not shape[1]:
        raise TypeError("@task function %s must accept the payload as its first argument"
                        % getattr(fn, "__name__", fn))
    if _registry["task"] is not None and _registry["task"].fn is not fn:
        warn("@task registered twice; %s replaces %s"
             % (getattr(fn, "__name__", fn), getattr(_registry["task"].fn, "__name__", "?")))
    _registry["task"] = Registered(fn)
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
