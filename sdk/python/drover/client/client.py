"""The Python client: enqueue tasks, wait for results, cancel, inspect (src/client/client.ts).

    from drover.client import Client

    with Client("redis://localhost:6379") as client:
        result = client.run("resize", {"url": url}, timeout=30)
"""

import math
from contextlib import contextmanager
from typing import Any, Iterator, List, Mapping, NamedTuple, Optional, Sequence

import redis.exceptions as rx

from .bundle import EVENTS, SCRIPTS, TASKS
from .connection import close_connection, is_cluster, open_connection
from .errors import DroverError, TaskFailedError, to_drover_error
from .events import TaskStreamItem, event_stream
from .keys import DEFAULT_PREFIX, KeySpace, TaskKeys, assert_queue_name, queue_of_task_id, show
from .options import (DEFAULT_MAX_PAYLOAD_BYTES, ENQUEUE_OPTION_NAMES, check_int, enqueue_args,
                      normalize_enqueue_options)
from .script_runner import run_many, run_script
from .stats import QueueStats, parse_stats, parse_supervisor_queues
from .task_info import TaskInfo, is_terminal, num, parse_task_info, text
from .wait import not_found, wait_for_task


class EnqueueResult(NamedTuple):
    id: str
    #: False when the id or the idempotency key matched a task that is still kept.
    created: bool


class CancelResult(NamedTuple):
    #: The task's state after the call: cancelled (was pending/scheduled), active (cancel
    #: requested from its supervisor) or the terminal state it already had.
    state: str


def _check_id(task_id: Any) -> str:
    if not isinstance(task_id, str):
        raise DroverError("INVALID_OPTION", "id: expected a task id string, got %s" % show(task_id))
    return task_id


def _check_timeout(timeout: Any) -> Optional[float]:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout < 0:
        raise DroverError("INVALID_OPTION", "timeout: expected a number of seconds >= 0, got %s" % show(timeout))
    return float(timeout)


def _parse_enqueue(reply: Any) -> EnqueueResult:
    if not isinstance(reply, (list, tuple)) or len(reply) < 2:
        raise DroverError("QUEUE_ERROR", "unexpected script reply: expected enqueue reply (%r)" % (reply,))
    return EnqueueResult(id=text(reply[1]), created=num(text(reply[0])) == 1)


