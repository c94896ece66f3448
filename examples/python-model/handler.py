"""Iris classifier: a realistic ML-style drover handler, standard library only.

Load phase (once per process, before the ready line): read iris.csv and train a
multinomial logistic regression by batch gradient descent, in pure Python.
Each task: {"features": [sepal_length, sepal_width, petal_length, petal_width]} (cm)
-> {"class": "setosa", "probabilities": {"setosa": 0.97, ...}}.

    echo '{"task_id":"t1","payload":{"features":[5.1,3.5,1.4,0.2]}}' | python3 handler.py
"""

import csv
import math
import os
import sys
import time

try:
    import drover
except ImportError:
    # Not pip-installed: use the SDK from this checkout (examples/python-model -> sdk/python).
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk", "python"))
    import drover

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("IRIS_CSV", os.path.join(HERE, "iris.csv"))
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
EPOCHS = int(os.environ.get("IRIS_EPOCHS", "300"))
LEARNING_RATE = 0.5
L2 = 1e-3


class InvalidPayload(ValueError):
    """The payload is not {"features": [4 numbers]}: a permanent error, never retried."""


def read_dataset(path):
    rows, labels = [], []
    with open(path, newline="") as handle:
        for record in csv.DictReader(handle):
            rows.append([float(record[name]) for name in FEATURES])
            labels.append(record["species"])
    if not rows:
        raise ValueError("no rows in %s" % path)
    return rows, labels


def softmax(scores):
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


class IrisModel(object):
    """Standardise the features, then a linear layer + softmax over the classes."""

    def __init__(self, classes, means, stds, weights):
        self.classes, self.means, self.stds, self.weights = classes, means, stds, weights

    @classmethod
    def train(cls, rows, labels, epochs=EPOCHS):
        classes = sorted(set(labels))
        d, n, k = len(rows[0]), len(rows), len(classes)
        means = [sum(r[j] for r in rows) / n for j in range(d)]
        stds = [math.sqrt(sum((r[j] - means[j]) ** 2 for r in rows) / n) or 1.0 for j in range(d)]
        xs = [[(r[j] - means[j]) / stds[j] for j in range(d)] + [1.0] for r in rows]  # + bias
        ys = [classes.index(label) for label in labels]
        weights = [[0.0] * (d + 1) for _ in range(k)]
        for _ in range(epochs):
            grad = [[0.0] * (d + 1) for _ in range(k)]
            for x, y in zip(xs, ys):
                probs = softmax([sum(w * v for w, v in zip(row, x)) for row in weights])
                for c in range(k):
                    g = probs[c] - (1.0 if c == y else 0.0)
                    grad_c = grad[c]
                    for j in range(d + 1):
                        grad_c[j] += g * x[j]
            for c in range(k):
                for j in range(d + 1):
                    decay = L2 * weights[c][j] if j < d else 0.0
                    weights[c][j] -= LEARNING_RATE * (grad[c][j] / n + decay)
        return cls(classes, means, stds, weights)

    def predict_proba(self, features):
        x = [(v - m) / s for v, m, s in zip(features, self.means, self.stds)] + [1.0]
        return softmax([sum(w * v for w, v in zip(row, x)) for row in self.weights])

    def accuracy(self, rows, labels):
        hits = 0
        for row, label in zip(rows, labels):
            probs = self.predict_proba(row)
            hits += self.classes[probs.index(max(probs))] == label
        return hits / len(rows)


def parse_features(payload):
    """The 4 measurements of a payload, or InvalidPayload with a message that says why."""
    expected = '{"features": [%s]} (numbers, cm)' % ", ".join(FEATURES)
    if not isinstance(payload, dict) or "features" not in payload:
        raise InvalidPayload("payload must be %s, got %.200r" % (expected, payload))
    features = payload["features"]
    if not isinstance(features, list) or len(features) != len(FEATURES):
        raise InvalidPayload("features must be a list of %d numbers %s, got %.200r"
                             % (len(FEATURES), FEATURES, features))
    for name, value in zip(FEATURES, features):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidPayload("feature %s must be a finite number, got %r" % (name, value))
    return [float(v) for v in features]


@drover.load
def setup():
    started = time.monotonic()
    rows, labels = read_dataset(DATA)
    model = IrisModel.train(rows, labels)
    # print() is safe here: the SDK has already moved stdout to stderr.
    print("iris: trained on %d rows in %.0f ms, training accuracy %.3f"
          % (len(rows), (time.monotonic() - started) * 1000, model.accuracy(rows, labels)))
    return {"model": model}


@drover.task
def predict(payload, ctx):
    model = ctx["model"]
    probs = model.predict_proba(parse_features(payload))
    best = probs.index(max(probs))
    return {
        "class": model.classes[best],
        "probabilities": {name: round(p, 6) for name, p in zip(model.classes, probs)},
    }


if __name__ == "__main__":
    drover.run()
