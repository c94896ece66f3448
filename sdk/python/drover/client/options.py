"""Enqueue options: validation with the rules of src/queue/redis/options.ts (from the bundle)
and the ARGV encoding of src/queue/redis/enqueue.ts.

Python names are the snake_case of the TypeScript ones (``delay_ms`` for ``delayMs``,
``backoff={"type", "base_ms", "max_ms", "jitter"}``); errors name the Python option.
"""

import json
import math
import re
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Union

from .bundle import OPTIONS
from .errors import DroverError
from .keys import js_length, make_task_id, show

_BACKOFF_DEFAULT = OPTIONS["backoffDefault"]
#: Largest payload enqueue accepts, in bytes of its JSON text (src/queue/redis/options.ts).
DEFAULT_MAX_PAYLOAD_BYTES = OPTIONS["maxPayloadBytesDefault"]
_BACKOFF_TYPES = tuple(OPTIONS["backoffTypes"])


def snake(name: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), name)


#: Python option name -> rule, in the order the TypeScript side checks them.
ENQUEUE_RULES = [dict(rule, py=snake(rule["name"])) for rule in OPTIONS["enqueue"]]
ENQUEUE_OPTION_NAMES = tuple(rule["py"] for rule in ENQUEUE_RULES)


class Backoff(NamedTuple):
    """How long to wait before the next attempt of a failed task."""

    type: str = _BACKOFF_DEFAULT["type"]
    base_ms: int = _BACKOFF_DEFAULT["baseMs"]
    max_ms: int = _BACKOFF_DEFAULT["maxMs"]
    jitter: bool = _BACKOFF_DEFAULT["jitter"]


def invalid(option: str, expected: str, value: Any) -> DroverError:
    return DroverError("INVALID_OPTION", "%s: expected %s, got %s" % (option, expected, show(value)))


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def check_int(option: str, value: Any, lo: int, hi: Optional[int] = None) -> int:
    hi = OPTIONS["maxSafeInteger"] if hi is None else hi
    if not _is_int(value) or value < lo or value > hi:
        raise invalid(option, "an integer in [%d, %d]" % (lo, hi), value)
    return int(value)


def _check_str(option: str, value: Any, max_length: int) -> str:
    if not isinstance(value, str) or value == "" or js_length(value) > max_length:
        raise invalid(option, "a non-empty string of at most %d characters" % max_length, value)
    return value


def normalize_backoff(value: Any, option: str = "backoff") -> Backoff:
    """backoff.ts normalizeBackoff: a dict (or Backoff) with type, base_ms, max_ms, jitter."""
    if isinstance(value, Backoff):
        value = value._asdict()
    if not isinstance(value, Mapping):
        raise invalid(option, "an object { type, base_ms, max_ms, jitter }", value)
    unknown = [k for k in value if k not in Backoff._fields]
    if unknown:
        raise invalid(option, "only the fields type, base_ms, max_ms, jitter (unknown: %s)" % ", ".join(
            map(str, unknown)), dict(value))

    def given(name):
        v = value.get(name)
        return v

    b_type = given("type") if given("type") is not None else _BACKOFF_DEFAULT["type"]
    if b_type not in _BACKOFF_TYPES:
        raise invalid(option + ".type", " or ".join("'%s'" % t for t in _BACKOFF_TYPES), b_type)

    def at_least(name, v, lo):
        if not _is_int(v) or v < lo:
            raise invalid("%s.%s" % (option, name), "an integer >= %d" % lo, v)
        return int(v)

    base = at_least("base_ms", given("base_ms") if given("base_ms") is not None else _BACKOFF_DEFAULT["baseMs"], 0)
    max_default = max(_BACKOFF_DEFAULT["maxMs"], base)
    max_ms = at_least("max_ms", given("max_ms") if given("max_ms") is not None else max_default, base)
    jitter = given("jitter") if given("jitter") is not None else _BACKOFF_DEFAULT["jitter"]
    if not isinstance(jitter, bool):
        raise invalid(option + ".jitter", "a boolean", jitter)
    return Backoff(b_type, base, max_ms, jitter)


def normalize_enqueue_options(options: Mapping[str, Any]) -> Dict[str, Any]:
    """Validated options (None = not given) in the TypeScript order; raises INVALID_OPTION."""
    unknown = [k for k in options if k not in ENQUEUE_OPTION_NAMES]
    if unknown:
        raise DroverError("INVALID_OPTION", "options: unknown option %s (expected one of %s)"
                          % (show(unknown[0]), ", ".join(ENQUEUE_OPTION_NAMES)))
    out: Dict[str, Any] = {}
    for rule in ENQUEUE_RULES:
        name = rule["py"]
        value = options.get(name)
        if value is None and "default" in rule:
            value = rule["default"]
        if value is None:
            out[name] = None
        elif rule["kind"] == "int":
            out[name] = check_int(name, value, rule["min"], rule["max"])
        elif rule["kind"] == "string":
            out[name] = _check_str(name, value, rule["maxLength"])
        elif rule["kind"] == "object":
            if not isinstance(value, Mapping):
                raise invalid(name, "a plain object", value)
            out[name] = value
        elif rule["kind"] == "backoff":
            out[name] = normalize_backoff(value, name)
        else:  # a rule kind this client does not know: the bundle is newer than the code
            raise DroverError("INVALID_OPTION", "%s: unsupported option rule %r" % (name, rule["kind"]))
    return out


def to_json(value: Any, what: str) -> str:
    """JSON text as JSON.stringify writes it (compact, non-ASCII kept); NaN/Infinity refused."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise DroverError("INVALID_INPUT", "%s is not JSON-serializable: %s" % (what, e), e)


def payload_json(payload: Any, max_bytes: int) -> str:
    """The payload's JSON text; PAYLOAD_TOO_LARGE over ``max_bytes`` bytes (src/queue/redis/payload.ts)."""
    text = to_json(payload, "payload")
    if len(text) * 4 > max_bytes:  # a code point takes at most 4 bytes of UTF-8: short texts skip the count
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            raise DroverError("PAYLOAD_TOO_LARGE", "payload: %d bytes of JSON, over the limit of %d bytes "
                              "(max_payload_bytes); put large data in object storage and enqueue its URL, "
                              "or raise the limit" % (size, max_bytes))
    return text


ScriptArg = Union[str, int]


def enqueue_args(queue: str, payload: Any, o: Mapping[str, Any],
                 max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES) -> List[ScriptArg]:
    """ARGV of enqueue.lua, as enqueueArgs in src/queue/redis/enqueue.ts builds it."""

    def opt(v):
        return "" if v is None else v

    b = o["backoff"]
    return [
        make_task_id(queue, o["id"]),
        queue,
        payload_json(payload, max_payload_bytes),
        o["priority"],
        o["delay_ms"],
        opt(o["run_at"]),
        opt(o["max_retries"]),
        opt(o["timeout_ms"]),
        b.type if b else "",
        b.base_ms if b else "",
        b.max_ms if b else "",
        (1 if b.jitter else 0) if b else "",
        opt(o["result_ttl_ms"]),
        opt(o["idempotency_key"]),
        opt(o["type"]),
        "" if o["meta"] is None else to_json(o["meta"], "meta"),
    ]
