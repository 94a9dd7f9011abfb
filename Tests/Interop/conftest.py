"""Fixtures for the foreign-client tests of Herald's gRPC servers.

The servers come from the Swift build: the bin directory is $HERALD_BIN_DIR, else
`swift build --show-bin-path`. With HERALD_REFERENCE=1 the tests run against the
Python stand-ins of reference_server.py instead (to check the tests themselves).

Python stubs are generated at test time with grpc_tools.protoc into a temporary
directory, from Debian's grpc-proto (/usr/share/grpc-proto) and from Protos/.
"""
import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import types

import pytest

import herald_fixtures

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GRPC_PROTO = "/usr/share/grpc-proto"
REFERENCE = os.environ.get("HERALD_REFERENCE") == "1"
collect_ignore_glob = ["_gen/*"]  # generated test_pb2.py files are not tests
# Every heraldd a test starts opens its tracking HTTP endpoint on a free port unless
# the test passes --tracking-address (heraldd's default, 8080, would collide between
# the servers of one run and with anything else on the machine).
os.environ["HERALD_TRACKING_ADDRESS"] = "127.0.0.1:0"


# --- stub generation -------------------------------------------------------------

def _protoc(out_dir, includes, files):
    from grpc_tools import protoc
    import grpc_tools

    os.makedirs(out_dir, exist_ok=True)
    wkt = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    args = ["grpc_tools.protoc", *[f"-I{i}" for i in includes], f"-I{wkt}",
            f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", *files]
    rc = protoc.main(args)
    if rc != 0:
        raise RuntimeError(f"grpc_tools.protoc failed ({rc}): {' '.join(args)}")


def _import_generated(out_dir, modules):
    """Imports generated modules. Modules under grpc/... (grpc.testing) live beside the installed `grpc` package, which is a regular
    package: extend its __path__ with the generated grpc/ directory so that the
    generated `from grpc.testing import empty_pb2` lines resolve."""
    import grpc

    if out_dir not in sys.path:
        sys.path.insert(0, out_dir)
    gen_grpc = os.path.join(out_dir, "grpc")
    if os.path.isdir(gen_grpc) and gen_grpc not in grpc.__path__:
        grpc.__path__.append(gen_grpc)
    ns = types.SimpleNamespace()
    for m in modules:
        mod = importlib.import_module(m)
        # Another test module may have generated and imported the same stubs first
        # (one proto file cannot be loaded twice in a process): that copy is fine; an
        # installed package shadowing the generated module is not.
        if any(part in mod.__file__ for part in ("site-packages", "dist-packages")):
            raise RuntimeError(f"{m} resolved to {mod.__file__}, not a stub generated from the proto")
        setattr(ns, m.rsplit(".", 1)[1], mod)
    return ns


def generate_interop_stubs(out_dir):
    """grpc.testing stubs from grpc-proto: namespace with empty_pb2, messages_pb2,
    test_pb2, test_pb2_grpc."""
    files = [f"grpc/testing/{n}.proto" for n in ("empty", "messages", "test")]
    _protoc(out_dir, [GRPC_PROTO], files)
    return _import_generated(out_dir, [
        "grpc.testing.empty_pb2", "grpc.testing.messages_pb2",
        "grpc.testing.test_pb2", "grpc.testing.test_pb2_grpc"])


def generate_herald_stubs(out_dir):
    """herald.v1 stubs from Protos/ (google/protobuf from /usr/include). Health and
    reflection stubs come from grpcio-health-checking / grpcio-reflection (generated
    from the same grpc-proto files): `import grpc` aliases grpc.health and
    grpc.reflection to those packages, so stubs generated here could not be imported
    under their proto names."""
    herald = sorted(os.path.relpath(os.path.join(d, f), os.path.join(ROOT, "Protos"))
                    for d, _, fs in os.walk(os.path.join(ROOT, "Protos", "herald")) for f in fs
                    if f.endswith(".proto"))
    _protoc(out_dir, [os.path.join(ROOT, "Protos"), "/usr/include"], herald)
    mods = [p[:-len(".proto")].replace("/", ".") + "_pb2" for p in herald]
    mods += [m[:-len("_pb2")] + "_pb2_grpc" for m in mods if m.endswith("_service_pb2")]
    return _import_generated(out_dir, mods)


@pytest.fixture(scope="session")
def gen_dir():
    d = tempfile.mkdtemp(prefix="herald-pystubs-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


# --- processes ---------------------------------------------------------------------

from herald_fixtures import bin_dir, free_port  # noqa: E402  (one definition for every test module)


def wait_for_port(port, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class Server:
    """A server process we started; stopped by its PID only."""

    def __init__(self, name, argv, port, cwd=None, env=None, timeout=20):
        self.name, self.port = name, port
        self.address = f"127.0.0.1:{port}"
        self.log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_for_port(port, self.proc, timeout):
            self.stop()
            raise RuntimeError(f"{name} did not listen on {self.address} within {timeout}s "
                               f"(exit {self.proc.returncode}); log:\n{self.output()}")

    def output(self):
        try:
            with open(self.log.name, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def terminate(self, timeout=10):
        """SIGTERM, then wait; returns the exit code (None if it did not exit)."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            if self.terminate(5) is None:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()


def _start(name, argv_for_port, cwd=None, env=None, attempts=3):
    # The free port may be taken between probing and binding: retry a few times.
    last = None
    for _ in range(attempts):
        port = free_port()
        try:
            return Server(name, argv_for_port(port), port, cwd=cwd, env=env)
        except RuntimeError as e:
            last = e
    raise last


def start_interop_server():
    if REFERENCE:
        return _start("reference-interop", lambda p: [sys.executable, os.path.join(HERE, "reference_server.py"),
                                                      "interop", "--port", str(p)])
    exe = os.path.join(bin_dir(), "herald-interop-server")
    if not os.access(exe, os.X_OK):
        pytest.fail(f"{exe} is missing: build it first (swift build)")
    return _start("herald-interop-server", lambda p: [exe, "--port", str(p)])


def start_heraldd(workdir):
    if REFERENCE:
        return _start("reference-heraldd", lambda p: [sys.executable, os.path.join(HERE, "reference_server.py"),
                                                      "heraldd", "--grpc-address", f"127.0.0.1:{p}"], cwd=workdir)
    exe = os.path.join(bin_dir(), "heraldd")
    if not os.access(exe, os.X_OK):
        pytest.fail(f"{exe} is missing: build it first (swift build)")
    return _start("heraldd", lambda p: [exe, "--grpc-address", f"127.0.0.1:{p}"], cwd=workdir)


@pytest.fixture(scope="session")
def interop_server():
    server = start_interop_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def interop_pb(gen_dir):
    return generate_interop_stubs(os.path.join(gen_dir, "interop"))


@pytest.fixture(scope="session")
def herald_pb(gen_dir):
    return generate_herald_stubs(os.path.join(gen_dir, "herald"))


@pytest.fixture(scope="module")
def heraldd(tmp_path_factory):
    server = start_heraldd(str(tmp_path_factory.mktemp("heraldd")))
    yield server
    server.stop()


@pytest.fixture
def fresh_heraldd(tmp_path):
    """A heraldd of its own, for tests that stop it."""
    server = start_heraldd(str(tmp_path))
    yield server
    server.stop()


@pytest.fixture
def workdir():
    """A fresh temporary directory, removed afterwards."""
    d = herald_fixtures.make_temp_dir()
    yield d
    herald_fixtures.remove_dir(d)


@pytest.fixture
def server(workdir):
    """A heraldd with its own database in `workdir`, stopped afterwards."""
    h = herald_fixtures.Heraldd(os.path.join(workdir, "herald.sqlite"), workdir).start()
    yield h
    h.stop()
