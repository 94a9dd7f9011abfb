"""heraldd seen from foreign clients: grpcurl, buf curl and Python grpcio (reflection
v1 and v1alpha, grpc.health.v1 Check and Watch), and its graceful stop on signals."""
import os
import re
import signal
import subprocess
import threading
import time

import grpc
import pytest

import conftest
from grpc_health.v1 import health_pb2

HERALD_SERVICES = ["herald.v1.DeliveryService", "herald.v1.ProfileService", "herald.v1.TrackingService"]
STANDARD_SERVICES = ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                     "grpc.reflection.v1alpha.ServerReflection"]
SERVICE_FILES = {
    "herald.v1.DeliveryService": "herald/v1/delivery_service.proto",
    "herald.v1.ProfileService": "herald/v1/profile_service.proto",
    "herald.v1.TrackingService": "herald/v1/tracking_service.proto",
}
TIMEOUT = 10
RPC_RE = re.compile(r"\brpc\s+(\w+)\s*\(\s*(stream\s+)?\.?[\w.]+\s*\)\s*returns\s*\(\s*(stream\s+)?\.?[\w.]+\s*\)")


def rpcs_in_proto(service):
    """{rpc name: (client streaming, server streaming)} parsed from Protos/."""
    path = os.path.join(conftest.ROOT, "Protos", SERVICE_FILES[service])
    with open(path) as f:
        text = re.sub(r"//[^\n]*", "", f.read())
    name = service.rsplit(".", 1)[1]
    body = re.search(r"\bservice\s+" + name + r"\s*\{(.*?)\n\}", text, re.S).group(1)
    rpcs = {m.group(1): (bool(m.group(2)), bool(m.group(3))) for m in RPC_RE.finditer(body)}
    assert rpcs, f"no rpc parsed in {path}"
    return rpcs


def run(argv, timeout=30):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def grpcurl(server, *action, options=()):
    """grpcurl -plaintext [options] ADDRESS action..."""
    argv = ["grpcurl", "-plaintext", "-max-time", "20", *options, server.address, *action]
    rc, out, err = run(argv)
    assert rc == 0, f"{' '.join(argv)} -> {rc}\n{out}\n{err}"
    return out


def buf_curl(server, *args, path="", reflect_protocol=None):
    argv = ["buf", "curl", "--protocol", "grpc", "--http2-prior-knowledge", "--reflect", "--timeout", "20s"]
    if reflect_protocol:
        argv += ["--reflect-protocol", reflect_protocol]
    argv += [*args, f"http://{server.address}{path}"]
    rc, out, err = run(argv)
    assert rc == 0, f"{' '.join(argv)} -> {rc}\n{out}\n{err}"
    return out


# --- grpcurl (grpcurl 1.8.6 speaks reflection v1alpha only) ------------------------

def test_grpcurl_list(heraldd):
    listed = grpcurl(heraldd, "list").split()
    for s in HERALD_SERVICES + STANDARD_SERVICES:
        assert s in listed, listed


@pytest.mark.parametrize("service", HERALD_SERVICES)
def test_grpcurl_describe_prints_every_rpc(heraldd, service):
    out = grpcurl(heraldd, "describe", service)
    assert f"{service} is a service" in out, out
    described = {m.group(1): (bool(m.group(2)), bool(m.group(3))) for m in RPC_RE.finditer(out)}
    assert described == rpcs_in_proto(service), out


def test_grpcurl_health_check_serving(heraldd):
    out = grpcurl(heraldd, "grpc.health.v1.Health/Check", options=("-d", "{}"))
    assert '"status": "SERVING"' in out, out


# --- buf curl: reflection v1 and v1alpha explicitly ----------------------------------

@pytest.mark.parametrize("protocol", ["grpc-v1", "grpc-v1alpha"])
def test_buf_curl_list_services(heraldd, protocol):
    listed = buf_curl(heraldd, "--list-services", reflect_protocol=protocol).split()
    for s in HERALD_SERVICES + STANDARD_SERVICES:
        assert s in listed, listed


