"""Times Celery enqueue-to-last-result: waits until the worker answers a ping (not timed),
then apply_async() N echo tasks and waits until every result key exists.
Prints one JSON line {"ms": elapsed}. Env: as celery_app.py; argv: tasks."""
import json, sys, time

from celery_app import app, echo, PREFIX

tasks = int(sys.argv[1])
deadline = time.time() + 60
while not app.control.ping(timeout=0.5):
    if time.time() > deadline:
        sys.exit("celery worker did not answer a ping within 60 s")

backend = app.backend
client = backend.client
t0 = time.perf_counter()
ids = [echo.apply_async(args=({"i": i},)).id for i in range(tasks)]
keys = [backend.get_key_for_task(i) for i in ids]
done = 0
limit = time.time() + max(120, tasks / 20)
while done < tasks:
    window = keys[done:done + 200]
    pipe = client.pipeline(transaction=False)
    for k in window:
        pipe.exists(k)
    found = pipe.execute()
    advanced = 0
    for f in found:
        if not f:
            break
        advanced += 1
    done += advanced
    if advanced < len(window):
        if time.time() > limit:
            sys.exit("timed out: %d/%d celery results" % (done, tasks))
        # As bench/lib/drain.mjs waitForCount: 1% of the elapsed time, 5-100 ms, so the polls
        # take little CPU from the workers under test and see the end at most ~1% late.
        time.sleep(min(0.1, max(0.005, (time.perf_counter() - t0) / 100)))
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({"ms": ms}))
