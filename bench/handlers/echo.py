#!/usr/bin/env python3
"""Plain runqy-style echo handler (no SDK): ready line, then one reply per task line.
The same children serve drover, the floor and the bare NDJSON echo."""
import json, sys

out = sys.stdout
out.write('{"status":"ready"}\n')
out.flush()
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("type") == "cancel":
        continue
    out.write(json.dumps({"task_id": msg["task_id"], "result": msg.get("payload"), "error": None, "retry": False}) + "\n")
    out.flush()
