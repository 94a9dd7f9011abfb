"""Live KPIs with real clients: grpcio WatchKpis streams (one delivery, and every active
delivery) while a delivery is sent to heraldd's capture relay and its captured messages'
open pixels and click links are fetched over HTTP; GetDelivery returns the same numbers.
Then the `herald kpis` command: one snapshot with --json, a --json watch that moves when
a pixel is fetched, plain lines off a terminal, and the live view redrawn in place
under a pseudo-terminal."""
import email
import email.policy
import glob
import http.client
import json
import os
import pty
import re
import select
import signal
import subprocess
import threading
import time
import urllib.parse

import grpc
import pytest

import herald_fixtures as hf

pytestmark = pytest.mark.skipif(os.environ.get("HERALD_REFERENCE") == "1",
                                reason="the Python reference servers do not implement herald.v1")

PROFILES = 30
HUMAN = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.0"


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def fetch(url):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path, headers={"User-Agent": HUMAN})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class Watch:
    """A WatchKpis stream read by a thread into `updates` until cancelled."""

    def __init__(self, stub, pb, delivery_id):
        self.updates = []
        self.lock = threading.Lock()
        self.call = stub.WatchKpis(pb.delivery_service_pb2.WatchKpisRequest(delivery_id=delivery_id), timeout=120)
        self.error = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for message in self.call:
                with self.lock:
                    self.updates.append(message.update)
        except grpc.RpcError as error:
            self.error = error

    def snapshot(self):
        with self.lock:
            return list(self.updates)

    def last(self):
        with self.lock:
            return self.updates[-1] if self.updates else None

    def cancel(self):
        self.call.cancel()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """heraldd with its tracking endpoint, a sent-to-be delivery and the stubs."""
    pb = hf.herald_stubs()
    workdir = str(tmp_path_factory.mktemp("kpis"))
    tracking_port = hf.free_port()
    base = f"http://127.0.0.1:{tracking_port}"
    args = ["--tracking-address", f"127.0.0.1:{tracking_port}", "--tracking-url", base, "--machine-open-seconds", "0"]
    server = hf.Heraldd(os.path.join(workdir, "herald.sqlite"), workdir, extra_args=args).start()
    channel = grpc.insecure_channel(server.target)
    try:
        yield dict(pb=pb, server=server, workdir=workdir, base=base, channel=channel,
                   profiles=pb.profile_service_pb2_grpc.ProfileServiceStub(channel),
                   deliveries=pb.delivery_service_pb2_grpc.DeliveryServiceStub(channel))
    finally:
        channel.close()
        server.stop()


def prepared_delivery(env, name):
    pb, s, d = env["pb"], env["pb"].delivery_service_pb2, env["pb"].delivery_pb2
    p = pb.profile_pb2
    rows = [p.Profile(id=f"{name}-{i}", email=f"{name}-{i}@example.com", first_name=f"N{i}", tags=[name])
            for i in range(PROFILES)]
    assert not env["profiles"].UpsertProfiles(pb.profile_service_pb2.UpsertProfilesRequest(profiles=rows), timeout=30).errors
    delivery = d.Delivery(name=name, audience=d.Audience(filter=f'tags HAS "{name}"'), content=d.DeliveryContent(
        subject="Hello {{first_name}}", sender=d.EmailAddress(name="Herald", address="news@example.com"),
        html_body='<p>Hi {{first_name}}</p><a href="https://example.com/a">A</a> <a href="{{unsubscribe_url}}">u</a>'))
    did = env["deliveries"].CreateDelivery(s.CreateDeliveryRequest(delivery=delivery), timeout=10).delivery.id
    env["deliveries"].PrepareDelivery(s.PrepareDeliveryRequest(delivery_id=did), timeout=30)
    for _ in env["deliveries"].WatchPreparation(s.WatchPreparationRequest(delivery_id=did), timeout=60):
        pass
    got = env["deliveries"].GetDelivery(s.GetDeliveryRequest(delivery_id=did), timeout=10).delivery
    assert got.state == d.DELIVERY_STATE_READY, got
    return did


