"""Tracking end to end with real clients: a delivery sent to heraldd's capture relay,
the captured .eml files parsed with Python's `email` package, and every tracking URL
in them fetched with http.client (no redirect following): the open pixel (1×1 GIF, no
caching), the click redirects (302 to the exact original link, personalized for the
recipient), the unsubscribe page and the RFC 8058 one-click POST. Forged tokens get 404
and count nothing; duplicate opens count once in `opens` and every time in
`total_opens`; after a restart the counts are identical and the tokens still valid
(the generated signing key is kept in the database).

Counts are read both from the database file with sqlite3 (table engagement_totals) and
from GetDelivery's KPIs."""
import email
import email.policy
import glob
import http.client
import importlib
import os
import re
import socket
import sqlite3
import time
import urllib.parse

import grpc
import pytest

import herald_fixtures as hf

pytestmark = pytest.mark.skipif(os.environ.get("HERALD_REFERENCE") == "1",
                                reason="the Python reference servers do not implement herald.v1")

HUMAN = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.0"
GMAIL_PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
NAMES = {"t1": "Ada", "t2": "Brendan", "t3": "Cleo", "t4": "Dmitri"}


@pytest.fixture(scope="module")
def pb():
    ns = hf.herald_stubs()
    ns.preparation_pb2 = importlib.import_module("herald.v1.preparation_pb2")
    ns.profile_pb2 = importlib.import_module("herald.v1.profile_pb2")
    return ns


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def fetch(method, url, user_agent=HUMAN, body=None, headers=None):
    """One request, no redirect following: (status, headers dict, body bytes)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        all_headers = {"User-Agent": user_agent, **(headers or {})}
        conn.request(method, parts.path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def read_response(f):
    """One HTTP/1.1 response from a buffered socket file: (status, headers dict, body)."""
    status_line = f.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    headers = {}
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        name, value = line.decode().split(":", 1)
        headers[name.strip().lower()] = value.strip()
    body = f.read(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


def pipelined(base, paths, user_agent=HUMAN, close_last=False):
    """GETs of `paths` written at once on one connection (HTTP/1.1 pipelining); the
    answers in order, then whether the server closed the connection after the last."""
    parts = urllib.parse.urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        requests = []
        for i, path in enumerate(paths):
            close = "Connection: close\r\n" if close_last and i == len(paths) - 1 else ""
            requests.append(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: {user_agent}\r\n{close}\r\n")
        sock.sendall("".join(requests).encode())
        f = sock.makefile("rb")
        answers = [read_response(f) for _ in paths]
        closed = False
        if close_last:
            closed = f.read(1) == b""
        return answers, closed


def counts(database, did):
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT opens, machine_opens, total_opens, clicks, total_clicks, unsubscribes "
                         "FROM engagement_totals WHERE delivery_id = ?", (did,)).fetchone()
    keys = ("opens", "machine_opens", "total_opens", "clicks", "total_clicks", "unsubscribes")
    return dict(zip(keys, row or (0,) * 6))


def kpis(pb, deliveries, did):
    """GetDelivery's engagement KPIs."""
    delivery = deliveries.GetDelivery(pb.delivery_service_pb2.GetDeliveryRequest(delivery_id=did), timeout=10).delivery
    assert delivery.HasField("kpis")
    k = delivery.kpis
    return dict(opens=k.opens, machine_opens=k.machine_opens, total_opens=k.total_opens, clicks=k.clicks,
                total_clicks=k.total_clicks, unsubscribes=k.unsubscribes)


