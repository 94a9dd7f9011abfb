"""The gRPC interoperability test cases for a server (doc/interop-test-descriptions.md
of the grpc repository), run by a Python grpcio client against herald-interop-server.

herald-interop-server has no client-streaming or bidi methods (no FullDuplexCall), so
the cases the document writes with FullDuplexCall use the server-streaming
StreamingOutputCall with the same request fields instead: the streaming halves of
custom_metadata and status_code_and_message, cancel_after_first_response and
timeout_on_sleeping_server.
"""
import grpc
import pytest

LARGE_REQUEST = 271828
LARGE_RESPONSE = 314159
STREAM_SIZES = [31415, 9, 2653, 58979]
ECHO_INITIAL = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
ECHO_TRAILING = ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab")
SPECIAL_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
TIMEOUT = 10  # seconds: every call but the deadline tests


@pytest.fixture(scope="module")
def channel(interop_server):
    ch = grpc.insecure_channel(interop_server.address)
    grpc.channel_ready_future(ch).result(timeout=10)
    yield ch
    ch.close()


@pytest.fixture(scope="module")
def stub(channel, interop_pb):
    return interop_pb.test_pb2_grpc.TestServiceStub(channel)


def zeros(pb, n):
    return pb.messages_pb2.Payload(body=bytes(n))


def test_empty_unary(stub, interop_pb):
    response = stub.EmptyCall(interop_pb.empty_pb2.Empty(), timeout=TIMEOUT)
    assert response is not None
    assert response == interop_pb.empty_pb2.Empty()
    assert response.ByteSize() == 0


def test_large_unary(stub, interop_pb):
    m = interop_pb.messages_pb2
    request = m.SimpleRequest(response_size=LARGE_RESPONSE, payload=zeros(interop_pb, LARGE_REQUEST))
    response = stub.UnaryCall(request, timeout=TIMEOUT)
    assert len(response.payload.body) == LARGE_RESPONSE
    assert response.payload.body == bytes(LARGE_RESPONSE)


def test_server_streaming(stub, interop_pb):
    m = interop_pb.messages_pb2
    request = m.StreamingOutputCallRequest(
        response_parameters=[m.ResponseParameters(size=s) for s in STREAM_SIZES])
    call = stub.StreamingOutputCall(request, timeout=TIMEOUT)
    responses = list(call)
    assert [len(r.payload.body) for r in responses] == STREAM_SIZES
    assert all(r.payload.body == bytes(len(r.payload.body)) for r in responses)
    assert call.code() == grpc.StatusCode.OK


def _assert_echoed_metadata(call):
    initial = list(call.initial_metadata())
    trailing = list(call.trailing_metadata())
    assert ECHO_INITIAL in initial, f"initial metadata: {initial}"
    assert ECHO_TRAILING in trailing, f"trailing metadata: {trailing}"


def test_custom_metadata_unary(stub, interop_pb):
    m = interop_pb.messages_pb2
    request = m.SimpleRequest(response_size=LARGE_RESPONSE, payload=zeros(interop_pb, LARGE_REQUEST))
    response, call = stub.UnaryCall.with_call(request, metadata=[ECHO_INITIAL, ECHO_TRAILING], timeout=TIMEOUT)
    assert len(response.payload.body) == LARGE_RESPONSE
    assert call.code() == grpc.StatusCode.OK
    _assert_echoed_metadata(call)


def test_custom_metadata_streaming(stub, interop_pb):
    # The document's FullDuplexCall step, as a StreamingOutputCall.
    m = interop_pb.messages_pb2
    request = m.StreamingOutputCallRequest(
        response_parameters=[m.ResponseParameters(size=LARGE_RESPONSE)],
        payload=zeros(interop_pb, LARGE_REQUEST))
    call = stub.StreamingOutputCall(request, metadata=[ECHO_INITIAL, ECHO_TRAILING], timeout=TIMEOUT)
    responses = list(call)
    assert [len(r.payload.body) for r in responses] == [LARGE_RESPONSE]
    assert call.code() == grpc.StatusCode.OK
    _assert_echoed_metadata(call)


