"""Orphan protection: die with the supervisor.

Best effort: on Linux, ``prctl(PR_SET_PDEATHSIG, SIGTERM)`` asks the kernel to send
SIGTERM when the parent goes away (note: when the parent *thread* that spawned this
process exits). Everywhere, EOF on stdin (the supervisor's end closed) ends the loop.
"""

import signal
import sys

PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig=signal.SIGTERM):
    """Return True when the kernel will signal us on the parent's death."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except Exception:
        return False