@pytest.mark.parametrize("protocol", ["grpc-v1", "grpc-v1alpha"])
def test_buf_curl_list_methods(heraldd, protocol):
    listed = set(buf_curl(heraldd, "--list-methods", reflect_protocol=protocol).split())
    for service in HERALD_SERVICES:
        expected = {f"{service}/{name}" for name in rpcs_in_proto(service)}
        assert expected <= listed, sorted(expected - listed)
    assert "grpc.health.v1.Health/Check" in listed and "grpc.health.v1.Health/Watch" in listed


@pytest.mark.parametrize("protocol", ["grpc-v1", "grpc-v1alpha"])
def test_buf_curl_health_check_serving(heraldd, protocol):
    out = buf_curl(heraldd, "-d", "{}", path="/grpc.health.v1.Health/Check", reflect_protocol=protocol)
    assert '"status": "SERVING"' in out, out


# --- Python grpcio: reflection ------------------------------------------------------

@pytest.fixture(scope="module")
def channel(heraldd):
    ch = grpc.insecure_channel(heraldd.address)
    grpc.channel_ready_future(ch).result(timeout=10)
    yield ch
    ch.close()


def reflect(channel, version, **request):
    """One ServerReflectionInfo exchange. grpc.reflection.v1 has the very messages of
    v1alpha (same fields and numbers; only the package differs), so both versions use
    grpcio-reflection's v1alpha message classes; the method path picks the service."""
    from grpc_reflection.v1alpha import reflection_pb2 as pb
    method = channel.stream_stream(
        f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
        request_serializer=pb.ServerReflectionRequest.SerializeToString,
        response_deserializer=pb.ServerReflectionResponse.FromString)
    responses = list(method(iter([pb.ServerReflectionRequest(**request)]), timeout=TIMEOUT))
    assert len(responses) == 1
    return responses[0]


def parse_files(response):
    from google.protobuf import descriptor_pb2
    assert response.WhichOneof("message_response") == "file_descriptor_response", response
    files = {}
    for raw in response.file_descriptor_response.file_descriptor_proto:
        fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
        files[fd.name] = fd
    return files


def assert_closed_under_dependencies(files, root):
    assert root in files, sorted(files)
    missing = {d for fd in files.values() for d in fd.dependency} - set(files)
    assert not missing, f"dependencies not returned: {sorted(missing)}"
    # They build a working pool.
    from google.protobuf import descriptor_pool
    pool = descriptor_pool.DescriptorPool()
    added = set()

    def add(name):
        if name in added:
            return
        for d in files[name].dependency:
            add(d)
        pool.Add(files[name])
        added.add(name)

    for n in files:
        add(n)
    return pool


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_reflection_list_services(channel, version):
    r = reflect(channel, version, list_services="")
    names = {s.name for s in r.list_services_response.service}
    assert set(HERALD_SERVICES + STANDARD_SERVICES) <= names, names


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
@pytest.mark.parametrize("service", HERALD_SERVICES)
def test_reflection_file_containing_symbol(channel, version, service):
    files = parse_files(reflect(channel, version, file_containing_symbol=service))
    pool = assert_closed_under_dependencies(files, SERVICE_FILES[service])
    described = pool.FindServiceByName(service)
    assert {m.name for m in described.methods} == set(rpcs_in_proto(service))


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_reflection_file_by_filename(channel, herald_pb, version):
    files = parse_files(reflect(channel, version, file_by_filename="herald/v1/delivery_service.proto"))
    assert_closed_under_dependencies(files, "herald/v1/delivery_service.proto")
    # Same message set as the stubs compiled here from Protos/.
    local = herald_pb.delivery_service_pb2.DESCRIPTOR
    served = files["herald/v1/delivery_service.proto"]
    assert [m.name for m in served.message_type] == list(local.message_types_by_name)


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_reflection_unknown_symbol_not_found(channel, version):
    r = reflect(channel, version, file_containing_symbol="no.such.Symbol")
    assert r.WhichOneof("message_response") == "error_response", r
    assert r.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


# --- Python grpcio: health ----------------------------------------------------------

def health_stub(channel):
    from grpc_health.v1 import health_pb2_grpc
    return health_pb2_grpc.HealthStub(channel)


@pytest.mark.parametrize("service", ["", "herald.v1.DeliveryService"])
def test_health_check_serving(channel, service):
    pb = health_pb2
    r = health_stub(channel).Check(pb.HealthCheckRequest(service=service), timeout=TIMEOUT)
    assert r.status == pb.HealthCheckResponse.SERVING


