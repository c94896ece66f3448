"""A daemon thread that reads task lines from the private stdin fd into the event loop.

A thread (not ``loop.connect_read_pipe``) so that stdin may also be a regular file
(``python3 handler.py < tasks.ndjson``); raw ``os.read`` (not ``sys.stdin``) so the
thread holds no Python-level lock when the process exits while it is blocked.
"""

import os
import threading

from .log import warn

CHUNK = 1 << 20


def start_reader(fd, loop, on_line, on_eof, lines_in_reader=False):
    """Call ``on_line(bytes)`` for each line (newline stripped) and then ``on_eof()``.
    ``on_eof`` runs in ``loop``'s thread; so does ``on_line``, unless ``lines_in_reader``:
    then it runs in the reader thread itself, which saves a wake-up of the loop per line
    (``on_line`` must be thread-safe then). ``fd`` None means: EOF at once."""

    def deliver(callback, *args):
        try:
            loop.call_soon_threadsafe(callback, *args)
            return True
        except RuntimeError:  # the loop is closed: the handler is exiting
            return False

    def deliver_here(callback, line):
        try:
            callback(line)
        except Exception as error:  # a bug must not stop the reading of later lines
            warn("handling a stdin line failed: %s: %s" % (type(error).__name__, error))
        return True

    deliver_line = deliver_here if lines_in_reader else deliver

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
                    if not deliver_line(on_line, piece):
                        return
            if pending:
                deliver_line(on_line, b"".join(pending))
        finally:
            deliver(on_eof)

    thread = threading.Thread(target=pump, name="drover-stdin", daemon=True)
    thread.start()
    return thread
