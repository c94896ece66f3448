"""Key and channel names, task ids and queue names, from the bundle's rules (keys.ts)."""

import json
import re
import secrets
import time
from typing import Dict, NamedTuple, Optional

from .bundle import IDS, KEYS
from .errors import DroverError

DEFAULT_PREFIX = KEYS["defaultPrefix"]
_QUEUE_NAME = re.compile(IDS["queueName"])
_SUFFIX_FORBIDDEN = re.compile(IDS["suffixForbidden"])
_PREFIX_FORBIDDEN = re.compile(KEYS["prefix"]["forbidden"])
_PLACEHOLDER = re.compile(r"<(prefix|queue)>")
_SEP = IDS["separator"]
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def js_length(text: str) -> int:
    """String length as JavaScript counts it (UTF-16 code units), for the shared limits."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def show(value) -> str:
    """A value as src/queue/show-value.ts shows it in an error message: JSON, NaN and Infinity by name."""
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)


def _fill(template: str, prefix: str, queue: str = "") -> str:
    return _PLACEHOLDER.sub(lambda m: prefix if m.group(1) == "prefix" else queue, template)


def is_valid_queue_name(queue) -> bool:
    return isinstance(queue, str) and _QUEUE_NAME.fullmatch(queue) is not None


def assert_queue_name(queue) -> None:
    if not is_valid_queue_name(queue):
        raise DroverError("INVALID_OPTION",
                          "queue: expected 1-128 characters of [A-Za-z0-9_.-], got %s" % show(queue))


def assert_prefix(prefix) -> None:
    if (not isinstance(prefix, str) or _PREFIX_FORBIDDEN.search(prefix)
            or js_length(prefix) > KEYS["prefix"]["maxLength"]):
        raise DroverError("INVALID_OPTION",
                          "prefix: expected a string without '{' or '}' (at most %d characters), got %s"
                          % (KEYS["prefix"]["maxLength"], show(prefix)))


def _base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, IDS["suffixTimeRadix"])
        out = _DIGITS[r] + out
        if n == 0:
            return out


def new_id_suffix() -> str:
    """Milliseconds in base 36 (zero-padded) + random base 36: ids sort roughly by time."""
    ms = _base36(int(time.time() * 1000)).rjust(IDS["suffixTimeDigits"], "0")
    digits = IDS["suffixRandomDigits"]
    random = int.from_bytes(secrets.token_bytes(IDS["suffixRandomBytes"]), "big") % (IDS["suffixTimeRadix"] ** digits)
    return ms + _base36(random).rjust(digits, "0")


def make_task_id(queue: str, suffix: Optional[str] = None) -> str:
    """``<queue>:<suffix>``; a caller-chosen suffix must be 1-256 characters without whitespace."""
    if suffix is None:
        suffix = new_id_suffix()
    limit = IDS["suffixMaxLength"]
    if not suffix or js_length(suffix) > limit or _SUFFIX_FORBIDDEN.search(suffix):
        raise DroverError("INVALID_OPTION",
                          "id: expected 1-%d characters without whitespace, got %s" % (limit, show(suffix)))
    return queue + _SEP + suffix


def queue_of_task_id(task_id) -> Optional[str]:
    """The queue a task id belongs to, or None when it is not a drover id."""
    if not isinstance(task_id, str):
        return None
    sep = task_id.find(_SEP)
    if sep <= 0 or sep == len(task_id) - 1:
        return None
    queue = task_id[:sep]
    return queue if is_valid_queue_name(queue) else None


class TaskKeys(NamedTuple):
    queue: str
    id: str
    hash: str
    events: str
    done: str


class KeySpace(object):
    """Builds key and channel names under one prefix, exactly as src/queue/redis/keys.ts does."""

    def __init__(self, prefix: str = DEFAULT_PREFIX):
        assert_prefix(prefix)
        self.prefix = prefix

    def queue_base(self, queue: str) -> str:
        assert_queue_name(queue)
        return _fill(KEYS["queueBase"], self.prefix, queue)

    def queue(self, queue: str) -> Dict[str, str]:
        base = self.queue_base(queue)
        return {name: base + suffix for name, suffix in KEYS["queue"].items()}

    def channels(self, queue: str) -> Dict[str, str]:
        base = self.queue_base(queue)
        return {name: base + suffix for name, suffix in KEYS["channels"].items()}

    def supervisors(self) -> Dict[str, str]:
        return {name: _fill(t, self.prefix) for name, t in KEYS["supervisors"].items()}

    def task(self, task_id) -> Optional[TaskKeys]:
        queue = queue_of_task_id(task_id)
        if queue is None:
            return None
        names = dict(self.queue(queue))
        names.update(self.channels(queue))
        rule = KEYS["task"]
        return TaskKeys(queue=queue, id=task_id, hash=names[rule["hash"]] + task_id,
                        events=names[rule["events"]] + task_id,
                        done=names[rule["done"]] + task_id)
