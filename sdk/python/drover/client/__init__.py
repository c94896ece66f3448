"""drover.client: enqueue tasks and read their results from Python (needs redis-py).

    from drover.client import Client

    with Client("redis://localhost:6379") as client:
        task = client.enqueue("resize", {"url": url}, priority=5)
        info = client.wait(task.id, timeout=30)
        print(info.state, info.result)

It runs the very Lua scripts the TypeScript backend runs (bundled in scripts.json,
generated from TypeScript), so tasks enqueued here are served by any drover supervisor.
The handler SDK (``import drover``) does not import this package and needs no redis.
"""

try:
    import redis as _redis  # noqa: F401
except ImportError as _e:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "drover.client needs redis-py (redis >= 4.3), which is not installed for this Python "
        "(%s). Install it with `pip install 'drover[client]'` (or `pip install redis`), or on "
        "Debian/Ubuntu with `apt-get install python3-redis`." % (_e,)) from _e

from .client import CancelResult, Client, EnqueueResult
from .errors import ERROR_CODES, DroverError, TaskFailedError
from .events import FinalEvent, PartialEvent, ProgressEvent, TaskStreamItem
from .keys import KeySpace
from .options import Backoff
from .stats import QueueStats, QueueTotals, ThroughputMinute
from .task_info import TaskError, TaskInfo, TaskOptions, TaskProgress, camel_dict

__all__ = [
    "Client",
    "EnqueueResult",
    "CancelResult",
    "TaskInfo",
    "TaskError",
    "TaskOptions",
    "TaskProgress",
    "Backoff",
    "QueueStats",
    "QueueTotals",
    "ThroughputMinute",
    "ProgressEvent",
    "PartialEvent",
    "FinalEvent",
    "TaskStreamItem",
    "DroverError",
    "TaskFailedError",
    "ERROR_CODES",
    "KeySpace",
    "camel_dict",
]
