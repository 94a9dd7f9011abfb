"""The `herald` preparation and sending commands driven as a user would, against a real
heraldd started in its own temporary directory (its default capture relay writes the
.eml files to ./outbox there): prepare --watch, logs, exclusions, send --watch,
messages, the pause/resume/cancel refusals, the in-place view under a pseudo-terminal,
and reconnection giving up with exit code 5.
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import herald_fixtures
from test_cli import _wait_for_port, json_lines, run, run_in_pty

COUNT = 40
PTY_COUNT = 60_000
DELIVERY = {
    "name": "CLI sale",
    "content": {
        "subject": "Hello {{first_name}}",
        "sender": {"name": "Herald News", "address": "news@example.com"},
        "htmlBody": "<p>Hi {{first_name}}</p>",
    },
    "audience": {"filter": "id STARTS WITH \"cd\""},
    "typology": {
        "rateLimitPerSecond": 1000,
        "rules": [{"filtering": {"name": "no lund", "filter": "attributes.city = \"Lund\""}}],
    },
}


def start_heraldd(tmp):
    bin_dir = herald_fixtures.bin_dir()
    herald, heraldd = os.path.join(bin_dir, "herald"), os.path.join(bin_dir, "heraldd")
    for path in (herald, heraldd):
        if not os.path.exists(path):
            pytest.skip(f"{path} not built (swift build --product herald --product heraldd)")
    port = herald_fixtures.free_port()
    log = open(os.path.join(tmp, "heraldd.log"), "ab")
    proc = subprocess.Popen([heraldd, "--grpc-address", f"127.0.0.1:{port}",
                             "--database", os.path.join(tmp, "h.sqlite"), "--shutdown-grace", "1"],
                            cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
    _wait_for_port(port, proc)
    env = dict(os.environ, HERALD_SERVER=f"127.0.0.1:{port}")
    env.pop("NO_COLOR", None)
    return proc, log, {"herald": herald, "env": env, "tmp": tmp, "port": port}


def stop_heraldd(proc, log):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    log.close()


@pytest.fixture(scope="module")
def cli_env():
    tmp = tempfile.mkdtemp(prefix="herald-cli-delivery-")
    proc, log, env = start_heraldd(tmp)
    try:
        path = os.path.join(tmp, "people.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("id,email,first_name,attributes.city\n")
            for i in range(COUNT):
                f.write(f"cd{i:04d},cd{i}@example.com,Ann {i},{'Lund' if i % 4 == 0 else 'Malmö'}\n")
        imported = run(env, "profiles", "import", path)
        assert imported.returncode == 0, imported.stderr
        yield env
    finally:
        stop_heraldd(proc, log)
        shutil.rmtree(tmp, ignore_errors=True)


def create(cli_env, delivery=DELIVERY):
    created = run(cli_env, "deliveries", "create", "-", "--json", input=json.dumps(delivery))
    assert created.returncode == 0, created.stderr
    return json.loads(created.stdout)["id"]


def test_prepare_logs_exclusions_send_messages(cli_env):
    did = create(cli_env)
    prepared = run(cli_env, "prepare", did, "--watch", "--json")
    assert prepared.returncode == 0, prepared.stderr
    lines = json_lines(prepared.stdout)
    assert lines
    for line in lines:
        k = line.get("kpis", {})
        assert int(k.get("targeted", 0)) == int(k.get("toDeliver", 0)) + int(k.get("toExclude", 0)), line
    final = lines[-1]
    assert final["state"] == "PREPARATION_STATE_SUCCEEDED"
    assert json.loads(run(cli_env, "deliveries", "get", did, "--json").stdout)["state"] == "DELIVERY_STATE_READY"
    kpis = final["kpis"]
    assert int(kpis["targeted"]) == COUNT
    excluded = COUNT // 4
    assert int(kpis["toExclude"]) == excluded and int(kpis["toDeliver"]) == COUNT - excluded
    causes = {c["cause"]: int(c["count"]) for c in kpis["exclusionCounts"]}
    assert causes.get("EXCLUSION_CAUSE_EXCLUDED_BY_FILTER") == excluded

    logs = run(cli_env, "logs", did, "--json")
    assert logs.returncode == 0, logs.stderr
    assert all("severity" in e for e in json_lines(logs.stdout))
    assert run(cli_env, "logs", did, "--severity", "error", "--json").stdout == ""
    assert run(cli_env, "logs", did, "--severity", "bogus").returncode == 4
    table = run(cli_env, "logs", did)
    assert table.returncode == 0 and table.stdout.startswith("TIME")

    exclusions = json_lines(run(cli_env, "exclusions", did, "--cause", "excluded-by-filter", "--json", "--page-size", "3").stdout)
    assert len(exclusions) == excluded
    assert {e["profileId"] for e in exclusions} == {f"cd{i:04d}" for i in range(0, COUNT, 4)}
    assert run(cli_env, "exclusions", did, "--cause", "duplicate", "--json").stdout == ""
    assert "EXCLUDED_BY_FILTER" in run(cli_env, "exclusions", did).stdout

    # Refusals before sending: pause/resume/cancel of a READY delivery, unknown ids.
    assert run(cli_env, "pause", did).returncode == 4
    assert run(cli_env, "resume", did).returncode == 4
    assert run(cli_env, "pause", "dlv_missing").returncode == 3

    sent = run(cli_env, "send", did, "--watch", "--json")
    assert sent.returncode == 0, sent.stderr
    progress = json_lines(sent.stdout)
    assert progress[-1]["state"] == "DELIVERY_STATE_COMPLETED"
    assert int(progress[-1]["sent"]) == COUNT - excluded
    for p in progress:
        assert int(p.get("total", 0)) == sum(int(p.get(k, 0)) for k in ("sent", "failed", "pending", "cancelled")), p

    messages = json_lines(run(cli_env, "messages", did, "--status", "sent", "--json", "--page-size", "7").stdout)
    assert len(messages) == int(kpis["toDeliver"])
    assert all(m["status"] == "MESSAGE_STATUS_SENT" and m["messageId"] for m in messages)
    assert run(cli_env, "messages", did, "--status", "failed", "--json").stdout == ""
    assert run(cli_env, "messages", did, "--status", "nope").returncode == 4
    emls = glob.glob(os.path.join(cli_env["tmp"], "outbox", "**", "*.eml"), recursive=True)
    assert len(emls) >= COUNT - excluded

    # Refusals after completion.
    for command in ("pause", "resume", "cancel"):
        refused = run(cli_env, command, did)
        assert refused.returncode == 4, (command, refused.stdout, refused.stderr)
        assert refused.stderr.startswith("error: FAILED_PRECONDITION") and refused.stderr.count("\n") == 1
    assert run(cli_env, "send", did).returncode == 4


def test_prepare_plain_lines_and_stop(cli_env):
    did = create(cli_env)
    plain = run(cli_env, "prepare", did, "--watch")
    assert plain.returncode == 0, plain.stderr
    assert "\x1b" not in plain.stdout
    assert "Targeted" in plain.stdout and "EXCLUDED_BY_FILTER" in plain.stdout
    assert plain.stdout.splitlines()[-1].startswith("SUCCEEDED")
    assert run(cli_env, "stop", did).returncode == 4  # nothing running


def test_prepare_watch_redraws_in_place_on_a_terminal(cli_env):
    # Enough profiles for the preparation to report progress more than once.
    path = os.path.join(cli_env["tmp"], "many.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,email,first_name\n")
        for i in range(PTY_COUNT):
            f.write(f"pt{i:06d},pt{i}@example.com,Bo {i}\n")
    assert run(cli_env, "profiles", "import", path).returncode == 0
    did = create(cli_env, {**DELIVERY, "audience": {"filter": "id STARTS WITH \"pt\""}})
    code, output = run_in_pty([cli_env["herald"], "prepare", did, "--watch"], cli_env["env"])
    assert code == 0, output
    assert "TARGETING" in output and "To deliver" in output and "Targeted" in output
    # Redrawn in place: the cursor goes back up over the block and clears it.
    redraws = re.findall(r"\r\x1b\[(\d+)A\x1b\[J", output)
    assert redraws, output
    assert all(int(n) >= 9 for n in redraws)
    assert output.count("Targeted") == len(redraws) + 1
    # Plain lines without a terminal: no escapes.
    again = create(cli_env, {**DELIVERY, "audience": {"filter": "id STARTS WITH \"pt\""}})
    plain = run(cli_env, "prepare", again, "--watch")
    assert plain.returncode == 0 and "\x1b" not in plain.stdout


def test_lost_connection_retries_then_exits_5(cli_env):
    tmp = tempfile.mkdtemp(prefix="herald-cli-lost-")
    proc, log, env = start_heraldd(tmp)
    try:
        path = os.path.join(tmp, "people.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("id,email\n")
            for i in range(30):
                f.write(f"cd{i:04d},cd{i}@example.com\n")
        assert run(env, "profiles", "import", path).returncode == 0
        did = create(env, {**DELIVERY, "typology": {"rateLimitPerSecond": 1}})
        assert run(env, "prepare", did, "--watch", "--json").returncode == 0
        watcher = subprocess.Popen([env["herald"], "send", did, "--watch", "--json", "--retries", "2"],
                                   env=env["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = watcher.stdout.readline()
        assert json.loads(first)["deliveryId"] == did
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        out, err = watcher.communicate(timeout=60)
        assert watcher.returncode == 5, err
        assert "reconnecting" in err and "UNAVAILABLE" in err.splitlines()[-1]
    finally:
        stop_heraldd(proc, log)
        shutil.rmtree(tmp, ignore_errors=True)


def test_prepare_failed_exits_4_with_the_errors(cli_env):
    broken = {**DELIVERY, "content": {**DELIVERY["content"], "htmlBody": "<p>{{#if}}</p>"}}
    did = create(cli_env, broken)
    failed = run(cli_env, "prepare", did, "--watch", "--json")
    assert failed.returncode == 4, failed.stderr
    assert json_lines(failed.stdout)[-1]["state"] == "PREPARATION_STATE_FAILED"
    assert "TEMPLATE_SYNTAX_ERROR" in failed.stderr
    assert failed.stderr.splitlines()[-1].startswith("error: FAILED_PRECONDITION")
    assert json.loads(run(cli_env, "deliveries", "get", did, "--json").stdout)["state"] == "DELIVERY_STATE_PREPARATION_FAILED"
    assert run(cli_env, "logs", did, "--severity", "error", "--json").stdout.count("TEMPLATE_SYNTAX_ERROR") >= 1
    assert run(cli_env, "send", did).returncode == 4
