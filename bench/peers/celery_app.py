"""Celery peer: an echo task, Redis broker and result backend, every key under BENCH_PREFIX.
Worker: python3 -m celery -A celery_app worker -P prefork -c 2 -Q $BENCH_QUEUE (cwd bench/peers)."""
import os

from celery import Celery
from celery.backends.redis import RedisBackend

URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
PREFIX = os.environ["BENCH_PREFIX"]
QUEUE = os.environ["BENCH_QUEUE"]

# Result keys live under the bench prefix too, so cleanup is one SCAN (read in Backend.__init__).
RedisBackend.task_keyprefix = PREFIX + "celery-task-meta-"

app = Celery("bench", broker=URL, backend=URL)
app.conf.update(
    broker_transport_options={"global_keyprefix": PREFIX},
    task_default_queue=QUEUE,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
)


@app.task(name="echo")
def echo(payload):
    return payload
