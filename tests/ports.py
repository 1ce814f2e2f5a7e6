"""A free TCP port on loopback, for the processes and stand-ins the tests and benchmarks start."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nobody listens on now (the OS's choice; the caller binds it soon after)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
