"""Small helpers shared by the plain and the batched way of calling a task function."""

import collections.abc
import types

from .replies import encode_reply, error_reply, result_reply

_CO_ITERABLE_COROUTINE = 0x100  # inspect.CO_ITERABLE_COROUTINE


def is_awaitable(obj):
    """``inspect.isawaitable`` without importing inspect (~10 ms that a one-shot handler would
    pay on every start; the engine's asyncio imports it anyway)."""
    return (isinstance(obj, types.CoroutineType)
            or isinstance(obj, types.GeneratorType) and bool(obj.gi_code.co_flags & _CO_ITERABLE_COROUTINE)
            or isinstance(obj, collections.abc.Awaitable))


async def await_it(awaitable):
    """A coroutine wrapping any awaitable (for run_until_complete / run_coroutine_threadsafe)."""
    return await awaitable


def exit_code(system_exit):
    """The process exit code a ``sys.exit(...)`` inside a task asks for."""
    code = system_exit.code
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def call_to_reply(registered, payload, ctx, task_id, resolve):
    """Call a task function once and encode its reply line: ``(data, code)``, where ``code`` is
    the exit code a ``sys.exit()`` inside it asked for, else None. ``resolve(awaitable)``
    finishes what the function returned when that is awaitable (a plain function may return
    a coroutine)."""
    try:
        result = registered.call(payload, ctx)
        if is_awaitable(result):
            result = resolve(result)
        return encode_reply(result_reply(task_id, result)), None
    except SystemExit as error:
        return encode_reply(error_reply(task_id, error)), exit_code(error)
    except BaseException as error:
        return encode_reply(error_reply(task_id, error)), None