class Client(object):
    """Enqueue tasks and read their results; same verbs as the TypeScript Client.

    :param url: ``redis://`` or ``rediss://`` URL (user:password for AUTH, ``/db``). Default:
        ``$DROVER_REDIS_URL``, else ``$REDIS_URL``, else ``redis://127.0.0.1:6379``.
    :param cluster: treat the URL as a seed node of a Redis Cluster (``RedisCluster``).
    :param prefix: prefix of every key; must match the supervisors' (default ``drover:``).
    :param redis: an existing ``redis.Redis`` or ``RedisCluster`` to use instead of a URL (the
        client then does not close it).
    :param max_payload_bytes: largest payload :meth:`enqueue` accepts, in bytes of its JSON
        text; a bigger one raises PAYLOAD_TOO_LARGE before anything is sent (default 16 MiB).

    A Client is safe to share between threads: commands use redis-py's connection pool, and
    each ``wait()`` holds its own pub/sub connection while it waits.
    """

    def __init__(self, url: Optional[str] = None, *, cluster: bool = False, prefix: str = DEFAULT_PREFIX,
                 redis: Any = None, max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES):
        self._max_payload_bytes = check_int("max_payload_bytes", max_payload_bytes, 1)
        self._keys = KeySpace(prefix)
        self._redis, self._owned = open_connection(url, cluster, redis)
        self._cluster = is_cluster(self._redis)
        self._closed = False

    # -- properties -------------------------------------------------------------------------

    @property
    def prefix(self) -> str:
        return self._keys.prefix

    @property
    def redis(self) -> Any:
        """The underlying redis-py client."""
        return self._redis

    @property
    def keys(self) -> KeySpace:
        """Key and channel names under this client's prefix."""
        return self._keys

    # -- plumbing -----------------------------------------------------------------------------

    @contextmanager
    def _guard(self, operation: str) -> Iterator[None]:
        if self._closed:
            raise DroverError("QUEUE_ERROR", "%s: the client was closed" % operation)
        try:
            yield
        except DroverError:
            raise
        except rx.RedisError as e:
            raise to_drover_error(e, operation) from e

    def _slot_conn(self, key: str) -> Any:
        """Cluster: the plain connection of the node owning ``key``'s slot (None otherwise)."""
        if not self._cluster:
            return None
        try:
            return self._redis.get_redis_connection(self._redis.get_node_from_key(key))
        except rx.RedisError:
            return None  # let the cluster client find it

    def _run_queue_script(self, name: str, queue: str, args: Sequence[Any]) -> Any:
        keys = self._keys.queue(queue)
        return run_script(self._redis, SCRIPTS[name], keys, self._keys.channels(queue), args,
                          slot_conn=self._slot_conn(keys["pending"]))

    def _watch_events(self, keys: TaskKeys) -> TaskInfo:
        """The task, and for one still running its event stream made to exist (events-watch.lua),
        so that finishing it appends the 'end' entry a reader wakes on (task-events.ts)."""
        first = self._read_task(keys)
        if first is None:
            raise not_found(keys.id)
        if not is_terminal(first.state):
            state = text(self._run_queue_script("events-watch", keys.queue, [keys.id]))
            if state == "":
                raise not_found(keys.id)
            if is_terminal(state):
                first = self._read_task(keys) or first
        return first

    def _read_task(self, keys: TaskKeys) -> Optional[TaskInfo]:
        return parse_task_info(keys.id, self._redis.hgetall(keys.hash))

    # -- verbs --------------------------------------------------------------------------------

    def enqueue(self, queue: str, payload: Any, *, priority: int = 0, delay_ms: Optional[int] = None,
                run_at: Optional[int] = None, max_retries: Optional[int] = None, timeout_ms: Optional[int] = None,
                backoff: Any = None, idempotency_key: Optional[str] = None, result_ttl_ms: Optional[int] = None,
                type: Optional[str] = None, meta: Optional[Mapping[str, Any]] = None,
                id: Optional[str] = None) -> EnqueueResult:
        """Adds one task. Options left at None fall back to the queue's defaults, then built-ins.

        ``priority`` is an integer in [-1000, 1000] (higher runs first, FIFO within one);
        ``delay_ms`` / ``run_at`` (epoch ms, Redis server clock) schedule it; ``backoff`` is
        ``{"type": "exponential"|"fixed", "base_ms", "max_ms", "jitter"}``; ``idempotency_key``
        returns the existing task while it is kept; ``id`` makes the task id ``<queue>:<id>``.
        """
        options = dict(priority=priority, delay_ms=delay_ms, run_at=run_at, max_retries=max_retries,
                       timeout_ms=timeout_ms, backoff=backoff, idempotency_key=idempotency_key,
                       result_ttl_ms=result_ttl_ms, type=type, meta=meta, id=id)
        with self._guard("enqueue"):
            assert_queue_name(queue)
            args = enqueue_args(queue, payload, normalize_enqueue_options(options), self._max_payload_bytes)
            return _parse_enqueue(self._run_queue_script("enqueue", queue, args))

    def enqueue_many(self, queue: str, items: Sequence[Mapping[str, Any]]) -> List[EnqueueResult]:
        """Many tasks of one queue in one pipeline; results in item order.

        Each item is ``{"payload": ..., "options": {...}}`` with the keyword options of
        :meth:`enqueue` (``options`` may be left out).
        """
        with self._guard("enqueue_many"):
            assert_queue_name(queue)
            if not isinstance(items, (list, tuple)):
                raise DroverError("INVALID_OPTION", "items: expected a list of {payload, options}, got %s" % show(items))
            arg_lists = []
            for i, item in enumerate(items):
                if not isinstance(item, Mapping) or "payload" not in item:
                    raise DroverError("INVALID_OPTION", "items[%d]: expected {payload, options}, got %s" % (i, show(item)))
                unknown = [k for k in item if k not in ("payload", "options")]
                if unknown:
                    raise DroverError("INVALID_OPTION", "items[%d]: unknown field %s (expected payload, options)"
                                      % (i, show(unknown[0])))
                opts = item.get("options") or {}
                if not isinstance(opts, Mapping):
                    raise DroverError("INVALID_OPTION", "items[%d].options: expected an object, got %s" % (i, show(opts)))
                try:
                    arg_lists.append(enqueue_args(queue, item["payload"], normalize_enqueue_options(opts),
                                                  self._max_payload_bytes))
                except DroverError as e:  # name the item, as enqueueMany does in TypeScript
                    raise DroverError(e.code, "items[%d]: %s" % (i, e.message), e) from e
            keys, channels = self._keys.queue(queue), self._keys.channels(queue)
            replies = run_many(self._redis, SCRIPTS["enqueue"], keys, channels, arg_lists,
                               slot_conn=self._slot_conn(keys["pending"]) if arg_lists else None)
            return [_parse_enqueue(r) for r in replies]

    def get(self, id: str) -> TaskInfo:
        """The task; raises TASK_NOT_FOUND for an unknown, deleted or expired id."""
        with self._guard("get"):
            keys = self._keys.task(_check_id(id))
            if keys is None:
                raise not_found(id, "not a drover task id")
            info = self._read_task(keys)
            if info is None:
                raise not_found(id)
            return info

    def wait(self, id: str, timeout: Optional[float] = None) -> TaskInfo:
        """Returns the task once it completed, failed or was cancelled.

        Woken by Redis pub/sub, never by polling: it subscribes to the task's done channel,
        and only once the subscription is confirmed reads the task, so a finish between the
        two is never missed. ``timeout`` is in seconds (None = no limit); when it passes,
        WAIT_TIMEOUT is raised and the task keeps running.
        """
        timeout_s = _check_timeout(timeout)
        with self._guard("wait"):
            keys = self._keys.task(_check_id(id))
            if keys is None:
                raise not_found(id, "not a drover task id")
            return wait_for_task(self._redis, keys, self._read_task, timeout_s)

    def run(self, queue: str, payload: Any, timeout: Optional[float] = None, **options: Any) -> Any:
        """Enqueue + wait: returns the result; raises TaskFailedError (code TASK_FAILED, with
        ``.task``) when the task failed or was cancelled, WAIT_TIMEOUT when ``timeout``
        (seconds) passes first. ``options`` are those of :meth:`enqueue`."""
        unknown = [k for k in options if k not in ENQUEUE_OPTION_NAMES]
        if unknown:
            raise DroverError("INVALID_OPTION", "options: unknown option %s (expected one of %s)"
                              % (show(unknown[0]), ", ".join(ENQUEUE_OPTION_NAMES)))
        _check_timeout(timeout)
        result = self.enqueue(queue, payload, **options)
        info = self.wait(result.id, timeout)
        if info.state != "completed":
            raise TaskFailedError(info)
        return info.result

    def cancel(self, id: str) -> CancelResult:
        """pending/scheduled -> cancelled now; active -> cancel requested from its supervisor;
        finished -> unchanged. Raises TASK_NOT_FOUND for an unknown id."""
        with self._guard("cancel"):
            queue = queue_of_task_id(_check_id(id))
            if queue is None:
                raise not_found(id)
            state = text(self._run_queue_script("cancel", queue, [id, TASKS["cancelledBeforeRunError"]]))
            if state == "":
                raise not_found(id)
            return CancelResult(state)

    def stats(self, queue: str) -> QueueStats:
        """Counts per state, totals, failures by reason, throughput and live supervisors."""
        with self._guard("stats"):
            assert_queue_name(queue)
            reply = self._run_queue_script("stats", queue, [])
            sup_keys = self._keys.supervisors()
            supervisors = run_script(self._redis, SCRIPTS["list-supervisors"], sup_keys, {}, [],
                                     slot_conn=self._slot_conn(sup_keys["registry"]))
            return parse_stats(queue, reply, parse_supervisor_queues(supervisors))

    def subscribe(self, id: str, *, timeout: Optional[float] = None) -> Iterator[TaskStreamItem]:
        """Follow a task: its ProgressEvent and PartialEvent items in the order the handler
        reported them (those reported before the call are replayed first), then one FinalEvent
        with the finished task, after which the iteration ends (client.subscribe() in
        TypeScript)::

            for item in client.subscribe(task_id, timeout=60):
                if item.type == "progress": print("%d%% %s" % (item.progress * 100, item.message or ""))
                elif item.type == "partial": print(item.data)
                else: print(item.task.state, item.task.result)

        Raises TASK_NOT_FOUND now for an unknown id; WAIT_TIMEOUT from the iteration when
        ``timeout`` (seconds, None = no limit) passes first. Stopping the loop early stops
        following; the task keeps running either way.
        """
        timeout_s = _check_timeout(timeout)
        with self._guard("subscribe"):
            keys = self._keys.task(_check_id(id))
            if keys is None:
                raise not_found(id, "not a drover task id")
            first = self._watch_events(keys)
        return event_stream(self._redis, keys, first, True, EVENTS["blockMs"], self._read_task, self._guard,
                            timeout_s)

    def events(self, id: str, *, from_start: bool = EVENTS["fromStart"],
               block_ms: int = EVENTS["blockMs"]) -> Iterator[TaskStreamItem]:
        """Progress and partial events of a task, then a final FinalEvent with the task: the
        raw stream behind :meth:`subscribe` (prefer that).

        Reads the task's event stream with XREAD BLOCK (``block_ms`` bounds one read, after
        which the state is checked again). ``from_start`` replays the events already stored.
        The id is checked now; iteration does the rest.
        """
        if not isinstance(from_start, bool):
            raise DroverError("INVALID_OPTION", "from_start: expected a boolean, got %s" % show(from_start))
        if isinstance(block_ms, bool) or not isinstance(block_ms, int) or block_ms < 1:
            raise DroverError("INVALID_OPTION", "block_ms: expected a positive integer, got %s" % show(block_ms))
        with self._guard("events"):
            keys = self._keys.task(_check_id(id))
            if keys is None:
                raise not_found(id)
            first = self._watch_events(keys)
        return event_stream(self._redis, keys, first, from_start, block_ms, self._read_task, self._guard)

    def close(self) -> None:
        """Closes the connection the client created (an existing one passed in stays open)."""
        if self._closed:
            return
        self._closed = True
        if self._owned:
            close_connection(self._redis)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "Client(prefix=%r, cluster=%r%s)" % (self.prefix, self._cluster, ", closed" if self._closed else "")

