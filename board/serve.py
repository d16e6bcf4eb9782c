"""`make run`'s server: granian serving the board on a port checked here first, stoppable at any moment.

Run as `python -m board.serve --workers 2 --threads 8 --host 127.0.0.1 --port 5000` (the Makefile's SERVE).
Two things granian 2.8's own command line gets wrong for us, both fixed here through its Python API:

- On Linux each granian worker binds its own socket with SO_REUSEPORT, so a second board started on a port
  already served binds too and the kernel splits the requests between two boards; and a port held by another
  program ends in a Python traceback and a Rust backtrace after "Serving …" was printed. Here the main process,
  before saying anything, takes a lock named after the address (held while it serves: two boards started at
  once cannot both pass) and binds and listens once without SO_REUSEPORT, which fails while any socket listens
  there, a board's SO_REUSEPORT ones included; then the workers bind their own SO_REUSEPORT sockets as granian
  does, so the kernel spreads connections evenly between them. (One socket shared by every worker, tried first,
  halved the /healthz ceiling: a few workers took most connections.)
- Stopping could hang for good, the main process waiting in `join()` for a worker that never stops (its own
  handler then ignores every further signal), in two ways. (1) A worker is forked with the main process's
  signal handlers, which only set a flag: a stop signal reaching a worker still loading the app was swallowed.
  Ctrl-C and `systemctl stop` signal every process of the group, and the main process adds its own SIGTERM.
  (2) A serving worker sent two *different* stop signals at once (the terminal's SIGINT, then the main
  process's SIGTERM) sometimes runs neither handler and serves on (about 1 time in 2 here; one signal, or the
  same one twice, never). Here a worker not yet serving dies of the signal, the main process stops its
  workers with the signal it received itself, and granian kills any worker still alive KILL_TIMEOUT seconds
  after being asked to stop.
- The main process itself could miss the signal for good (CI saw it once in hundreds of stops). The kernel may
  hand a signal to any thread; when it lands on one of granian's threads watching a worker, Python only notes it,
  and the main thread, asleep on an Event with no timeout, never wakes to run the handler. Here the main thread
  wakes every POLL seconds, and the handler only sets flags (it may run while the main thread holds the Event's
  lock, so taking that lock there could deadlock).

With --mail-worker (as `make run` serves) the main process also starts `flask mail-worker` (board/mail.py) beside
the workers, in the same process group: a stop signal to the group reaches it too, it stops when the main process
is gone, and the main process stops it (SIGKILL after MAIL_WORKER_STOP seconds) whenever it stops itself.
"""
import argparse
import errno
import fcntl
import gc
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from granian.constants import Interfaces
from granian.log import logger as granian_logger
from granian.server import MPServer
from granian.server.mp import WorkerProcess

TARGET = "board.serve:worker_board"
BACKLOG = 1024  # granian's default
# A worker asked to stop gets this long to finish its requests before it is killed: stopping always ends
# within about this long (systemd's default stop timeout is 90 s; we promise well under 10 s).
KILL_TIMEOUT = 5
MAIL_WORKER_STOP = 3  # seconds the mail worker gets to finish a message when the board stops (then it is killed)
POLL = 0.2  # seconds: how soon the main process notices a stop signal that reached another of its threads
ALL_ADDRESSES = ("0.0.0.0", "::", "")  # serving on every address: no one name to give the board's links
# How long a worker thread may run Python before a waiting thread gets the GIL (Python's default: 5 ms). A request
# holding the database's write lock (or a PostgreSQL row lock) gives up the GIL at each statement and must win it
# back from the threads rendering pages: at 5 ms a turn its few statements hold the lock for tens of milliseconds
# and every other writer waits. At 0.5 ms votes under contention doubled (benchmarks/contention.py).
GIL_SWITCH_INTERVAL = 0.0005


def worker_board():
    """The board as each granian worker serves it: its threads handing the GIL on sooner, and once built, frozen.

    gc.freeze(): modules, routes, compiled templates and the ORM's mappings live as long as the worker; frozen, the
    collector's full collections (one every few dozen requests) stop walking them each time (benchmarks/render.py).
    """
    from board import create_app

    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    app = create_app()
    gc.freeze()
    return app


def not_the_threads_warning(record: logging.LogRecord) -> bool:
    """Drop granian's warning that more threads than 2 × cores + 1 "seems quite high" (it says it may be ignored).

    The threads are chosen (BOARD_THREADS, 8 by default): a thread waiting on PostgreSQL, Redis or the page cache
    holds no core, so a worker keeps taking requests while some wait. Rendering itself is serialised by the GIL
    whatever the count, which is what granian warns about; `make bench` measures with the same setting.
    """
    return "Python threads, which seems quite high" not in record.getMessage()


class PortUnavailable(Exception):
    """The board's address cannot be bound; the message says why and what to do, in one line."""


def claim(host: str, port: int) -> int | None:
    """The address for this board alone, or PortUnavailable: its lock (a descriptor kept open while serving), then a
    bind that fails while anything listens there. None for the lock where the lock file is another user's."""
    lock = None
    path = Path(tempfile.gettempdir()) / f"reelboard-{host.replace(':', '_') or 'all'}-{port}.lock"
    try:
        lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        raise PortUnavailable(refusal(host, port, OSError(errno.EADDRINUSE, "in use"))) from None
    except PermissionError:  # another user's board made the file: the bind below still tells
        lock = None
    bind(host, port).close()
    return lock


