"""PgBouncer, HAProxy and a streaming replica of the project's cluster, run on this machine.

The tests and benchmarks of "beyond one machine" (issue 18) use these, and so can a person:

    .venv/bin/python scripts/scaleout.py --servers 2          # PgBouncer + a replica + 2 servers + HAProxy

Each piece is a context manager that runs the real program from Debian's packages (pgbouncer,
haproxy, PostgreSQL's pg_basebackup) and stops it on the way out, even after an error: PgBouncer
and HAProxy run in the foreground in a process group of their own, which is killed; the replica
is stopped with pg_ctl and its folder removed. Their files live in folders of their own under
``.data/scaleout/``. As root, PgBouncer and PostgreSQL run as the ``postgres`` user (both refuse
root), as scripts/db.sh does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".data"
PRIMARY_SOCKETS = DATA / "run"
PRIMARY_PORT = int(os.environ.get("DOORSTEP_PG_PORT", "54329"))
AS_ROOT = os.geteuid() == 0


def _bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found:
        raise SystemExit("PostgreSQL is not installed: run scripts/setup.sh first")
    return found[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: subprocess arguments that run a program as the postgres user when we are root (PgBouncer and
#: PostgreSQL refuse root), with no runuser in between: the process we stop is the program itself.
AS_POSTGRES: dict = {"user": "postgres", "group": "postgres", "extra_groups": []} if AS_ROOT else {}


def _own_folder(prefix: str) -> Path:
    """A new folder under .data/scaleout that the postgres user owns (as root) and may traverse to."""
    base = DATA / "scaleout"
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    if AS_ROOT:
        shutil.chown(folder, "postgres", "postgres")
        for d in (DATA, base):
            d.chmod(d.stat().st_mode | 0o011)  # group/other traverse (scripts/db.sh gives .data/ the same)
    return folder


def _wait_for_port(port: int, proc: subprocess.Popen[bytes] | None, what: str, log: Path | None,
                   timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        if proc is not None and proc.poll() is not None or time.monotonic() > deadline:
            said = log.read_text()[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} did not start listening on port {port}: {said}")
        time.sleep(0.05)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process started with start_new_session=True and everything in its group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # Anything the program started itself goes with it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def database_url(database: str, *, host: str, port: int) -> str:
    """A SQLAlchemy asyncpg URL; ``host`` is a TCP address or a unix-socket folder."""
    if host.startswith("/"):
        return f"postgresql+asyncpg://doorstep@/{database}?host={host}&port={port}"
    return f"postgresql+asyncpg://doorstep@{host}:{port}/{database}"


# ---------------------------------------------------------------- PgBouncer


@dataclass
class PgBouncer:
    port: int
    folder: Path

    def url(self, database: str) -> str:
        return database_url(database, host="127.0.0.1", port=self.port)

    def show(self, what: str) -> list[dict[str, str]]:
        """``SHOW <what>`` on the admin console (simple query protocol only, hence psql)."""
        out = subprocess.run([str(_bindir() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "doorstep",
                              "-d", "pgbouncer", "-A", "-F", "\t", "-P", "footer=off", "-c", f"SHOW {what}"],
                             check=True, capture_output=True, text=True).stdout.splitlines()
        header = out[0].split("\t")
        return [dict(zip(header, line.split("\t"), strict=False)) for line in out[1:]]


@contextlib.contextmanager
def pgbouncer(*, pool_mode: str = "transaction", pool_size: int = 10, forget_state: bool = False,
              server_host: str | Path = PRIMARY_SOCKETS, server_port: int = PRIMARY_PORT) -> Iterator[PgBouncer]:
    """PgBouncer on 127.0.0.1 (a free port) in front of the project's cluster, every database.

    ``forget_state``: run ``DISCARD ALL`` after every transaction even in transaction mode
    (``server_reset_query_always``), so a client that leaves anything on a server connection (a
    named prepared statement, a SET, a temporary table, an advisory lock) finds it gone the next
    time, every time: PgBouncer's own way of turning a mode mismatch into a plain error.
    """
    folder = _own_folder("pgbouncer-")
    port = free_port()
    (folder / "userlist.txt").write_text('"doorstep" ""\n')
    (folder / "pgbouncer.ini").write_text(f"""\
[databases]
* = host={server_host} port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / 'userlist.txt'}
admin_users = doorstep
pool_mode = {pool_mode}
default_pool_size = {pool_size}
max_client_conn = 2000
server_reset_query = DISCARD ALL
server_reset_query_always = {1 if forget_state else 0}
log_connections = 0
log_disconnections = 0
""")
    if AS_ROOT:
        for f in folder.iterdir():
            shutil.chown(f, "postgres", "postgres")
    log = folder / "pgbouncer.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["pgbouncer", str(folder / "pgbouncer.ini")], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, **AS_POSTGRES)
    try:
        _wait_for_port(port, proc, "PgBouncer", log)
        yield PgBouncer(port, folder)
    finally:
        _stop_group(proc)
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- HAProxy


@dataclass
class HAProxy:
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


#: The header HAProxy adds to every answer: which server answered (its name in the backend).
SERVED_BY = "X-Doorstep-Server"


@contextlib.contextmanager
def haproxy(servers: dict[str, int]) -> Iterator[HAProxy]:
    """HAProxy on 127.0.0.1 (a free port), round robin over ``servers`` (name -> port) with health
    checks on /health; it adds X-Forwarded-For, and names the server that answered in ``SERVED_BY``."""
    folder = _own_folder("haproxy-")
    port = free_port()
    lines = "\n".join(f"    server {name} 127.0.0.1:{p} check inter 500ms fall 2 rise 1"
                      for name, p in servers.items())
    (folder / "haproxy.cfg").write_text(f"""\
