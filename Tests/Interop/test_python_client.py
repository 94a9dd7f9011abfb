"""Clients/python/example.py, the example client for other backend services, run as a
user would against a real heraldd (its own SQLite file and capture relay outbox)."""
import os
import re
import shutil
import subprocess
import sys

import pytest

import herald_fixtures as hf

pytestmark = pytest.mark.skipif(os.environ.get("HERALD_REFERENCE") == "1",
                                reason="the Python reference servers do not implement herald.v1")

EXAMPLE = os.path.join(hf.ROOT, "Clients", "python", "example.py")


def run_example(*args, env=None):
    env = dict(os.environ if env is None else env)
    return subprocess.run([sys.executable, EXAMPLE, *args], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)


def test_example_creates_prepares_sends_and_watches(server, workdir):
    result = run_example("--server", server.target, "--profiles", "12")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "profiles: 12 inserted, 0 updated, 0 rejected" in out
    delivery_id = re.search(r"created delivery (dlv_\S+) \(DRAFT\)", out).group(1)
    # WatchPreparation streamed progress up to the end (which phases a watcher sees
    # depends on when it joins) and the log, and the preparation ended READY.
    assert re.search(r"preparation: SUCCEEDED FINALIZING 12/12 targeted=12 to_deliver=12 to_exclude=0", out), out
    assert "PREPARATION_SUMMARY" in out
    assert re.search(r"prepared in [\d.]+s: READY, targeted=12 to_deliver=12 to_exclude=0", out), out
    # WatchSending followed the sending to its end.
    assert "sent: 12 sent, 0 failed, state COMPLETED" in out
    # WatchKpis: the snapshot when the server has it, a clear note when it is UNIMPLEMENTED.
    assert (re.search(r"kpis: delivered=12 ", out) or
            "kpis: this server does not implement WatchKpis yet (UNIMPLEMENTED)" in out), out
    assert f"done: delivery {delivery_id}" in out
    # The capture relay received every message.
    outbox = os.path.join(workdir, "outbox")
    assert len([f for f in os.listdir(outbox) if f.endswith(".eml")]) == 12


def test_example_takes_the_server_from_HERALD_SERVER(server):
    env = dict(os.environ, HERALD_SERVER=server.target)
    result = run_example("--profiles", "3", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sent: 3 sent, 0 failed, state COMPLETED" in result.stdout


def test_a_grpc_error_is_printed_as_code_and_details(server):
    # More than 10,000 profiles in one UpsertProfiles call: the server refuses the batch.
    result = run_example("--server", server.target, "--profiles", "10001")
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("INVALID_ARGUMENT: "), result.stderr
    assert "10000" in line.replace(",", ""), line
    assert "created delivery" not in result.stdout


def test_an_unreachable_server_is_reported_as_unavailable():
    result = run_example("--server", f"127.0.0.1:{hf.free_port()}", "--connect-timeout", "1")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("UNAVAILABLE: no Herald server answered at 127.0.0.1:"), result.stderr


def test_the_stub_check_fails_on_stale_stubs_and_passes_on_fresh_ones(tmp_path):
    # A copy of Clients/python and Protos: the committed stubs are fresh, an edited one is not.
    shutil.copytree(os.path.join(hf.ROOT, "Protos"), tmp_path / "Protos")
    shutil.copytree(os.path.join(hf.ROOT, "Clients", "python"), tmp_path / "Clients" / "python",
                    ignore=shutil.ignore_patterns("__pycache__"))
    script = str(tmp_path / "Clients" / "python" / "generate.py")
    fresh = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True, timeout=120)
    assert fresh.returncode == 0, fresh.stderr
    stub = tmp_path / "Clients" / "python" / "herald_client" / "gen" / "herald" / "v1" / "kpis_pb2.py"
    stub.write_text(stub.read_text() + "# edited by hand\n")
    stale = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True, timeout=120)
    assert stale.returncode == 1
    assert "differs: herald/v1/kpis_pb2.py" in stale.stderr
    # A proto changed without regenerating: stale too.
    subprocess.run([sys.executable, script], check=True, capture_output=True, timeout=120)
    proto = tmp_path / "Protos" / "herald" / "v1" / "kpis.proto"
    proto.write_text(proto.read_text().replace("int64 opens = 8;", "int64 opens = 8;\n  int64 extra_count = 99;"))
    changed = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True, timeout=120)
    assert changed.returncode == 1
    assert "kpis_pb2.py" in changed.stderr
