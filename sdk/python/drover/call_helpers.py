"""Small helpers shared by the plain and the batched way of calling a task function."""

import collections.abc
import types

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
