"""One task of a batch, as a batched task function sees it (``drover.current_batch()``)."""

import threading

from .context import partial_bytes, progress_line
from .replies import cancelled_reply, encode_reply, error_reply, result_reply

__all__ = ["BatchItem"]


class BatchItem(object):
    """A task inside a batch: ``task_id``, ``payload``, ``info`` (:class:`~drover.TaskInfo`),
    ``waited_ms``, and per-item ``cancelled()``, ``progress()`` and ``partial()``.

    ``waited_ms`` is the time the task spent in the SDK between its arrival and the call
    of the batch function (the wait for more tasks, plus any wait for the batch before
    it to finish); None until the batch starts.
    """

    __slots__ = ("_state", "_arrived", "_reply_lock", "_replied", "waited_ms")

    def __init__(self, state, arrived):
        self._state = state  # the engine's TaskState
        self._arrived = arrived  # loop.time() when the task line was read
        self._reply_lock = threading.Lock()  # the batch thread and a cancel may race to reply
        self._replied = False
        self.waited_ms = None

    @property
    def task_id(self):
        return self._state.info.task_id

    @property
    def payload(self):
        return self._state.payload

    @property
    def info(self):
        return self._state.info

    def cancelled(self):
        """True once the supervisor asked to cancel this task (its reply is already sent)."""
        return self._state.cancel_requested

    def progress(self, fraction, message=None):
        """Report progress of this task (``fraction`` in 0..1, clamped)."""
        self._state.emit(progress_line(self.task_id, fraction, message))

    def partial(self, data):
        """Stream a piece of output of this task; ``data`` must be JSON."""
        encoded = partial_bytes(self.task_id, data)
        if not self._state.done:
            self._state.writer.write_bytes(encoded)

    def __repr__(self):
        return "BatchItem(task_id=%r)" % (self.task_id,)

    # -- internal: the SDK's side ------------------------------------------------
    def _claim(self):
        """True for the first caller only: that caller writes this task's one reply."""
        with self._reply_lock:
            if self._replied:
                return False
            self._replied = True
            self._state.done = True
            return True

    def _reply(self, outcome):
        """Reply with a result, or an error when ``outcome`` is an exception instance."""
        data = self._reply_bytes(outcome)
        if data is not None:
            self._state.writer.write_bytes(data)

    def _reply_bytes(self, outcome):
        """The reply line to write for ``outcome``, or None when this task was answered already
        (the caller must write it: the task counts as answered from here on)."""
        if not self._claim():
            return None
        if isinstance(outcome, BaseException):
            return encode_reply(error_reply(self.task_id, outcome))
        return encode_reply(result_reply(self.task_id, outcome))

    def _reply_cancelled(self):
        if self._claim():
            self._state.writer.write_bytes(encode_reply(cancelled_reply(self.task_id)))
