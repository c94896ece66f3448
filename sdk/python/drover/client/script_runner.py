"""Runs the bundled Lua scripts: EVALSHA, falling back to EVAL on NOSCRIPT (a fresh server,
a failover, another Cluster node), exactly as LuaScript.run in scripts.ts."""

from typing import Any, List, Mapping, Sequence

import redis.exceptions as rx

from .bundle import Script
from .errors import DroverError


def script_argv(script: Script, keys: Mapping[str, str], channels: Mapping[str, str],
                args: Sequence[Any]) -> List[Any]:
    """``[numkeys, *keys, *channels, *args]`` in the order the script's header declares."""

    def pick(source, name, what):
        if name not in source:
            raise DroverError("QUEUE_ERROR", "script %s: %s '%s' was not provided" % (script.name, what, name))
        return source[name]

    return ([len(script.keys)] + [pick(keys, k, "key") for k in script.keys]
            + [pick(channels, c, "channel") for c in script.channels] + list(args))


def run_script(conn, script: Script, keys, channels, args, *, slot_conn=None) -> Any:
    """Runs one script. In a Cluster, ``slot_conn`` is the plain connection of the node that
    owns the queue's slot: going there directly skips redis-py's cluster logging of every
    NOSCRIPT reply; a redirection or a lost node falls back to the cluster client ``conn``."""
    argv = script_argv(script, keys, channels, args)
    if slot_conn is not None:
        try:
            return _evalsha_or_eval(slot_conn, script, argv)
        except (rx.ConnectionError, rx.TimeoutError):
            pass
        except rx.ResponseError as e:
            if not _redirected(e):
                raise
        # The rare path: EVAL at once (the script is likely unknown there, and a NOSCRIPT
        # through the cluster client is logged as an error by redis-py).
        return conn.eval(script.source, *argv)
    return _evalsha_or_eval(conn, script, argv)


def _evalsha_or_eval(conn, script: Script, argv: List[Any]) -> Any:
    try:
        return conn.evalsha(script.sha1, *argv)
    except rx.NoScriptError:
        return conn.eval(script.source, *argv)


def _redirected(error: Exception) -> bool:
    """The command did not run on this node (Cluster redirection or a slot in flux)."""
    names = ("MovedError", "AskError", "TryAgainError", "ClusterDownError")
    return any(isinstance(error, getattr(rx, n)) for n in names if hasattr(rx, n))


def run_many(conn, script: Script, keys, channels, arg_lists: Sequence[Sequence[Any]], *,
             slot_conn=None) -> List[Any]:
    """One pipeline for all argument lists (they share one queue, so one Cluster slot).

    ``slot_conn`` is the plain connection of the node owning the slot (Cluster, where
    redis-py refuses EVALSHA in cluster pipelines); items that node did not run because of a
    redirection (MOVED, ASK, TRYAGAIN) are run again one by one (EVAL) through the cluster ``conn``.
    """
    if not arg_lists:
        return []
    argvs = [script_argv(script, keys, channels, args) for args in arg_lists]
    target = slot_conn if slot_conn is not None else conn
    out: List[Any] = [None] * len(argvs)
    retry_alone: List[int] = []

    def pipeline(indexes, use_eval):
        pipe = target.pipeline(transaction=False)
        for i in indexes:
            if use_eval:
                pipe.eval(script.source, *argvs[i])
            else:
                pipe.evalsha(script.sha1, *argvs[i])
        missing = []
        for i, reply in zip(indexes, pipe.execute(raise_on_error=False)):
            if isinstance(reply, rx.NoScriptError) and not use_eval:
                missing.append(i)
            elif isinstance(reply, Exception) and slot_conn is not None and _redirected(reply):
                retry_alone.append(i)
            elif isinstance(reply, Exception):
                raise reply
            else:
                out[i] = reply
        return missing

    missing = pipeline(list(range(len(argvs))), False)
    if missing:
        pipeline(missing, True)
    for i in sorted(retry_alone):
        out[i] = conn.eval(script.source, *argvs[i])
    return out
