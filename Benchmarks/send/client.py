"""The gRPC client of `make bench-send` (Benchmarks/send/run): imports generated profiles
into a running heraldd, prepares one delivery of messages of about 4 KB, then times
SendDelivery until the ledger has nothing PENDING, watching the progress with
WatchSending (and checking sent + failed + pending + cancelled = total on every message).

    python3 Benchmarks/send/client.py TARGET COUNT

Prints `key=value` lines the run script reads: herald_seconds, herald_sent,
herald_failed, herald_rate, watch_messages, max_throughput.
"""
import importlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Tests", "Interop"))

import grpc  # noqa: E402

import herald_fixtures as hf  # noqa: E402

DOMAINS = 50          # recipient domains (the pool bounds messages in flight per domain)
BATCH = 10_000        # UpsertProfiles limit
# About 1,750 characters of text: the HTML part (quoted-printable) and the text part
# derived from it, with the headers, make a message of about 4 KB.
FILLER = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt "
          "ut labore et dolore magna aliqua. ") * 15


def main():
    target, count = sys.argv[1], int(sys.argv[2])
    pb = hf.herald_stubs()
    sending = importlib.import_module("herald.v1.sending_pb2")
    preparation = importlib.import_module("herald.v1.preparation_pb2")
    channel = grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", 64 << 20)])
    profiles = pb.profile_service_pb2_grpc.ProfileServiceStub(channel)
    deliveries = pb.delivery_service_pb2_grpc.DeliveryServiceStub(channel)
    p, d, s = pb.profile_pb2, pb.delivery_pb2, pb.delivery_service_pb2

    started = time.monotonic()
    for first in range(0, count, BATCH):
        rows = [p.Profile(id=f"p{i:07d}", email=f"user{i}@d{i % DOMAINS}.example", first_name=f"First{i}",
                          last_name="Bench", tags=["bench"]) for i in range(first, min(count, first + BATCH))]
        response = profiles.UpsertProfiles(pb.profile_service_pb2.UpsertProfilesRequest(profiles=rows), timeout=300)
        assert not response.errors, response.errors[:3]
    print(f"import_seconds={time.monotonic() - started:.2f}", flush=True)

    delivery = d.Delivery(
        name="bench-send", audience=d.Audience(filter='tags HAS "bench"'),
        typology=d.Typology(tracking_disabled=True),
        content=d.DeliveryContent(
            subject="Hello {{first_name}}, the news of the week",
            sender=d.EmailAddress(name="Herald Bench", address="news@herald.example"),
            html_body=f'<p>Hi {{{{first_name}}}} {{{{last_name}}}},</p><p>{FILLER}</p>'
                      '<a href="https://herald.example/offer">offer</a> <a href="{{unsubscribe_url}}">unsubscribe</a>'))
    did = deliveries.CreateDelivery(s.CreateDeliveryRequest(delivery=delivery), timeout=30).delivery.id
    started = time.monotonic()
    deliveries.PrepareDelivery(s.PrepareDeliveryRequest(delivery_id=did), timeout=60)
    final = None
    for message in deliveries.WatchPreparation(s.WatchPreparationRequest(delivery_id=did), timeout=600):
        final = message.progress
    assert final.state == preparation.PREPARATION_STATE_SUCCEEDED, final
    assert final.kpis.to_deliver == count, final.kpis
    print(f"prepare_seconds={time.monotonic() - started:.2f}", flush=True)

    started = time.monotonic()
    deliveries.SendDelivery(s.SendDeliveryRequest(delivery_id=did), timeout=60)
    watched, best, last = 0, 0.0, None
    for message in deliveries.WatchSending(s.WatchSendingRequest(delivery_id=did), timeout=3600):
        progress = message.progress
        total = progress.sent + progress.failed + progress.pending + progress.cancelled
        assert total == progress.total == count, progress
        watched += 1
        best = max(best, progress.throughput)
        last = progress
        if progress.pending == 0 and progress.state != d.DELIVERY_STATE_SENDING:
            break
    seconds = time.monotonic() - started
    assert last is not None and last.pending == 0 and last.state == d.DELIVERY_STATE_COMPLETED, last
    print(f"herald_seconds={seconds:.3f}")
    print(f"herald_sent={last.sent}")
    print(f"herald_failed={last.failed}")
    print(f"herald_rate={last.sent / seconds:.0f}")
    print(f"watch_messages={watched}")
    print(f"max_throughput={best:.0f}")
    failed = deliveries.ListMessages(s.ListMessagesRequest(
        delivery_id=did, page_size=3, statuses=[sending.MESSAGE_STATUS_FAILED]), timeout=30).messages
    for row in failed:
        print(f"failed_example={row.address}: {row.reply_text}")
    channel.close()


if __name__ == "__main__":
    main()
