"""Small helpers shared by the plain and the batched way of calling a task function."""


async def await_it(awaitable):
    """A coroutine wrapping any awaitable (for run_until_complete / run_coroutine_threadsafe)."""
    return await awaitable


def exit_code(system_exit):
    """The process exit code a ``sys.exit(...)`` inside a task asks for."""
    code = system_exit.code
    if code is None:
        return 0
    return code if isinstance(code, int) else 1
