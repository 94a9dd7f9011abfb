"""ProfileService and DeliveryService (CRUD) of heraldd from a Python grpcio client:
a real heraldd on loopback with its own SQLite file per test; restarts on the same
file; and a kill -9 during a 10,000-row upsert leaves all of the batch or none of it.
"""
import os
import threading
import time

import grpc
import pytest

import herald_fixtures as hf

pytestmark = pytest.mark.skipif(os.environ.get("HERALD_REFERENCE") == "1",
                                reason="the Python reference servers do not implement herald.v1")


@pytest.fixture(scope="module")
def pb():
    return hf.herald_stubs()


class Client:
    def __init__(self, pb, target):
        self.pb = pb
        self.channel = grpc.insecure_channel(target, options=[
            ("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)])
        self.profiles = pb.profile_service_pb2_grpc.ProfileServiceStub(self.channel)
        self.deliveries = pb.delivery_service_pb2_grpc.DeliveryServiceStub(self.channel)

    def close(self):
        self.channel.close()

    # ProfileService
    def upsert(self, rows, request_id="", timeout=60):
        req = self.pb.profile_service_pb2.UpsertProfilesRequest(profiles=rows, request_id=request_id)
        return self.profiles.UpsertProfiles(req, timeout=timeout)

    def count(self, flt=""):
        return self.profiles.CountAudience(self.pb.profile_service_pb2.CountAudienceRequest(filter=flt), timeout=30).count

    def list(self, flt="", page_size=0, page_token=""):
        req = self.pb.profile_service_pb2.ListProfilesRequest(filter=flt, page_size=page_size, page_token=page_token)
        return self.profiles.ListProfiles(req, timeout=30)

    def get(self, pid):
        return self.profiles.GetProfile(self.pb.profile_service_pb2.GetProfileRequest(profile_id=pid), timeout=10).profile

    # DeliveryService
    def create(self, delivery, request_id=""):
        req = self.pb.delivery_service_pb2.CreateDeliveryRequest(delivery=delivery, request_id=request_id)
        return self.deliveries.CreateDelivery(req, timeout=10).delivery

    def get_delivery(self, did):
        return self.deliveries.GetDelivery(self.pb.delivery_service_pb2.GetDeliveryRequest(delivery_id=did), timeout=10).delivery

    def update(self, delivery, paths, request_id=""):
        req = self.pb.delivery_service_pb2.UpdateDeliveryRequest(delivery=delivery, request_id=request_id)
        req.update_mask.paths.extend(paths)
        return self.deliveries.UpdateDelivery(req, timeout=10).delivery

    def list_deliveries(self, states=(), page_size=0, page_token=""):
        req = self.pb.delivery_service_pb2.ListDeliveriesRequest(states=list(states), page_size=page_size,
                                                                  page_token=page_token)
        return self.deliveries.ListDeliveries(req, timeout=10)

    def delete_delivery(self, did):
        self.deliveries.DeleteDelivery(self.pb.delivery_service_pb2.DeleteDeliveryRequest(delivery_id=did), timeout=10)


@pytest.fixture
def client(pb, server):
    c = Client(pb, server.target)
    yield c
    c.close()


def profile(pb, pid, email=None, tags=(), attributes=None, subscription=0, first_name=""):
    return pb.profile_pb2.Profile(id=pid, email=email if email is not None else f"{pid}@example.com",
                                  first_name=first_name, tags=list(tags), attributes=attributes or {},
                                  subscription=subscription)


def delivery(pb, name="Spring news", sender="news@example.com", flt=""):
    d = pb.delivery_pb2
    return d.Delivery(
        name=name,
        content=d.DeliveryContent(subject="Hello {{first_name}}", sender=d.EmailAddress(name="News", address=sender),
                                  html_body='<p>Hi</p><a href="{{unsubscribe_url}}">unsubscribe</a>'),
        audience=d.Audience(filter=flt))


def expect_error(code, fragments, fn, *args, **kwargs):
    with pytest.raises(grpc.RpcError) as info:
        fn(*args, **kwargs)
    assert info.value.code() == code, info.value.details()
    for fragment in fragments:
        assert fragment in info.value.details(), info.value.details()
    return info.value


# --- ProfileService -------------------------------------------------------------------

def test_upsert_get_and_bad_rows(pb, client):
    rows = [profile(pb, "a", tags=["vip", "beta", "vip"], attributes={"country": "SE", "age": "40"}, first_name="Ada"),
            profile(pb, ""),
            profile(pb, "b", attributes={"9lives": "x"}),
            profile(pb, "c", subscription=pb.profile_pb2.SUBSCRIPTION_DENYLISTED),
            profile(pb, "d", tags=[""])]
    r = client.upsert(rows)
    assert (r.inserted_count, r.updated_count) == (2, 0)
    assert [(e.index, e.profile_id) for e in r.errors] == [(1, ""), (2, "b"), (4, "d")]
    assert r.errors[0].message == "profile id is missing"
    assert "attribute key '9lives' is not valid" in r.errors[1].message
    a = client.get("a")
    assert (a.first_name, list(a.tags), dict(a.attributes)) == ("Ada", ["beta", "vip"], {"country": "SE", "age": "40"})
    assert a.subscription == pb.profile_pb2.SUBSCRIPTION_SUBSCRIBED
    assert a.created_at.seconds > 0 and a.created_at == a.updated_at
    assert client.get("c").subscription == pb.profile_pb2.SUBSCRIPTION_DENYLISTED

    r = client.upsert([profile(pb, "a", first_name="Ada L."), profile(pb, "e")])
    assert (r.inserted_count, r.updated_count) == (1, 1)
    again = client.get("a")
    assert again.first_name == "Ada L." and again.created_at == a.created_at
    assert client.count() == 3


def test_batch_limit(pb, client):
    assert client.upsert([profile(pb, f"p{i}") for i in range(10_000)]).inserted_count == 10_000
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["at most 10000", "10001"],
                 client.upsert, [profile(pb, f"q{i}") for i in range(10_001)])
    assert client.count() == 10_000


def test_list_paging_and_filters(pb, client):
    client.upsert([profile(pb, f"id{i:04d}", attributes={"n": str(i)}) for i in range(250)])
    ids, token, pages = [], "", 0
    while True:
        page = client.list(page_size=100, page_token=token)
        ids += [p.id for p in page.profiles]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert pages == 3 and ids == [f"id{i:04d}" for i in range(250)]
    assert len(client.list().profiles) == 100  # default page size

    got, token = [], ""
    while True:
        page = client.list(flt="attributes.n >= 240 OR attributes.n < 3", page_size=4, page_token=token)
        got += [p.id for p in page.profiles]
        token = page.next_page_token
        if not token:
            break
    assert got == [f"id{i:04d}" for i in [0, 1, 2] + list(range(240, 250))]

    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["page_token"], client.list, page_token="garbage")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["page_size"], client.list, page_size=-3)
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["filter:", "at 1:"], client.list, flt="attributes.n >=")


