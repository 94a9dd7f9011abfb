"""The README's first command: scripts/demo runs to the end by itself (here on a small
population and the debug build), prepares and sends, and leaves no process behind."""
import os
import re
import shutil
import subprocess

import pytest

import herald_fixtures as hf

pytestmark = pytest.mark.skipif(os.environ.get("HERALD_REFERENCE") == "1",
                                reason="the Python reference servers do not implement herald.v1")


def test_demo_runs_to_the_end_and_cleans_up():
    env = dict(os.environ, HERALD_DEMO_PROFILES="600")
    result = subprocess.run([os.path.join(hf.ROOT, "scripts", "demo"), hf.bin_dir()], env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert re.search(r"state\s+COMPLETED", out), out[-3000:]
    sent = int(re.search(r"messages SENT in the ledger: (\d+)", out).group(1))
    captured = re.search(r"captured \.eml files: (\d+) in (\S+)", out)
    assert sent > 0 and int(captured.group(1)) == sent
    assert len([f for f in os.listdir(captured.group(2)) if f.endswith(".eml")]) == sent
    port = re.search(r"Starting heraldd on 127\.0\.0\.1:(\d+)", out).group(1)
    left = subprocess.run(["pgrep", "-f", f"heraldd --grpc-address 127.0.0.1:{port}"], capture_output=True, text=True)
    assert left.stdout.strip() == "", "the demo left its heraldd running"
    shutil.rmtree(os.path.dirname(captured.group(2)), ignore_errors=True)
