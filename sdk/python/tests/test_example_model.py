"""examples/python-model/handler.py, run directly over the protocol."""

import json
import os
import subprocess
import sys

from tests.helpers import REPO_DIR, HandlerTest

EXAMPLE_DIR = os.path.join(REPO_DIR, "examples", "python-model")
HANDLER = os.path.join(EXAMPLE_DIR, "handler.py")


class ExampleModel(HandlerTest):
    script = HANDLER

    def test_predicts_the_three_species(self):
        handler = self.started()
        samples = {"setosa": [5.1, 3.5, 1.4, 0.2], "versicolor": [5.9, 3.0, 4.2, 1.5],
                   "virginica": [6.7, 3.0, 5.2, 2.3]}
        for species, features in samples.items():
            handler.task(species, {"features": features})
        for species in samples:
            result = handler.reply(species)["result"]
            self.assertEqual(result["class"], species)
            probs = result["probabilities"]
            self.assertEqual(sorted(probs), sorted(samples))
            self.assertAlmostEqual(sum(probs.values()), 1.0, places=4)
            self.assertEqual(max(probs, key=probs.get), species)
        self.assertEqual(handler.finish(), 0)
        self.assertIn("iris: trained on 150 rows", handler.stderr.text())

    def test_malformed_payloads_fail_with_a_clear_error(self):
        handler = self.started()
        cases = {
            "none": (None, "payload must be"),
            "short": ({"features": [1, 2]}, "list of 4 numbers"),
            "text": ({"features": [1, "x", 3, 4]}, "sepal_width must be a finite number"),
            "bool": ({"features": [1, 2, True, 4]}, "petal_length"),
        }
        for task_id, (payload, _) in cases.items():
            handler.task(task_id, payload)
        for task_id, (_, text) in cases.items():
            reply = handler.reply(task_id)
            self.assertIsNone(reply["result"])
            self.assertFalse(reply["retry"])
            self.assertEqual(reply["error"]["type"], "InvalidPayload")
            self.assertIn(text, reply["error"]["message"])
        self.assertEqual(handler.finish(), 0)

    def test_every_input_line_gets_an_answer(self):
        lines = []
        for name in ("inputs.ndjson", "invalid-inputs.ndjson"):
            with open(os.path.join(EXAMPLE_DIR, name)) as inputs:
                lines += [json.loads(line) for line in inputs if line.strip()]
        self.assertGreaterEqual(len(lines), 20)
        handler = self.started()
        for i, line in enumerate(lines):
            if "payload" in line:
                handler.task(line["id"], line["payload"])
            else:
                handler.task("line-%d" % i, line)
        answers = {}
        for i, line in enumerate(lines):
            task_id = line.get("id", "line-%d" % i)
            answers[task_id] = handler.reply(task_id)
        self.assertEqual(handler.finish(), 0)
        failed = sorted(t for t, reply in answers.items() if reply["error"])
        self.assertEqual(failed, ["bad-shape", "bad-short"])
        self.assertEqual(answers["line-0"]["result"]["class"], "setosa")
        self.assertEqual(answers["garden-b-3"]["result"]["class"], "virginica")

    def test_readme_one_liner(self):
        # Run from the repo root with a clean environment: no pip install, no PYTHONPATH.
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DROVER_PROTOCOL_FD")}
        proc = subprocess.run(
            [sys.executable, "examples/python-model/handler.py"],
            input=b'{"task_id":"t1","payload":{"features":[5.1,3.5,1.4,0.2]}}\n',
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_DIR, env=env, timeout=20,
        )
        self.assertEqual(proc.returncode, 0, proc.stderr)
        ready, reply = [json.loads(line) for line in proc.stdout.splitlines()]
        self.assertEqual(ready["status"], "ready")
        self.assertEqual(reply["task_id"], "t1")
        self.assertEqual(reply["result"]["class"], "setosa")