def test_tracking_urls_from_captured_mail(pb, workdir):
    database = os.path.join(workdir, "herald.sqlite")
    tracking_port = hf.free_port()
    base = f"http://127.0.0.1:{tracking_port}"
    # --machine-open-seconds 0: the fetches below come right after sending; only the
    # user agent makes a machine open here.
    args = ["--tracking-address", f"127.0.0.1:{tracking_port}", "--tracking-url", base, "--machine-open-seconds", "0"]
    server = hf.Heraldd(database, workdir, extra_args=args).start()
    channel = grpc.insecure_channel(server.target)
    profiles = pb.profile_service_pb2_grpc.ProfileServiceStub(channel)
    deliveries = pb.delivery_service_pb2_grpc.DeliveryServiceStub(channel)
    s, d, p = pb.delivery_service_pb2, pb.delivery_pb2, pb.profile_pb2
    try:
        rows = [p.Profile(id=i, email=f"{i}@example.com", first_name=n) for i, n in NAMES.items()]
        assert not profiles.UpsertProfiles(pb.profile_service_pb2.UpsertProfilesRequest(profiles=rows), timeout=30).errors
        delivery = d.Delivery(name="tracking", content=d.DeliveryContent(
            subject="Hello {{first_name}}", sender=d.EmailAddress(name="Herald", address="news@example.com"),
            html_body='<p>Hi {{first_name}}</p><a href="https://example.com/a?x=1&amp;y=2">A</a> '
                      '<a href="https://example.com/p/{{first_name}}">B</a> '
                      '<a href="{{unsubscribe_url}}">unsubscribe</a>'))
        did = deliveries.CreateDelivery(s.CreateDeliveryRequest(delivery=delivery), timeout=10).delivery.id
        deliveries.PrepareDelivery(s.PrepareDeliveryRequest(delivery_id=did), timeout=30)
        final = None
        for message in deliveries.WatchPreparation(s.WatchPreparationRequest(delivery_id=did), timeout=60):
            final = message.progress
        assert final.state == pb.preparation_pb2.PREPARATION_STATE_SUCCEEDED, final
        deliveries.SendDelivery(s.SendDeliveryRequest(delivery_id=did), timeout=10)

        def completed():
            got = deliveries.GetDelivery(s.GetDeliveryRequest(delivery_id=did), timeout=10).delivery
            return got.state == d.DELIVERY_STATE_COMPLETED
        wait_for(completed, 60, "the delivery to complete")

        # The captured messages: one per recipient, with their tracking URLs.
        mails = {}
        for path in glob.glob(os.path.join(workdir, "outbox", "**", "*.eml"), recursive=True):
            with open(path, "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            html = msg.get_body(preferencelist=("html",)).get_content()
            profile = msg["To"].addresses[0].addr_spec.split("@")[0]
            mails[profile] = dict(
                html=html,
                pixel=re.findall(r'<img src="([^"]+)"', html),
                clicks=re.findall(r'href="(' + re.escape(base) + r'/c/[^"]+)"', html),
                unsubscribe=re.findall(r'href="(' + re.escape(base) + r'/u/[^"]+)"', html),
                list_unsubscribe=msg["List-Unsubscribe"])
        assert sorted(mails) == sorted(NAMES)
        for profile, mail in mails.items():
            assert len(mail["pixel"]) == 1 and mail["pixel"][0].startswith(base + "/o/"), mail["html"]
            assert len(mail["clicks"]) == 2, mail["html"]
            assert len(mail["unsubscribe"]) == 1
            assert mail["list_unsubscribe"] == f"<{mail['unsubscribe'][0]}>"
            assert "example.com/a" not in mail["html"], "tracked links are rewritten"

        # t1 opens three times (one distinct open), clicks both links.
        t1 = mails["t1"]
        for _ in range(3):
            status, headers, body = fetch("GET", t1["pixel"][0])
            assert status == 200
            assert headers["content-type"] == "image/gif"
            assert headers["cache-control"] == "no-cache, no-store, must-revalidate"
            assert body.startswith(b"GIF89a") and len(body) == 43
        status, headers, _ = fetch("GET", t1["clicks"][0])
        assert status == 302 and headers["location"] == "https://example.com/a?x=1&y=2"
        status, headers, _ = fetch("GET", t1["clicks"][1])
        assert status == 302 and headers["location"] == "https://example.com/p/Ada"
        # t4's second link is personalized for t4.
        status, headers, _ = fetch("GET", mails["t4"]["clicks"][1])
        assert status == 302 and headers["location"] == "https://example.com/p/Dmitri"
        # t2's open comes from Gmail's image proxy: a machine open.
        assert fetch("GET", mails["t2"]["pixel"][0], user_agent=GMAIL_PROXY)[0] == 200

        # Forged, altered and misused tokens: 404, nothing counted.
        before = counts(database, did)
        pixel = t1["pixel"][0]
        token = pixel.rsplit("/", 1)[1]
        altered = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert fetch("GET", f"{base}/o/{altered}")[0] == 404
        assert fetch("GET", f"{base}/o/{token[:-3]}")[0] == 404
        assert fetch("GET", f"{base}/o/{token.replace('.o.', '.u.')}")[0] == 404
        assert fetch("GET", f"{base}/c/{token}")[0] == 404             # an open token on the click path
        assert fetch("GET", f"{base}/o/not-a-token")[0] == 404
        click_token = t1["clicks"][0].rsplit("/", 1)[1]
        assert fetch("GET", f"{base}/c/{click_token.replace('.c0.', '.c1.')}")[0] == 404
        assert counts(database, did) == before

        # t3 unsubscribes: the page, then the RFC 8058 one-click POST.
        status, headers, body = fetch("GET", mails["t3"]["unsubscribe"][0])
        assert status == 200 and b"<form method=\"post\"" in body
        status, _, _ = fetch("POST", mails["t3"]["unsubscribe"][0], body=b"List-Unsubscribe=One-Click",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200
        got = profiles.GetProfile(pb.profile_service_pb2.GetProfileRequest(profile_id="t3"), timeout=10).profile
        assert got.subscription == p.SUBSCRIPTION_UNSUBSCRIBED

        expected = dict(opens=1, machine_opens=1, total_opens=4, clicks=2, total_clicks=3, unsubscribes=1)
        assert counts(database, did) == expected
        assert kpis(pb, deliveries, did) == expected

        # Pipelined requests on one connection, opens (answered on the event loop) mixed
        # with routes Hummingbird answers: every answer in request order, the forged open
        # counts nothing, the others count once each.
        path = lambda url: urllib.parse.urlsplit(url).path
        answers, _ = pipelined(base, [
            path(t1["pixel"][0]), path(mails["t3"]["unsubscribe"][0]), path(mails["t4"]["pixel"][0]),
            f"/o/{altered}", path(mails["t4"]["clicks"][0]), path(t1["pixel"][0]), "/o/not-a-token",
        ])
        assert [a[0] for a in answers] == [200, 200, 200, 404, 302, 200, 404]
        assert answers[0][2] == answers[2][2] == answers[5][2] and answers[0][2].startswith(b"GIF89a")
        assert answers[0][1]["content-type"] == "image/gif" and "date" in answers[0][1]
        assert answers[0][1]["cache-control"] == "no-cache, no-store, must-revalidate"
        assert b"<form method=\"post\"" in answers[1][2]
        assert answers[3][2] == answers[6][2] == b"not found\n"
        assert answers[4][1]["location"] == "https://example.com/a?x=1&y=2"
        # Connection: close on an open: answered, then the server closes.
        answers, closed = pipelined(base, [path(mails["t2"]["pixel"][0])], user_agent=GMAIL_PROXY, close_last=True)
        assert answers[0][0] == 200 and closed
        expected = dict(opens=2, machine_opens=1, total_opens=8, clicks=2, total_clicks=4, unsubscribes=1)
        assert counts(database, did) == expected
        assert kpis(pb, deliveries, did) == expected
    finally:
        channel.close()
        assert server.stop() == 0

    # Restart: the same counts, and the tokens still verify (the key is in the database).
    server = hf.Heraldd(database, workdir, extra_args=args).start()
    channel = grpc.insecure_channel(server.target)
    deliveries = pb.delivery_service_pb2_grpc.DeliveryServiceStub(channel)
    try:
        assert counts(database, did) == expected
        assert kpis(pb, deliveries, did) == expected
        assert fetch("GET", t1["pixel"][0])[0] == 200
        after = counts(database, did)
        assert after == dict(expected, total_opens=expected["total_opens"] + 1)
    finally:
        channel.close()
        assert server.stop() == 0
