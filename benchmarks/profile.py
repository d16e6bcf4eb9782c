"""py-spy against a live worker while wrk loads one page: where the time goes, by frame and by library."""
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from .load import HOST, WRK_CONNECTIONS, WRK_THREADS

PY_SPY = Path(sys.executable).parent / "py-spy"
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
# Where a sample's innermost frame lives, checked in order: the first fragment found in its file path names it.
AREAS = [
    ("templates (Jinja-compiled)", ".html"),
    ("board", "/board/"),
    ("jinja2", "/jinja2/"),
    ("markupsafe", "/markupsafe/"),
    ("sqlalchemy", "/sqlalchemy/"),
    ("flask_sqlalchemy", "/flask_sqlalchemy/"),
    ("sqlite3 driver", "/sqlite3/"),
    ("psycopg driver", "/psycopg"),
    ("flask_login", "/flask_login/"),
    ("flask_wtf / wtforms", "/flask_wtf/"),
    ("flask_wtf / wtforms", "/wtforms/"),
    ("flask_limiter / limits", "/flask_limiter/"),
    ("flask_limiter / limits", "/limits/"),
    ("werkzeug", "/werkzeug/"),
    ("flask", "/flask/"),
    ("itsdangerous", "/itsdangerous/"),
    ("python stdlib", "/lib/python3"),
]


def available() -> bool:
    return PY_SPY.exists()


MODES = {
    # What costs CPU under the GIL: the Python work that bounds a worker's throughput.
    "gil": ["--gil"],
    # Every running thread: adds the queries SQLite and psycopg run with the GIL released (hidden by --gil); a
    # thread woken to wait for the GIL or a contended lock can show as running too, so read its Python shares
    # with care and take them from the "gil" profile.
    "running": [],
}


def profile_route(port: int, path: str, worker_pid: int, seconds: float, mode: str = "gil",
                  headers: dict | None = None) -> dict:
    """Load `path` with wrk for `seconds` while py-spy samples one worker (see MODES)."""
    with tempfile.TemporaryDirectory(prefix="reelboard-profile-") as folder:
        output = Path(folder) / "stacks.txt"
        command = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{round(seconds) + 2}s"]
        for name, value in (headers or {}).items():
            command += ["-H", f"{name}: {value}"]
        load = subprocess.Popen([*command, f"http://{HOST}:{port}{path}"], stdout=subprocess.DEVNULL)
        try:
            sampled = subprocess.run(
                [str(PY_SPY), "record", "--pid", str(worker_pid), "--duration", str(round(seconds)), "--rate", "200",
                 *MODES[mode], "--full-filenames", "--format", "raw", "--output", str(output), "--nonblocking"],
                capture_output=True, text=True, timeout=seconds + 60, check=False,
            )
        finally:
            load.wait(timeout=seconds + 30)
        if sampled.returncode != 0 or not output.exists():
            return {"error": (sampled.stderr or sampled.stdout).strip()[-500:]}
        return summarise(output.read_text())


def summarise(collapsed: str, top: int = 12) -> dict:
    """Leaf (self) time by function and by library, and inclusive time of the board's own frames and templates."""
    leaves, areas, inclusive, total = Counter(), Counter(), Counter(), 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        count = int(count)
        frames = stack.split(";")
        total += count
        leaf = frames[-1]
        leaves[short(leaf)] += count
        areas[area(leaf)] += count
        for frame in set(frames):
            if "/board/" in frame or ".html" in frame:
                inclusive[short(frame)] += count
    if not total:
        return {"samples": 0}

    def shares(counter: Counter) -> list[list]:
        return [[name, round(100 * count / total, 1)] for name, count in counter.most_common(top)]

    return {"samples": total, "self_by_area_pct": shares(areas), "self_by_function_pct": shares(leaves),
            "inclusive_board_and_templates_pct": shares(inclusive)}


def short(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    file = match["file"]
    for marker in ("site-packages/", "/board/", "/templates/", "/lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1] if marker == "site-packages/" else marker.strip("/") + "/" + file.split(marker, 1)[1]
            break
    return f"{match['function']} ({file}:{match['line'] or '?'})"


# Without --native, time inside the database driver's C code shows as the Python frame that called it.
DRIVER_CALLS = {"do_execute", "do_executemany", "do_execute_no_params", "fetchall", "fetchone", "fetchmany"}


def area(frame: str) -> str:
    match = FRAME.match(frame)
    file = match["file"] if match else frame
    if match and "/sqlalchemy/engine/" in file and match["function"].rsplit(".", 1)[-1] in DRIVER_CALLS:
        return "database driver (query run, rows fetched)"
    for name, fragment in AREAS:
        if fragment in file:
            return name
    return "other"
