"""A loopback TCP proxy that can cut the network the way networks fail.

``passing``: bytes flow both ways. ``blackhole``: connections stay open and nothing
comes back (new ones are accepted and then ignored), as when a route or a security group
drops packets: clients wait out their time-outs. ``refusing``: every connection is closed
at once, as when the endpoint is down. Switching modes affects connections already open.
"""

from __future__ import annotations

import contextlib
import enum
import select
import socket
import threading


class Mode(enum.Enum):
    PASSING = "passing"
    BLACKHOLE = "blackhole"
    REFUSING = "refusing"


class TcpProxy:
    """Listens on 127.0.0.1 (any free port) and forwards to ``127.0.0.1:upstream_port``."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.mode = Mode.PASSING
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._closed = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    @property
    def port(self) -> int:
        port: int = self._listener.getsockname()[1]
        return port

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set(self, mode: Mode) -> None:
        self.mode = mode
        if mode is Mode.REFUSING:
            with self._lock:
                for sock in self._sockets:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.mode is Mode.REFUSING:
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets.update((client, upstream))
        peers = {client: upstream, upstream: client}
        try:
            while not self._closed.is_set() and self.mode is not Mode.REFUSING:
                readable, _, _ = select.select(list(peers), [], [], 0.2)
                if self.mode is Mode.BLACKHOLE:
                    continue  # hold everything: nothing is read, nothing answered
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            with self._lock:
                self._sockets.difference_update((client, upstream))
            client.close()
            upstream.close()
