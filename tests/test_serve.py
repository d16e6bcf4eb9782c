"""`make run` as a person or systemd uses it: real make, real granian processes, real signals and sockets.

Each board here runs on a throwaway SQLite file and cache directory. `FLASK=true` skips `flask setup`, which would
write instance/config.py into the repository; serving reads no table before a request, and /healthz reads none.
"""
import ctypes
import os
import random
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STOP_WITHIN = 10  # seconds: the promise to Ctrl-C and `systemctl stop`
MAKE_VARIABLES = ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES")


@pytest.fixture
def board_env(tmp_path):
    # As a person runs it from a terminal: not as a sub-make of `make test` (make[1] would word its messages so).
    outside_make = {name: value for name, value in os.environ.items() if name not in MAKE_VARIABLES}
    return dict(
        outside_make,
        BOARD_DATABASE_URL=f"sqlite:///{tmp_path / 'board.db'}",
        BOARD_PAGE_CACHE_DIR=str(tmp_path / "cache"),
        BOARD_SECRET_KEY="serve-test-secret",
        BOARD_DEMO="0",
        PYTHONUNBUFFERED="1",
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_run(port: int, env: dict, log: Path) -> subprocess.Popen:
    """`make run` in a process group of its own, as a terminal or systemd starts it (-o: never reinstall here).

    Its stdout goes to `log`, its stderr to `log` with the suffix .err.
    """
    with log.open("wb") as out, log.with_suffix(".err").open("wb") as err:
        return subprocess.Popen(
            ["make", "--no-print-directory", "-o", ".venv/.installed", "run", f"BOARD_PORT={port}", "FLASK=true"],
            cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True,
        )


def output(log: Path) -> str:
    return log.read_text() + log.with_suffix(".err").read_text()


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def stop(process: subprocess.Popen, sig=signal.SIGTERM, within: float = STOP_WITHIN) -> float | None:
    """Signal the whole process group; seconds until make and every process under it ended, None if they did not."""
    started = time.monotonic()
    os.killpg(process.pid, sig)
    deadline = started + within
    try:
        process.wait(timeout=within)
    except subprocess.TimeoutExpired:
        pass
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    ended = process.poll() is not None and not group_alive(process.pid)
    if not ended:
        os.killpg(process.pid, signal.SIGKILL)  # this test's own group: leave nothing running
        process.wait(timeout=10)
    return time.monotonic() - started if ended else None


def healthz(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status
    except OSError:
        return None


def status_for_host(port: int, host: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def wait_until_serving(process: subprocess.Popen, port: int, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, output(log)
        if healthz(port) == 200:
            return
        time.sleep(0.1)
    raise AssertionError(f"the board did not answer within {timeout}s:\n{output(log)}")


def test_stopping_make_run_at_any_moment_ends_every_process_within_10_seconds(board_env, tmp_path):
    """SIGTERM (systemctl stop) and SIGINT (Ctrl-C) to the group, from launch through workers starting to serving."""
    port = free_port()
    moments = [random.uniform(step * 0.4, (step + 1) * 0.4) for step in range(6)]  # 0–2.4 s after launch
    signals = [signal.SIGTERM, signal.SIGINT] * 3
    random.shuffle(signals)
    hung = []
    for cycle, (moment, sig) in enumerate(zip(moments, signals)):
        log = tmp_path / f"cycle-{cycle}.log"
        process = make_run(port, board_env, log)
        time.sleep(moment)
        took = stop(process, sig)
        if took is None:
            hung.append(f"{sig.name} {moment:.2f}s after launch:\n{output(log)}")
    assert not hung, "\n\n".join(hung)


def server_of(process: subprocess.Popen) -> int:
    """The board's main process: make's one child (its recipe execs the server)."""
    return int(Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()[0])


def signal_thread(pid: int, tid: int, sig: signal.Signals) -> None:
    """tgkill(2): the signal to one thread of a process, as the kernel may deliver a signal sent to the process."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(SYS_TGKILL, pid, tid, int(sig)) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


SYS_TGKILL = {"x86_64": 234, "aarch64": 131}[os.uname().machine]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda sig: sig.name)
def test_a_stop_signal_the_kernel_hands_to_another_thread_still_stops_the_board(board_env, tmp_path, sig):
    """The main process's threads watching its workers can receive a signal meant for the process; it must still stop."""
    port = free_port()
    log = tmp_path / "thread.log"
    process = make_run(port, board_env, log)
    try:
        wait_until_serving(process, port, log)
        server = server_of(process)
        watchers = sorted(int(tid) for tid in os.listdir(f"/proc/{server}/task") if int(tid) != server)
        assert watchers, "granian's main process runs a thread per worker"
        signal_thread(server, watchers[0], sig)
        deadline = time.monotonic() + STOP_WITHIN
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is not None, f"still serving {STOP_WITHIN}s after {sig.name} reached a thread:\n{output(log)}"
        assert "Granian shutdown completed" in output(log)
    finally:
        if process.poll() is None or group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_a_port_another_program_listens_on_is_refused_in_one_line(board_env, tmp_path):
    log = tmp_path / "refused.log"
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        process = make_run(port, board_env, log)
        try:
            assert process.wait(timeout=20) != 0
        finally:
            if process.poll() is None:
                stop(process)
    assert_refused(log, port)


def test_a_second_board_on_the_port_of_a_running_one_is_refused(board_env, tmp_path):
    port = free_port()
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = make_run(port, board_env, first_log)
    try:
        wait_until_serving(first, port, first_log)
        second = make_run(port, dict(board_env, BOARD_DATABASE_URL=f"sqlite:///{tmp_path / 'other.db'}"), second_log)
        try:
            assert second.wait(timeout=20) != 0, output(second_log)
        finally:
            if second.poll() is None:
                stop(second)
        assert_refused(second_log, port)
        assert healthz(port) == 200  # the first board still serves, alone
        # It knows its own address (settings.BASE_URL from SERVE_URL): another host is refused, its own names answer.
        assert status_for_host(port, f"localhost:{port}") == 200
        assert status_for_host(port, "evil.example") == 400
    finally:
        assert stop(first) is not None, output(first_log)


def assert_refused(log: Path, port: int) -> None:
    """One line on stderr from the board (make adds its own 'Error' line), nothing served, no traceback."""
    errors = [line for line in log.with_suffix(".err").read_text().splitlines() if not line.startswith("make: ***")]
    assert errors == [f"Port {port} on 127.0.0.1 is taken (another Reelboard or another program listens there): "
                      f"choose another with BOARD_PORT=…, e.g. BOARD_PORT={port + 1} make run"], output(log)
    assert "Serving" not in log.read_text()


def test_a_worker_loads_the_board_with_a_short_gil_switch_interval(board_env):
    """What granian loads in each worker (serve.TARGET) hands the GIL on within 0.5 ms, not Python's 5 ms."""
    loads = ("import importlib, sys; from board import serve; module, name = serve.TARGET.split(':'); "
             "getattr(importlib.import_module(module), name)(); print(sys.getswitchinterval())")
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", loads], cwd=ROOT, env=board_env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.strip()) == 0.0005


def mail_worker_of(server: int) -> int | None:
    """The pid of the `flask mail-worker` the board's main process started, if it runs."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                arguments = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"mail-worker" in arguments and str(server).encode() in arguments:
                return int(entry.name)
    return None


def board_with_a_queued_message(board_env, tmp_path) -> dict:
    """The throwaway board's tables, one message in its outbox, and no mail server: messages become .eml files."""
    from board import create_app
    from board.extensions import db
    from board.mail import send
    from board.models import User

    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": board_env["BOARD_DATABASE_URL"], "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        db.create_all()
        member = User.register("ada_l", "a long enough pw")
        send("ada@example.com", "email_change_requested", member=member, new_address="new@example.org")
        db.session.commit()
        db.engine.dispose()
    return dict(board_env, BOARD_MAIL_OUTBOX_DIR=str(tmp_path / "outbox"))


def test_make_run_delivers_mail_beside_the_server_and_stops_it_with_the_board(board_env, tmp_path):
    """No MAIL_SERVER: the queued message becomes a private .eml file; a stop ends the mail worker too, in time."""
    env = board_with_a_queued_message(board_env, tmp_path)
    port = free_port()
    log = tmp_path / "mail.log"
    process = make_run(port, env, log)
    try:
        wait_until_serving(process, port, log)
        deadline = time.monotonic() + 30
        while not list((tmp_path / "outbox").glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.1)
        [message] = (tmp_path / "outbox").glob("*.eml")
        assert oct(message.stat().st_mode & 0o777) == oct(0o600)
        assert "To: ada@example.com" in message.read_text()
        server = server_of(process)
        assert mail_worker_of(server) is not None, output(log)
        assert "Mail worker delivering to files in" in output(log)
    finally:
        took = stop(process)
    assert took is not None, output(log)


def test_the_mail_worker_stops_by_itself_when_the_board_is_killed_outright(board_env, tmp_path):
    """SIGKILL to the main process (an OOM kill): nothing can stop the worker, so it notices and stops."""
    port = free_port()
    log = tmp_path / "killed.log"
    process = make_run(port, board_env, log)
    try:
        wait_until_serving(process, port, log)
        server = server_of(process)
        deadline = time.monotonic() + 20
        while (worker := mail_worker_of(server)) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker is not None, output(log)
        os.kill(server, signal.SIGKILL)
        deadline = time.monotonic() + STOP_WITHIN
        while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
            process.poll()  # reaps make (and so, through it, nothing else): the worker is init's child now
            time.sleep(0.1)
        status = Path(f"/proc/{worker}/stat").read_text().split()[2] if Path(f"/proc/{worker}").exists() else "gone"
        assert status in ("gone", "Z"), f"the mail worker still runs ({status}):\n{output(log)}"
    finally:
        if group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
