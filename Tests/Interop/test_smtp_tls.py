"""heraldd sending through a relay that requires STARTTLS and AUTH: aiosmtpd with a
self-signed certificate made at test time by `openssl` (heraldd trusts it through
--smtp-ca-file), AUTH PLAIN and AUTH LOGIN with a fixed user and password given in
HERALD_SMTP_USER / HERALD_SMTP_PASSWORD. A wrong password fails the delivery's messages
with a clear reason and a log line (that never shows the password); a relay that does
not offer STARTTLS while it is required fails them too, and nothing is sent in clear.
"""
import importlib
import os
import ssl
import subprocess
import threading
import time

import grpc
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

import herald_fixtures as hf

pytestmark = pytest.mark.skipif(os.environ.get("HERALD_REFERENCE") == "1",
                                reason="the Python reference servers do not implement herald.v1")

USER, PASSWORD = "herald", "s3cret-Pässword"
POPULATION = 40


class Recorder:
    """Keeps what each accepted message's session looked like."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sessions = []
        self.mechanisms = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.sessions.append((session.ssl is not None, session.authenticated, list(envelope.rcpt_tos)))
        return "250 OK"

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        with self.lock:
            self.mechanisms.append(mechanism)
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    def count(self):
        with self.lock:
            return len(self.sessions)


@pytest.fixture(scope="module")
def pb():
    ns = hf.herald_stubs()
    ns.sending_pb2 = importlib.import_module("herald.v1.sending_pb2")
    ns.preparation_pb2 = importlib.import_module("herald.v1.preparation_pb2")
    return ns


@pytest.fixture
def certificate(workdir):
    """A self-signed certificate for 127.0.0.1 / localhost and its key."""
    cert, key = os.path.join(workdir, "relay.pem"), os.path.join(workdir, "relay.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def relay(recorder, certificate=None, exclude=(), starttls=True):
    kwargs = dict(auth_require_tls=False)
    if starttls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        kwargs = dict(tls_context=context, require_starttls=True, auth_require_tls=True)
    controller = Controller(recorder, hostname="127.0.0.1", port=hf.free_port(), authenticator=recorder.authenticator,
                            auth_required=True, auth_exclude_mechanism=list(exclude), **kwargs)
    controller.start()
    return controller


def deliver(pb, server):
    """Prepares and sends a delivery to POPULATION recipients; returns its final ledger."""
    channel = grpc.insecure_channel(server.target)
    profiles = pb.profile_service_pb2_grpc.ProfileServiceStub(channel)
    deliveries = pb.delivery_service_pb2_grpc.DeliveryServiceStub(channel)
    s, d = pb.delivery_service_pb2, pb.delivery_pb2
    try:
        rows = [pb.profile_pb2.Profile(id=f"t{i:03d}", email=f"t{i}@example.com", first_name=f"N{i}", tags=["tls"])
                for i in range(POPULATION)]
        assert not profiles.UpsertProfiles(pb.profile_service_pb2.UpsertProfilesRequest(profiles=rows), timeout=30).errors
        delivery = d.Delivery(
            name="tls", audience=d.Audience(filter='tags HAS "tls"'), typology=d.Typology(tracking_disabled=True),
            content=d.DeliveryContent(subject="Hi {{first_name}}", sender=d.EmailAddress(address="news@example.com"),
                                      html_body='<p>Hi</p><a href="{{unsubscribe_url}}">unsubscribe</a>'))
        did = deliveries.CreateDelivery(s.CreateDeliveryRequest(delivery=delivery), timeout=10).delivery.id
        deliveries.PrepareDelivery(s.PrepareDeliveryRequest(delivery_id=did), timeout=30)
        for _ in deliveries.WatchPreparation(s.WatchPreparationRequest(delivery_id=did), timeout=60):
            pass
        deliveries.SendDelivery(s.SendDeliveryRequest(delivery_id=did), timeout=10)
        final = None
        for message in deliveries.WatchSending(s.WatchSendingRequest(delivery_id=did), timeout=120):
            final = message.progress
        assert final.state == d.DELIVERY_STATE_COMPLETED, final
        page = deliveries.ListMessages(s.ListMessagesRequest(delivery_id=did, page_size=1000), timeout=30)
        return list(page.messages)
    finally:
        channel.close()


def heraldd(workdir, controller, certificate, password=PASSWORD, starttls="required"):
    env_user, env_password = os.environ.get("HERALD_SMTP_USER"), os.environ.get("HERALD_SMTP_PASSWORD")
    os.environ["HERALD_SMTP_USER"], os.environ["HERALD_SMTP_PASSWORD"] = USER, password
    try:
        return hf.Heraldd(os.path.join(workdir, "herald.sqlite"), workdir, extra_args=[
            "--smtp", f"127.0.0.1:{controller.port}", "--smtp-starttls", starttls,
            "--smtp-ca-file", certificate[0]]).start()
    finally:
        for name, value in (("HERALD_SMTP_USER", env_user), ("HERALD_SMTP_PASSWORD", env_password)):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_starttls_required_and_auth(pb, workdir, certificate, mechanism):
    recorder = Recorder()
    exclude = ["LOGIN"] if mechanism == "PLAIN" else ["PLAIN"]
    controller = relay(recorder, certificate, exclude=exclude)
    server = heraldd(workdir, controller, certificate)
    try:
        rows = deliver(pb, server)
    finally:
        server.stop()
        controller.stop()
    assert len(rows) == POPULATION
    assert all(r.status == pb.sending_pb2.MESSAGE_STATUS_SENT for r in rows)
    assert recorder.count() == POPULATION
    assert all(tls and authenticated for tls, authenticated, _ in recorder.sessions), "every message over TLS, after AUTH"
    assert recorder.mechanisms and set(recorder.mechanisms) == {mechanism}
    assert PASSWORD not in server.output()


def test_wrong_password_fails_the_messages_with_a_clear_reason(pb, workdir, certificate):
    recorder = Recorder()
    controller = relay(recorder, certificate)
    server = heraldd(workdir, controller, certificate, password="wrong-password")
    try:
        rows = deliver(pb, server)
    finally:
        server.stop()
        controller.stop()
    assert recorder.count() == 0
    assert len(rows) == POPULATION
    assert all(r.status == pb.sending_pb2.MESSAGE_STATUS_FAILED for r in rows)
    assert all(r.failure_reason == pb.sending_pb2.FAILURE_REASON_REFUSED for r in rows)
    assert all("refused the credentials" in r.reply_text and "535" in r.reply_text for r in rows), rows[0].reply_text
    log = server.output()
    assert "SMTP authentication refused" in log
    assert "wrong-password" not in log and PASSWORD not in log


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # that relay's point
def test_required_starttls_not_offered_sends_nothing(pb, workdir, certificate):
    recorder = Recorder()
    controller = relay(recorder, starttls=False)  # plain relay (AUTH offered without TLS)
    server = heraldd(workdir, controller, certificate)
    try:
        rows = deliver(pb, server)
    finally:
        server.stop()
        controller.stop()
    assert recorder.count() == 0 and recorder.mechanisms == [], "no credentials went in clear text"
    assert all(r.status == pb.sending_pb2.MESSAGE_STATUS_FAILED for r in rows)
    assert all("does not offer STARTTLS" in r.reply_text for r in rows), rows[0].reply_text
    assert "SMTP STARTTLS failed" in server.output()
