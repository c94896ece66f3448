"""``run()`` and ``run_once()``: load, ready line, serve tasks, exit.

Order of start-up (it matters):
1. claim the protocol streams (private stdout / protocol pipe, fd 1 -> stderr),
   before any user code, so even ``@load`` cannot print into the protocol;
2. ask the kernel for SIGTERM when the supervisor dies (Linux, best effort);
3. run ``@load`` (SIGTERM keeps its default action here: a load is not a task);
4. install SIGTERM/SIGINT handlers, then write
   ``{"status":"ready","protocol":1,"concurrency":N}`` (N: run()'s argument, else the
   batch size of a ``@task(batch=N)`` function, else 1);
5. serve tasks (engine.py) until EOF / SIGTERM / the one task of run_once; run_once
   serves a plain function without the engine (once.py);
6. exit: 0, or 1 when the load failed.

asyncio and the engine are imported only when needed: a one-shot handler pays its
imports on every task.
"""

import sys

from . import once
from .call_helpers import await_it, is_awaitable
from .decorators import get_loader, get_task
from .orphan import set_parent_death_signal
from .protocol_io import LineWriter, claim_streams

PROTOCOL_VERSION = 1

__all__ = ["run", "run_once"]


def _check_concurrency(concurrency):
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise TypeError("run(concurrency=...) needs an int >= 1, got %r" % (concurrency,))
    if concurrency < 1:
        raise ValueError("run(concurrency=...) needs an int >= 1, got %r" % (concurrency,))
    return concurrency


def _load_error(error):
    message = str(error)
    return "%s: %s" % (type(error).__name__, message) if message else type(error).__name__


def _serve(concurrency, max_tasks):
    streams = claim_streams()
    writer = LineWriter(streams.out_fd)
    set_parent_death_signal()

    loop = None
    engine = None
    try:
        registered = get_task()
        if registered is None:
            writer.write({"status": "error",
                          "error": "no task function registered: decorate it with @drover.task"})
            return 1
        # run_once of a plain function goes without an event loop (once.py); otherwise the
        # loop exists before @load, which may bind things to it.
        without_loop = max_tasks == 1 and once.eligible(registered)
        if not without_loop:
            loop = _new_loop()
        ctx = None
        loader = get_loader()
        if loader is not None:
            try:
                ctx = loader()
                if is_awaitable(ctx):
                    loop = loop or _new_loop()
                    ctx = loop.run_until_complete(await_it(ctx))
            except Exception as error:
                import traceback
                traceback.print_exc()
                writer.write({"status": "error", "error": _load_error(error)})
                return 1
        if concurrency is None:
            concurrency = registered.batch.size if registered.batch is not None else 1
        ready = {"status": "ready", "protocol": PROTOCOL_VERSION, "concurrency": concurrency}
        # An async @load made a loop and may have left state on it: the engine serves on it.
        if without_loop and loop is None:
            return once.serve_one(registered, ctx, writer, streams.in_fd, ready)
        from .engine import Engine
        engine = Engine(loop, registered, ctx, writer, concurrency, max_tasks)
    finally:
        if engine is None and loop is not None:
            import asyncio
            asyncio.set_event_loop(None)
            loop.close()
    return engine.serve(streams.in_fd, ready)


def _new_loop():
    import asyncio
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


def run(concurrency=None):
    """Serve tasks until EOF on stdin (or SIGTERM), then exit.

    With ``concurrency`` N > 1 up to N tasks run at once: ``async def`` tasks on one
    asyncio loop, plain functions in a pool of N threads. Does not return: exits the
    process with code 0 (1 if ``@load`` failed).

    ``concurrency`` defaults to 1, or to the batch size for a ``@task(batch=N)``
    function; for a batched function it is how many tasks the supervisor may send
    before the first is answered (e.g. 2 * N gathers the next batch while one runs).
    """
    if concurrency is not None:
        _check_concurrency(concurrency)
    code = _serve(concurrency, None)
    sys.exit(code)


def run_once():
    """Load, write the ready line, serve ONE task, exit 0 (the one-shot mode)."""
    code = _serve(1, 1)
    sys.exit(code)
