"""TaskInfo (the public view of a stored task) and its parser (src/queue/redis/task-info.ts)."""

import json
import math
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Union

from .bundle import FAILURE_REASONS, STATES, TERMINAL_STATES
from .options import Backoff

Number = Union[int, float]


def is_terminal(state: str) -> bool:
    return state in TERMINAL_STATES


@dataclass
class TaskError:
    """The error of a failed attempt, with its typed reason (error, timeout, handler_crash, ...)."""

    message: str
    reason: str
    type: Optional[str] = None
    stack: Optional[str] = None


@dataclass
class TaskProgress:
    progress: Number
    message: Optional[str] = None


@dataclass
class TaskOptions:
    """The options a task runs with (per-task values resolved against queue defaults)."""

    priority: int
    max_retries: int
    #: 0 = no timeout.
    timeout_ms: int
    backoff: Backoff
    #: Set only when given per task; otherwise the queue default applies at completion.
    result_ttl_ms: Optional[int] = None
    idempotency_key: Optional[str] = None
    meta: Optional[Dict[str, Any]] = None


@dataclass
class TaskInfo:
    """A task as stored in Redis. Times are epoch ms of the Redis server clock."""

    id: str
    queue: str
    state: str
    payload: Any
    #: Attempts started (a requeue on shutdown does not count).
    attempts: int
    #: Attempts failed so far (runqy's retry_count).
    retry_count: int
    max_retry: int
    cancel_requested: bool
    enqueued_at: int
    options: TaskOptions
    type: Optional[str] = None
    #: Present once completed.
    result: Any = None
    #: The last failed attempt's error (kept while retrying, cleared on completion).
    error: Optional[TaskError] = None
    progress: Optional[TaskProgress] = None
    #: The last partial output.
    partial: Any = None
    #: Supervisor holding the lease while active.
    owner: Optional[str] = None
    #: Fencing token of the latest claim.
    token: Optional[int] = None
    run_at: Optional[int] = None
    started_at: Optional[int] = None
    finished_at: Optional[int] = None
    lease_expires_at: Optional[int] = None
    #: When a finished task (and its result) is deleted.
    expires_at: Optional[int] = None

    @property
    def terminal(self) -> bool:
        return is_terminal(self.state)


def text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def _reject_constant(name: str):
    raise ValueError(name)


def parse_json(raw: Optional[str]) -> Any:
    """JSON.parse that keeps a malformed value as its raw string; '' or missing -> None."""
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except ValueError:
        return raw


def num(raw: Optional[str]) -> Optional[Number]:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        n = float(raw)
    except ValueError:
        return None
    if not math.isfinite(n):
        return None
    return int(n) if n.is_integer() and abs(n) < 2 ** 53 else n


def _parse_error(raw: Optional[str], reason_field: Optional[str]) -> Optional[TaskError]:
    if raw is None or raw == "":
        return None
    parsed = parse_json(raw)
    fallback = reason_field if reason_field in FAILURE_REASONS else "error"
    if not isinstance(parsed, dict):
        if isinstance(parsed, str):
            message = parsed
        else:
            message = json.dumps(parsed) if parsed is not None else "null"
        return TaskError(message=message, reason=fallback)
    message = parsed.get("message")
    if not isinstance(message, str):
        message = json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))
    reason = parsed.get("reason") if parsed.get("reason") in FAILURE_REASONS else fallback
    err = TaskError(message=message, reason=reason)
    if isinstance(parsed.get("type"), str):
        err.type = parsed["type"]
    if isinstance(parsed.get("stack"), str):
        err.stack = parsed["stack"]
    return err


def decode_hash(h: Mapping[Any, Any]) -> Dict[str, str]:
    return {text(k): text(v) for k, v in h.items()}


def parse_task_info(task_id: str, raw: Mapping[Any, Any]) -> Optional[TaskInfo]:
    """HGETALL of a task hash -> TaskInfo; None for a missing (empty) hash. Fields at their
    default are not stored: the id and queue come from the key, no backoff is the built-in one."""
    h = decode_hash(raw)
    if h.get("state") not in STATES:
        return None
    g = h.get
    payload = parse_json(g("payload"))
    info = TaskInfo(
        id=task_id,
        queue=task_id.split(":", 1)[0] if ":" in task_id else "",
        state=h["state"],
        payload=payload,
        attempts=num(g("attempts")) or 0,
        retry_count=num(g("retryCount")) or 0,
        max_retry=num(g("maxRetry")) or 0,
        cancel_requested=g("cancelRequested") == "1",
        enqueued_at=num(g("enqueuedAt")) or 0,
        options=TaskOptions(
            priority=num(g("priority")) or 0,
            max_retries=num(g("maxRetry")) or 0,
            timeout_ms=num(g("timeoutMs")) or 0,
            backoff=Backoff() if g("bType") is None else Backoff(
                type="fixed" if g("bType") == "fixed" else "exponential",
                base_ms=num(g("bBase")) or 0,
                max_ms=num(g("bMax")) or 0,
                jitter=g("bJitter") == "1",
            ),
        ),
    )
    if g("type"):
        info.type = h["type"]
    if "result" in h:
        info.result = parse_json(h["result"])
    info.error = _parse_error(g("error"), g("reason"))
    progress = num(g("progress"))
    if progress is not None:
        info.progress = TaskProgress(progress, g("progressMsg") or None)
    if "partial" in h:
        info.partial = parse_json(h["partial"])
    # A finished task keeps its last owner and lease in the hash (not deleted on the hot path).
    active = g("state") == "active"
    if g("owner") and active:
        info.owner = h["owner"]
    info.token = num(g("token"))
    info.run_at = num(g("runAt") if "runAt" in h else g("enqueuedAt"))  # not stored when it is the enqueue time
    info.started_at = num(g("startedAt"))
    info.finished_at = num(g("finishedAt"))
    info.lease_expires_at = num(g("leaseUntil")) if active else None
    info.expires_at = num(g("expiresAt"))
    info.options.result_ttl_ms = num(g("resultTtlMs"))
    if g("idem"):
        info.options.idempotency_key = h["idem"]
    meta = parse_json(g("meta"))
    if isinstance(meta, dict):
        info.options.meta = meta
    return info


def camel_dict(value: Any) -> Any:
    """A TaskInfo (or any result of this client) as the TypeScript side shows it: camelCase
    keys, absent fields left out. Handy for logs and for comparing with TypeScript output."""
    import dataclasses

    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(p.title() for p in rest)

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {camel(f.name): camel_dict(getattr(value, f.name)) for f in dataclasses.fields(value)
                if getattr(value, f.name) is not None}
    if isinstance(value, Backoff):
        return {camel(k): v for k, v in value._asdict().items()}
    if isinstance(value, list):
        return [camel_dict(v) for v in value]
    return value


__all__ = ["TaskInfo", "TaskError", "TaskProgress", "TaskOptions", "parse_task_info", "camel_dict",
           "is_terminal"]
