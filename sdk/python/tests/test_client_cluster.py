"""drover.client against a real 3-master Redis Cluster (private redis-server processes on free
loopback ports, as test/helpers/redis-cluster.ts starts them). Skipped when redis-server or
redis-cli is missing."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from tests.client_fixtures.support import finish_ts, new_prefix, ok_values, requires_redis_py, start_ts

try:
    from drover.client import Client, FinalEvent, PartialEvent
except ImportError:  # reported by the skip below
    pass

HAVE_SERVER = shutil.which("redis-server") is not None and shutil.which("redis-cli") is not None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(port, *args, timeout=10):
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port)] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout).stdout.decode()


def _until(what, check, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if check():
                return
        except (OSError, subprocess.SubprocessError):
            pass
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def _major_version():
    out = subprocess.run(["redis-server", "--version"], stdout=subprocess.PIPE).stdout.decode()
    try:
        return int(out.split("v=")[1].split(".")[0])
    except (IndexError, ValueError):
        return 0


class Cluster(object):
    def __init__(self, masters=3):
        self.dir = tempfile.mkdtemp(prefix="drover-pycluster-")
        self.procs = []
        self.ports = []
        try:
            for _ in range(masters):
                port = _free_port()
                args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                        "--dir", self.dir, "--cluster-enabled", "yes",
                        "--cluster-config-file", os.path.join(self.dir, "nodes-%d.conf" % port)]
                if _major_version() >= 7:
                    args += ["--cluster-port", str(_free_port())]
                self.procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                self.ports.append(port)
                _until("redis-server on %d" % port, lambda p=port: _cli(p, "ping").strip() == "PONG")
            subprocess.run(["redis-cli", "--cluster", "create"] + ["127.0.0.1:%d" % p for p in self.ports]
                           + ["--cluster-replicas", "0", "--cluster-yes"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30, check=True)
            for port in self.ports:
                _until("cluster_state:ok on %d" % port, lambda p=port: "cluster_state:ok" in _cli(p, "cluster", "info"))
        except BaseException:
            self.stop()
            raise
        self.url = "redis://127.0.0.1:%d" % self.ports[0]

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.dir, True)


@requires_redis_py
@unittest.skipUnless(HAVE_SERVER, "redis-server / redis-cli not on PATH: cannot start a private Redis Cluster")
class ClusterRoundTrip(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(3)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

    def test_round_trip_across_three_masters(self):
        prefix = new_prefix("cl")
        client = Client(self.cluster.url, cluster=True, prefix=prefix)
        self.addCleanup(client.close)
        # queues hashing to different masters
        queues = ["a", "b", "c", "d", "e", "f"]
        nodes = {client.redis.get_node_from_key(client.keys.queue(q)["pending"]).name for q in queues}
        self.assertGreaterEqual(len(nodes), 2)
        many = client.enqueue_many("b", [{"payload": i} for i in range(5)] + [{"payload": 9, "options": {"id": "x"}}])
        self.assertEqual([client.get(r.id).payload for r in many], [0, 1, 2, 3, 4, 9])
        for port in self.cluster.ports:  # NOSCRIPT on every node: the pipeline falls back to EVAL
            self.assertEqual(_cli(port, "script", "flush").strip(), "OK")
        again = client.enqueue_many("b", [{"payload": 10}, {"payload": 11, "options": {"id": "x"}}])
        self.assertEqual([r.created for r in again], [True, False])
        self.assertEqual(client.stats("b").counts["pending"], 7)
        self.assertEqual(client.cancel(many[0].id).state, "cancelled")
        for q in queues:
            task = client.enqueue(q, {"q": q}, priority=2)
            self.assertEqual(client.get(task.id).payload, {"q": q})
        task = client.enqueue("ev", {"x": 1})
        stream = client.events(task.id, block_ms=1000)
        proc = start_ts(self, prefix, [
            {"op": "claim", "queue": "ev", "wait_ms": 10_000},
            {"op": "partial", "id": task.id, "data": "tok"},
            {"op": "sleep", "ms": 300},
            {"op": "complete", "id": task.id, "result": {"ok": True}},
        ], redis_url=self.cluster.url, cluster=True)
        info = client.wait(task.id, timeout=10)
        ok_values(self, finish_ts(self, proc))
        self.assertEqual((info.state, info.result), ("completed", {"ok": True}))
        items = list(stream)
        self.assertEqual([type(i) for i in items], [PartialEvent, FinalEvent])
        self.assertEqual(client.stats("ev").counts["completed"], 1)

    def test_a_stale_slot_owner_falls_back_to_the_cluster_client(self):
        from drover.client.bundle import SCRIPTS
        from drover.client.options import enqueue_args, normalize_enqueue_options
        from drover.client.script_runner import run_many, run_script

        prefix = new_prefix("cl")
        client = Client(self.cluster.url, cluster=True, prefix=prefix)
        self.addCleanup(client.close)
        rc = client.redis
        keys, channels = client.keys.queue("moved"), client.keys.channels("moved")
        owner = rc.get_node_from_key(keys["pending"])
        wrong = next(n for n in rc.get_primaries() if n.name != owner.name)
        wrong_conn = rc.get_redis_connection(wrong)
        args = [enqueue_args("moved", i, normalize_enqueue_options({"id": "m%d" % i})) for i in range(3)]
        first = run_script(rc, SCRIPTS["enqueue"], keys, channels, args[0], slot_conn=wrong_conn)
        rest = run_many(rc, SCRIPTS["enqueue"], keys, channels, args[1:], slot_conn=wrong_conn)
        self.assertEqual([r[1] for r in [first] + rest], ["moved:m0", "moved:m1", "moved:m2"])
        self.assertEqual(client.stats("moved").counts["pending"], 3)


if __name__ == "__main__":
    unittest.main()
