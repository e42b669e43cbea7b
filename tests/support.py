"""Helpers every test folder shares: waiting for something to become true, and the real server
in its own process. (Fixtures live in tests/conftest.py; test data in tests/factories.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


class _Deadline:
    def __init__(self, timeout: float, what: str):
        self.end = time.monotonic() + timeout
        self.timeout = timeout
        self.what = what

    def check(self, last: Any) -> None:
        if time.monotonic() > self.end:
            raise AssertionError(f"{self.what or 'the condition'} did not hold within {self.timeout}s "
                                 f"(last seen: {last!r})")


def eventually(check: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.05, what: str = "") -> T:
    """Call ``check()`` until it returns something true, and return that; fail after ``timeout``
    seconds naming ``what`` and the last value seen."""
    deadline = _Deadline(timeout, what)
    while True:
        result = check()
        if result:
            return result
        deadline.check(result)
        time.sleep(interval)


async def eventually_async(check: Callable[[], Awaitable[T]], *, timeout: float = 10.0, interval: float = 0.1,
                           what: str = "") -> T:
    """``eventually`` for a check that must be awaited (a database query, an HTTP call)."""
    deadline = _Deadline(timeout, what)
    while True:
        result = await check()
        if result:
            return result
        deadline.check(result)
        await asyncio.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    """``doorstep serve`` (uvicorn) in its own process."""

    base: str  # e.g. http://127.0.0.1:PORT
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(database_url: str, *, port: int | None = None, timeout: float = 30.0,
                 **env_overrides: str) -> ServerProcess:
    """The real server against ``database_url`` on ``port`` (a free one by default), once /health answers."""
    port = port or free_port()
    env = dict(os.environ, DATABASE_URL=database_url, **env_overrides)
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = ServerProcess(f"http://127.0.0.1:{port}", proc)

    def healthy() -> bool:
        if proc.poll() is not None:
            stderr = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            raise AssertionError(f"the server did not start: {stderr}")
        try:
            with urllib.request.urlopen(server.base + "/health", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        eventually(healthy, timeout=timeout, interval=0.2, what="the server's /health")
    except AssertionError:
        server.stop()
        raise
    return server


@contextlib.contextmanager
def running_server(database_url: str, **env_overrides: str) -> Iterator[str]:
    """``start_server`` for the length of a ``with`` block; yields its base URL."""
    server = start_server(database_url, **env_overrides)
    try:
        yield server.base
    finally:
        server.stop()


def doorstep(*args: str, input: str | None = None) -> Any:
    """The ``doorstep`` command run in this process with click's CliRunner (no subprocess); the result has
    ``exit_code``, ``stdout`` and ``stderr``. From an async test, run it with ``asyncio.to_thread``: the
    command runs its own event loop."""
    from click.testing import CliRunner

    from server.cli import main

    return CliRunner().invoke(main, list(args), input=input)
