"""Sending through a real SMTP server (aiosmtpd, in this process), the produced
messages parsed by Python's `email` package, and crash recovery: heraldd is killed
with SIGKILL while SENDING, restarted on the same database, and resumes by itself.
Every message ends SENT exactly once in the ledger, and the relay receives each
message at most once more, and at most as many duplicates as messages were in flight
(handed to the relay, outcome not yet committed: at most the 8 SMTP sessions)."""
import collections
import email
import email.policy
import importlib
import os
import threading

import grpc
import pytest
from aiosmtpd.controller import Controller

from herald_fixtures import ledger, wait_for

import herald_fixtures as hf

pytestmark = pytest.mark.skipif(os.environ.get("HERALD_REFERENCE") == "1",
                                reason="the Python reference servers do not implement herald.v1")

POPULATION = 1_200
RATE = 300            # messages per second, so that the kill lands mid-delivery
MAX_IN_FLIGHT = 8     # the sending engine's bound on messages in flight (= the 8 SMTP sessions)


class Recorder:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def count(self):
        with self.lock:
            return len(self.messages)

    def snapshot(self):
        with self.lock:
            return list(self.messages)


class PipeliningRecorder(Recorder):
    """A Recorder whose EHLO offers PIPELINING (RFC 2920; aiosmtpd reads commands in order,
    so pipelined ones just work), and that counts the messages whose next MAIL command was
    already waiting in the connection when their data ended: the client sent the next
    envelope with the data, before the relay's reply (Herald's overlap)."""

    def __init__(self):
        super().__init__()
        self.overlapped = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses[:-1] + ["250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):
        # aiosmtpd's stream reader (private, read only): what arrived after the ".".
        waiting = bytes(getattr(getattr(server, "_reader", None), "_buffer", b""))
        if waiting[:10].upper().startswith(b"MAIL FROM"):
            with self.lock:
                self.overlapped += 1
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def relay():
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=hf.free_port())
    controller.start()
    yield recorder, f"127.0.0.1:{controller.port}"
    controller.stop()


@pytest.fixture
def pipelining_relay():
    recorder = PipeliningRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=hf.free_port())
    controller.start()
    yield recorder, f"127.0.0.1:{controller.port}"
    controller.stop()


@pytest.fixture(scope="module")
def pb():
    ns = hf.herald_stubs()
    ns.sending_pb2 = importlib.import_module("herald.v1.sending_pb2")
    ns.preparation_pb2 = importlib.import_module("herald.v1.preparation_pb2")
    return ns


def stubs(pb, server):
    channel = grpc.insecure_channel(server.target)
    return channel, pb.profile_service_pb2_grpc.ProfileServiceStub(channel), pb.delivery_service_pb2_grpc.DeliveryServiceStub(channel)


def prepared_delivery(pb, profiles, deliveries, rate=RATE, domains=1):
    rows = [pb.profile_pb2.Profile(id=f"r{i:05d}", email=f"r{i}@{f'd{i % domains}.' if domains > 1 else ''}example.com",
                                   first_name=f"Ærø{i}", last_name="Ünïcødé 😀", tags=["news"]) for i in range(POPULATION)]
    assert not profiles.UpsertProfiles(pb.profile_service_pb2.UpsertProfilesRequest(profiles=rows), timeout=60).errors
    d = pb.delivery_pb2
    delivery = d.Delivery(
        name="recovery", audience=d.Audience(filter='tags HAS "news"'),
        typology=d.Typology(rate_limit_per_second=rate),
        content=d.DeliveryContent(
            subject="Bonjour {{first_name}} — résumé ✉", sender=d.EmailAddress(name="Équipe Herald", address="news@example.com"),
            html_body='<p>Hi {{first_name}} {{last_name}}</p><a href="https://example.com/offer">offer</a>'
                      '<a href="{{unsubscribe_url}}">unsubscribe</a>'))
    s = pb.delivery_service_pb2
    did = deliveries.CreateDelivery(s.CreateDeliveryRequest(delivery=delivery), timeout=10).delivery.id
    deliveries.PrepareDelivery(s.PrepareDeliveryRequest(delivery_id=did), timeout=30)
    final = None
    for message in deliveries.WatchPreparation(s.WatchPreparationRequest(delivery_id=did), timeout=120):
        final = message.progress
    assert final.state == pb.preparation_pb2.PREPARATION_STATE_SUCCEEDED, final
    assert final.kpis.to_deliver == POPULATION
    return did


def test_kill_during_sending_resumes_and_sends_each_message_once(pb, relay, workdir):
    kill_during_sending(pb, relay, workdir)


