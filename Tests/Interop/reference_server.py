#!/usr/bin/env python3
"""Python grpcio stand-ins for Herald's two servers, used to check the tests themselves.

    reference_server.py interop --port N
        grpc.testing.TestService as herald-interop-server serves it (EmptyCall,
        UnaryCall, StreamingOutputCall, echo of status and metadata; everything
        else UNIMPLEMENTED).
    reference_server.py heraldd --grpc-address 127.0.0.1:N
        grpc.health.v1.Health and reflection (v1 and v1alpha) over the descriptor
        set Protos/generated/herald.protoset, NOT_SERVING then exit 0 on SIGTERM.

The tests run against these when HERALD_REFERENCE=1 (see conftest.py): a test that
fails against them is a bug in the test, not in Herald.
"""
import argparse
import atexit
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent import futures

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def serve_interop(port):
    sys.path.insert(0, HERE)
    import conftest  # noqa: E402  (stub generation helper)

    gen = tempfile.mkdtemp(prefix="herald-reference-stubs-")
    atexit.register(shutil.rmtree, gen, True)
    pb = conftest.generate_interop_stubs(gen)
    messages_pb2, empty_pb2, test_pb2_grpc = pb.messages_pb2, pb.empty_pb2, pb.test_pb2_grpc

    def echo_metadata(context):
        md = dict(context.invocation_metadata())
        if "x-grpc-test-echo-initial" in md:
            context.send_initial_metadata((("x-grpc-test-echo-initial", md["x-grpc-test-echo-initial"]),))
        if "x-grpc-test-echo-trailing-bin" in md:
            context.set_trailing_metadata((("x-grpc-test-echo-trailing-bin", md["x-grpc-test-echo-trailing-bin"]),))

    class TestService(test_pb2_grpc.TestServiceServicer):
        def EmptyCall(self, request, context):
            return empty_pb2.Empty()

        def UnaryCall(self, request, context):
            echo_metadata(context)
            if request.response_status.code:
                context.abort(grpc.StatusCode(_code(request.response_status.code)), request.response_status.message)
            return messages_pb2.SimpleResponse(payload=messages_pb2.Payload(body=b"\0" * request.response_size))

        def StreamingOutputCall(self, request, context):
            echo_metadata(context)
            for p in request.response_parameters:
                if p.interval_us:
                    time.sleep(p.interval_us / 1e6)
                if not context.is_active():
                    return
                yield messages_pb2.StreamingOutputCallResponse(payload=messages_pb2.Payload(body=b"\0" * p.size))
            if request.response_status.code:
                context.abort(grpc.StatusCode(_code(request.response_status.code)), request.response_status.message)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    test_pb2_grpc.add_TestServiceServicer_to_server(TestService(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    return server


def _code(n):
    for c in grpc.StatusCode:
        if c.value[0] == n:
            return c.value
    raise ValueError(n)


def serve_heraldd(address):
    from google.protobuf import descriptor_pb2, descriptor_pool
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection, reflection_pb2

    fds = descriptor_pb2.FileDescriptorSet()
    with open(os.path.join(ROOT, "Protos", "generated", "herald.protoset"), "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    services = [
        "herald.v1.DeliveryService", "herald.v1.ProfileService", "herald.v1.TrackingService",
        "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64))
    hs = health.HealthServicer()
    for name in ["", *services[:3]]:
        hs.set(name, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(hs, server)
    reflection.enable_server_reflection(services, server, pool=pool)
    # v1 has the same wire format as v1alpha: serve it with the same servicer.
    servicer = reflection.ReflectionServicer(services, pool=pool)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "grpc.reflection.v1.ServerReflection",
        {"ServerReflectionInfo": grpc.stream_stream_rpc_method_handler(
            servicer.ServerReflectionInfo,
            request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
            response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString)}),))
    server.add_insecure_port(address)

    def on_signal(signum, frame):
        def stop():
            hs.enter_graceful_shutdown()
            time.sleep(0.2)
            server.stop(2)
        threading.Thread(target=stop, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return server


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["interop", "heraldd"])
    ap.add_argument("--port", type=int)
    ap.add_argument("--grpc-address", default=os.environ.get("HERALD_GRPC_ADDRESS", "127.0.0.1:50051"))
    args, _ = ap.parse_known_args()
    server = serve_interop(args.port) if args.mode == "interop" else serve_heraldd(args.grpc_address)
    server.start()
    print(f"reference {args.mode} server started", file=sys.stderr, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
