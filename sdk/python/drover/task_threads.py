"""The threads that run a plain (sync) task function: ``count`` daemon threads fed by one queue.

Not ``concurrent.futures.ThreadPoolExecutor``: its Future per call (a Condition, a lock and a
result nobody reads) was a large share of the SDK's cost per tiny task. The threads start
with the engine, so the first task does not pay a thread start.
"""

import queue
import threading

from .log import warn

_STOP = object()


class TaskThreads(object):
    def __init__(self, count, name="drover-task"):
        self._queue = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, name="%s-%d" % (name, i), daemon=True)
                         for i in range(count)]
        for thread in self._threads:
            thread.start()

    def submit(self, fn, *args):
        """Run ``fn(*args)`` in the first free thread, in the order submitted. ``fn`` is
        expected to handle its own errors; anything it raises is warned about on stderr and
        the thread goes on."""
        self._queue.put((fn, args))

    def shutdown(self):
        """Let the threads finish what was submitted, then wait for them."""
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join()

    def _work(self):
        get = self._queue.get
        while True:
            item = get()
            if item is _STOP:
                return
            fn, args = item
            try:
                fn(*args)
            except BaseException as error:  # fn reports its own errors; this is a last resort
                warn("task thread: %s: %s" % (type(error).__name__, error))