global
    maxconn 4000

defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 120s
    timeout server 120s

frontend doorstep
    bind 127.0.0.1:{port}
    default_backend servers

backend servers
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    http-response set-header {SERVED_BY} %s
{lines}
""")
    log = folder / "haproxy.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["haproxy", "-db", "-f", str(folder / "haproxy.cfg")], stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_port(port, proc, "HAProxy", log)
        yield HAProxy(port)
    finally:
        _stop_group(proc)
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- a streaming replica


@dataclass
class Replica:
    """A hot standby of the project's cluster, streaming from it (pg_basebackup -R)."""

    folder: Path
    port: int

    @property
    def sockets(self) -> Path:
        return self.folder / "run"

    def url(self, database: str) -> str:
        return database_url(database, host=str(self.sockets), port=self.port)

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run([str(_bindir() / "pg_ctl"), "-D", str(self.folder / "pg"), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **AS_POSTGRES)

    def start(self) -> None:
        self._pg_ctl("-l", str(self.folder / "postgres.log"), "-w", "-t", "60",
                     "-o", f"-p {self.port} -k {self.sockets} -c listen_addresses='' -c shared_buffers=64MB", "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def running(self) -> bool:
        done = subprocess.run([str(_bindir() / "pg_ctl"), "-D", str(self.folder / "pg"), "status"],
                              capture_output=True, **AS_POSTGRES)
        return done.returncode == 0

    def psql(self, database: str, sql: str) -> str:
        return subprocess.run([str(_bindir() / "psql"), "-h", str(self.sockets), "-p", str(self.port), "-U",
                               "doorstep", "-d", database, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql],
                              check=True, capture_output=True, text=True).stdout.strip()


@contextlib.contextmanager
def streaming_replica(*, port: int = PRIMARY_PORT + 1) -> Iterator[Replica]:
    """pg_basebackup of the project's running cluster into a folder of its own, started as a hot
    standby that streams from it; stopped and removed on the way out."""
    folder = _own_folder("replica-")
    replica = Replica(folder, port)
    try:
        (folder / "run").mkdir()
        if AS_ROOT:
            shutil.chown(folder / "run", "postgres", "postgres")
        subprocess.run([str(_bindir() / "pg_basebackup"), "-h", str(PRIMARY_SOCKETS), "-p", str(PRIMARY_PORT),
                        "-U", "doorstep", "-D", str(folder / "pg"), "-R", "--checkpoint=fast", "-X", "stream"],
                       check=True, capture_output=True, **AS_POSTGRES)
        replica.start()
        yield replica
    finally:
        if replica.running():
            subprocess.run([str(_bindir() / "pg_ctl"), "-D", str(folder / "pg"), "-m", "immediate", "-w", "stop"],
                           capture_output=True, **AS_POSTGRES)
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- servers


@contextlib.contextmanager
def server_process(env: dict[str, str], *, port: int | None = None, log: Path | None = None) -> Iterator[str]:
    """``doorstep serve`` in a process group of its own; yields its base URL once /health answers."""
    port = port or free_port()
    out = log.open("wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), urllib.request.urlopen(base + "/health", timeout=1) as r:
                if r.status == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                said = log.read_text()[-2000:] if log else ""
                raise RuntimeError(f"the server did not start: {said}")
            time.sleep(0.2)
        yield base
    finally:
        _stop_group(proc)
        if log:
            out.close()  # type: ignore[union-attr] - a file when log is given


def main() -> int:
    parser = argparse.ArgumentParser(description="Doorstep scaled out on this machine: PgBouncer (transaction "
                                     "mode) in front of the project's cluster, a streaming replica for reads, N "
                                     "server processes and HAProxy in front of them. Ctrl-C stops everything.")
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--database", default=os.environ.get("DOORSTEP_DB_NAME", "doorstep"))
    parser.add_argument("--no-replica", action="store_true")
    args = parser.parse_args()
    subprocess.run(["bash", str(ROOT / "scripts" / "db.sh"), "start"], check=True)
    with contextlib.ExitStack() as stack:
        bouncer = stack.enter_context(pgbouncer(pool_mode="transaction"))
        env = dict(os.environ, DATABASE_URL=bouncer.url(args.database), DATABASE_POOL_MODE="transaction",
                   DOORSTEP_TRUSTED_PROXIES="127.0.0.1")
        if not args.no_replica:
            replica = stack.enter_context(streaming_replica())
            env["DATABASE_READ_URL"] = replica.url(args.database)
        ports = {f"server{i + 1}": free_port() for i in range(args.servers)}
        for name, port in ports.items():
            stack.enter_context(server_process(env, port=port, log=DATA / f"scaleout-{name}.log"))
        proxy = stack.enter_context(haproxy(ports))
        print(f"PgBouncer (transaction mode) on 127.0.0.1:{bouncer.port}; {len(ports)} servers "
              f"({', '.join(f'{n} :{p}' for n, p in ports.items())}, logs in .data/); "
              f"{'no replica' if args.no_replica else 'reads from a streaming replica'}")
        print(f"open {proxy.base}/dashboard  (Ctrl-C stops everything)")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
