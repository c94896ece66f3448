"""Client.events(id): progress, partial output, then the final task, read from the task's
event stream with XREAD BLOCK (src/queue/redis/task-events.ts)."""

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, Optional, Union

from .errors import DroverError
from .keys import TaskKeys
from .task_info import Number, TaskInfo, is_terminal, num, parse_json, text
from .wait import not_found


@dataclass
class ProgressEvent:
    task_id: str
    progress: Number
    message: Optional[str] = None
    type: str = field(default="progress", init=False)


@dataclass
class PartialEvent:
    task_id: str
    data: Any
    type: str = field(default="partial", init=False)


@dataclass
class FinalEvent:
    """The last item: the task in its terminal state."""

    task_id: str
    task: TaskInfo
    type: str = field(default="final", init=False)


TaskStreamItem = Union[ProgressEvent, PartialEvent, FinalEvent]


def _fields(raw: Any) -> Dict[str, str]:
    return {text(k): text(v) for k, v in (raw or {}).items()}


def _to_event(task_id: str, f: Dict[str, str]) -> Optional[TaskStreamItem]:
    """A stream entry's fields as an event; None for the markers ('watch', 'end')."""
    kind = f.get("t")
    if kind == "progress":
        progress = num(f.get("d"))
        return ProgressEvent(task_id, float("nan") if progress is None else progress, f.get("m") or None)
    if kind == "partial":
        return PartialEvent(task_id, parse_json(f.get("d")))
    return None


def event_stream(conn: Any, keys: TaskKeys, first: TaskInfo, from_start: bool, block_ms: int,
                 read_task: Callable[[TaskKeys], Optional[TaskInfo]],
                 guard: Callable[[str], Any], timeout: Optional[float] = None) -> Iterator[TaskStreamItem]:
    """Progress and partial items of the task's stream, then the final task (task-events.ts).

    ``timeout`` (seconds, None = no limit): WAIT_TIMEOUT is raised once it passes before the
    final item (the blocking reads are shortened to end by then)."""
    task_id = keys.id
    last = "0-0"
    deadline = None if timeout is None else time.monotonic() + timeout

    def read_block_ms() -> int:
        if deadline is None:
            return block_ms
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DroverError("WAIT_TIMEOUT", "task %s did not finish within %g s (subscription ended; the task "
                              "keeps running)" % (task_id, timeout))
        return max(1, min(block_ms, int(remaining * 1000)))

    def finished() -> Optional[FinalEvent]:
        """The final item once the task is terminal; None while it still runs."""
        with guard("events"):
            info = read_task(keys)
        if info is None:
            raise not_found(task_id)
        return FinalEvent(task_id, info) if is_terminal(info.state) else None

    if is_terminal(first.state):
        # Finished already: replay what the stream holds (it may not exist), then the final item.
        if from_start:
            with guard("events"):
                entries = conn.xrange(keys.events, "-", "+")
            for _entry_id, fields in entries:
                event = _to_event(task_id, _fields(fields))
                if event is not None:
                    yield event
        yield FinalEvent(task_id, first)
        return
    if not from_start:
        with guard("events"):
            tail = conn.xrevrange(keys.events, "+", "-", count=1)
        last = text(tail[0][0]) if tail else "0-0"
    while True:
        block = read_block_ms()
        with guard("events"):
            reply = conn.xread({keys.events: last}, count=100, block=block)
        if not reply:
            final = finished()
            if final is not None:
                yield final
                return
            continue
        for _stream, entries in reply:
            for entry_id, fields in entries:
                last = text(entry_id)
                f = _fields(fields)
                event = _to_event(task_id, f)
                if event is not None:
                    yield event
                elif f.get("t") == "end":
                    final = finished()
                    if final is not None:
                        yield final
                        return
