#!/usr/bin/env python3
"""The in-process floor of `drover batch`: one Python process reads the NDJSON inputs and writes
one echo reply per line itself (no supervisor, no IPC). argv: input file, output file."""
import json, sys

with open(sys.argv[1]) as inp, open(sys.argv[2], "w") as out:
    for i, line in enumerate(inp):
        out.write(json.dumps({"id": i, "result": json.loads(line)}) + "\n")
