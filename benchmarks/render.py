"""What one uncached thread page costs to render: CPU time in-process, visitor and member, 200 and 1,000 replies.

`.venv/bin/python -m benchmarks.render` builds a small throwaway board (SQLite in a temporary folder, the same
synthetic content as `make bench`), turns the page cache off, and times the thread page through Flask's test client
with the CPU clock of this thread (time.thread_time: no waiting, no other processes), the two threads' pages asked
for in turn. It prints median and p90 over RUNS requests of each after WARMUP (`uncached_render()` returns them),
and a member's page filled from the copy every member
shares (cache on, the copy kept: "member_shared"). `make bench` reports the same figures as its
"uncached render" rows, measured with `measure()` on its own synthetic board, in a fresh process, before any server.

Environment (optional): BENCH_RENDER_RUNS (50), BENCH_RENDER_WARMUP (10), BENCH_RENDER_FREEZE (1: gc.freeze() after
the app is built, as board/serve.py does; 0: not), BENCH_DATABASE_URL (a PostgreSQL
database to build and measure instead of SQLite: its public schema is DROPPED).
"""
import gc
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager

from board import create_app

from . import dataset
from .dataset import Landmarks, Size

RUNS, WARMUP = 50, 10
SIZE = Size(members=60, threads=100, posts=2_000)  # the two measured threads and a few ordinary ones
THREADS = {"thread_200": "200 replies", "thread_1000": "1,000 replies"}
VIEWERS = ("visitor", "member")
# A member's page filled from the copy every member shares (board/member_pages.py), the page cache on and the copy
# kept: what a member pays per page between two writes to the thread (the full render above is a moderator's).
SHARED_MEMBER = "member_shared"


@contextmanager
def built_board(database_url: str | None = None):
    """A throwaway board with the measured threads; yields (database URL, landmarks)."""
    with tempfile.TemporaryDirectory(prefix="reelboard-render-") as folder:
        url = database_url or f"sqlite:///{folder}/board.db"
        landmarks, _ = dataset.build(url, SIZE)
        yield url, landmarks


def measuring_app(database_url: str, cache_dir: str | None = None, cache_seconds: int = 0):
    """The board as `make run` configures it, but every visitor's page rendered afresh (no page cache); frozen out
    of the garbage collector's sight as board/serve.py does in each worker (BENCH_RENDER_FREEZE=0: not).
    `cache_dir`: where the (unused) page cache may put its files, instead of instance/cache."""
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "benchmark", "DEMO": False,
                      "PAGE_CACHE_SECONDS": cache_seconds, **({"PAGE_CACHE_DIR": cache_dir} if cache_dir else {})})
    if os.environ.get("BENCH_RENDER_FREEZE", "1") != "0":
        gc.freeze()
    return app


def logged_in_client(app, landmarks: Landmarks):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post("/login", data={"username": landmarks.reader, "password": landmarks.password,
                                           "csrf_token": token})
    if response.status_code != 303:
        raise SystemExit(f"the benchmark reader could not log in ({response.status_code})")
    return client


def cpu_ms(client, paths: dict[str, str], runs: int, warmup: int) -> dict:
    """{key: median, p90 and mean CPU milliseconds of GET path} for each of `paths` ({key: path}), each response
    checked to be a whole page. The pages are asked for in turn, one of each per round: pages compared with each
    other (the 1,000-reply page with the 200's) are measured under the same conditions, whatever the machine's speed
    does meanwhile (it moved by more than a third between runs a minute apart)."""
    samples = {key: [] for key in paths}
    for number in range(warmup + runs):
        for key, path in paths.items():
            started = time.thread_time()
            response = client.get(path)
            spent = time.thread_time() - started
            if response.status_code != 200 or b"</html>" not in response.data:
                raise SystemExit(f"GET {path} answered {response.status_code}")
            if number >= warmup:
                samples[key].append(spent * 1000)
    return {key: summary(values, runs) for key, values in samples.items()}


def summary(samples: list[float], runs: int) -> dict:
    samples = sorted(samples)
    return {"median": round(statistics.median(samples), 2), "p90": round(samples[int(0.9 * (len(samples) - 1))], 2),
            "mean": round(statistics.fmean(samples), 2), "runs": runs}


def measure(database_url: str, landmarks: Landmarks, runs: int = RUNS, warmup: int = WARMUP,
            cache_dir: str | None = None) -> dict:
    """{viewer: {thread key: {"median", "p90", "mean", "runs"}}} for page 1 of each measured thread.

    `make bench` calls this in a fresh process on its own board (its gc.freeze() then touches nothing else)."""
    app = measuring_app(database_url, cache_dir)
    clients = {"visitor": app.test_client(), "member": logged_in_client(app, landmarks)}
    paths = {key: f"/threads/{getattr(landmarks, key)}" for key in THREADS}
    figures = {viewer: cpu_ms(clients[viewer], paths, runs, warmup) for viewer in VIEWERS}
    with tempfile.TemporaryDirectory(prefix="reelboard-render-shared-") as folder:
        kept = logged_in_client(measuring_app(database_url, cache_dir or folder, cache_seconds=3600), landmarks)
        figures[SHARED_MEMBER] = cpu_ms(kept, paths, runs, warmup)
    return figures


def uncached_render(database_url: str | None = None, runs: int = RUNS, warmup: int = WARMUP) -> dict:
    """Build a board and measure it: what `make bench` reports as the uncached render (cpu_ms)."""
    with built_board(database_url) as (url, landmarks):
        return measure(url, landmarks, runs, warmup)


def table(figures: dict) -> str:
    lines = [f"{'thread page (page 1), CPU ms':<34}{'median':>8}{'p90':>8}{'mean':>8}"]
    for viewer, threads in figures.items():
        for key, numbers in threads.items():
            label = f"{viewer}, {THREADS[key]}"
            lines.append(f"{label:<34}{numbers['median']:>8.2f}{numbers['p90']:>8.2f}{numbers['mean']:>8.2f}")
    return "\n".join(lines)


def main() -> int:
    runs = int(os.environ.get("BENCH_RENDER_RUNS", RUNS))
    warmup = int(os.environ.get("BENCH_RENDER_WARMUP", WARMUP))
    figures = uncached_render(os.environ.get("BENCH_DATABASE_URL"), runs, warmup)
    print(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
