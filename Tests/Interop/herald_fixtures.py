"""Helpers for the ProfileService / DeliveryService tests (test_profiles.py): herald.v1
stubs generated at test time, and a heraldd process on a free loopback port with its
own database file.

Plain helpers shared by conftest.py and the test modules (no fixtures here).
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

_STUB_MODULES = ("herald.v1.profile_pb2", "herald.v1.profile_service_pb2", "herald.v1.profile_service_pb2_grpc",
                 "herald.v1.delivery_pb2", "herald.v1.delivery_service_pb2", "herald.v1.delivery_service_pb2_grpc")


def herald_stubs():
    """The herald.v1 message and service modules, as a namespace (profile_pb2,
    profile_service_pb2, profile_service_pb2_grpc, delivery_pb2, ...).

    Generated with `grpc_tools.protoc -I Protos -I /usr/include` into a temporary
    directory, unless another test module of the session already imported them (two
    copies of one proto file cannot live in one process)."""
    if not all(m in sys.modules for m in _STUB_MODULES):
        out = tempfile.mkdtemp(prefix="herald-profile-stubs-")
        protos = os.path.join(ROOT, "Protos")
        files = sorted(os.path.relpath(os.path.join(d, f), protos)
                       for d, _, fs in os.walk(os.path.join(protos, "herald")) for f in fs if f.endswith(".proto"))
        from grpc_tools import protoc
        args = ["grpc_tools.protoc", f"-I{protos}", "-I/usr/include",
                f"--python_out={out}", f"--grpc_python_out={out}", *files]
        if protoc.main(args) != 0:
            raise RuntimeError(f"grpc_tools.protoc failed: {' '.join(args)}")
        sys.path.insert(0, out)
    ns = types.SimpleNamespace()
    for m in _STUB_MODULES:
        setattr(ns, m.rsplit(".", 1)[1], importlib.import_module(m))
    return ns


def bin_dir():
    """$HERALD_BIN_DIR, else the Swift debug build's bin directory."""
    d = os.environ.get("HERALD_BIN_DIR")
    if not d:
        env = dict(os.environ, PATH="/opt/swift/usr/bin:" + os.environ.get("PATH", ""))
        d = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    return d


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Heraldd:
    """A heraldd process serving `database` on a free loopback port."""

    def __init__(self, database, log_dir, extra_args=()):
        self.database = database
        self.extra_args = list(extra_args)
        self.log_path = os.path.join(log_dir, f"heraldd-{time.monotonic_ns()}.log")
        self.proc = None
        self.port = None

    def start(self, timeout=30, attempts=3):
        binary = os.path.join(bin_dir(), "heraldd")
        for _ in range(attempts):
            self.port = free_port()
            # The tracking endpoint on a free port too, unless the test chose one.
            tracking = [] if "--tracking-address" in self.extra_args else [
                "--tracking-address", f"127.0.0.1:{free_port()}"]
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [binary, "--grpc-address", f"127.0.0.1:{self.port}", "--database", self.database,
                     "--capture-dir", os.path.join(os.path.dirname(os.path.abspath(self.database)), "outbox"),
                     "--shutdown-grace", "2", *tracking, *self.extra_args],
                    stdout=log, stderr=subprocess.STDOUT)
            if self._wait_ready(timeout):
                return self
            self.kill()
        raise RuntimeError(f"heraldd did not start:\n{self.output()}")

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    @property
    def target(self):
        return f"127.0.0.1:{self.port}"

    def output(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, timeout=15):
        """SIGTERM (graceful shutdown) and wait; returns the exit code."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode if self.proc else None

    def kill(self):
        """SIGKILL by pid (a crash), and reap."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def make_temp_dir():
    return tempfile.mkdtemp(prefix="herald-profiles-")


def remove_dir(path):
    shutil.rmtree(path, ignore_errors=True)


def wait_for(predicate, timeout, what):
    """Polls `predicate` every 50 ms until it holds; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def ledger(pb, deliveries, did):
    """Every ledger row of a delivery, through ListMessages pages of 1,000."""
    s = pb.delivery_service_pb2
    rows, token = [], ""
    while True:
        page = deliveries.ListMessages(s.ListMessagesRequest(delivery_id=did, page_size=1000, page_token=token), timeout=30)
        rows += list(page.messages)
        token = page.next_page_token
        if not token:
            return rows
