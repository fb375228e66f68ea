"""Serving the app in several processes, each with its own listening socket on the same port.

uvicorn's own workers share one socket: whichever process wakes first takes a whole burst of new
connections (measured: all 50 connections of a load test on one of two workers, the other idle).
With one socket per process and ``SO_REUSEPORT`` the kernel spreads new connections over them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import socket
import time

import uvicorn

from nlp_assises.errors import ConfigurationError

PR_SET_PDEATHSIG = 1  # linux/prctl.h
STARTUP_FAILURE = 3  # uvicorn's exit code when the app fails to start


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def _listening_socket(host: str, port: int, listen: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(2048)
    return sock


def _die_with_parent() -> None:
    """Ask Linux to end this worker when the process that started it dies, even by SIGKILL:
    no worker outlives its server."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the parent's own shutdown still stops us
        pass


class StoppableServer(uvicorn.Server):
    """uvicorn, stopping at once when told to during start-up.

    uvicorn takes over SIGTERM and SIGINT before it imports the app and runs its lifespan, and
    only acts on them once start-up is over: a process told to stop while it loads the models
    (tens of seconds on a busy machine) went on loading, then started, then shut down. Before
    it has started there is nothing to drain: it exits now. Once started, uvicorn's graceful
    shutdown applies."""

    def handle_exit(self, sig: int, frame) -> None:
        if not self.started:
            os._exit(128 + sig)
        super().handle_exit(sig, frame)


def serve_one(app, options: dict) -> None:
    """One server process (``serve`` without ``--workers``)."""
    StoppableServer(uvicorn.Config(app, **options)).run()


def _worker(host: str, port: int, options: dict, parent: int) -> None:
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before we asked
        return
    sock = _listening_socket(host, port)
    config = uvicorn.Config("service.app:create_app", factory=True, **options)
    StoppableServer(config).run(sockets=[sock])


def serve_workers(host: str, port: int, workers: int, options: dict) -> None:
    """Run ``workers`` processes until SIGTERM or SIGINT; a worker that dies is replaced, one that
    cannot start stops them all."""
    # A port in use fails at once, even by another server with SO_REUSEPORT, which would
    # otherwise share it silently: a probe bound without it, then released.
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
        guard = _listening_socket(host, port, listen=False)  # held, not listening, until the end
    except OSError as exc:
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def start():
        process = context.Process(
            target=_worker, args=(host, port, options, os.getpid()), daemon=False
        )
        process.start()
        return process

    processes = [start() for _ in range(workers)]
    failed = False
    try:
        while not stopping:
            time.sleep(0.5)
            for index, process in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    failed = stopping = True
                    break
                processes[index] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
                process.join()
        guard.close()
    if failed:
        raise SystemExit("a server process failed to start (see the log above)")
