"""A Python app that hands work to drover: enqueue Iris flowers on the `predict` queue and
print what the model (examples/python-model, served by `drover run`) says about each.

    /usr/bin/python3 examples/python-app/enqueue.py [--redis URL] [--prefix P] [--queue predict]

Needs redis-py (`pip install redis`, or `apt-get install python3-redis` for /usr/bin/python3).
Three ways to call, from the simplest:
  1. client.run(): enqueue one task and wait for its result;
  2. enqueue_many() + wait(): a batch in one round trip, results as they finish;
  3. a malformed payload: the handler's error comes back as TaskFailedError.
"""

import argparse
import os
import sys

try:
    from drover.client import Client, DroverError, TaskFailedError
except ImportError as error:
    if "redis" in str(error):
        raise  # redis-py is missing: the message says how to install it
    # drover is not pip-installed: use the SDK from this checkout (examples/python-app -> sdk/python).
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk", "python"))
    from drover.client import Client, DroverError, TaskFailedError

FLOWERS = [
    [5.1, 3.5, 1.4, 0.2],
    [6.4, 3.2, 4.5, 1.5],
    [6.3, 3.3, 6.0, 2.5],
    [5.0, 3.6, 1.4, 0.2],
    [5.7, 2.8, 4.1, 1.3],
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", default=None, help="Redis URL (default: $DROVER_REDIS_URL, $REDIS_URL, redis://127.0.0.1:6379)")
    parser.add_argument("--prefix", default="drover:", help="key prefix, as the supervisors' --prefix (default: drover:)")
    parser.add_argument("--queue", default="predict")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each result")
    args = parser.parse_args()

    with Client(args.redis, prefix=args.prefix) as client:
        # 1. One call: enqueue + wait.
        result = client.run(args.queue, {"features": FLOWERS[0]}, timeout=args.timeout, max_retries=0)
        print("run: %s -> %s (p=%.3f)" % (FLOWERS[0], result["class"], result["probabilities"][result["class"]]))

        # 2. A batch: one pipeline to enqueue, then wait for each.
        tasks = client.enqueue_many(args.queue, [{"payload": {"features": f}, "options": {"max_retries": 0}} for f in FLOWERS])
        for flower, task in zip(FLOWERS, tasks):
            info = client.wait(task.id, timeout=args.timeout)
            print("batch: %s -> %s [%s, %s]" % (flower, info.result["class"], info.id, info.state))

        # 3. A payload the model refuses: a permanent error, not retried.
        try:
            client.run(args.queue, {"features": [1, 2]}, timeout=args.timeout, max_retries=0)
        except TaskFailedError as error:
            print("refused: %s: %s" % (error.task_error.type, error.task_error.message))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DroverError as error:
        print("enqueue.py: %s [%s]" % (error.message, error.code), file=sys.stderr)
        sys.exit(error.exit_code)
