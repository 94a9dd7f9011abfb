#!/usr/bin/env python3
"""Herald from another backend service, with grpcio: create -> prepare -> watch -> send -> watch.

    python3 Clients/python/example.py --server 127.0.0.1:50051     (or HERALD_SERVER)

1. upserts a few generated profiles tagged "python-example" (UpsertProfiles);
2. creates a personalized delivery for them (CreateDelivery);
3. prepares it and follows WatchPreparation until it ends (phase, progress, KPIs, logs);
4. sends it and follows WatchSending until it ends;
5. reads the live KPI snapshot (WatchKpis), or says so when the server does not
   implement it (UNIMPLEMENTED).

Exit codes: 0 success; 1 a gRPC error (printed as CODE: details) or a preparation that
failed; 2 usage.
"""
import argparse
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402

from herald_client import (  # noqa: E402
    connect, default_server, delivery_pb2, delivery_service_pb2 as ds, preparation_pb2, profile_pb2,
    profile_service_pb2 as ps)

TAG = "python-example"


def enum_name(enum, value, prefix):
    """DELIVERY_STATE_READY -> READY."""
    try:
        name = enum.Name(value)
    except ValueError:
        return str(value)
    return name[len(prefix):] if name.startswith(prefix) else name


def upsert_profiles(herald, count, run):
    profiles = [profile_pb2.Profile(
        id=f"py-{run}-{i:04d}", email=f"py{i}.{run}@example.com", first_name=["Ada", "Grace", "Alan", "Edsger"][i % 4],
        tags=[TAG, f"run-{run}"], attributes={"city": ["Paris", "Oslo", "Lyon"][i % 3]},
        subscription=profile_pb2.SUBSCRIPTION_SUBSCRIBED) for i in range(count)]
    reply = herald.profiles.UpsertProfiles(ps.UpsertProfilesRequest(profiles=profiles, request_id=str(uuid.uuid4())),
                                          timeout=60)
    print(f"profiles: {reply.inserted_count} inserted, {reply.updated_count} updated, {len(reply.errors)} rejected")
    for error in reply.errors:
        print(f"  row {error.index} ({error.profile_id}): {error.message}")


def create_delivery(herald, run):
    delivery = delivery_pb2.Delivery(
        name=f"Python example {run}",
        content=delivery_pb2.DeliveryContent(
            subject="Hello {{first_name}}",
            sender=delivery_pb2.EmailAddress(name="Herald example", address="news@example.com"),
            html_body=("<p>Hello {{first_name}} from {{attributes.city}}!</p>"
                       '<p><a href="https://example.com/offer">See the offer</a></p>'
                       '<p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>')),
        audience=delivery_pb2.Audience(filter=f'tags HAS "{TAG}" AND tags HAS "run-{run}"'))
    reply = herald.deliveries.CreateDelivery(ds.CreateDeliveryRequest(delivery=delivery, request_id=str(uuid.uuid4())),
                                             timeout=30)
    print(f"created delivery {reply.delivery.id} "
          f"({enum_name(delivery_pb2.DeliveryState, reply.delivery.state, 'DELIVERY_STATE_')})")
    return reply.delivery.id


def prepare(herald, delivery_id):
    """PrepareDelivery, then WatchPreparation until the stream ends; returns the final progress."""
    herald.deliveries.PrepareDelivery(ds.PrepareDeliveryRequest(delivery_id=delivery_id), timeout=30)
    last = None
    for reply in herald.deliveries.WatchPreparation(ds.WatchPreparationRequest(delivery_id=delivery_id), timeout=600):
        p = reply.progress
        last = p
        phase = enum_name(preparation_pb2.PreparationPhase, p.phase, "PREPARATION_PHASE_")
        state = enum_name(preparation_pb2.PreparationState, p.state, "PREPARATION_STATE_")
        print(f"preparation: {state} {phase} {p.processed}/{p.total} "
              f"targeted={p.kpis.targeted} to_deliver={p.kpis.to_deliver} to_exclude={p.kpis.to_exclude}")
        for entry in p.new_log_entries:
            severity = enum_name(preparation_pb2.LogSeverity, entry.severity, "LOG_SEVERITY_")
            print(f"  log {severity} {entry.code}: {entry.message}")
    return last


