#!/usr/bin/env python3
"""Generates the Python gRPC stubs of Herald's API from Protos/ with grpc_tools.protoc.

    Clients/python/generate.py           write herald_client/gen/herald/v1/*_pb2[_grpc].py
    Clients/python/generate.py --check   regenerate into a temporary folder; exit 1 with a
                                         diff summary when the committed stubs differ

The stubs are committed so that a backend service can use the client without protoc.
The check ignores the lines that only name the versions of protobuf and grpcio-tools that
generated a file (so a newer grpcio-tools on a fresh machine does not fail it); anything
else that differs (a changed proto, a different code layout) fails it.

The generated modules import each other as `herald.v1.x_pb2`: put herald_client/gen on
sys.path (herald_client/__init__.py does) before importing them.
"""
import difflib
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROTOS = os.path.join(ROOT, "Protos")
GEN = os.path.join(HERE, "herald_client", "gen")


def proto_files():
    """Every herald/v1 proto, relative to Protos/, sorted."""
    folder = os.path.join(PROTOS, "herald", "v1")
    return sorted(f"herald/v1/{name}" for name in os.listdir(folder) if name.endswith(".proto"))


def generate(out_dir):
    """Runs grpc_tools.protoc into out_dir; keeps the _pb2_grpc.py files of protos that
    declare a service only (the others hold nothing but imports)."""
    try:
        import grpc_tools
        from grpc_tools import protoc
    except ImportError:
        sys.exit("generate.py: grpc_tools missing (pip install grpcio-tools, or scripts/install-deps)")
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    args = ["grpc_tools.protoc", f"-I{PROTOS}", f"-I{well_known}",
            f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", *proto_files()]
    if protoc.main(args) != 0:
        sys.exit(f"generate.py: grpc_tools.protoc failed: {' '.join(args)}")
    for folder, _, names in os.walk(out_dir):
        for name in names:
            path = os.path.join(folder, name)
            if name.endswith("_pb2_grpc.py"):
                with open(path, encoding="utf-8") as f:
                    declares_service = re.search(r"^class \w+Stub\b", f.read(), re.M) is not None
                if not declares_service:
                    os.remove(path)


_VERSION_LINES = [
    re.compile(r"^# Protobuf Python Version: .*$", re.M),
    re.compile(r"^GRPC_GENERATED_VERSION = .*$", re.M),
    re.compile(r"_runtime_version\.ValidateProtobufRuntimeVersion\([^)]*\)", re.S),
]


def normalized(text):
    """The text without the lines that only record generator versions."""
    for pattern in _VERSION_LINES:
        text = pattern.sub("<version>", text)
    return text


def files_under(folder):
    found = {}
    for base, _, names in os.walk(folder):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(base, name)
                found[os.path.relpath(path, folder)] = path
    return found


def check():
    with tempfile.TemporaryDirectory(prefix="herald-pystubs-") as tmp:
        generate(tmp)
        fresh, committed = files_under(tmp), files_under(GEN)
        problems = []
        for rel in sorted(set(fresh) | set(committed)):
            if rel not in committed:
                problems.append(f"missing: {rel}")
            elif rel not in fresh:
                problems.append(f"not generated any more: {rel}")
            else:
                with open(fresh[rel], encoding="utf-8") as a, open(committed[rel], encoding="utf-8") as b:
                    new, old = normalized(a.read()), normalized(b.read())
                if new != old:
                    problems.append(f"differs: {rel}")
                    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), "committed", "regenerated", lineterm="", n=1)
                    problems.extend("    " + line for line in list(diff)[:20])
        if problems:
            print("\n".join(problems), file=sys.stderr)
            print("generate.py --check: the committed Python stubs are stale; run Clients/python/generate.py and commit",
                  file=sys.stderr)
            return 1
        print("generate.py --check: Python stubs are up to date")
        return 0


def write():
    with tempfile.TemporaryDirectory(prefix="herald-pystubs-") as tmp:
        generate(tmp)
        shutil.rmtree(os.path.join(GEN, "herald"), ignore_errors=True)
        shutil.copytree(os.path.join(tmp, "herald"), os.path.join(GEN, "herald"))
    print(f"generate.py: wrote {os.path.relpath(GEN, ROOT)}/herald/v1")
    return 0


def main(argv):
    if argv == ["--check"]:
        return check()
    if argv:
        print("usage: Clients/python/generate.py [--check]", file=sys.stderr)
        return 2
    return write()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
