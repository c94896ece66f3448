"""The script bundle generated from TypeScript (scripts.json): Lua sources and shared rules.

Nothing here is copied by hand from the TypeScript side. scripts.json is produced by
src/queue/redis/script-bundle.ts and checked against the sources by
test/unit/queue/script-bundle.test.ts; regenerate it with the command in its "//" field.
"""

import hashlib
import json
import os
from typing import Any, Dict, List, NamedTuple

BUNDLE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts.json")
SUPPORTED_VERSION = 1


class Script(NamedTuple):
    """One Lua script as the TypeScript backend runs it (preamble and includes in place)."""

    name: str
    keys: List[str]
    channels: List[str]
    sha1: str
    source: str


def _load() -> Dict[str, Any]:
    with open(BUNDLE_PATH, "r", encoding="utf-8") as f:
        bundle = json.load(f)
    if bundle.get("version") != SUPPORTED_VERSION:
        raise ImportError("drover.client: scripts.json has version %r, this client reads version %d"
                          % (bundle.get("version"), SUPPORTED_VERSION))
    return bundle


BUNDLE = _load()


def _scripts() -> Dict[str, Script]:
    out = {}
    for name, s in BUNDLE["scripts"].items():
        sha = hashlib.sha1(s["source"].encode("utf-8")).hexdigest()
        if sha != s["sha1"]:
            raise ImportError("drover.client: scripts.json is corrupt (sha1 of %s differs)" % name)
        out[name] = Script(name, list(s["keys"]), list(s["channels"]), s["sha1"], s["source"])
    return out


SCRIPTS = _scripts()
KEYS = BUNDLE["keys"]
IDS = BUNDLE["ids"]
OPTIONS = BUNDLE["options"]
TASKS = BUNDLE["tasks"]
EVENTS = BUNDLE["events"]
ERRORS = BUNDLE["errors"]
CLIENT = BUNDLE["client"]
LUA_CONSTANTS = BUNDLE["luaConstants"]

STATES = tuple(TASKS["states"])
TERMINAL_STATES = frozenset(TASKS["terminalStates"])
FAILURE_REASONS = tuple(TASKS["failureReasons"])
