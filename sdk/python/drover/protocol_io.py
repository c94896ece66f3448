"""The private protocol streams, and writing one JSON line at a time.

Before any user code runs, :func:`claim_streams` takes the protocol streams away
from fd 0 and fd 1 so nothing else in the process (``print``, C extensions,
``os.system``, subprocesses) can write into the reply stream or read task lines:

* output: the fd named by ``DROVER_PROTOCOL_FD`` when the supervisor offers a
  dedicated pipe and that fd is open for writing; otherwise a private ``os.dup(1)``
  of the real stdout. Then fd 1 becomes a copy of fd 2 (stderr) and ``sys.stdout``
  a text wrapper on it.
* input: a private ``os.dup(0)``; fd 0 then reads ``/dev/null`` (a child such as
  ffmpeg that reads stdin can no longer swallow task lines).

Both private fds are non-inheritable, and ``DROVER_PROTOCOL_FD`` is removed from
the environment, so subprocesses never see them.
"""

import errno
import io
import json
import os
import re
import select
import sys
import threading

from .log import warn

PROTOCOL_FD_ENV = "DROVER_PROTOCOL_FD"
_SURROGATE = re.compile("[\ud800-\udfff]")


class Streams(object):
    """The claimed protocol fds. ``in_fd`` is None when there was no stdin."""

    def __init__(self, out_fd, in_fd, source):
        self.out_fd = out_fd
        self.in_fd = in_fd
        self.source = source  # "pipe" (DROVER_PROTOCOL_FD) or "stdout"


_claimed = None
_claim_lock = threading.Lock()


def _offered_fd():
    """The fd the supervisor offers in ``DROVER_PROTOCOL_FD``, if it is usable."""
    raw = os.environ.pop(PROTOCOL_FD_ENV, None)
    if raw is None or raw.strip() == "":
        return None
    try:
        fd = int(raw)
    except ValueError:
        warn("%s=%r is not an fd number; replies go to stdout" % (PROTOCOL_FD_ENV, raw))
        return None
    if fd == 1:
        return None
    if fd < 0 or fd in (0, 2):
        warn("%s=%d cannot be the protocol fd; replies go to stdout" % (PROTOCOL_FD_ENV, fd))
        return None
    try:
        import fcntl

        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except ImportError:  # pragma: no cover - not POSIX
        try:
            os.fstat(fd)
        except OSError:
            flags = None
        else:
            flags = os.O_WRONLY
    except OSError:
        flags = None
    if flags is None:
        warn("%s=%d but that fd is not open; replies go to stdout" % (PROTOCOL_FD_ENV, fd))
        return None
    if flags & os.O_ACCMODE not in (os.O_WRONLY, os.O_RDWR):
        warn("%s=%d is not open for writing; replies go to stdout" % (PROTOCOL_FD_ENV, fd))
        return None
    return fd


def _flush(stream):
    try:
        if stream is not None:
            stream.flush()
    except Exception:
        pass


def _private_dup(fd):
    """A close-on-exec duplicate of ``fd`` numbered 3 or above.

    Never 0-2: when the handler was started with a closed stdin, a plain ``dup(1)``
    would return 0, which the next step points at /dev/null.
    """
    try:
        import fcntl

        return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    except (ImportError, AttributeError):  # pragma: no cover - not Linux/BSD
        low = []
        new = os.dup(fd)
        while new < 3:
            low.append(new)
            new = os.dup(fd)
        for extra in low:
            os.close(extra)
        os.set_inheritable(new, False)
        return new


def _dup2_devnull(fd, flags):
    null = os.open(os.devnull, flags)
    try:
        if null != fd:
            os.dup2(null, fd)
    finally:
        if null != fd:
            os.close(null)


def claim_streams():
    """Move the protocol streams to private fds (idempotent); return :class:`Streams`."""
    global _claimed
    with _claim_lock:
        if _claimed is not None:
            return _claimed
        out_fd = _offered_fd()
        source = "pipe"
        if out_fd is None:
            source = "stdout"
            try:
                out_fd = _private_dup(1)
            except OSError:
                warn("stdout is closed; protocol lines go to stderr")
                out_fd = _private_dup(2)
        os.set_inheritable(out_fd, False)
        try:
            in_fd = _private_dup(0)
        except OSError:
            in_fd = None  # no stdin at all: EOF

        # Whatever was printed before run() still belongs to the real stdout.
        _flush(sys.stdout)
        _flush(sys.__stdout__)
        try:
            os.dup2(2, 1)
        except OSError:  # no stderr either: send stray output nowhere
            _dup2_devnull(1, os.O_WRONLY)
        sys.stdout = io.TextIOWrapper(
            io.FileIO(1, "w", closefd=False),
            encoding="utf-8",
            errors="backslashreplace",
            line_buffering=True,
        )
        _dup2_devnull(0, os.O_RDONLY)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        _claimed = Streams(out_fd, in_fd, source)
        return _claimed


# Made once: json.dumps with any non-default option builds a new encoder per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def encode_line(obj):
    """One protocol line as UTF-8 bytes, newline included.

    Raises ``TypeError`` / ``ValueError`` when ``obj`` is not JSON (NaN and
    Infinity are refused: they are not JSON and the supervisor could not parse them).
    """
    text = _ENCODER.encode(obj)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (undecodable file names...) can only sit inside JSON strings:
        # escape just those, keep the rest of the line as UTF-8.
        text = _SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), text)
        return (text + "\n").encode("utf-8")


def _exit_on_broken_pipe(error):
    warn("protocol stream closed (%s); the supervisor is gone, exiting" % (error,))
    os._exit(1)


class LineWriter(object):
    """Writes whole lines to the protocol fd; thread-safe, one ``write`` loop per line."""

    def __init__(self, fd, on_closed=_exit_on_broken_pipe):
        self._fd = fd
        self._lock = threading.Lock()
        self._on_closed = on_closed

    def write(self, obj):
        """Encode ``obj`` and write it as one line (raises like :func:`encode_line`)."""
        self.write_bytes(encode_line(obj))

    def write_bytes(self, data):
        view = memoryview(data)
        with self._lock:
            while view:
                try:
                    written = os.write(self._fd, view)
                except BlockingIOError:
                    select.select([], [self._fd], [])
                    continue
                except InterruptedError:  # pragma: no cover - retried by Python >= 3.5
                    continue
                except OSError as error:
                    if error.errno in (errno.EPIPE, errno.EBADF, errno.ECONNRESET):
                        self._on_closed(error)
                        return
                    raise
                view = view[written:]
