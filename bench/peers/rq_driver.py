"""Times RQ enqueue-to-last-result: waits until `workers` workers are registered on the queue
(not timed), then enqueue_many() N echo jobs (chunks of 1000) and polls the queue's
FinishedJobRegistry until it holds N. Prints {"ms": elapsed}. argv: url queue tasks workers."""
import json, sys, time

from redis import Redis
from rq import Queue, Worker
from rq.registry import FinishedJobRegistry, FailedJobRegistry

from rq_jobs import echo

url, queue_name, tasks, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
redis = Redis.from_url(url)
queue = Queue(queue_name, connection=redis)
deadline = time.time() + 60
while Worker.count(queue=queue) < workers:
    if time.time() > deadline:
        sys.exit("rq workers did not register within 60 s")
    time.sleep(0.05)

finished = FinishedJobRegistry(queue=queue)
failed = FailedJobRegistry(queue=queue)
t0 = time.perf_counter()
for start in range(0, tasks, 1000):
    queue.enqueue_many([Queue.prepare_data(echo, args=({"i": i},), job_id="%s-%d" % (queue_name, i))
                        for i in range(start, min(tasks, start + 1000))])
limit = time.time() + max(300, tasks / 5)
while finished.count < tasks:
    if failed.count:
        sys.exit("%d rq jobs failed" % failed.count)
    if time.time() > limit:
        sys.exit("timed out: %d/%d rq jobs finished" % (finished.count, tasks))
    # As bench/lib/drain.mjs waitForCount: 1% of the elapsed time, 5-100 ms, so the polls
    # take little CPU from the workers under test and see the end at most ~1% late.
    time.sleep(min(0.1, max(0.005, (time.perf_counter() - t0) / 100)))
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}))
