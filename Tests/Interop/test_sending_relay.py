"""Sending through a real SMTP server (aiosmtpd, in this process) that goes away and
comes back, and pause / resume / cancel at random (seeded) moments.

- The relay is stopped mid-delivery (connection refused): the delivery keeps retrying
  (a relay outage does not use up the messages' attempts) and completes once the relay
  listens again on the same port; every message is SENT once in the ledger and reaches
  the relay exactly once.
- Pause, resume and cancel at seeded random moments while a WatchSending stream is
  read: sent + failed + pending + cancelled = total on every streamed message, counts
  never go backwards, nothing is sent twice, and after a cancel nothing more arrives.
"""
import collections
import email
import email.policy
import importlib
import os
import random
import threading
import time

import grpc
import pytest
from aiosmtpd.controller import Controller

from herald_fixtures import ledger, wait_for

import herald_fixtures as hf

pytestmark = pytest.mark.skipif(os.environ.get("HERALD_REFERENCE") == "1",
                                reason="the Python reference servers do not implement herald.v1")


class Recorder:
    """An aiosmtpd handler that keeps the Message-ID of every message it accepts."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.ids.append(msg["Message-ID"].strip("<>"))
        return "250 OK"

    def count(self):
        with self.lock:
            return len(self.ids)

    def counter(self):
        with self.lock:
            return collections.Counter(self.ids)


class PipeliningRecorder(Recorder):
    """A Recorder whose EHLO offers PIPELINING (RFC 2920): Herald then overlaps messages
    (the next envelope goes out with the previous message's data)."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses[:-1] + ["250-PIPELINING", responses[-1]]


@pytest.fixture(scope="module")
def pb():
    ns = hf.herald_stubs()
    ns.sending_pb2 = importlib.import_module("herald.v1.sending_pb2")
    ns.preparation_pb2 = importlib.import_module("herald.v1.preparation_pb2")
    return ns


def prepared_delivery(pb, profiles, deliveries, population, rate, domains=5):
    rows = [pb.profile_pb2.Profile(id=f"r{i:05d}", email=f"r{i}@d{i % domains}.example", first_name=f"N{i}",
                                   tags=["news"]) for i in range(population)]
    assert not profiles.UpsertProfiles(pb.profile_service_pb2.UpsertProfilesRequest(profiles=rows), timeout=60).errors
    d = pb.delivery_pb2
    delivery = d.Delivery(
        name="relay", audience=d.Audience(filter='tags HAS "news"'),
        typology=d.Typology(rate_limit_per_second=rate, tracking_disabled=True),
        content=d.DeliveryContent(
            subject="Hello {{first_name}}", sender=d.EmailAddress(address="news@example.com"),
            html_body='<p>Hi {{first_name}}</p><a href="{{unsubscribe_url}}">unsubscribe</a>'))
    s = pb.delivery_service_pb2
    did = deliveries.CreateDelivery(s.CreateDeliveryRequest(delivery=delivery), timeout=10).delivery.id
    deliveries.PrepareDelivery(s.PrepareDeliveryRequest(delivery_id=did), timeout=30)
    final = None
    for message in deliveries.WatchPreparation(s.WatchPreparationRequest(delivery_id=did), timeout=120):
        final = message.progress
    assert final.state == pb.preparation_pb2.PREPARATION_STATE_SUCCEEDED, final
    assert final.kpis.to_deliver == population
    return did


def test_relay_down_mid_delivery_then_back_completes_once(pb, workdir):
    population = 600
    recorder = Recorder()
    port = hf.free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    server = hf.Heraldd(os.path.join(workdir, "herald.sqlite"), workdir,
                        extra_args=["--smtp", f"127.0.0.1:{port}"]).start()
    channel = grpc.insecure_channel(server.target)
    profiles = pb.profile_service_pb2_grpc.ProfileServiceStub(channel)
    deliveries = pb.delivery_service_pb2_grpc.DeliveryServiceStub(channel)
    s, d = pb.delivery_service_pb2, pb.delivery_pb2
    try:
        did = prepared_delivery(pb, profiles, deliveries, population, rate=200)
        deliveries.SendDelivery(s.SendDeliveryRequest(delivery_id=did), timeout=10)
        wait_for(lambda: recorder.count() >= population // 4, 60, "a quarter of the messages at the relay")
        controller.stop()  # connection refused from now on
        down_at = recorder.count()
        time.sleep(3)
        progress = deliveries.WatchSending(s.WatchSendingRequest(delivery_id=did), timeout=10).next().progress
        assert progress.state == d.DELIVERY_STATE_SENDING, "the delivery keeps retrying while the relay is down"
        assert progress.pending > 0 and progress.failed == 0, progress
        assert down_at < population
        controller = Controller(recorder, hostname="127.0.0.1", port=port)  # back, same port
        controller.start()

        def completed():
            return deliveries.GetDelivery(s.GetDeliveryRequest(delivery_id=did), timeout=10).delivery.state \
                == d.DELIVERY_STATE_COMPLETED
        wait_for(completed, 120, "the delivery to complete once the relay is back")
        rows = ledger(pb, deliveries, did)
    finally:
        channel.close()
        server.stop()
        controller.stop()
    assert len(rows) == population
    assert all(r.status == pb.sending_pb2.MESSAGE_STATUS_SENT for r in rows), \
        collections.Counter(r.status for r in rows)
    received = recorder.counter()
    assert set(received) == {r.message_id.strip("<>") for r in rows}
    assert all(n == 1 for n in received.values()), "every message reached the relay exactly once"
    assert "SMTP relay unavailable" in server.output()


@pytest.mark.parametrize("pipelining", [False, True])
@pytest.mark.parametrize("seed", [7, 2026])
def test_pause_resume_cancel_at_random_moments_keep_the_invariant(pb, workdir, seed, pipelining):
    rng = random.Random(seed)
    population = 1_500
    recorder = PipeliningRecorder() if pipelining else Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=hf.free_port())
    controller.start()
    server = hf.Heraldd(os.path.join(workdir, "herald.sqlite"), workdir,
                        extra_args=["--smtp", f"127.0.0.1:{controller.port}"]).start()
    channel = grpc.insecure_channel(server.target)
    profiles = pb.profile_service_pb2_grpc.ProfileServiceStub(channel)
    deliveries = pb.delivery_service_pb2_grpc.DeliveryServiceStub(channel)
    s, d = pb.delivery_service_pb2, pb.delivery_pb2
    seen, errors = [], []

    def watch(did):
        try:
            for message in deliveries.WatchSending(s.WatchSendingRequest(delivery_id=did), timeout=180):
                seen.append(message.progress)
        except grpc.RpcError as error:  # pragma: no cover - reported below
            errors.append(error)

    try:
        did = prepared_delivery(pb, profiles, deliveries, population, rate=400)
        deliveries.SendDelivery(s.SendDeliveryRequest(delivery_id=did), timeout=10)
        watcher = threading.Thread(target=watch, args=(did,))
        watcher.start()
        cancelled = False
        for _ in range(4):
            time.sleep(rng.uniform(0.05, 0.6))
            paused = deliveries.PauseDelivery(s.PauseDeliveryRequest(delivery_id=did), timeout=30)
            if paused.delivery.state != d.DELIVERY_STATE_PAUSED:
                break  # completed before the pause
            at_pause = recorder.count()
            time.sleep(rng.uniform(0.05, 0.3))
            assert recorder.count() == at_pause, "nothing reaches the relay while PAUSED"
            if rng.random() < 0.2:
                deliveries.CancelDelivery(s.CancelDeliveryRequest(delivery_id=did), timeout=30)
                cancelled = True
                break
            deliveries.ResumeDelivery(s.ResumeDeliveryRequest(delivery_id=did), timeout=30)
        if not cancelled:
            time.sleep(rng.uniform(0.05, 0.5))
            deliveries.CancelDelivery(s.CancelDeliveryRequest(delivery_id=did), timeout=30)
        after_cancel = recorder.count()
        watcher.join(60)
        assert not watcher.is_alive(), "WatchSending ends after the cancel"
        time.sleep(0.5)
        assert recorder.count() == after_cancel, "nothing reaches the relay after the cancel"
        rows = ledger(pb, deliveries, did)
    finally:
        channel.close()
        server.stop()
        controller.stop()
    assert not errors, errors
    assert seen, "WatchSending streamed nothing"
    previous = None
    for progress in seen:
        assert progress.sent + progress.failed + progress.pending + progress.cancelled == progress.total == population, \
            progress
        if previous is not None:
            assert progress.sent >= previous.sent and progress.cancelled >= previous.cancelled, (previous, progress)
        previous = progress
    assert seen[-1].state == d.DELIVERY_STATE_CANCELLED
    statuses = collections.Counter(r.status for r in rows)
    sent_ids = {r.message_id.strip("<>") for r in rows if r.status == pb.sending_pb2.MESSAGE_STATUS_SENT}
    received = recorder.counter()
    assert set(received) == sent_ids, "the relay got exactly the messages the ledger says SENT"
    assert all(n == 1 for n in received.values()), "nothing sent twice"
    assert statuses[pb.sending_pb2.MESSAGE_STATUS_PENDING] == 0
    assert statuses[pb.sending_pb2.MESSAGE_STATUS_CANCELLED] == seen[-1].cancelled > 0