def _unary_status(stub, interop_pb, code, message):
    m = interop_pb.messages_pb2
    request = m.SimpleRequest(response_status=m.EchoStatus(code=code, message=message))
    with pytest.raises(grpc.RpcError) as info:
        stub.UnaryCall(request, timeout=TIMEOUT)
    return info.value


def test_status_code_and_message_unary(stub, interop_pb):
    err = _unary_status(stub, interop_pb, 2, "test status message")
    assert err.code() == grpc.StatusCode.UNKNOWN
    assert err.details() == "test status message"


def test_status_code_and_message_streaming(stub, interop_pb):
    # The document's FullDuplexCall step, as a StreamingOutputCall.
    m = interop_pb.messages_pb2
    request = m.StreamingOutputCallRequest(
        response_status=m.EchoStatus(code=2, message="test status message"))
    call = stub.StreamingOutputCall(request, timeout=TIMEOUT)
    with pytest.raises(grpc.RpcError) as info:
        list(call)
    assert info.value.code() == grpc.StatusCode.UNKNOWN
    assert info.value.details() == "test status message"


def test_special_status_message(stub, interop_pb):
    err = _unary_status(stub, interop_pb, 2, SPECIAL_MESSAGE)
    assert err.code() == grpc.StatusCode.UNKNOWN
    assert err.details() == SPECIAL_MESSAGE


def test_unimplemented_method(stub, interop_pb):
    with pytest.raises(grpc.RpcError) as info:
        stub.UnimplementedCall(interop_pb.empty_pb2.Empty(), timeout=TIMEOUT)
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_unimplemented_service(channel, interop_pb):
    stub = interop_pb.test_pb2_grpc.UnimplementedServiceStub(channel)
    with pytest.raises(grpc.RpcError) as info:
        stub.UnimplementedCall(interop_pb.empty_pb2.Empty(), timeout=TIMEOUT)
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_cancel_after_first_response(stub, interop_pb):
    # The document uses FullDuplexCall; our server has no bidi, so: a server-streaming
    # call with a 31415-byte first response (and a slow second one), cancelled by the
    # client once the first message arrived.
    m = interop_pb.messages_pb2
    request = m.StreamingOutputCallRequest(
        response_parameters=[m.ResponseParameters(size=31415),
                             m.ResponseParameters(size=9, interval_us=5_000_000)],
        payload=zeros(interop_pb, 27182))
    call = stub.StreamingOutputCall(request, timeout=TIMEOUT)
    first = next(call)
    assert len(first.payload.body) == 31415
    assert call.cancel()
    with pytest.raises(grpc.RpcError) as info:
        next(call)
    assert info.value.code() == grpc.StatusCode.CANCELLED
    assert call.code() == grpc.StatusCode.CANCELLED


def test_timeout_on_sleeping_server(stub, interop_pb):
    # The document uses FullDuplexCall with a 1 ms timeout; here a StreamingOutputCall
    # whose only response waits 2 s (interval_us) on the server.
    m = interop_pb.messages_pb2
    request = m.StreamingOutputCallRequest(
        response_parameters=[m.ResponseParameters(size=1, interval_us=2_000_000)],
        payload=zeros(interop_pb, 27182))
    call = stub.StreamingOutputCall(request, timeout=0.001)
    with pytest.raises(grpc.RpcError) as info:
        list(call)
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_server_still_serves_after_cancellations(stub, interop_pb):
    """Not a document case: the server keeps answering after the cancelled and
    timed-out calls above (their handlers did not wedge it)."""
    assert stub.EmptyCall(interop_pb.empty_pb2.Empty(), timeout=TIMEOUT) == interop_pb.empty_pb2.Empty()
