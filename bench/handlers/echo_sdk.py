#!/usr/bin/env python3
"""Echo handler written with drover's Python SDK (sdk/python, put on sys.path here)."""
import os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk", "python"))
from drover import task, run, run_once  # noqa: E402


@task
def echo(payload):
    return payload


if __name__ == "__main__":
    run_once() if "--once" in sys.argv else run()
