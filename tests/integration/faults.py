"""The harness of the fault tests: a TCP proxy to cut PostgreSQL or Redis off without stopping them (others use
the same servers), and Celery workers, beat and a submitting client as processes of their own, killed and
restarted by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


class TcpProxy:
    """Listens on a fixed local port and pipes each connection to ``target``. ``stop`` closes the listener and
    resets every open connection, as a server that went away: connections drop and new ones are refused until
    ``start``."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            _close(listener)
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            with contextlib.suppress(OSError):  # linger 0: close with a reset, as a crashed server's peer sees
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # stopped meanwhile
                    _close(client)
                    _close(upstream)
                    return
                self._open |= {client, upstream}
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with self._lock:
                    self._open.discard(sock)
                _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class Process:
    """A process of ours in a session of its own, so that a kill -9 of it takes its children too."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.popen: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as out:
            out.write(f"\n==== start {' '.join(self.argv)}\n")
        self.popen = subprocess.Popen(  # noqa: S603 - our own commands
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """kill -9 the process and every process it started."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def children(self) -> list[int]:
        if self.popen is None:
            return []
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.popen.pid:  # the parent pid
                found.append(int(stat.parent.name))
        return found


class Worker(Process):
    """``celery worker`` with the prefork pool: pool processes run the tasks, so both a pool process and the
    whole worker can be killed."""

    def __init__(self, env: dict[str, str], log: Path, name: str, concurrency: int = 2) -> None:
        argv = [
            CELERY,
            "-A",
            "tongzhirong",
            "worker",
            "--loglevel=INFO",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            f"--hostname={name}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        super().__init__(argv, env, log)

    def start(self) -> None:
        size = self.log.stat().st_size if self.log.exists() else 0
        super().start()
        wait_until(lambda: " ready." in self.log.read_text()[size:], timeout=90, what="the worker to start")

    def kill_pool_process(self) -> bool:
        children = self.children()
        if not children:
            return False
        os.kill(children[0], signal.SIGKILL)
        return True


class Web(Process):
    """The web app as production runs it: gunicorn serving the WSGI application on a port of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        # One process with threads and the app loaded before it starts: the CI machine has two cores.
        argv = [
            gunicorn,
            "tongzhirong.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            "--workers=1",
            "--threads=4",
            "--preload",
            "--timeout=120",
        ]
        super().__init__(argv, env, log)

    def start(self) -> None:
        super().start()
        wait_until(self._live, timeout=120, what="the web app to answer")

    def _live(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health/live", timeout=5) as response:  # noqa: S310 - ours
                return response.status == 200
        except OSError:
            return False


def beat(env: dict[str, str], log: Path, schedule: Path) -> Process:
    return Process([CELERY, "-A", "tongzhirong", "beat", "--loglevel=INFO", f"--schedule={schedule}"], env, log)


def submit(env: dict[str, str], log: Path, application_ids: list[int]) -> subprocess.CompletedProcess:
    """Submit the applications as their applicants, each in its own request-like transaction, from a process
    of its own (the web app), connected where ``env`` says."""
    argv = [sys.executable, "-m", "tests.integration.fault_client", *map(str, application_ids)]
    with log.open("a") as out:
        return subprocess.run(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=300, check=False)  # noqa: S603


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.5) -> float:
    """Seconds it took for ``condition`` to hold; fails the test after ``timeout``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(interval)
    return time.monotonic() - started
