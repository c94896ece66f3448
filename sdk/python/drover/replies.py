"""The reply line for a finished task: result, typed error, retry flag."""

from .errors import Cancelled, RetryableError, SerializationError, error_to_wire
from .protocol_io import encode_line


def result_reply(task_id, result):
    return {"task_id": task_id, "result": result, "error": None, "retry": False}


def error_reply(task_id, exc):
    """The reply for an exception raised by a task.

    ``RetryableError`` -> ``retry: true`` (plus ``retry_after_ms`` when given); anything
    else -> ``retry: false``. The error is always ``{"message","type","stack"}``.
    """
    error = error_to_wire(exc)
    reply = {"task_id": task_id, "result": None, "error": error, "retry": False}
    if isinstance(exc, RetryableError):
        reply["retry"] = True
        if exc.retry_after_ms is not None:
            reply["retry_after_ms"] = exc.retry_after_ms
    elif isinstance(exc, Cancelled):
        error["type"] = "Cancelled"
    return reply


def cancelled_reply(task_id):
    return {
        "task_id": task_id,
        "result": None,
        "error": {"message": "task cancelled", "type": "Cancelled"},
        "retry": False,
    }


def shutting_down_reply(task_id):
    """For a task that arrives after SIGTERM: not run, the supervisor may run it elsewhere."""
    return {
        "task_id": task_id,
        "result": None,
        "error": {"message": "handler is shutting down; task not started", "type": "ShutdownError"},
        "retry": True,
    }


def encode_reply(reply):
    """Encode a reply; a result that is not JSON becomes a ``SerializationError`` reply."""
    try:
        return encode_line(reply)
    except (TypeError, ValueError) as error:
        fallback = {
            "task_id": reply.get("task_id"),
            "result": None,
            "error": {
                "message": "task result is not JSON-serialisable: %s" % (error,),
                "type": SerializationError.__name__,
            },
            "retry": False,
        }
        return encode_line(fallback)
