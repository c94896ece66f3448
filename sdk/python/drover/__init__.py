"""drover: the Python handler SDK (protocol v1), a superset of runqy-python.

    from drover import task, load, run

    @load
    def setup():
        return {"model": load_model()}

    @task
    def process(payload, ctx):
        return ctx["model"].predict(payload["input"])

    if __name__ == "__main__":
        run()
"""

from .batch_item import BatchItem
from .context import TaskInfo, cancelled, current_batch, current_task, partial, progress
from .decorators import load, task
from .errors import BatchResultError, Cancelled, Retry, RetryableError, SerializationError
from .runner import PROTOCOL_VERSION, run, run_once

__version__ = "0.1.0"

__all__ = [
    "task",
    "load",
    "run",
    "run_once",
    "progress",
    "partial",
    "current_task",
    "current_batch",
    "cancelled",
    "TaskInfo",
    "BatchItem",
    "RetryableError",
    "Retry",
    "Cancelled",
    "SerializationError",
    "BatchResultError",
    "PROTOCOL_VERSION",
]