def bind(host: str, port: int) -> socket.socket:
    """A listening socket without SO_REUSEPORT, or PortUnavailable if anything (another board included) holds the port."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise PortUnavailable(f"Cannot serve on {host}: {error.strerror}. Choose another with BOARD_HOST=…") from None
    listener = socket.socket(family, kind, proto)
    # SO_REUSEADDR lets a restart bind while the last run's connections linger in TIME_WAIT; it never lets two
    # listening sockets share a port. Without SO_REUSEPORT no other socket can bind beside this one.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
        listener.listen(BACKLOG)
    except OSError as error:
        listener.close()
        raise PortUnavailable(refusal(host, port, error)) from None
    return listener


def refusal(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (f"Port {port} on {host} is taken (another Reelboard or another program listens there): "
                f"choose another with BOARD_PORT=…, e.g. BOARD_PORT={port + 1 if port < 65535 else 8000} make run")
    if error.errno == errno.EACCES:
        return f"Port {port} on {host} needs privileges this user lacks: choose one above 1023 with BOARD_PORT=…"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: choose another with BOARD_HOST=…"
    return f"Cannot serve on {host}:{port}: {error.strerror}"


class MainLoopEvent(threading.Event):
    """granian's main-loop event, woken by a signal handler without taking a lock, noticed within POLL seconds."""

    def __init__(self):
        super().__init__()
        self.signalled = False

    def signal(self):
        """From a signal handler: a flag only (the main thread may be interrupted inside set(), holding the lock)."""
        self.signalled = True

    def wait(self, timeout=None):
        if timeout is not None:
            return super().wait(timeout) or self.signalled
        while not (self.signalled or super().wait(POLL)):
            pass
        return True

    def clear(self):
        self.signalled = False
        super().clear()


class BoardWorker(WorkerProcess):
    def terminate(self):
        """Stop with the signal the main process was stopped with: two different ones can leave a worker serving."""
        self.interrupt_by_parent = True
        if self.inner.exitcode is None:  # as multiprocessing's own terminate(): never signal a reaped pid
            try:
                os.kill(self.inner.pid, self.parent.stop_signal)
            except ProcessLookupError:
                pass


class BoardServer(MPServer):
    """granian's multi-process server, stopping at any moment."""

    def __init__(self, host: str, port: int, **options):
        self.stop_signal = signal.SIGTERM
        super().__init__(TARGET, address=host, port=port, backlog=BACKLOG, **options)
        self.main_loop_interrupt = MainLoopEvent()

    def signal_handler_interrupt(self, signum=signal.SIGTERM, frame=None):
        if os.getpid() != self.pid:
            # A worker still loading the app, running the handler it inherited: die of the signal, as asked.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.stop_signal = signal.Signals(signum)
        # The whole group was signalled: a worker that stops before being told to is not an "unexpected exit".
        for worker in self.wrks:
            worker.interrupt_by_parent = True
        self.interrupt_signal = True
        self.main_loop_interrupt.signal()

    def signal_handler_reload(self, *args, **kwargs):
        self.reload_signal = True
        self.main_loop_interrupt.signal()

    def _spawn_worker(self, idx, target, callback_loader):
        worker = super()._spawn_worker(idx, target, callback_loader)
        worker.__class__ = BoardWorker  # granian builds its own WorkerProcess; only terminate() differs
        return worker

    def shutdown(self, exit_code=0):
        if self.interrupt_signal:
            self.interrupt_children.clear()  # workers that died of the stop signal are a clean stop, not a failure
        super().shutdown(exit_code)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m board.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker running requests")
    parser.add_argument("--mail-worker", action="store_true", help="also deliver the outbox (flask mail-worker)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    try:
        lock = claim(options.host, options.port)  # noqa: F841 (held open while the board serves)
    except PortUnavailable as refused:
        print(refused, file=sys.stderr)
        return 1
    address = f"http://{f'[{options.host}]' if ':' in options.host else options.host}:{options.port}"
    if options.host not in ALL_ADDRESSES:  # the board's own links name the address it serves on (settings.BASE_URL)
        os.environ.setdefault("BOARD_SERVE_URL", address)
    print(f"Serving Reelboard on {address} (Ctrl-C to stop)", flush=True)
    server = BoardServer(
        options.host,
        options.port,
        interface=Interfaces.WSGI,
        factory=True,
        workers=options.workers,
        blocking_threads=options.threads,
        workers_kill_timeout=KILL_TIMEOUT,
        log_access=False,
    )
    granian_logger.addFilter(not_the_threads_warning)  # after granian configured its logging, before it warns
    mail_worker = start_mail_worker() if options.mail_worker else None
    try:
        server.serve()
    finally:
        if mail_worker is not None:
            stop_mail_worker(mail_worker)
    return 0


def start_mail_worker() -> subprocess.Popen:
    """`flask mail-worker`, told to stop when this process is gone (killed outright, it cannot stop its worker)."""
    command = [sys.executable, "-m", "flask", "--app", "board", "mail-worker", "--parent", str(os.getpid())]
    return subprocess.Popen(command)


def stop_mail_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(MAIL_WORKER_STOP)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C before granian took over the signals
        sys.exit(130)
