"""DroverError (same code strings and exit codes as src/errors.ts) and Redis error mapping."""

import re
from typing import Any, Optional

import redis.exceptions as rx

from .bundle import ERRORS

#: Every error code, mapped to the CLI exit code of the TypeScript side.
ERROR_CODES = dict(ERRORS["codes"])
_SCRIPT_STATUS = dict(ERRORS["scriptStatus"])


class DroverError(Exception):
    """The one error type the client raises; ``code`` is one of :data:`ERROR_CODES`."""

    def __init__(self, code: str, message: str, cause: Optional[BaseException] = None):
        if code not in ERROR_CODES:
            raise ValueError("unknown drover error code %r" % (code,))
        super().__init__(message)
        self.code = code
        self.message = message
        self.exit_code = ERROR_CODES[code]
        self.cause = cause
        if cause is not None:
            self.__cause__ = cause

    def __repr__(self) -> str:
        return "DroverError(%r, %r)" % (self.code, self.message)


class TaskFailedError(DroverError):
    """Raised by Client.run when the task ended ``failed`` or ``cancelled``.

    ``task`` is the TaskInfo as stored, ``task_error`` the handler's (or supervisor's) error.
    """

    def __init__(self, task: Any):
        from .task_info import TaskError

        err = task.error
        if err is None:
            cancelled = task.state == "cancelled"
            err = TaskError(message="cancelled" if cancelled else "failed without an error message",
                            reason="cancelled" if cancelled else "error")
        super().__init__("TASK_FAILED", "task %s %s (%s): %s" % (task.id, task.state, err.reason, err.message))
        self.task = task
        self.task_error = err


_STATUS = re.compile(r"DROVER_([A-Z_]+) (.*)", re.S)
_CONNECTION_MESSAGE = re.compile(
    r"connection is closed|Connection closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|CLUSTERDOWN|"
    r"Redis Cluster cannot be connected|Timeout|timed out", re.I)


def to_drover_error(error: BaseException, operation: str) -> DroverError:
    """Any Redis failure -> DroverError named after ``operation`` (src/queue/redis/redis-errors.ts)."""
    if isinstance(error, DroverError):
        return error
    message = str(error)
    status = _STATUS.search(message)
    if status and isinstance(error, rx.ResponseError):
        code = _SCRIPT_STATUS.get(status.group(1), "QUEUE_ERROR")
        return DroverError(code, "%s: %s" % (operation, status.group(2)), error)
    if isinstance(error, getattr(rx, "AuthenticationError", ())) or re.match(r"(WRONGPASS|NOAUTH|NOPERM)\b", message):
        return DroverError("CONNECTION_ERROR", "%s: Redis refused the credentials (%s); check the user and password in "
                           "the Redis URL" % (operation, message), error)
    connection_like = (rx.ConnectionError, rx.TimeoutError, rx.BusyLoadingError)
    cluster_down = tuple(getattr(rx, n) for n in ("ClusterDownError", "MasterDownError") if hasattr(rx, n))
    if isinstance(error, connection_like + cluster_down) or (
            isinstance(error, getattr(rx, "RedisClusterException", ())) and _CONNECTION_MESSAGE.search(message)):
        return DroverError("CONNECTION_ERROR", "%s: cannot reach Redis: %s" % (operation, message), error)
    if isinstance(error, rx.ResponseError):
        hint = " (Redis is out of memory: raise maxmemory or trim queues)" if message.startswith("OOM ") else ""
        return DroverError("QUEUE_ERROR", "%s: Redis replied %s%s" % (operation, message, hint), error)
    return DroverError("QUEUE_ERROR", "%s: %s" % (operation, message), error)
