"""Diagnostics from the SDK itself: one line each, on stderr, prefixed ``drover:``.

The supervisor captures a handler's stderr line by line into its log, so these
messages end up next to the task they concern.
"""

import sys


def warn(message):
    """Write ``drover: <message>`` to stderr; never raises."""
    try:
        stream = sys.stderr if sys.stderr is not None else sys.__stderr__
        stream.write("drover: %s\n" % (message,))
        stream.flush()
    except Exception:  # pragma: no cover - stderr itself is gone
        pass
