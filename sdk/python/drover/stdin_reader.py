"""A daemon thread that reads task lines from the private stdin fd into the event loop.

A thread (not ``loop.connect_read_pipe``) so that stdin may also be a regular file
(``python3 handler.py < tasks.ndjson``); raw ``os.read`` (not ``sys.stdin``) so the
thread holds no Python-level lock when the process exits while it is blocked.
"""

import os
import threading

from .log import warn

CHUNK = 1 << 20


def start_reader(fd, loop, on_line, on_eof):
    """Call ``on_line(bytes)`` for each line (newline stripped) and then ``on_eof()``,
    both in ``loop``'s thread. ``fd`` None means: EOF at once."""

    def deliver(callback, *args):
        try:
            loop.call_soon_threadsafe(callback, *args)
            return True
        except RuntimeError:  # the loop is closed: the handler is exiting
            return False

    def pump():
        pending = []
        try:
            while fd is not None:
                try:
                    chunk = os.read(fd, CHUNK)
                except InterruptedError:  # pragma: no cover
                    continue
                except OSError as error:
                    warn("reading stdin failed (%s); treating it as EOF" % (error,))
                    break
                if not chunk:
                    break
                start = 0
                while True:
                    newline = chunk.find(b"\n", start)
                    if newline < 0:
                        if start < len(chunk):
                            pending.append(chunk[start:])
                        break
                    piece = chunk[start:newline]
                    if pending:
                        pending.append(piece)
                        piece = b"".join(pending)
                        pending = []
                    start = newline + 1
                    if not deliver(on_line, piece):
                        return
            if pending:
                deliver(on_line, b"".join(pending))
        finally:
            deliver(on_eof)

    thread = threading.Thread(target=pump, name="drover-stdin", daemon=True)
    thread.start()
    return thread