def test_count_audience(pb, client):
    rows = [profile(pb, f"p{i}", email=f"p{i}@example.org" if i % 4 == 0 else f"p{i}@mail.test",
                    tags=["vip"] if i % 3 == 0 else [],
                    attributes={"country": "SE" if i % 2 == 0 else "FR", "age": str(i % 70)})
            for i in range(400)]
    client.upsert(rows)
    n = range(400)
    assert client.count() == 400
    assert client.count('attributes.country = "SE" AND attributes.age >= 18 AND tags HAS "vip"') == \
        sum(1 for i in n if i % 2 == 0 and i % 70 >= 18 and i % 3 == 0)
    assert client.count('NOT email ENDS WITH "@example.org"') == sum(1 for i in n if i % 4 != 0)
    assert client.count('attributes.country IN ("SE", "DE") OR tags HAS "vip"') == \
        sum(1 for i in n if i % 2 == 0 or i % 3 == 0)
    assert client.count('email = "\'; DROP TABLE profiles; --"') == 0
    err = expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["unknown field 'country' at 1:1", "attributes.country"],
                       client.count, 'country = "SE"')
    assert err.details().startswith("filter: invalid audience filter")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["expected a string after HAS", "at 1:10"], client.count, "tags HAS 1 AND")
    assert client.count() == 400


