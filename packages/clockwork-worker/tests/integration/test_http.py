"""The worker's HTTP endpoint with real sockets: where it listens, and what idle clients cost.

The server runs in this process (so its threads can be counted), on a loopback port;
the clients are plain sockets that send nothing, or a request one byte at a time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import select
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest
from clockwork_core.errors import InvalidValue
from clockwork_worker.http import HealthServer, parse_address
from prometheus_client import CollectorRegistry

TIMEOUT = 0.5  # seconds a connection has to send its request head, in these tests
LIMIT = 4  # connections served at once, in these tests
WAIT = 10.0  # the longest any wait below may take before the test fails


def healthy() -> tuple[bool, str]:
    return True, "ok"


@contextlib.contextmanager
def serving(
    host: str = "127.0.0.1", *, timeout: float = TIMEOUT, max_connections: int = LIMIT
) -> Iterator[HealthServer]:
    server = HealthServer(
        (host, 0), healthy, CollectorRegistry(), timeout=timeout, max_connections=max_connections
    ).start()
    try:
        yield server
    finally:
        server.close()


def healthz(port: int) -> tuple[int, dict[str, object]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=WAIT) as answer:
        return answer.status, json.loads(answer.read())


def idle(port: int) -> socket.socket:
    """A client that connects and sends nothing."""
    client = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    client.settimeout(WAIT)
    return client


def closed_by_server(client: socket.socket, within: float) -> bool:
    """Whether the server closes ``client`` within ``within`` seconds (reading nothing else)."""
    readable, _, _ = select.select([client], [], [], within)
    if not readable:
        return False
    try:
        return client.recv(1) == b""
    except ConnectionResetError:
        return True


def closed_in_time(clients: list[socket.socket], count: int, within: float = WAIT) -> int:
    """How many of ``clients`` the server has closed, waiting up to ``within`` s for ``count``."""
    closed: set[int] = set()
    deadline = time.monotonic() + within
    while True:
        closed |= {i for i, client in enumerate(clients) if i not in closed and closed_by_server(client, 0)}
        if len(closed) >= count or time.monotonic() > deadline:
            return len(closed)
        time.sleep(0.01)


def threads_settle(expected: int, within: float = WAIT) -> int:
    """The thread count, once it is ``expected`` or ``within`` s have passed."""
    deadline = time.monotonic() + within
    while threading.active_count() != expected and time.monotonic() < deadline:
        time.sleep(0.01)
    return threading.active_count()


class TestAddress:
    def test_a_bare_port_means_loopback(self) -> None:
        assert parse_address(":8080") == ("127.0.0.1", 8080)

    def test_an_explicit_host_is_kept(self) -> None:
        assert parse_address("0.0.0.0:8080") == ("0.0.0.0", 8080)
        assert parse_address("[::1]:9090") == ("::1", 9090)

    def test_an_address_without_a_port_is_an_error_naming_the_flag(self) -> None:
        with pytest.raises(InvalidValue, match=r"^--http: '8080' is not HOST:PORT"):
            parse_address("8080")

    def test_a_bare_port_listens_on_loopback_only_and_warns_of_nothing(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="clockwork_worker.http")
        host, _ = parse_address(":0")
        with serving(host) as server:
            assert server.host == "127.0.0.1"
            assert healthz(server.port) == (200, {"ok": True, "detail": "ok"})
        assert [r.action for r in caplog.records] == ["http_started"]  # type: ignore[attr-defined]
        assert caplog.records[0].levelno == logging.INFO

    def test_listening_beyond_loopback_is_logged_as_a_warning(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.INFO, logger="clockwork_worker.http")
        with serving("0.0.0.0") as server:
            assert server.host == "0.0.0.0"
        (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert warning.action == "http_exposed"  # type: ignore[attr-defined]
        assert "/metrics is reachable from the network" in warning.getMessage()

    def test_ipv6_loopback_is_served_when_the_host_has_it(self) -> None:
        try:
            with socket.create_server(("::1", 0), family=socket.AF_INET6):
                pass
        except OSError as exc:
            pytest.skip(f"this host has no IPv6 loopback: {exc}")
        with serving("::1") as server:
            url = f"http://[::1]:{server.port}/healthz"
            with urllib.request.urlopen(url, timeout=WAIT) as answer:
                assert answer.status == 200


class TestIdleClients:
    def test_a_connection_that_sends_nothing_is_closed_after_the_timeout(self) -> None:
        with serving() as server:
            clients = [idle(server.port) for _ in range(LIMIT - 1)]
            try:
                assert all(closed_by_server(client, WAIT) for client in clients)
            finally:
                for client in clients:
                    client.close()

    def test_a_request_trickled_byte_by_byte_is_cut_off_at_the_deadline(self) -> None:
        """Each byte comes well within the timeout; the whole request head does not."""
        request = b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n"
        with serving() as server, idle(server.port) as client:
            sent = 0
            for byte in request:
                try:
                    client.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += 1
                if closed_by_server(client, TIMEOUT / 5):
                    break
            else:
                pytest.fail(f"the server read the whole request over {len(request) * TIMEOUT / 5:.1f} s")
            assert sent < len(request)

    def test_healthz_answers_while_idle_clients_hold_connections(self) -> None:
        with serving(timeout=WAIT) as server:
            clients = [idle(server.port) for _ in range(LIMIT - 1)]
            try:
                for _ in range(3):
                    assert healthz(server.port)[0] == 200
            finally:
                for client in clients:
                    client.close()

    def test_idle_clients_get_no_more_threads_than_the_limit(self) -> None:
        with serving(timeout=WAIT) as server:
            before = threading.active_count()
            clients = [idle(server.port) for _ in range(LIMIT * 4)]
            try:
                # Beyond the limit, a connection is closed at once, without a thread.
                refused = closed_in_time(clients, len(clients) - LIMIT)
                assert threading.active_count() - before <= LIMIT
                assert refused == len(clients) - LIMIT
            finally:
                for client in clients:
                    client.close()

    def test_healthz_answers_again_once_idle_clients_are_timed_out(self) -> None:
        with serving() as server:
            before = threading.active_count()
            clients = [idle(server.port) for _ in range(LIMIT * 2)]
            try:
                assert closed_in_time(clients, len(clients)) == len(clients)
                assert healthz(server.port)[0] == 200
                assert threads_settle(before) == before
            finally:
                for client in clients:
                    client.close()
