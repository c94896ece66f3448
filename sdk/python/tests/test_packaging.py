"""`pip install ./sdk/python` builds an importable package.

Offline, so without build isolation; where the `wheel` package is missing the same
pyproject.toml is built by setuptools itself (build_py), which checks the same config.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from tests.helpers import SDK_DIR


def _setuptools_reads_pyproject():
    """setuptools >= 61 reads [project] from pyproject.toml (older ones need isolation)."""
    try:
        from importlib.metadata import version

        return int(version("setuptools").split(".")[0]) >= 61
    except Exception:  # not installed, or an odd version string
        return False


@unittest.skipUnless(importlib.util.find_spec("pip") and _setuptools_reads_pyproject(),
                     "an offline build needs pip and setuptools >= 61")
class Packaging(unittest.TestCase):
    def test_pip_install_gives_an_importable_package(self):
        tmp = tempfile.mkdtemp(prefix="drover-pip-")
        self.addCleanup(shutil.rmtree, tmp, True)
        source = os.path.join(tmp, "src")
        shutil.copytree(SDK_DIR, source, ignore=shutil.ignore_patterns(
            "tests", "__pycache__", "*.egg-info", "build"))
        target = os.path.join(tmp, "site")
        if importlib.util.find_spec("wheel"):
            command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation",
                       "--no-deps", "--no-index", "--disable-pip-version-check",
                       "--target", target, source]
        else:  # no wheel package offline: build the same tree with setuptools itself
            command = [sys.executable, "-c", "import setuptools; setuptools.setup()",
                       "--quiet", "build_py", "--build-lib", target]
        build = subprocess.run(command, cwd=source, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=120)
        self.assertEqual(build.returncode, 0, build.stdout.decode())
        check = subprocess.run(
            [sys.executable, "-c", "import drover; print(drover.__file__); print(drover.__version__);"
             "from drover import task, load, run, run_once, RetryableError, progress, partial"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp, timeout=30,
            env=dict(os.environ, PYTHONPATH=target))
        self.assertEqual(check.returncode, 0, check.stderr.decode())
        where, version = check.stdout.decode().split()
        self.assertTrue(where.startswith(target), where)
        self.assertEqual(version, "0.1.0")
        self.assertTrue(os.path.exists(os.path.join(target, "drover", "py.typed")))