def test_get_delete_and_set_subscription(pb, client):
    ps = pb.profile_service_pb2
    client.upsert([profile(pb, "a"), profile(pb, "b")])
    expect_error(grpc.StatusCode.NOT_FOUND, ["profile 'zz' not found"], client.get, "zz")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["profile_id is required"], client.get, "")
    r = client.profiles.SetSubscription(ps.SetSubscriptionRequest(
        profile_id="a", subscription=pb.profile_pb2.SUBSCRIPTION_UNSUBSCRIBED))
    assert r.profile.subscription == pb.profile_pb2.SUBSCRIPTION_UNSUBSCRIBED
    assert client.count('subscription = "UNSUBSCRIBED"') == 1
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["subscription is required"], client.profiles.SetSubscription,
                 ps.SetSubscriptionRequest(profile_id="a"))
    expect_error(grpc.StatusCode.NOT_FOUND, [], client.profiles.SetSubscription,
                 ps.SetSubscriptionRequest(profile_id="zz", subscription=pb.profile_pb2.SUBSCRIPTION_DENYLISTED))
    client.profiles.DeleteProfile(ps.DeleteProfileRequest(profile_id="a"))
    expect_error(grpc.StatusCode.NOT_FOUND, [], client.get, "a")
    expect_error(grpc.StatusCode.NOT_FOUND, ["profile 'a' not found"], client.profiles.DeleteProfile,
                 ps.DeleteProfileRequest(profile_id="a"))
    assert client.count() == 1


def test_upsert_request_id_is_idempotent(pb, client):
    first = client.upsert([profile(pb, "a", first_name="First")], request_id="r-1")
    retry = client.upsert([profile(pb, "a", first_name="Second"), profile(pb, "b")], request_id="r-1")
    assert retry == first
    assert client.get("a").first_name == "First" and client.count() == 1


# --- DeliveryService CRUD -------------------------------------------------------------

def test_delivery_crud(pb, client):
    d = pb.delivery_pb2
    created = client.create(delivery(pb, flt='attributes.country = "SE"'))
    assert created.id.startswith("dlv_") and created.state == d.DELIVERY_STATE_DRAFT
    assert client.get_delivery(created.id) == created

    change = d.Delivery(id=created.id, name="Renamed", content=d.DeliveryContent(subject="New subject"))
    updated = client.update(change, ["name", "content.subject"])
    assert (updated.name, updated.content.subject) == ("Renamed", "New subject")
    assert updated.content.html_body == created.content.html_body
    assert updated.content.sender == created.content.sender

    second = client.create(delivery(pb, name="Second"))
    listed = client.list_deliveries(page_size=1)
    assert [x.id for x in listed.deliveries] == [second.id] and listed.next_page_token
    rest = client.list_deliveries(page_size=1, page_token=listed.next_page_token)
    assert [x.id for x in rest.deliveries] == [created.id] and not rest.next_page_token
    assert len(client.list_deliveries(states=[d.DELIVERY_STATE_DRAFT]).deliveries) == 2
    assert len(client.list_deliveries(states=[d.DELIVERY_STATE_SENDING]).deliveries) == 0

    client.delete_delivery(created.id)
    expect_error(grpc.StatusCode.NOT_FOUND, [f"delivery '{created.id}' not found"], client.get_delivery, created.id)
    expect_error(grpc.StatusCode.NOT_FOUND, [], client.delete_delivery, created.id)


