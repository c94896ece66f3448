"""Queue statistics (src/queue/redis/stats.ts) and the supervisor registry reader."""

from dataclasses import dataclass
from typing import Any, Dict, List

from .bundle import FAILURE_REASONS, STATES
from .errors import DroverError
from .task_info import num, parse_json, text

MINUTE_MS = 60_000


@dataclass
class ThroughputMinute:
    #: Start of the minute, epoch ms (Redis server clock).
    minute: int
    completed: int
    failed: int


@dataclass
class QueueTotals:
    completed: int
    #: Tasks that ended dead.
    failed: int
    cancelled: int
    #: Attempts rescheduled for a retry.
    retried: int
    #: Replies (complete/fail) dropped because their fencing token was stale.
    stale_replies: int


@dataclass
class QueueStats:
    queue: str
    #: Tasks per state (pending, scheduled, active, completed, failed, cancelled).
    counts: Dict[str, int]
    totals: QueueTotals
    #: Failed attempts by reason (retried ones included).
    failures_by_reason: Dict[str, int]
    #: The last 60 minutes, oldest first, the current minute last.
    throughput: List[ThroughputMinute]
    #: Live supervisors serving this queue.
    supervisors: int


def _bad(what: str, value: Any) -> DroverError:
    return DroverError("QUEUE_ERROR", "unexpected script reply: %s (%r)" % (what, value))


def as_list(value: Any, what: str = "array") -> list:
    if not isinstance(value, (list, tuple)):
        raise _bad("expected " + what, value)
    return list(value)


def as_record(value: Any) -> Dict[str, str]:
    flat = as_list(value, "flat map")
    return {text(flat[i]): text(flat[i + 1]) for i in range(0, len(flat) - 1, 2)}


def as_int(value: Any) -> int:
    n = num(text(value))
    if n is None:
        raise _bad("expected number", value)
    return int(n)


def parse_supervisor_queues(reply: Any) -> List[List[str]]:
    """list-supervisors reply -> the queues of each live supervisor."""
    r = as_list(reply)
    out = []
    for i in range(1, len(r) - 2, 3):
        info = parse_json(text(r[i + 1]))
        if not isinstance(info, dict):
            continue
        queues = info.get("queues")
        out.append([q for q in queues if isinstance(q, str)] if isinstance(queues, list) else [])
    return out


def parse_stats(queue: str, reply: Any, supervisor_queues: List[List[str]]) -> QueueStats:
    r = as_list(reply)
    now = as_int(r[0])
    counts = [as_int(x) for x in as_list(r[1])]
    totals = as_record(r[2])
    tp = as_record(r[3])

    def n(raw):
        v = num(raw)
        return int(v) if v is not None else 0

    current = now // MINUTE_MS
    return QueueStats(
        queue=queue,
        counts={state: (counts[i] if i < len(counts) else 0) for i, state in enumerate(STATES)},
        totals=QueueTotals(
            completed=n(totals.get("completed")),
            failed=n(totals.get("failed")),
            cancelled=n(totals.get("cancelled")),
            retried=n(totals.get("retried")),
            stale_replies=n(totals.get("stale")),
        ),
        failures_by_reason={reason: n(totals.get("reason:" + reason)) for reason in FAILURE_REASONS},
        throughput=[ThroughputMinute(m * MINUTE_MS, n(tp.get("c:%d" % m)), n(tp.get("f:%d" % m)))
                    for m in range(current - 59, current + 1)],
        supervisors=sum(1 for qs in supervisor_queues if queue in qs),
    )
