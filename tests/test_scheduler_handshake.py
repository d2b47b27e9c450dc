"""``--scheduler`` that is not a dask scheduler: a bounded handshake and one clear line.

Each peer is a real listener on 127.0.0.1 in a daemon thread of this process (closed by its
fixture): one that accepts and says nothing, one that answers with other bytes, a plain HTTP
server, and a real dask scheduler with no workers. Before the fix the first hung forever, the
second raised a MemoryError ("3.07 EiB"), and the scheduler without workers waited silently.
"""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("distributed")

from forceprot.studies.executors import connect  # noqa: E402
from forceprot.errors import ForceprotError  # noqa: E402
from tests.conftest import SITES  # noqa: E402

#: Handshake timeout used by the tests [s]; each case must end within a few of these.
TIMEOUT_S = 1.0
#: Upper bound on how long a refused connection may take, incl. distributed's retries [s].
BOUND_S = 4 * TIMEOUT_S + 2.0


def _listener(handle):
    """A TCP listener on 127.0.0.1 that runs ``handle(conn)`` for each connection."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            conns.append(conn)
            handle(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, stop, thread, conns


@pytest.fixture
def peer(request):
    server, stop, thread, conns = _listener(request.param)
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=2)
    for c in conns:
        c.close()
    server.close()


def _silent(conn):
    pass  # accept, keep the connection open, never say a word


def _garbage(conn):
    conn.sendall(b"\x00\x00\x00\x00\x00\x00\x00\x30" + b"\xff" * 56)


@pytest.mark.parametrize("peer, fragment", [
    (_silent, "no dask scheduler answered within 1 s"),
    (_garbage, "not a dask scheduler"),
], indirect=["peer"])
def test_a_peer_that_is_not_a_scheduler_fails_fast(peer, fragment) -> None:
    t0 = time.monotonic()
    with pytest.raises(ForceprotError, match=fragment) as info:
        connect(scheduler=peer, timeout_s=TIMEOUT_S)
    assert time.monotonic() - t0 < BOUND_S
    assert info.value.field == "--scheduler" and info.value.value == peer


@pytest.fixture
def http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_http_server_is_not_a_scheduler(http_server) -> None:
    t0 = time.monotonic()
    with pytest.raises(ForceprotError, match="scheduler"):
        connect(scheduler=http_server, timeout_s=TIMEOUT_S)
    assert time.monotonic() - t0 < BOUND_S


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:notaport", "foo://host:8786",
                                     "127.0.0.1", ""])
def test_a_malformed_address_fails_before_any_network(address) -> None:
    t0 = time.monotonic()
    with pytest.raises(ForceprotError, match="not a scheduler address"):
        connect(scheduler=address, timeout_s=TIMEOUT_S)
    assert time.monotonic() - t0 < 1.0


def test_a_scheduler_without_workers_says_so_and_gives_up() -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster:
        said: list[str] = []
        t0 = time.monotonic()
        with pytest.raises(ForceprotError, match="no worker joined the scheduler within 1 s"):
            connect(scheduler=cluster.scheduler_address, timeout_s=TIMEOUT_S,
                    workers_timeout_s=1.0, on_wait=said.append)
        assert time.monotonic() - t0 < BOUND_S
        assert said == ["waiting for workers (1 s)"]


@pytest.mark.parametrize("peer", [_silent], indirect=True)
def test_cli_silent_scheduler_is_one_line_exit_2(peer) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "forceprot", "sweep", str(SITES / "taji.toml"),
         "--set", "threat.tubes=12", "--scheduler", peer, "--connect-timeout", "1"],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--scheduler" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
