"""Exceptions a task can raise, and how any exception becomes a protocol error."""

import os

__all__ = ["RetryableError", "Retry", "Cancelled", "SerializationError", "BatchResultError",
           "error_to_wire"]


class RetryableError(Exception):
    """Raise from a task to ask for another attempt (a transient failure).

    The reply carries ``"retry": true`` and, when ``retry_after_ms`` is given,
    ``"retry_after_ms"``: the delay the supervisor waits before the next attempt
    (for example the value of an upstream ``Retry-After`` header).
    """

    def __init__(self, message="", retry_after_ms=None):
        super().__init__(message)
        if retry_after_ms is not None:
            if isinstance(retry_after_ms, bool) or not isinstance(retry_after_ms, (int, float)):
                raise TypeError(
                    "retry_after_ms must be a number of milliseconds, got %r" % (retry_after_ms,)
                )
            if retry_after_ms != retry_after_ms:  # NaN
                raise ValueError("retry_after_ms must not be NaN")
            retry_after_ms = max(0, int(round(retry_after_ms)))
        self.retry_after_ms = retry_after_ms


#: Short alias of :class:`RetryableError`.
Retry = RetryableError


class Cancelled(Exception):
    """The task was cancelled by the supervisor.

    An ``async`` task is cancelled for you; a sync task may check
    :func:`drover.cancelled` and raise this to stop early. Either way the reply is an
    error of type ``Cancelled`` with ``"retry": false``.
    """

    def __init__(self, message="task cancelled"):
        super().__init__(message)


class SerializationError(Exception):
    """A task's result (or a reply) could not be encoded as JSON."""


class BatchResultError(Exception):
    """A batched task function did not return one result per payload.

    Every item of that batch fails with it (``"retry": false``): the SDK cannot tell
    which result belongs to which task.
    """


def _message(exc):
    text = str(exc)
    return text if text else type(exc).__name__


_SDK_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def error_to_wire(exc):
    """``{"message","type","stack"}`` for an exception.

    The outermost traceback frames that belong to the SDK (its call wrapper) are
    dropped, so the stack starts at the user's code.
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None and os.path.abspath(
        tb.tb_frame.f_code.co_filename
    ).startswith(_SDK_DIR):
        tb = tb.tb_next
    import traceback  # on the error path only: ~6 ms of a one-shot handler's start
    stack = "".join(traceback.format_exception(type(exc), exc, tb))
    return {"message": _message(exc), "type": type(exc).__name__, "stack": stack}
