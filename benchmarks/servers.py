"""Starting and stopping the servers under test, and reading their workers' peak memory from /proc."""
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from board.limits import DEFAULT_LIMITS

from .load import HOST, request

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The limiter still counts every request; only its thresholds are raised, or one member's cookie under wrk would
# be measuring 429 pages after its first 60 votes.
BENCH_LIMIT = "1000000 per hour"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def board_environment(database_url: str, cache_dir: str, redis_url: str | None = None) -> dict:
    """The environment `make run` would see, pointed at the throwaway database and a throwaway page cache.

    With `redis_url`, kept pages and rate-limit counts live in that Redis database (as on several app servers);
    without, in the cache directory and the board's database (one machine), whatever BOARD_REDIS_URL says outside.
    """
    env = dict(os.environ)
    env.pop("BOARD_REDIS_URL", None)
    if redis_url:
        env["BOARD_REDIS_URL"] = redis_url
    env.update(
        BOARD_DATABASE_URL=database_url,
        BOARD_PAGE_CACHE_DIR=cache_dir,
        BOARD_DEMO="0",
        BOARD_SECRET_KEY=secrets.token_hex(32),
        BOARD_RATE_LIMITS=json.dumps({name: BENCH_LIMIT for name in DEFAULT_LIMITS}),
        PYTHONUNBUFFERED="1",
    )
    return env


def granian_command(port: int) -> list[str]:
    """`make run`'s own server command (the Makefile's SERVE, passed in BENCH_SERVE), on a free loopback port."""
    serve = os.environ.get("BENCH_SERVE")
    if not serve:
        raise SystemExit("BENCH_SERVE is not set: run the benchmark with `make bench`, which passes make run's command")
    return [*shlex.split(serve), "--host", HOST, "--port", str(port)]


def gunicorn_command(port: int, workers: int, threads: int) -> list[str]:
    """gunicorn with the same processes and threads as make run's granian: gthread workers."""
    return [str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
            "--bind", f"{HOST}:{port}", "board:create_app()"]


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict
    port: int
    log_path: Path
    process: subprocess.Popen | None = None
    peak_memory: list[dict] = field(default_factory=list)

    def start(self, timeout: float = 60) -> "Server":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                if request(self.port, "GET", "/healthz").status == 200:
                    time.sleep(0.5)  # let the other workers finish booting too
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout:.0f}s; see {self.log_path}")

    def workers(self) -> list[int]:
        """The processes under the server's main process that serve requests (its whole tree below it)."""
        found, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                for child in task.read_text().split():
                    found.append(int(child))
                    queue.append(int(child))
        return found

    def read_peak_memory(self) -> list[dict]:
        """VmHWM (peak resident set) of each worker, in MiB; call before stop(), while the workers live."""
        peaks = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            peaks.append({
                "pid": pid,
                "name": fields.get("Name", "").strip(),
                "peak_rss_mib": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
                "rss_mib": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
            })
        self.peak_memory = peaks
        return peaks

    def wait_idle(self, timeout: float = 60) -> float:
        """Wait until the workers stop using CPU: requests wrk left queued must not run into the next measurement."""
        started = time.monotonic()
        ticks = os.sysconf("SC_CLK_TCK")
        previous = self.cpu_ticks()
        while time.monotonic() - started < timeout:
            time.sleep(0.5)
            current = self.cpu_ticks()
            if (current - previous) / ticks < 0.05:  # under 10% of one core over the last half second
                break
            previous = current
        return time.monotonic() - started

    def cpu_ticks(self) -> int:
        total = 0
        for pid in [self.process.pid, *self.workers()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total

    def stop(self) -> None:
        """SIGTERM to the main process (it stops its workers); SIGKILL to the group it leads if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the session this benchmark started for the server
            self.process.wait(timeout=10)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