def tracking_urls(env, did):
    """Per recipient: the open pixel and the click link of the captured message (only
    this delivery is ever sent by this module's server)."""
    urls = {}
    for path in glob.glob(os.path.join(env["workdir"], "outbox", "**", "*.eml"), recursive=True):
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        html = msg.get_body(preferencelist=("html",)).get_content()
        pixel = re.findall(r'<img src="([^"]+/o/[^"]+)"', html)
        clicks = re.findall(r'href="(' + re.escape(env["base"]) + r'/c/[^"]+)"', html)
        urls[msg["To"].addresses[0].addr_spec] = dict(pixel=pixel[0], click=clicks[0])
    return urls


def send_and_wait(env, did):
    s, d = env["pb"].delivery_service_pb2, env["pb"].delivery_pb2
    env["deliveries"].SendDelivery(s.SendDeliveryRequest(delivery_id=did), timeout=10)

    def completed():
        got = env["deliveries"].GetDelivery(s.GetDeliveryRequest(delivery_id=did), timeout=10).delivery
        return got.state == d.DELIVERY_STATE_COMPLETED
    wait_for(completed, 60, "the delivery to complete")


def test_watch_kpis_one_delivery_and_every_active_one(env):
    pb, s, d = env["pb"], env["pb"].delivery_service_pb2, env["pb"].delivery_pb2
    did = prepared_delivery(env, "grpcio")
    idle = env["deliveries"].CreateDelivery(s.CreateDeliveryRequest(delivery=d.Delivery(
        name="idle", content=d.DeliveryContent(subject="x", sender=d.EmailAddress(address="a@example.com"),
                                               html_body="<p>x</p>"))), timeout=10).delivery.id
    one = Watch(env["deliveries"], pb, did)
    every = Watch(env["deliveries"], pb, "")
    try:
        wait_for(lambda: one.last() is not None, 10, "the first snapshot")
        first = one.snapshot()[0]
        assert first.delivery_id == did and first.state == d.DELIVERY_STATE_READY
        assert first.kpis.to_deliver == PROFILES and first.kpis.pending == PROFILES and first.kpis.sent == 0

        send_and_wait(env, did)
        wait_for(lambda: one.last().state == d.DELIVERY_STATE_COMPLETED and one.last().kpis.delivered == PROFILES,
                 10, "the completed snapshot")
        wait_for(lambda: every.last() is not None and every.last().state == d.DELIVERY_STATE_COMPLETED,
                 10, "the completed snapshot on the every-active stream")

        urls = tracking_urls(env, did)
        assert len(urls) == PROFILES
        recipients = sorted(urls)
        for address in recipients[:10]:
            assert fetch(urls[address]["pixel"]) == 200
        assert fetch(urls[recipients[0]]["pixel"]) == 200
        for address in recipients[:4]:
            assert fetch(urls[address]["click"]) == 302
        wait_for(lambda: (one.last().kpis.opens, one.last().kpis.total_opens, one.last().kpis.clicks) == (10, 11, 4),
                 10, "the opens and clicks in the stream")
        assert one.error is None and every.error is None
    finally:
        one.cancel()
        every.cancel()

    updates = one.snapshot()
    for update in updates:
        k = update.kpis
        assert k.sent + k.failed + k.pending + k.cancelled == k.to_deliver
        assert update.delivery_id == did
    last = updates[-1].kpis
    assert last.open_rate == pytest.approx(10 / PROFILES)
    assert last.click_rate == pytest.approx(4 / PROFILES)
    assert last.delivery_rate_to_deliver == 1.0
    # GetDelivery returns the same numbers.
    got = env["deliveries"].GetDelivery(s.GetDeliveryRequest(delivery_id=did), timeout=10).delivery.kpis
    assert (got.delivered, got.opens, got.total_opens, got.clicks, got.total_clicks) == (PROFILES, 10, 11, 4, 4)
    assert got.open_rate == last.open_rate
    # The every-active stream saw this delivery sending, then its final snapshot; never the idle one.
    seen = every.snapshot()
    assert {u.delivery_id for u in seen} == {did}
    assert idle not in {u.delivery_id for u in seen}
    assert seen[-1].state == d.DELIVERY_STATE_COMPLETED and seen[-1].kpis.sent == PROFILES
    env["sent"] = (did, urls)