def test_kill_during_overlapped_sending_resumes_and_sends_each_message_once(pb, pipelining_relay, workdir):
    """The same over a relay that offers PIPELINING: each lane sends the next envelope with
    the previous message's data and that message's data only once the previous outcome is
    committed, so the bound on duplicates holds with the overlap in use (recipients over
    10 domains and a higher rate, so that lanes have a next message to overlap)."""
    recorder, _ = pipelining_relay
    kill_during_sending(pb, pipelining_relay, workdir, rate=1_000, domains=10)
    print(f"{recorder.overlapped} of {recorder.count()} messages received with the next envelope behind their data")
    assert recorder.overlapped > 0, "the overlap was in use"


def kill_during_sending(pb, relay, workdir, rate=RATE, domains=1):
    recorder, address = relay
    database = os.path.join(workdir, "herald.sqlite")
    first = hf.Heraldd(database, workdir, extra_args=["--smtp", address]).start()
    channel, profiles, deliveries = stubs(pb, first)
    s = pb.delivery_service_pb2
    try:
        did = prepared_delivery(pb, profiles, deliveries, rate=rate, domains=domains)
        sent = deliveries.SendDelivery(s.SendDeliveryRequest(delivery_id=did), timeout=10).delivery
        assert sent.state == pb.delivery_pb2.DELIVERY_STATE_SENDING
        wait_for(lambda: recorder.count() >= POPULATION // 4, 60, "a quarter of the messages at the relay")
    finally:
        channel.close()
        first.kill()  # SIGKILL, mid-delivery
    received_before_restart = recorder.count()
    assert received_before_restart < POPULATION, "the kill must land while SENDING"

    second = hf.Heraldd(database, workdir, extra_args=["--smtp", address]).start()
    channel, profiles, deliveries = stubs(pb, second)
    try:
        def completed():
            delivery = deliveries.GetDelivery(s.GetDeliveryRequest(delivery_id=did), timeout=10).delivery
            return delivery.state == pb.delivery_pb2.DELIVERY_STATE_COMPLETED
        wait_for(completed, 120, "the restarted heraldd to complete the delivery by itself")
        rows = ledger(pb, deliveries, did)
    finally:
        channel.close()
        second.stop()

    # The ledger: every recipient exactly once, all SENT.
    assert len(rows) == POPULATION
    assert len({r.profile_id for r in rows}) == POPULATION
    assert all(r.status == pb.sending_pb2.MESSAGE_STATUS_SENT for r in rows)
    ledger_ids = {r.message_id for r in rows}
    assert len(ledger_ids) == POPULATION

    # The relay: every message arrived; duplicates only from the sessions in flight at the kill.
    received = recorder.snapshot()
    ids = collections.Counter(
        email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"].strip("<>") for _, _, raw in received)
    assert set(ids) == {i.strip("<>") for i in ledger_ids}
    duplicates = sum(n - 1 for n in ids.values())
    print(f"kill after {received_before_restart} received; {duplicates} duplicate(s) after the restart")
    assert duplicates <= MAX_IN_FLIGHT, f"{duplicates} duplicates for at most {MAX_IN_FLIGHT} messages in flight"


def test_messages_parse_as_mime(pb, relay, workdir):
    recorder, address = relay
    server = hf.Heraldd(os.path.join(workdir, "herald.sqlite"), workdir, extra_args=["--smtp", address]).start()
    channel, profiles, deliveries = stubs(pb, server)
    s = pb.delivery_service_pb2
    try:
        did = prepared_delivery(pb, profiles, deliveries)
        deliveries.SendDelivery(s.SendDeliveryRequest(delivery_id=did), timeout=10)
        wait_for(lambda: recorder.count() >= POPULATION, 60, "every message at the relay")
    finally:
        channel.close()
        server.stop()
    for mail_from, rcpt_tos, raw in recorder.snapshot()[:50]:
        assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert mail_from == "news@example.com"
        assert msg["To"].addresses[0].addr_spec == rcpt_tos[0]
        index = int(rcpt_tos[0][1:].split("@")[0])
        assert msg["Subject"] == f"Bonjour Ærø{index} — résumé ✉"
        assert msg["From"].addresses[0].display_name == "Équipe Herald"
        assert msg["Message-ID"] and msg["Date"] is not None
        assert msg["List-Unsubscribe"]
        assert msg.get_content_type() == "multipart/alternative"
        html = msg.get_body(preferencelist=("html",)).get_content()
        text = msg.get_body(preferencelist=("plain",)).get_content()
        assert f"Hi Ærø{index} Ünïcødé 😀" in html
        assert f"Ærø{index}" in text
