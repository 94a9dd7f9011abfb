#!/usr/bin/env python3
"""protoc plugin: runs protobuf-c's generator (protoc-gen-c) with proto3 `optional` support.

protobuf-c 1.4.1 (Debian) predates proto3 `optional`: protoc refuses to hand such files
to it. A proto3 `optional` field is a one-member "synthetic" oneof on the wire, so this
wrapper turns every synthetic oneof into a real one (clearing `proto3_optional`) before
passing the request to protoc-gen-c, and declares FEATURE_PROTO3_OPTIONAL to protoc.
The C struct then tracks presence with `_<field>_case` (the synthetic oneof is named
`_<field>`), which protoc_gen_herald_swift.py knows. The wire format is unchanged, and
the descriptor set served by reflection is produced by protoc itself, not from here.

Parameter: the path of protoc-gen-c (default /usr/bin/protoc-gen-c) via `gen=PATH`.
"""
import subprocess
import sys

from google.protobuf.compiler import plugin_pb2


def desynthesize(message):
    for field in message.field:
        if field.proto3_optional:
            field.proto3_optional = False
    for nested in message.nested_type:
        desynthesize(nested)


def main():
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    gen = "/usr/bin/protoc-gen-c"
    params = []
    for item in filter(None, request.parameter.split(",")):
        if item.startswith("gen="):
            gen = item[len("gen="):]
        else:
            params.append(item)
    request.parameter = ",".join(params)
    for proto in request.proto_file:
        for message in proto.message_type:
            desynthesize(message)
    done = subprocess.run([gen], input=request.SerializeToString(), stdout=subprocess.PIPE, check=True)
    response = plugin_pb2.CodeGeneratorResponse.FromString(done.stdout)
    response.supported_features |= plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    sys.stdout.buffer.write(response.SerializeToString())


if __name__ == "__main__":
    main()
