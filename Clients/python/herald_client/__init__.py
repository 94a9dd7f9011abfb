"""A small Python client of Herald's gRPC API, for other backend services.

The message and service modules are generated from Protos/ by Clients/python/generate.py
(grpc_tools.protoc) into herald_client/gen and committed. They import each other as
`herald.v1.x_pb2`, so this package puts its gen/ folder on sys.path first.

    from herald_client import connect, delivery_pb2, delivery_service_pb2
    with connect("127.0.0.1:50051") as herald:
        reply = herald.deliveries.GetDelivery(delivery_service_pb2.GetDeliveryRequest(delivery_id="dlv_..."))
"""
import os
import sys

_GEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen")
if _GEN not in sys.path:
    sys.path.insert(0, _GEN)

import grpc  # noqa: E402

from herald.v1 import delivery_pb2, delivery_service_pb2, delivery_service_pb2_grpc  # noqa: E402
from herald.v1 import kpis_pb2, preparation_pb2, sending_pb2  # noqa: E402
from herald.v1 import profile_pb2, profile_service_pb2, profile_service_pb2_grpc  # noqa: E402
from herald.v1 import tracking_pb2, tracking_service_pb2, tracking_service_pb2_grpc  # noqa: E402

DEFAULT_SERVER = "127.0.0.1:50051"

__all__ = [
    "DEFAULT_SERVER", "Herald", "connect", "default_server",
    "delivery_pb2", "delivery_service_pb2", "delivery_service_pb2_grpc", "kpis_pb2", "preparation_pb2",
    "sending_pb2", "profile_pb2", "profile_service_pb2", "profile_service_pb2_grpc",
    "tracking_pb2", "tracking_service_pb2", "tracking_service_pb2_grpc",
]


def default_server():
    """$HERALD_SERVER when set, else 127.0.0.1:50051."""
    return os.environ.get("HERALD_SERVER") or DEFAULT_SERVER


class Herald:
    """A channel to one Herald server and a stub per service. Close it (or use `with`)."""

    def __init__(self, target):
        self.target = target
        # Herald listens without TLS on loopback by default; use grpc.secure_channel
        # with credentials for a server behind TLS.
        self.channel = grpc.insecure_channel(target)
        self.deliveries = delivery_service_pb2_grpc.DeliveryServiceStub(self.channel)
        self.profiles = profile_service_pb2_grpc.ProfileServiceStub(self.channel)
        self.tracking = tracking_service_pb2_grpc.TrackingServiceStub(self.channel)

    def wait_ready(self, timeout):
        """Waits until the channel is connected; raises grpc.FutureTimeoutError otherwise."""
        grpc.channel_ready_future(self.channel).result(timeout=timeout)

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def connect(target=None):
    """A Herald client of `target` (HOST:PORT), by default $HERALD_SERVER or 127.0.0.1:50051."""
    return Herald(target or default_server())
