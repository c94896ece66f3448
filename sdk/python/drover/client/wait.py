"""wait(id): woken by Redis pub/sub, never by polling (src/queue/redis/task-wait.ts).

The waiter subscribes to the task's done channel, waits for the SUBSCRIBE confirmation and
only then reads the task, so a finish between the two is never missed: the read sees it, or
the message arrives. A dropped pub/sub connection subscribes again and reads again.
"""

import time
from typing import Any, Callable, Optional

import redis.exceptions as rx

from .errors import DroverError
from .keys import TaskKeys
from .task_info import TaskInfo, is_terminal, text

#: How long to wait for the SUBSCRIBE confirmation before calling Redis unreachable.
SUBSCRIBE_TIMEOUT_S = 10.0
#: Reconnects of one wait()'s subscription before it gives up with CONNECTION_ERROR.
MAX_WAIT_RECONNECTS = 3


def not_found(task_id: Any, why: str = "unknown, deleted or expired") -> DroverError:
    return DroverError("TASK_NOT_FOUND", "task %s not found (%s)" % (task_id, why))


def seconds(value: Optional[float]) -> str:
    return ("%g" % value) if value is not None else "unlimited"


def wait_for_task(conn: Any, keys: TaskKeys, read_task: Callable[[TaskKeys], Optional[TaskInfo]],
                  timeout_s: Optional[float]) -> TaskInfo:
    """The task once terminal; WAIT_TIMEOUT after ``timeout_s`` seconds (None = no limit)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    reconnects = 0
    while True:
        pubsub = conn.pubsub()
        try:
            confirmed = _subscribe(pubsub, keys.done, deadline)
            while True:
                info = read_task(keys)
                if info is None:
                    raise not_found(keys.id)
                if is_terminal(info.state):
                    return info
                remaining = None if deadline is None else deadline - time.monotonic()
                if not confirmed or (remaining is not None and remaining <= 0):
                    raise DroverError("WAIT_TIMEOUT", "task %s did not finish within %s s (state: %s)"
                                      % (keys.id, seconds(timeout_s), info.state))
                try:
                    # Any message (or the timer) -> read the task again.
                    pubsub.get_message(timeout=remaining)
                except (rx.ConnectionError, rx.TimeoutError):
                    reconnects += 1
                    if reconnects > MAX_WAIT_RECONNECTS:
                        raise
                    break  # subscribe again, then read again
        finally:
            pubsub.close()


def _subscribe(pubsub: Any, channel: str, deadline: Optional[float]) -> bool:
    """SUBSCRIBE and wait for the confirmation; False when the deadline came first."""
    pubsub.subscribe(channel)
    give_up = time.monotonic() + SUBSCRIBE_TIMEOUT_S
    while True:
        now = time.monotonic()
        limit = give_up if deadline is None else min(give_up, max(deadline, now + 0.05))
        if now >= limit:
            if deadline is not None and now >= deadline:
                return False
            raise DroverError("CONNECTION_ERROR", "wait: no SUBSCRIBE confirmation from Redis within %s s"
                              % seconds(SUBSCRIBE_TIMEOUT_S))
        msg = pubsub.get_message(timeout=limit - now)
        if msg is not None and text(msg.get("type")) == "subscribe" and text(msg.get("channel")) == channel:
            return True