def send(herald, delivery_id):
    """SendDelivery, then WatchSending until the stream ends; returns the final progress."""
    herald.deliveries.SendDelivery(ds.SendDeliveryRequest(delivery_id=delivery_id), timeout=30)
    last = None
    for reply in herald.deliveries.WatchSending(ds.WatchSendingRequest(delivery_id=delivery_id), timeout=600):
        p = reply.progress
        last = p
        state = enum_name(delivery_pb2.DeliveryState, p.state, "DELIVERY_STATE_")
        print(f"sending: {state} sent={p.sent} failed={p.failed} pending={p.pending} of {p.total} "
              f"({p.throughput:.0f}/s)")
    return last


def show_kpis(herald, delivery_id):
    """The first message of WatchKpis is the current snapshot: print it and leave the stream."""
    stream = herald.deliveries.WatchKpis(ds.WatchKpisRequest(delivery_id=delivery_id), timeout=15)
    try:
        for reply in stream:
            k = reply.update.kpis
            print(f"kpis: delivered={k.delivered} ({k.delivery_rate:.1%}) opens={k.opens} ({k.open_rate:.1%}) "
                  f"clicks={k.clicks} ({k.click_rate:.1%}) unsubscribes={k.unsubscribes}")
            return
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.UNIMPLEMENTED:
            print("kpis: this server does not implement WatchKpis yet (UNIMPLEMENTED)")
            return
        raise
    finally:
        stream.cancel()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=default_server(),
                        help="Herald's gRPC address as HOST:PORT (env HERALD_SERVER, default 127.0.0.1:50051)")
    parser.add_argument("--profiles", type=int, default=20, help="how many profiles to upsert (default 20)")
    parser.add_argument("--connect-timeout", type=float, default=10, help="seconds to wait for the server")
    args = parser.parse_args(argv)
    run = uuid.uuid4().hex[:8]
    with connect(args.server) as herald:
        try:
            herald.wait_ready(args.connect_timeout)
        except grpc.FutureTimeoutError:
            print(f"UNAVAILABLE: no Herald server answered at {args.server} within {args.connect_timeout:g}s",
                  file=sys.stderr)
            return 1
        try:
            upsert_profiles(herald, args.profiles, run)
            delivery_id = create_delivery(herald, run)
            started = time.monotonic()
            progress = prepare(herald, delivery_id)
            delivery = herald.deliveries.GetDelivery(ds.GetDeliveryRequest(delivery_id=delivery_id), timeout=30).delivery
            state = enum_name(delivery_pb2.DeliveryState, delivery.state, "DELIVERY_STATE_")
            print(f"prepared in {time.monotonic() - started:.1f}s: {state}, targeted={progress.kpis.targeted} "
                  f"to_deliver={progress.kpis.to_deliver} to_exclude={progress.kpis.to_exclude}")
            if delivery.state != delivery_pb2.DELIVERY_STATE_READY:
                logs = herald.deliveries.ListDeliveryLogs(ds.ListDeliveryLogsRequest(
                    delivery_id=delivery_id, min_severity=preparation_pb2.LOG_SEVERITY_ERROR), timeout=30)
                for entry in logs.log_entries:
                    print(f"  error {entry.code}: {entry.message}", file=sys.stderr)
                print(f"FAILED_PRECONDITION: delivery {delivery_id} is {state}, not READY", file=sys.stderr)
                return 1
            final = send(herald, delivery_id)
            state = enum_name(delivery_pb2.DeliveryState, final.state, "DELIVERY_STATE_") if final else "?"
            print(f"sent: {final.sent if final else 0} sent, {final.failed if final else 0} failed, state {state}")
            show_kpis(herald, delivery_id)
            print(f"done: delivery {delivery_id}")
            return 0
        except grpc.RpcError as error:
            # A gRPC error: its status code and the server's message, on one line.
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
