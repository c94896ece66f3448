#!/usr/bin/env python3
"""The unit of work every benchmark contender runs: a few hundred microseconds of CPU on a
small JSON payload. Modes: `loop` (read all inputs from stdin in one process, the in-process
floor), `once` (one task per process from argv, the xargs peer), `drover` (plain protocol)."""
import json, sys

def work(payload):
    n = payload.get("n", 2000) if isinstance(payload, dict) else 2000
    acc = 0
    for i in range(n):
        acc = (acc * 31 + i) % 1000003
    return {"acc": acc}

mode = sys.argv[1]
if mode == "loop":
    out = sys.stdout
    for line in sys.stdin:
        out.write(json.dumps({"result": work(json.loads(line))}) + "\n")
elif mode == "once":
    print(json.dumps({"result": work(json.loads(sys.argv[2]))}))
else:
    print(json.dumps({"status": "ready"}), flush=True)
    for line in sys.stdin:
        t = json.loads(line)
        sys.stdout.write(json.dumps({"task_id": t["task_id"], "result": work(t["payload"]), "error": None, "retry": False}) + "\n")
        sys.stdout.flush()