def test_health_check_unknown_service_not_found(channel):
    pb = health_pb2
    with pytest.raises(grpc.RpcError) as info:
        health_stub(channel).Check(pb.HealthCheckRequest(service="no.such.Service"), timeout=TIMEOUT)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_health_watch_first_message_serving(channel):
    pb = health_pb2
    call = health_stub(channel).Watch(pb.HealthCheckRequest(service=""), timeout=TIMEOUT)
    first = next(call)
    assert first.status == pb.HealthCheckResponse.SERVING
    call.cancel()


@pytest.mark.parametrize("method", ["/herald.v1.DeliveryService/NoSuchMethod", "/no.such.Service/Method",
                                    "/grpc.health.v1.Health/NoSuchMethod"])
def test_unknown_method_unimplemented(channel, method):
    call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.RpcError) as info:
        call(b"", timeout=TIMEOUT)
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_herald_stub_reaches_server(channel, herald_pb):
    """A stub generated from Protos/ gets a gRPC status, not a transport error: the
    service answers (OK or an application error) or is UNIMPLEMENTED until registered."""
    stub = herald_pb.delivery_service_pb2_grpc.DeliveryServiceStub(channel)
    request = herald_pb.delivery_service_pb2.GetDeliveryRequest()
    try:
        stub.GetDelivery(request, timeout=TIMEOUT)
    except grpc.RpcError as e:
        assert e.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                                grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (e.code(), e.details())


# --- lifecycle ------------------------------------------------------------------------

def test_watch_sees_not_serving_on_sigterm_then_exit_0(fresh_heraldd):
    pb = health_pb2
    ch = grpc.insecure_channel(fresh_heraldd.address)
    try:
        stub = health_stub(ch)
        call = stub.Watch(pb.HealthCheckRequest(service=""), timeout=30)
        statuses, errors = [], []
        first = next(call)
        assert first.status == pb.HealthCheckResponse.SERVING

        def drain():
            try:
                for r in call:
                    statuses.append(r.status)
            except grpc.RpcError as e:
                errors.append(e.code())

        t = threading.Thread(target=drain, daemon=True)
        t.start()
        os.kill(fresh_heraldd.proc.pid, signal.SIGTERM)
        t.join(20)
        assert not t.is_alive(), "the Watch stream did not end after SIGTERM"
        assert pb.HealthCheckResponse.NOT_SERVING in statuses, (statuses, errors)
        rc = fresh_heraldd.proc.wait(10)
        assert rc == 0, f"heraldd exited {rc}:\n{fresh_heraldd.output()}"
    finally:
        ch.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_exits_0_on_signal(fresh_heraldd, sig):
    ch = grpc.insecure_channel(fresh_heraldd.address)
    try:
        pb = health_pb2
        assert health_stub(ch).Check(pb.HealthCheckRequest(), timeout=TIMEOUT).status == \
            pb.HealthCheckResponse.SERVING
    finally:
        ch.close()
    started = time.monotonic()
    os.kill(fresh_heraldd.proc.pid, sig)
    rc = fresh_heraldd.proc.wait(10)
    assert rc == 0, f"heraldd exited {rc} on {sig.name}:\n{fresh_heraldd.output()}"
    assert time.monotonic() - started < 10


def test_address_from_environment(tmp_path):
    if conftest.REFERENCE:
        exe = [conftest.sys.executable, os.path.join(conftest.HERE, "reference_server.py"), "heraldd"]
    else:
        exe = [os.path.join(conftest.bin_dir(), "heraldd")]
    port = conftest.free_port()
    env = dict(os.environ, HERALD_GRPC_ADDRESS=f"127.0.0.1:{port}")
    server = conftest.Server("heraldd-env", exe, port, cwd=str(tmp_path), env=env)
    try:
        ch = grpc.insecure_channel(server.address)
        pb = health_pb2
        assert health_stub(ch).Check(pb.HealthCheckRequest(), timeout=TIMEOUT).status == \
            pb.HealthCheckResponse.SERVING
        ch.close()
    finally:
        server.stop()