# --- the herald kpis command -------------------------------------------------------------

def herald(env):
    path = os.path.join(hf.bin_dir(), "herald")
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: build it first (swift build --product herald)")
    cli_env = dict(os.environ, HERALD_SERVER=env["server"].target)
    cli_env.pop("NO_COLOR", None)
    return path, cli_env


def run_in_pty(argv, cli_env, duration, during=None):
    """Runs argv on a pseudo-terminal for `duration` seconds (calling `during` after 1 s),
    then SIGINT by pid; returns the output."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(argv[0], argv, cli_env)
        finally:
            os._exit(127)
    output = b""
    start = time.monotonic()
    called = False
    try:
        while time.monotonic() - start < duration:
            if during and not called and time.monotonic() - start > 1:
                during()
                called = True
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
    finally:
        os.kill(pid, signal.SIGINT)
        os.waitpid(pid, 0)
        os.close(fd)
    return output.decode("utf-8", "replace")


def test_herald_kpis_json_watch_and_terminal_view(env):
    if "sent" not in env:
        test_watch_kpis_one_delivery_and_every_active_one(env)
    did, urls = env["sent"]
    path, cli_env = herald(env)
    recipients = sorted(urls)

    one = subprocess.run([path, "kpis", did, "--json"], capture_output=True, text=True, env=cli_env, timeout=60)
    assert one.returncode == 0, one.stderr
    lines = [json.loads(line) for line in one.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    snapshot = lines[0]
    assert snapshot["deliveryId"] == did and snapshot["state"] == "DELIVERY_STATE_COMPLETED"
    assert int(snapshot["kpis"]["delivered"]) == PROFILES and int(snapshot["kpis"]["opens"]) == 10
    assert snapshot["kpis"]["openRate"] == pytest.approx(10 / PROFILES)

    none = subprocess.run([path, "kpis", "--json"], capture_output=True, text=True, env=cli_env, timeout=60)
    assert none.returncode == 0 and none.stdout.strip() == ""  # nothing active
    missing = subprocess.run([path, "kpis", "no-such-id"], capture_output=True, text=True, env=cli_env, timeout=60)
    assert missing.returncode == 3 and "NOT_FOUND" in missing.stderr

    # --watch --json: the current snapshot, then an update once a pixel is fetched.
    watcher = subprocess.Popen([path, "kpis", did, "--watch", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=cli_env)
    try:
        first = json.loads(watcher.stdout.readline())
        assert int(first["kpis"]["opens"]) == 10
        assert fetch(urls[recipients[10]]["pixel"]) == 200
        second = json.loads(watcher.stdout.readline())
        assert int(second["kpis"]["opens"]) == 11 and int(second["kpis"]["totalOpens"]) == 12
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.wait(10)

    # Plain lines off a terminal.
    plain = subprocess.Popen([path, "kpis", did, "--watch"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=cli_env)
    try:
        line = plain.stdout.readline()
        assert line.startswith(did) and "COMPLETED" in line and "opens 11" in line and "\x1b" not in line
    finally:
        plain.send_signal(signal.SIGINT)
        plain.wait(10)

    # The live view on a terminal: redrawn in place (cursor up + clear) when opens and clicks come in.
    def more():
        for address in recipients[11:14]:
            assert fetch(urls[address]["pixel"]) == 200
        time.sleep(0.5)
        assert fetch(urls[recipients[20]]["click"]) == 302
    screen = run_in_pty([path, "kpis", did, "--watch"], cli_env, duration=4, during=more)
    assert "Delivered" in screen and "Opens" in screen and "Clicks" in screen, screen
    assert re.search(r"\x1b\[\d+A\x1b\[J", screen), screen  # moved back up over the block: in place
    assert "\x1b[K" in screen
    assert "46.7%" in screen or "14" in screen  # 14 of 30 opened after the fetches
    assert "100.0%" in screen  # every message delivered
    assert "█" in screen
