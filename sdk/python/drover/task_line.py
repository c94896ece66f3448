"""Reading one line of the supervisor's stdin: a task, a cancel request, or something to skip.

Shared by the engine (run()) and the one-task path of run_once() (once.py).
"""

import json

from .log import warn


def parse_task_line(raw):
    """``("task", message)``, ``("cancel", task_id)``, or ``(None, None)`` for a line to skip
    (blank, not a JSON object, no usable task_id; each but a blank line is warned about)."""
    if not raw.strip():
        return None, None
    try:
        message = json.loads(raw)
    except ValueError:  # also UnicodeDecodeError
        warn("skipping a stdin line that is not JSON: %r" % (raw[:200],))
        return None, None
    if not isinstance(message, dict):
        warn("skipping a stdin line that is not a JSON object: %r" % (raw[:200],))
        return None, None
    if message.get("type") == "cancel" and "payload" not in message:
        return "cancel", message.get("task_id")
    task_id = message.get("task_id")
    if task_id is None:
        warn("skipping a stdin line without task_id: %r" % (raw[:200],))
        return None, None
    if isinstance(task_id, bool) or not isinstance(task_id, (str, int)):
        warn("skipping a stdin line whose task_id is not a string: %r" % (raw[:200],))
        return None, None
    return "task", message
