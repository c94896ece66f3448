#!/usr/bin/env python3
"""The batching benchmark's handler: a numpy "model" whose cost is a fixed part per call plus a
small part per item. Run it with Debian's /usr/bin/python3 (python3-numpy).

Per call: a fixed (FIXED_ROWS x 512).(512 x 512) product, standing for what a model pays per
forward pass whatever the batch (kernel launches, reading the weights; this machine's reference
BLAS costs the same per row at any batch size, so that part must be explicit), then the batch's
own (n x 512).(512 x 512) product. Each result carries the item's wait in the SDK
(BatchItem.waited_ms), the batch size and the time it was answered.

Env: BENCH_BATCH (1 = plain @task, one call per task; N > 1 = @task(batch=N)),
BENCH_MAX_WAIT_MS (5), BENCH_CONCURRENCY (run()'s, default: the batch size),
BENCH_FIXED_ROWS (16).
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk", "python"))
import drover  # noqa: E402

BATCH = int(os.environ.get("BENCH_BATCH", "32"))
MAX_WAIT_MS = float(os.environ.get("BENCH_MAX_WAIT_MS", "5"))
FIXED_ROWS = int(os.environ.get("BENCH_FIXED_ROWS", "16"))
DIM = 512


@drover.load
def setup():
    rng = np.random.default_rng(0)
    return {
        "weights": rng.standard_normal((DIM, DIM)).astype(np.float32),
        "fixed": rng.standard_normal((FIXED_ROWS, DIM)).astype(np.float32),
        "rows": rng.standard_normal((64, DIM)).astype(np.float32),  # inputs, picked by payload["i"]
    }


def forward(model, indices):
    np.dot(model["fixed"], model["weights"])  # the per-call part
    x = model["rows"][[i % 64 for i in indices]]
    return np.dot(x, model["weights"])[:, 0]  # the per-item part


if BATCH > 1:
    @drover.task(batch=BATCH, max_wait_ms=MAX_WAIT_MS)
    def predict_batch(payloads, model):
        out = forward(model, [p["i"] for p in payloads])
        done = time.time() * 1000.0
        return [{"i": p["i"], "y": float(y), "n": len(payloads), "waited_ms": item.waited_ms, "done_ms": done}
                for p, y, item in zip(payloads, out, drover.current_batch())]
else:
    @drover.task
    def predict(payload, model):
        out = forward(model, [payload["i"]])
        return {"i": payload["i"], "y": float(out[0]), "n": 1, "waited_ms": 0.0, "done_ms": time.time() * 1000.0}


if __name__ == "__main__":
    concurrency = os.environ.get("BENCH_CONCURRENCY")
    drover.run(concurrency=int(concurrency) if concurrency else None)
