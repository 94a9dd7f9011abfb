"""The README's first command: `herald demo` (what `make demo` runs) runs to the end by
itself (here on a small population and the debug build), prepares and sends, and leaves
no process behind, also when interrupted with Ctrl-C. Its simulated audience
(`herald demo-audience`) fetches exactly the deterministic share of the tracking URLs
found in captured messages, from a recording HTTP server on loopback."""
import email
import email.policy
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

import herald_fixtures as hf

pytestmark = pytest.mark.skipif(os.environ.get("HERALD_REFERENCE") == "1",
                                reason="the Python reference servers do not implement herald.v1")


def herald():
    return os.path.join(hf.bin_dir(), "herald")


def pid_is_gone(pid):
    """True when no process `pid` runs (or the pid now belongs to something else than heraldd)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().split(")")[-1].split()[0] == "Z":
                return False  # a zombie: nobody reaped it
    except OSError:
        return True
    return b"heraldd" not in cmdline


def run_demo(*args, profiles=600, timeout=300):
    env = dict(os.environ, HERALD_DEMO_PROFILES=str(profiles))
    return subprocess.run([herald(), "demo", *args], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def test_demo_runs_to_the_end_and_cleans_up():
    result = run_demo()
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert re.search(r"Starting heraldd on 127\.0\.0\.1:\d+", out), out[-3000:]
    pid = int(re.search(r"heraldd pid (\d+)", out).group(1))
    assert re.search(r"state\s+COMPLETED", out), out[-3000:]
    # The summary: targeted = to deliver + excluded, each cause of the generated population.
    targeted = int(re.search(r"targeted\s+(\d+)", out).group(1))
    to_deliver = int(re.search(r"to deliver\s+(\d+)", out).group(1))
    excluded = int(re.search(r"excluded\s+(\d+)", out).group(1))
    assert targeted == 600 and to_deliver + excluded == targeted
    for cause in ("address not specified", "denylisted", "duplicate", "excluded by filter",
                  "bad quality address", "control group"):
        assert re.search(rf"\n\s+{cause}\s+[1-9]\d*\n", out), (cause, out[-2000:])
    sent = int(re.search(r"messages SENT in the ledger: (\d+)", out).group(1))
    assert sent == to_deliver
    captured = re.search(r"captured \.eml files: (\d+) in (\S+)", out)
    assert int(captured.group(1)) == sent
    assert len([f for f in os.listdir(captured.group(2)) if f.endswith(".eml")]) == sent
    # The audience runs when heraldd has a tracking endpoint; else the summary says so.
    if "no tracking endpoint in this heraldd" in out:
        assert "not simulated (this heraldd has no tracking endpoint)" in out
    else:
        audience = re.search(r"simulated audience: (\d+) opens and (\d+) clicks fetched, (\d+) failed", out)
        assert audience and int(audience.group(1)) > 0, out[-2000:]
        opens, clicks, failed = (int(g) for g in audience.groups())
        assert failed == 0 and 0 < clicks < opens < sent
        # Herald counted what the audience did: its KPIs after the tracking endpoint recorded it.
        assert re.search(rf"opens counted\s+{opens} \(", out), out[-2000:]
        assert re.search(rf"clicks counted\s+{clicks} \(", out), out[-2000:]
        # The live KPI view (plain lines off a terminal, as `herald kpis --watch` prints
        # them) ran while the audience fetched, and ended once it counted every fetch.
        sending = out.split("== Sending to the capture relay (live KPIs)")[1].split("== Summary")[0]
        views = re.findall(r"^\S+ ([A-Z_]+)  delivered (\d+)/(\d+) \([\d.]+%\)  opens (\d+) \([\d.]+%\)"
                           r"  clicks (\d+) \([\d.]+%\)  failed \d+  pending \d+  [\d.]+ msg/s$", sending, re.M)
        assert views, sending[-2000:]
        seen_opens = [int(v[3]) for v in views]
        seen_clicks = [int(v[4]) for v in views]
        assert seen_opens == sorted(seen_opens) and seen_clicks == sorted(seen_clicks), views
        state, delivered, total, last_opens, last_clicks = views[-1]
        assert state == "COMPLETED" and int(delivered) == int(total) == sent, views[-1]
        assert (int(last_opens), int(last_clicks)) == (opens, clicks), (views[-1], opens, clicks)
        assert re.search(rf"audience: \d+ messages read, {opens} opens and {clicks} clicks fetched, 0 failed", sending)
    assert re.search(r"heraldd stopped \(exit 0\)", out), out[-1000:]
    assert pid_is_gone(pid), "the demo left its heraldd running"
    shutil.rmtree(os.path.dirname(captured.group(2)), ignore_errors=True)


def test_ctrl_c_stops_the_demo_and_its_heraldd():
    env = dict(os.environ, HERALD_DEMO_PROFILES="60000")
    proc = subprocess.Popen([herald(), "demo"], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    pid = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            match = re.search(r"heraldd pid (\d+)", line)
            if match:
                pid = int(match.group(1))
            if "== Importing them" in line:
                break
        assert pid is not None, "".join(seen)
        time.sleep(1)  # the import is running
        assert not pid_is_gone(pid)
        os.kill(proc.pid, signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    out = "".join(seen) + rest
    assert proc.returncode == 128 + signal.SIGINT, out[-2000:]
    assert f"interrupted: stopping heraldd (pid {pid})" in out
    assert pid_is_gone(pid), "Ctrl-C left the demo's heraldd running"
    folder = re.search(r"database and outbox in (\S+)\)", out).group(1)
    shutil.rmtree(folder, ignore_errors=True)


def test_demo_without_a_heraldd_fails_clearly(tmp_path):
    missing = str(tmp_path / "no-heraldd")
    result = run_demo("--heraldd", missing)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: cannot start heraldd: {missing} is not an executable file"
    assert "Starting heraldd" not in result.stdout  # nothing started, no folder made

    # A heraldd that exits at once: reported with the end of its log, exit 1.
    failing = tmp_path / "failing-heraldd"
    failing.write_text("#!/bin/sh\n[ \"$1\" = --help ] && exit 0\necho 'cannot open the database' >&2\nexit 3\n")
    failing.chmod(0o755)
    result = run_demo("--heraldd", str(failing))
    assert result.returncode == 1
    assert "heraldd ended (exit 3) before serving" in result.stderr
    assert "cannot open the database" in result.stderr
    folder = re.search(r"database and outbox in (\S+)\)", result.stdout).group(1)
    shutil.rmtree(folder, ignore_errors=True)


# --- the simulated audience ---------------------------------------------------------

class RecordingTracker(http.server.ThreadingHTTPServer):
    """Answers /o/… with 200 and /c/… with 302 (or everything with `fail_with`), and
    records every path it was asked for."""
    daemon_threads = True

    def __init__(self):
        self.paths = []
        self.fail_with = None
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with self.server.lock:
            self.server.paths.append(self.path)
        if self.server.fail_with:
            self.send_response(self.server.fail_with)
        elif self.path.startswith("/c/"):
            self.send_response(302)
            self.send_header("Location", "https://example.com/not-followed")
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def fnv1a(text):
    h = 0xCBF29CE484222325
    for b in text.lower().encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def expected_fetches(outbox, base, open_rate, click_rate):
    """The paths the audience must fetch: recomputed here from the .eml files with the
    documented rule (FNV-1a of the recipient's address)."""
    opens, clicks = set(), set()
    for name in sorted(os.listdir(outbox)):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(outbox, name), "rb") as f:
            message = email.message_from_binary_file(f, policy=email.policy.default)
        recipient = message["X-Herald-Envelope-To"].strip("<> ")
        html = message.get_body(preferencelist=("html",)).get_content()
        pixels = re.findall(re.escape(base) + r'(/o/[^"\'<> ]+)', html)
        links = list(dict.fromkeys(re.findall(re.escape(base) + r'(/c/[^"\'<> ]+)', html)))
        h = fnv1a(recipient)
        first, second = (h % 10000) / 10000, ((h // 10000) % 10000) / 10000
        if first < open_rate:
            opens.add(pixels[0])
            if second < click_rate / open_rate:
                clicks.add(links[(h >> 40) % 1024 % len(links)])
    return opens, clicks


def test_the_audience_fetches_the_deterministic_share_of_tracking_urls(workdir):
    tracker = RecordingTracker()
    thread = threading.Thread(target=tracker.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{tracker.server_address[1]}"
    server = hf.Heraldd(os.path.join(workdir, "herald.sqlite"), workdir, ["--tracking-url", base]).start()
    try:
        example = os.path.join(hf.ROOT, "Clients", "python", "example.py")
        sent = subprocess.run([sys.executable, example, "--server", server.target, "--profiles", "300"],
                              capture_output=True, text=True, timeout=300)
        assert sent.returncode == 0, sent.stdout + sent.stderr
    finally:
        server.stop()
    outbox = os.path.join(workdir, "outbox")
    want_opens, want_clicks = expected_fetches(outbox, base, 0.4, 0.12)
    assert 60 < len(want_opens) < 180 and 0 < len(want_clicks) < len(want_opens)

    result = subprocess.run([herald(), "demo-audience", outbox, "--tracking-base", base, "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["messagesRead"] == 300
    assert counts["messagesWithoutPixel"] == 0 and counts["messagesWithoutLink"] == 0
    assert counts["openers"] == counts["opensFetched"] == len(want_opens)
    assert counts["clickers"] == counts["clicksFetched"] == len(want_clicks)
    assert counts["failures"] == {}
    fetched = list(tracker.paths)
    assert sorted(fetched) == sorted(want_opens | want_clicks)  # each once, nothing else

    # Refusals are counted and reported, never fatal.
    tracker.paths.clear()
    tracker.fail_with = 404
    refused = subprocess.run([herald(), "demo-audience", outbox, "--tracking-base", base, "--json"],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 0, refused.stderr
    counts = json.loads(refused.stdout)
    assert counts["opensFetched"] == counts["clicksFetched"] == 0
    assert counts["failures"] == {"404": len(want_opens) + len(want_clicks)}
    tracker.shutdown()
    tracker.server_close()

    # Nothing listening: connection failures, counted.
    down = subprocess.run([herald(), "demo-audience", outbox, "--tracking-base", base, "--open-rate", "0.1",
                           "--click-rate", "0", "--json"], capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stderr
    counts = json.loads(down.stdout)
    assert counts["opensFetched"] == 0 and counts["openers"] > 0
    assert counts["failures"] == {"connection refused": counts["openers"]}


def test_on_a_terminal_the_live_views_redraw_in_place():
    from test_cli import run_in_pty
    env = dict(os.environ, HERALD_DEMO_PROFILES="3000")
    env.pop("NO_COLOR", None)
    code, screen = run_in_pty([herald(), "demo"], env, timeout=300)
    assert code == 0, screen[-3000:]
    preparing = screen.split("Preparing (live)")[1].split("Sending to the capture relay")[0]
    sending = screen.split("Sending to the capture relay")[1].split("== Summary")[0]
    for view in (preparing, sending):
        # Redrawn in place: cursor movements and carriage returns, not one line per update.
        assert "\x1b[" in view and view.replace("\r\n", "\n").count("\r") >= 1, view[-1500:]
    assert "PERSONALIZING" in preparing and "COMPLETED" in sending
    # The sending shows the KPI view of `herald kpis --watch`, with the audience below it.
    for row in ("Delivered", "Opens", "Clicks", "msg/s", "audience: "):
        assert row in sending, (row, sending[-1500:])
    last_opens = re.findall(r"Opens\S*\s+\S*[█░]+\S*\s+[\d.]+%\s+(\d+)", sending)
    fetched = re.search(r"simulated audience: (\d+) opens and (\d+) clicks fetched", screen)
    assert last_opens and fetched and int(last_opens[-1]) == int(fetched.group(1)), (last_opens[-3:], sending[-1500:])
    assert re.search(r"state\S*\s+\S*COMPLETED", screen)
    pid = int(re.search(r"heraldd pid (\d+)", screen).group(1))
    assert pid_is_gone(pid)
    folder = re.search(r"database and outbox in (\S+)\)", screen).group(1)
    shutil.rmtree(folder, ignore_errors=True)
