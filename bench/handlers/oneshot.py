#!/usr/bin/env python3
"""Plain one-shot echo handler: reads one task line, replies, exits (no ready line).
The spawn floor runs the very same file."""
import json, sys

msg = json.loads(sys.stdin.readline())
sys.stdout.write(json.dumps({"task_id": msg["task_id"], "result": msg.get("payload"), "error": None, "retry": False}) + "\n")
sys.stdout.flush()
