"""Small network probes: free ports, port checks, and polling until something answers."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx


class StartupError(RuntimeError):
    """A server or service did not come up; the message says which and why."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (another process may still take it before we do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_port_free(host: str, port: int, setting: str) -> None:
    """Fail early, naming the setting to change, when something already listens on `port`."""
    if port_open(host, port):
        raise StartupError(f"port {port} on {host} is already in use; set {setting} to another port")


def http_ok(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    failed: Callable[[], str | None] = lambda: None,
    interval: float = 0.05,
) -> None:
    """Poll `ready` until true; raise StartupError on timeout or as soon as `failed` returns a reason."""
    deadline = time.monotonic() + timeout
    while True:
        if ready():
            return
        reason = failed()
        if reason is not None:
            raise StartupError(f"{what} failed to start: {reason}")
        if time.monotonic() > deadline:
            raise StartupError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(interval)
