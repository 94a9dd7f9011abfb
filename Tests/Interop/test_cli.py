"""The `herald` CLI driven as a user would, against a real heraldd.

Binaries come from $HERALD_BIN_DIR, else `swift build --show-bin-path`. heraldd runs on
a free loopback port with a SQLite file in a temporary directory and is killed by PID
at teardown. The pseudo-terminal test runs `herald` under Python's `pty`.
"""
import json
import os
import pty
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

import herald_fixtures

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _wait_for_port(port, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"heraldd exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("heraldd did not listen in time")


@pytest.fixture(scope="module")
def cli_env():
    """A running heraldd and how to call `herald` against it."""
    bin_dir = herald_fixtures.bin_dir()
    herald = os.path.join(bin_dir, "herald")
    heraldd = os.path.join(bin_dir, "heraldd")
    for path in (herald, heraldd):
        if not os.path.exists(path):
            pytest.skip(f"{path} not built (swift build --product herald --product heraldd)")
    tmp = tempfile.mkdtemp(prefix="herald-cli-")
    port = herald_fixtures.free_port()
    log = open(os.path.join(tmp, "heraldd.log"), "wb")
    proc = subprocess.Popen([heraldd, "--grpc-address", f"127.0.0.1:{port}",
                             "--database", os.path.join(tmp, "h.sqlite"),
                             "--capture-dir", os.path.join(tmp, "outbox")],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, proc)
        env = dict(os.environ)
        env["HERALD_SERVER"] = f"127.0.0.1:{port}"
        env.pop("NO_COLOR", None)
        yield {"herald": herald, "env": env, "tmp": tmp, "port": port}
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def run(cli_env, *args, input=None, env=None):
    return subprocess.run([cli_env["herald"], *args], capture_output=True, text=True,
                          env=env or cli_env["env"], input=input, timeout=120)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write_csv(path, count, prefix, bad_rows=()):
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,email,first_name,last_name,locale,time_zone,tags,attributes.city,attributes.tier\n")
        for i in range(count):
            city = "Lund" if i % 2 else "Malmö"
            f.write(f'{prefix}{i:06d},{prefix}{i}@example.com,"Ann, {i}",Lee,sv-SE,Europe/Stockholm,'
                    f'news|{"vip" if i % 10 == 0 else "std"},{city},"gold ""{i % 3}"""\n')
        for row in bad_rows:
            f.write(row + "\n")


# --- profiles ----------------------------------------------------------------------

def test_import_csv_summary_and_count(cli_env):
    path = os.path.join(cli_env["tmp"], "people.csv")
    write_csv(path, 12_345, "csv", bad_rows=["too,few"])
    result = run(cli_env, "profiles", "import", path, "--json")
    assert result.returncode == 4, result.stderr  # one row rejected
    summary = json.loads(result.stdout)
    assert summary["rows"] == 12_346
    assert summary["inserted"] == 12_345
    assert summary["updated"] == 0
    assert summary["failed"] == 1
    assert summary["errors"][0]["line"] == 12_347
    assert "expected 9 fields" in summary["errors"][0]["message"]

    count = run(cli_env, "profiles", "count", 'id STARTS WITH "csv"', "--json")
    assert count.returncode == 0, count.stderr
    assert json.loads(count.stdout) == {"count": "12345"}
    vip = run(cli_env, "profiles", "count", 'id STARTS WITH "csv" AND tags HAS "vip"')
    assert vip.stdout.strip() == str(len(range(0, 12_345, 10)))

    profile = json.loads(run(cli_env, "profiles", "get", "csv000003", "--json").stdout)
    assert profile["firstName"] == "Ann, 3"
    assert profile["attributes"] == {"city": "Lund", "tier": 'gold "0"'}
    assert sorted(profile["tags"]) == ["news", "std"]
    assert profile["subscription"] == "SUBSCRIPTION_SUBSCRIBED"

    # Importing again updates every row.
    again = run(cli_env, "profiles", "import", path, "--json")
    assert json.loads(again.stdout)["updated"] == 12_345


def test_import_jsonl_and_human_summary(cli_env):
    path = os.path.join(cli_env["tmp"], "people.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for i in range(500):
            f.write(json.dumps({"id": f"jl{i:04d}", "email": f"j{i}@example.org", "first_name": "Jo",
                                "tags": ["a", "b"], "attributes": {"n": str(i)}}) + "\n")
        f.write('{"id": "jl-bad", "emial": "x"}\n')
        f.write("\n")
        f.write('{"id": "", "email": "no-id@example.org"}\n')
    result = run(cli_env, "profiles", "import", path)
    assert result.returncode == 4, result.stderr
    out = result.stdout
    assert f"Imported {path}: 502 rows" in out
    assert "inserted  500" in out
    assert "failed    2" in out
    assert 'unknown field "emial"' in out
    assert "\x1b[" not in out and "\r" not in result.stderr  # not a terminal: no colours, no redraws
    assert "rows: 502/502 (100%)" in result.stderr
    count = run(cli_env, "profiles", "count", 'id STARTS WITH "jl"', "--json")
    assert json.loads(count.stdout)["count"] == "500"


def test_list_get_unsubscribe_delete(cli_env):
    path = os.path.join(cli_env["tmp"], "few.csv")
    write_csv(path, 25, "few")
    assert run(cli_env, "profiles", "import", path).returncode == 0

    page = run(cli_env, "profiles", "list", "--filter", 'id STARTS WITH "few"', "--page-size", "10", "--json")
    assert page.returncode == 0
    assert [p["id"] for p in json_lines(page.stdout)] == [f"few{i:06d}" for i in range(10)]
    assert "--page-token" in page.stderr
    every = run(cli_env, "profiles", "list", "--filter", 'id STARTS WITH "few"', "--page-size", "10", "--all", "--json")
    assert len(json_lines(every.stdout)) == 25

    table = run(cli_env, "profiles", "list", "--filter", 'id = "few000001"').stdout.splitlines()
    assert table[0].split() == ["ID", "EMAIL", "NAME", "SUBSCRIPTION", "TAGS"]
    assert table[1].split()[0] == "few000001"
    assert table[0].index("EMAIL") == table[1].index("few1@example.com")  # aligned columns

    unsub = run(cli_env, "profiles", "unsubscribe", "few000001", "--json")
    assert json.loads(unsub.stdout)["subscription"] == "SUBSCRIPTION_UNSUBSCRIBED"
    shown = run(cli_env, "profiles", "get", "few000001").stdout
    assert any(line.split() == ["subscription", "UNSUBSCRIBED"] for line in shown.splitlines())

    assert run(cli_env, "profiles", "delete", "few000002").returncode == 0
    gone = run(cli_env, "profiles", "get", "few000002")
    assert gone.returncode == 3
    assert gone.stderr == "error: NOT_FOUND: profile 'few000002' not found\n"


# --- errors ------------------------------------------------------------------------

def test_error_exit_codes_and_one_line_messages(cli_env):
    bad_filter = run(cli_env, "profiles", "count", "nosuchfield = 1")
    assert bad_filter.returncode == 4
    assert bad_filter.stderr.startswith("error: INVALID_ARGUMENT: ")
    assert bad_filter.stderr.count("\n") == 1

    missing = run(cli_env, "deliveries", "get", "dlv_missing")
    assert missing.returncode == 3
    assert missing.stderr == "error: NOT_FOUND: delivery 'dlv_missing' not found\n"

    usage = run(cli_env, "profiles", "list", "--page-size", "0")
    assert usage.returncode == 2
    assert run(cli_env, "profiles", "frobnicate").returncode == 2
    assert run(cli_env, "deliveries", "list", "--state", "bogus").returncode == 4

    down = run(cli_env, "profiles", "count", "", "--server", f"127.0.0.1:{herald_fixtures.free_port()}", "--timeout", "5")
    assert down.returncode == 5
    assert down.stderr.startswith("error: UNAVAILABLE: ")
    assert down.stderr.count("\n") == 1

    unreadable = run(cli_env, "deliveries", "create", os.path.join(cli_env["tmp"], "nope.json"))
    assert unreadable.returncode == 1
    assert unreadable.stderr.startswith("error: cannot read ")


# --- deliveries --------------------------------------------------------------------

DELIVERY = {
    "name": "Spring sale",
    "content": {
        "subject": "Hello {{first_name}}",
        "sender": {"name": "Herald News", "address": "news@example.com"},
        "htmlBody": "<p>Hi {{first_name}}</p><a href=\"https://example.com/sale\">Sale</a>",
    },
    "audience": {"filter": "tags HAS \"vip\""},
    "typology": {
        "rateLimitPerSecond": 50,
        "rules": [{"filtering": {"name": "no lund", "filter": "attributes.city = \"Lund\""}},
                  {"controlGroup": {"name": "holdout", "percent": 5, "seed": "42"}}],
    },
}


def test_deliveries_round_trip(cli_env):
    path = os.path.join(cli_env["tmp"], "delivery.json")
    with open(path, "w") as f:
        json.dump(DELIVERY, f)
    created = run(cli_env, "deliveries", "create", path, "--json")
    assert created.returncode == 0, created.stderr
    delivery = json.loads(created.stdout)
    did = delivery["id"]
    assert delivery["state"] == "DELIVERY_STATE_DRAFT"
    for key in ("name", "content", "audience", "typology"):
        assert delivery[key] == DELIVERY[key], key

    # From standard input, human output.
    second = run(cli_env, "deliveries", "create", "-", input=json.dumps({**DELIVERY, "name": "Other"}))
    assert second.returncode == 0, second.stderr
    lines = second.stdout.splitlines()
    assert lines[1].split(None, 1) == ["name", "Other"]
    assert any(line.split(None, 1) == ["content.subject", "Hello {{first_name}}"] for line in lines)

    got = run(cli_env, "deliveries", "get", did, "--json")
    assert json.loads(got.stdout) == delivery

    listed = json_lines(run(cli_env, "deliveries", "list", "--json").stdout)
    assert did in [d["id"] for d in listed]
    drafts = json_lines(run(cli_env, "deliveries", "list", "--state", "draft", "--json").stdout)
    assert {d["state"] for d in drafts} == {"DELIVERY_STATE_DRAFT"}
    assert run(cli_env, "deliveries", "list", "--state", "ready", "--json").stdout == ""
    table = run(cli_env, "deliveries", "list").stdout.splitlines()
    assert table[0].split() == ["ID", "NAME", "STATE", "UPDATED"]

    patch = os.path.join(cli_env["tmp"], "patch.json")
    with open(patch, "w") as f:
        json.dump({"name": "Renamed", "content": {"subject": "New subject"}}, f)
    updated = run(cli_env, "deliveries", "update", did, patch, "--mask", "name,content.subject", "--json")
    assert updated.returncode == 0, updated.stderr
    after = json.loads(updated.stdout)
    assert after["name"] == "Renamed"
    assert after["content"]["subject"] == "New subject"
    assert after["content"]["htmlBody"] == DELIVERY["content"]["htmlBody"]  # not in the mask
    assert json.loads(run(cli_env, "deliveries", "get", did, "--json").stdout) == after

    bad_mask = run(cli_env, "deliveries", "update", did, patch, "--mask", "nosuch")
    assert bad_mask.returncode == 4
    assert bad_mask.stderr.startswith("error: INVALID_ARGUMENT: ")

    bad_file = os.path.join(cli_env["tmp"], "bad.json")
    with open(bad_file, "w") as f:
        f.write('{"name": "x", "colour": 1}')
    invalid = run(cli_env, "deliveries", "create", bad_file)
    assert invalid.returncode == 4
    assert invalid.stderr == f'error: INVALID_ARGUMENT: {bad_file}: herald.v1.Delivery: unknown field "colour"\n'

    deleted = run(cli_env, "deliveries", "delete", did, "--json")
    assert json.loads(deleted.stdout) == {"deleted": did}
    assert run(cli_env, "deliveries", "get", did).returncode == 3
    assert run(cli_env, "deliveries", "delete", did).returncode == 3


# --- the terminal ------------------------------------------------------------------

def run_in_pty(argv, env, timeout=120):
    """Runs argv with stdin/stdout/stderr on a pseudo-terminal; returns (exit code, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")


def test_progress_bar_redraws_in_place_on_a_terminal_only(cli_env):
    path = os.path.join(cli_env["tmp"], "tty.csv")
    write_csv(path, 30_000, "tty")
    code, screen = run_in_pty([cli_env["herald"], "profiles", "import", path], cli_env["env"])
    assert code == 0, screen
    progress = screen.split("Imported")[0]
    # The terminal turns "\n" into "\r\n": count only the carriage returns of redraws.
    assert progress.replace("\r\n", "\n").count("\r") >= 3  # redrawn in place: at least once per batch
    assert "\x1b[K" in progress
    assert "rows/s" in progress and "ETA" in progress
    assert "30000/30000 rows" in progress
    assert "\x1b[" in screen.split("Imported")[1]  # colours in the summary on a terminal

    no_color = dict(cli_env["env"], NO_COLOR="1")
    code, screen = run_in_pty([cli_env["herald"], "profiles", "import", path], no_color)
    assert code == 0
    assert "\r" in screen.replace("\r\n", "\n")  # still redrawn in place...
    assert "\x1b[3" not in screen and "\x1b[1m" not in screen  # ...but without colours

    plain = run(cli_env, "profiles", "import", path)
    assert plain.returncode == 0
    assert "\r" not in plain.stderr and "\x1b" not in plain.stderr
    assert "\r" not in plain.stdout and "\x1b" not in plain.stdout
    assert plain.stderr.splitlines()[-1].startswith("rows: 30000/30000 (100%)")
