"""Preparation RPCs of heraldd from a Python grpcio client: PrepareDelivery, a
WatchPreparation stream checked message by message (targeted = to_deliver +
to_exclude, per-cause counts adding up), ListExclusions and ListDeliveryLogs agreeing
with the stream, a watcher that leaves early, and the refusals.
"""
import importlib
import os
import subprocess

import grpc
import pytest

import herald_fixtures as hf

pytestmark = pytest.mark.skipif(os.environ.get("HERALD_REFERENCE") == "1",
                                reason="the Python reference servers do not implement herald.v1")

POPULATION = 3_000


@pytest.fixture(scope="module")
def pb():
    """The shared herald.v1 stubs, plus preparation_pb2 (generated with them)."""
    ns = hf.herald_stubs()
    ns.preparation_pb2 = importlib.import_module("herald.v1.preparation_pb2")
    return ns


@pytest.fixture
def stubs(pb, server):
    channel = grpc.insecure_channel(server.target)
    yield (pb.profile_service_pb2_grpc.ProfileServiceStub(channel),
           pb.delivery_service_pb2_grpc.DeliveryServiceStub(channel))
    channel.close()


def population(pb):
    """POPULATION profiles: every 10th unsubscribed (8), every 25th without an address
    (7), every 40th with a malformed one (14); the rest get a message."""
    rows = []
    for i in range(POPULATION):
        email = f"p{i}@example.com"
        if i % 25 == 1:
            email = ""
        elif i % 40 == 2:
            email = f"p{i}-at-nowhere"
        rows.append(pb.profile_pb2.Profile(
            id=f"p{i:06d}", email=email, first_name=f"First{i}", tags=["news"],
            subscription=pb.profile_pb2.SUBSCRIPTION_UNSUBSCRIBED if i % 10 == 3 else pb.profile_pb2.SUBSCRIPTION_SUBSCRIBED))
    return rows


def expected_counts(pb):
    p = pb.preparation_pb2
    unsubscribed = sum(1 for i in range(POPULATION) if i % 10 == 3)
    empty = sum(1 for i in range(POPULATION) if i % 25 == 1 and i % 10 != 3)
    bad = sum(1 for i in range(POPULATION) if i % 40 == 2 and i % 25 != 1 and i % 10 != 3)
    return {p.EXCLUSION_CAUSE_DENYLISTED: unsubscribed, p.EXCLUSION_CAUSE_ADDRESS_NOT_SPECIFIED: empty,
            p.EXCLUSION_CAUSE_BAD_QUALITY_ADDRESS: bad}


def new_delivery(pb, deliveries, html='<p>Hi {{first_name}}</p><a href="{{unsubscribe_url}}">unsubscribe</a>'):
    d = pb.delivery_pb2
    delivery = d.Delivery(
        name="Python", audience=d.Audience(filter='tags HAS "news"'),
        content=d.DeliveryContent(subject="Hello {{first_name}}", sender=d.EmailAddress(name="News", address="news@example.com"),
                                  html_body=html))
    req = pb.delivery_service_pb2.CreateDeliveryRequest(delivery=delivery)
    return deliveries.CreateDelivery(req, timeout=10).delivery.id


def prepare(pb, deliveries, did):
    return deliveries.PrepareDelivery(pb.delivery_service_pb2.PrepareDeliveryRequest(delivery_id=did), timeout=30).delivery


def watch(pb, deliveries, did, timeout=120):
    return deliveries.WatchPreparation(pb.delivery_service_pb2.WatchPreparationRequest(delivery_id=did), timeout=timeout)


def check_invariant(progress):
    k = progress.kpis
    assert k.targeted == k.to_deliver + k.to_exclude, progress
    assert sum(c.count for c in k.exclusion_counts) == k.to_exclude, progress
    assert k.to_deliver >= 0


def all_pages(fetch, items):
    out, token = [], ""
    while True:
        page = fetch(token)
        out += list(getattr(page, items))
        token = page.next_page_token
        if not token:
            return out