def test_delivery_refusals(pb, client):
    d = pb.delivery_pb2
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["'nobody' is not a valid email address"],
                 client.create, delivery(pb, sender="nobody"))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["audience.filter", "unknown field 'plan' at 1:1"],
                 client.create, delivery(pb, flt='plan = "pro"'))
    bad_rule = delivery(pb)
    bad_rule.typology.rules.add().pressure.CopyFrom(d.PressureRule(name="weekly", max_messages=2, period_days=0))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["typology.rules[0]", "pressure rule 'weekly'", "period_days"],
                 client.create, bad_rule)
    no_kind = delivery(pb)
    no_kind.typology.rules.add()
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["rule kind is not set"], client.create, no_kind)

    created = client.create(delivery(pb))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["unknown field path 'subject'"],
                 client.update, d.Delivery(id=created.id), ["subject"])
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["'create_time' is output only"],
                 client.update, d.Delivery(id=created.id), ["create_time"])
    expect_error(grpc.StatusCode.NOT_FOUND, [], client.update, d.Delivery(id="dlv_nope", name="x"), ["name"])
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["page_token"], client.list_deliveries, page_token="nope")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, ["states[0]"], client.list_deliveries,
                 states=[d.DELIVERY_STATE_UNSPECIFIED])
    assert client.get_delivery(created.id) == created


def test_create_request_id_is_idempotent(pb, client):
    first = client.create(delivery(pb, name="Once"), request_id="c-1")
    again = client.create(delivery(pb, name="Twice"), request_id="c-1")
    assert again == first
    assert [x.id for x in client.list_deliveries().deliveries] == [first.id]


# --- restarts and crashes -------------------------------------------------------------

def test_data_survives_restart(pb, workdir):
    db = os.path.join(workdir, "herald.sqlite")
    h = hf.Heraldd(db, workdir).start()
    c = Client(pb, h.target)
    c.upsert([profile(pb, f"p{i}", tags=["even"] if i % 2 == 0 else []) for i in range(300)])
    created = c.create(delivery(pb, name="Kept"))
    c.close()
    assert h.stop() == 0

    h = hf.Heraldd(db, workdir).start()
    c = Client(pb, h.target)
    try:
        assert c.count() == 300
        assert c.count('tags HAS "even"') == 150
        assert c.get_delivery(created.id) == created
    finally:
        c.close()
        h.stop()


def test_kill9_during_large_upsert_keeps_all_or_nothing(pb, workdir):
    """One 10,000-row UpsertProfiles in flight, heraldd killed with SIGKILL at several
    moments of it: after a restart the batch is there entirely or not at all."""
    rows_for = lambda prefix: [profile(pb, f"{prefix}-{i:05d}", tags=["t1", "t2"],
                                       attributes={"a": str(i), "b": "x" * 20, "c": "y"})
                               for i in range(10_000)]
    db0 = os.path.join(workdir, "timing.sqlite")
    h = hf.Heraldd(db0, workdir).start()
    c = Client(pb, h.target)
    t0 = time.monotonic()
    c.upsert(rows_for("warm"))
    duration = time.monotonic() - t0
    c.close()
    h.stop()

    outcomes = []
    for trial, fraction in enumerate([0.1, 0.3, 0.5, 0.7, 0.9, 1.2]):
        db = os.path.join(workdir, f"kill-{trial}.sqlite")
        h = hf.Heraldd(db, workdir).start()
        c = Client(pb, h.target)
        c.upsert([profile(pb, "before")])  # the schema and a committed row exist
        rows = rows_for(f"k{trial}")
        result = {}

        def send():
            try:
                result["response"] = c.upsert(rows)
            except grpc.RpcError as e:
                result["error"] = e.code()

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(duration * fraction)
        h.kill()
        sender.join(30)
        c.close()

        h = hf.Heraldd(db, workdir).start()
        c = Client(pb, h.target)
        try:
            stored = c.count(f'id STARTS WITH "k{trial}-"')
            assert c.count('id = "before"') == 1
        finally:
            c.close()
            h.stop()
        assert stored in (0, 10_000), f"trial {trial}: {stored} rows of the batch survived"
        if "response" in result:
            assert stored == 10_000, "an acknowledged batch must survive"
        outcomes.append(stored)
    print(f"kill -9 outcomes (rows of the batch after restart): {outcomes}; batch took {duration:.3f}s")