def test_prepare_and_watch(pb, stubs):
    profiles, deliveries = stubs
    s = pb.delivery_service_pb2
    p = pb.preparation_pb2
    assert not profiles.UpsertProfiles(pb.profile_service_pb2.UpsertProfilesRequest(profiles=population(pb)), timeout=60).errors
    did = new_delivery(pb, deliveries)

    started = prepare(pb, deliveries, did)
    assert started.state == pb.delivery_pb2.DELIVERY_STATE_PREPARING
    assert started.preparation.state == p.PREPARATION_STATE_RUNNING

    messages = [m.progress for m in watch(pb, deliveries, did)]
    assert messages, "the stream must send the current state first"
    for progress in messages:
        assert progress.delivery_id == did
        check_invariant(progress)
    assert all(m.state == p.PREPARATION_STATE_RUNNING for m in messages[:-1])
    final = messages[-1]
    assert final.state == p.PREPARATION_STATE_SUCCEEDED
    expected = expected_counts(pb)
    assert final.kpis.targeted == POPULATION
    assert {c.cause: c.count for c in final.kpis.exclusion_counts} == expected
    assert final.kpis.to_deliver == POPULATION - sum(expected.values())

    delivery = deliveries.GetDelivery(s.GetDeliveryRequest(delivery_id=did), timeout=10).delivery
    assert delivery.state == pb.delivery_pb2.DELIVERY_STATE_READY
    assert delivery.preparation.state == p.PREPARATION_STATE_SUCCEEDED
    assert delivery.preparation.kpis == final.kpis
    assert len(delivery.preparation.snapshot_hash) == 64
    assert delivery.preparation.HasField("end_time")

    for cause, count in expected.items():
        got = all_pages(lambda t: deliveries.ListExclusions(
            s.ListExclusionsRequest(delivery_id=did, causes=[cause], page_size=37, page_token=t), timeout=10), "exclusions")
        assert len(got) == count
        assert all(e.cause == cause for e in got)
        assert [e.profile_id for e in got] == sorted(e.profile_id for e in got)

    streamed = [e for m in messages for e in m.new_log_entries]
    logs = all_pages(lambda t: deliveries.ListDeliveryLogs(
        s.ListDeliveryLogsRequest(delivery_id=did, page_size=2, page_token=t), timeout=10), "log_entries")
    assert logs == streamed
    assert logs[-1].code == "PREPARATION_SUMMARY"
    errors = deliveries.ListDeliveryLogs(s.ListDeliveryLogsRequest(delivery_id=did, min_severity=p.LOG_SEVERITY_ERROR), timeout=10)
    assert list(errors.log_entries) == []

    # A READY delivery: one message, its outcome, and the stream ends.
    again = [m.progress for m in watch(pb, deliveries, did)]
    assert len(again) == 1 and again[0].state == p.PREPARATION_STATE_SUCCEEDED and again[0].kpis == final.kpis


def test_watcher_that_leaves_changes_nothing(pb, stubs):
    profiles, deliveries = stubs
    p = pb.preparation_pb2
    assert not profiles.UpsertProfiles(pb.profile_service_pb2.UpsertProfilesRequest(profiles=population(pb)), timeout=60).errors
    did = new_delivery(pb, deliveries)
    prepare(pb, deliveries, did)
    leaving = watch(pb, deliveries, did)
    next(leaving)
    leaving.cancel()
    staying = [m.progress for m in watch(pb, deliveries, did)]
    for progress in staying:
        check_invariant(progress)
    assert staying[-1].state == p.PREPARATION_STATE_SUCCEEDED
    assert staying[-1].kpis.targeted == POPULATION


def test_critical_error_fails_the_preparation(pb, stubs):
    profiles, deliveries = stubs
    s = pb.delivery_service_pb2
    p = pb.preparation_pb2
    assert not profiles.UpsertProfiles(pb.profile_service_pb2.UpsertProfilesRequest(profiles=population(pb)[:20]), timeout=60).errors
    did = new_delivery(pb, deliveries, html='<p>{{shoe_size}}</p><a href="{{unsubscribe_url}}">u</a>')
    prepare(pb, deliveries, did)
    messages = [m.progress for m in watch(pb, deliveries, did)]
    for progress in messages:
        check_invariant(progress)
    assert messages[-1].state == p.PREPARATION_STATE_FAILED
    delivery = deliveries.GetDelivery(s.GetDeliveryRequest(delivery_id=did), timeout=10).delivery
    assert delivery.state == pb.delivery_pb2.DELIVERY_STATE_PREPARATION_FAILED
    errors = deliveries.ListDeliveryLogs(s.ListDeliveryLogsRequest(delivery_id=did, min_severity=p.LOG_SEVERITY_ERROR), timeout=10)
    assert "UNKNOWN_FIELD" in [e.code for e in errors.log_entries]


def test_refusals(pb, stubs):
    _, deliveries = stubs
    s = pb.delivery_service_pb2
    with pytest.raises(grpc.RpcError) as info:
        deliveries.PrepareDelivery(s.PrepareDeliveryRequest(delivery_id="no-such-delivery"), timeout=10)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND, info.value.details()
    assert "no-such-delivery" in info.value.details()

    did = new_delivery(pb, deliveries)
    with pytest.raises(grpc.RpcError) as info:
        deliveries.StopPreparation(s.StopPreparationRequest(delivery_id=did), timeout=10)
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION, info.value.details()

    with pytest.raises(grpc.RpcError) as info:
        list(watch(pb, deliveries, "no-such-delivery", timeout=10))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND

    with pytest.raises(grpc.RpcError) as info:
        deliveries.ListExclusions(s.ListExclusionsRequest(delivery_id=did, page_token="not-a-token"), timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_token" in info.value.details()


def test_bad_tracking_url_is_refused(workdir):
    binary = os.path.join(hf.bin_dir(), "heraldd")
    done = subprocess.run([binary, "--tracking-url", "ftp://example.com", "--database", os.path.join(workdir, "x.sqlite")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert "--tracking-url" in done.stderr
