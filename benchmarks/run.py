"""`make bench`: build a throwaway board, serve it exactly as `make run` does, load it with wrk, print the figures.

Environment (all optional):
  BENCH_QUICK=1            smaller board, 3 s per route, 5 s of concurrent writers (under 3 minutes)
  BENCH_DATABASE_URL=…     also build the same board in this PostgreSQL database (its public schema is DROPPED)
                           and measure it the same way, for a SQLite/PostgreSQL comparison
  REDIS_URL=redis://…      with BENCH_DATABASE_URL: the PostgreSQL run keeps pages and counts limits in this Redis
                           database (EMPTIED first), as several app servers do; the SQLite run keeps its file cache
  BENCH_PROFILE=1          also sample the front page and the 200-reply thread page with py-spy
  BENCH_SECONDS, BENCH_WRITER_SECONDS, BENCH_SEED, BENCH_MEMBERS, BENCH_THREADS, BENCH_POSTS
Set by the Makefile: BENCH_SERVE (make run's server command), BOARD_WORKERS, BOARD_THREADS.
"""
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from werkzeug.exceptions import MethodNotAllowed, NotFound

from board.settings import DEFAULTS

from . import dataset, load, profile, render, servers, spike, writers
from .dataset import Landmarks, Size

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
INSTANCE_DB = (ROOT / "instance" / "board.db").resolve()
TRANSFER_BUDGET = 50_000  # bytes: "50 KB", counted strictly
TARGETS = {  # route → lowest ratio to the ceiling (issues #5 and #10)
    "front_page": 0.50,
    "thread_200_anonymous": 0.30,
    "thread_200_member": 0.15,
    "vote_post": 0.10,
    "spike_other": 0.30,
    "spike_same": 0.10,
    "spike_member": 0.15,
}
P99_TARGET_MS = 100  # every page of the quiet board
ROUTE_P99_TARGETS_MS = {"vote_post": 100, "spike_other": 150}
WRITERS_TARGET = 200  # replies/s from the 16 concurrent writers
RENDER_TARGETS_MS = {"visitor": 5, "member": 8}  # median CPU of the uncached 200-reply thread page, in-process
LONG_THREAD_FACTOR = 1.2  # page 1 of the 1,000-reply thread, against the 200-reply thread's (median)
SPIKE_LEAD_SECONDS = 1.0  # the writer starts this long before wrk: the reads are measured under a running spike
SPIKE_MEMBERS = {5: 8, 1: 3}  # writes/s → members writing (one connection each), so a slow write delays no other


@dataclass(frozen=True)
class Route:
    key: str
    label: str
    method: str = "GET"
    member: bool = False
    lua: str | None = None  # "vote" or "reply": a POST through benchmarks/lua/post.lua
    fresh: bool = False  # sent with Cache-Control: no-cache (a hard reload): rendered each time, not a kept copy
    writes_per_s: float = 0  # a spike: benchmarks/spike.py writes at this rate while wrk reads
    writes_to: str | None = None  # ... into the "same" thread wrk reads, or "other" threads


ROUTES = [
    Route("healthz", "ceiling: GET /healthz"),
    Route("front_page", "front page, anonymous"),
    Route("thread_200_anonymous", "thread, 200 replies, anonymous"),
    Route("thread_200_member", "thread, 200 replies, logged in", member=True),
    Route("thread_200_member_fresh", "same, hard reload (rendered each time)", member=True, fresh=True),
    Route("film_page", "film page, anonymous"),
    Route("search", "search, anonymous"),
    Route("vote_post", "vote POST (htmx, toggles)", method="POST", member=True, lua="vote"),
    Route("reply_post", "reply POST (htmx)", method="POST", member=True, lua="reply"),
    Route("spike_other", "spike: 5 writes/s to other threads", writes_per_s=5, writes_to="other"),
    Route("spike_same", "spike: 1 write/s to this thread", writes_per_s=1, writes_to="same"),
    Route("spike_member", "spike: logged in, 5 writes/s other", member=True, writes_per_s=5, writes_to="other"),
]
RENDERED = [("thread_200", "200 replies"), ("thread_1000", "1,000 replies")]  # the uncached render's threads
COMPARED = {"healthz", "front_page", "thread_200_anonymous"}  # what gunicorn is measured on as well


def flag(name: str) -> bool:
    return os.environ.get(name, "").lower() not in ("", "0", "false", "no")


def main() -> int:
    quick = flag("BENCH_QUICK")
    size = Size.from_env(quick)
    seconds = float(os.environ.get("BENCH_SECONDS", 3 if quick else 10))
    writer_seconds = float(os.environ.get("BENCH_WRITER_SECONDS", 5 if quick else 30))
    seed = int(os.environ.get("BENCH_SEED", 5))
    postgres_url = os.environ.get("BENCH_DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL") if postgres_url else None
    workers, threads = int(os.environ.get("BOARD_WORKERS", 2)), int(os.environ.get("BOARD_THREADS", 8))
    if not load.wrk_available():
        raise SystemExit("wrk is not installed: `make bench` installs it with apt-get when run as root")
    report = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_average_at_start": list(os.getloadavg())},
        "dataset": {"requested": vars(size), "seed": seed},
        "settings": {"seconds_per_route": seconds, "wrk": f"-t{load.WRK_THREADS} -c{load.WRK_CONNECTIONS}",
                     "writer_seconds": writer_seconds, "workers": workers, "threads_per_worker": threads,
                     "server_command": " ".join(servers.granian_command(0)[:-4]),
                     "rate_limits": f"every limit raised to {servers.BENCH_LIMIT} for the benchmark members",
                     "spike_lead_seconds": SPIKE_LEAD_SECONDS, "page_cache_max_bytes": page_cache_limit(),
                     "redis_url": redis_url},
        "results": [], "memory": [], "writers": {}, "transfer_budget": {}, "profile": {}, "build_seconds": {},
        "cache": [], "failures": [],
    }
    say(f"Reelboard benchmark ({report['mode']}): {size.members:,} members, {size.threads:,} threads, "
        f"{size.posts:,} posts; {seconds:g} s per route; {os.cpu_count()} cores")
    if os.environ.get("REDIS_URL") and not postgres_url:
        say("  REDIS_URL is used with BENCH_DATABASE_URL only (the PostgreSQL run); the SQLite run keeps a file cache")

    with tempfile.TemporaryDirectory(prefix="reelboard-bench-") as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'board.db'}"
        assert Path(folder, "board.db").resolve() != INSTANCE_DB
        landmarks = build("sqlite", sqlite_url, size, seed, report)
        carry_on(measure_render, "in-process", "sqlite", sqlite_url, landmarks, report, quick)
        carry_on(measure, "granian", "sqlite", sqlite_url, landmarks, report, seconds, writer_seconds,
                 routes=ROUTES, with_extras=True)
        carry_on(measure, "gunicorn", "sqlite", sqlite_url, landmarks, report, seconds, writer_seconds,
                 routes=[route for route in ROUTES if route.key in COMPARED], workers=workers, threads=threads)
    if postgres_url:
        landmarks = build("postgresql", postgres_url, size, seed, report)
        carry_on(measure_render, "in-process", "postgresql", postgres_url, landmarks, report, quick)
        if redis_url:
            empty_redis(redis_url)
        carry_on(measure, "granian", "postgresql", postgres_url, landmarks, report, seconds, writer_seconds,
                 routes=ROUTES, with_extras=True, redis_url=redis_url)

    report["machine"]["load_average_at_end"] = list(os.getloadavg())
    report["targets"] = check_targets(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    say(f"Figures written to {(RESULTS / 'latest.json').relative_to(ROOT)}")
    for failure in report["failures"]:
        say(f"FAILED: {failure}")
    return 1 if report["failures"] else 0


def say(message: str) -> None:
    print(message, flush=True)


def carry_on(measure_server, server: str, database: str, *args, **kwargs) -> None:
    """One server's measurements; if they break, say so, keep what was measured and go on to the next."""
    try:
        measure_server(server, database, *args, **kwargs)
    except Exception as error:  # noqa: BLE001 — reported in the table and the JSON, and the exit status
        message = f"{server} on {database} failed: {type(error).__name__}: {error}"
        say(f"  {message}")
        args[2]["failures"].append(message)


def build(database: str, url: str, size: Size, seed: int, report: dict) -> Landmarks:
    say(f"\nBuilding the synthetic board in a throwaway {database} database…")
    landmarks, timings = dataset.build(url, size, seed)
    report["build_seconds"][database] = {step: round(value, 1) for step, value in timings.items()}
    report["dataset"]["counts"] = landmarks.counts
    say(f"  built in {timings['total']:.1f} s ({', '.join(f'{k} {v:.1f}' for k, v in timings.items() if k != 'total')})"
        f": {', '.join(f'{v:,} {k}' for k, v in landmarks.counts.items())}")
    return landmarks


def route_paths(url: str, landmarks: Landmarks) -> dict[str, str | None]:
    """Each route's path, or None where the board has no such route yet (film pages and search: issue #4)."""
    app = dataset.bench_app(url)
    adapter = app.url_map.bind("localhost")
    film = f"/films/{landmarks.film_slug}"
    try:
        adapter.match(film, method="GET")
    except (NotFound, MethodNotAllowed):
        film = None
    search = next((rule.rule for rule in app.url_map.iter_rules()
                   if "search" in rule.endpoint and not rule.arguments and "GET" in (rule.methods or ())), None)
    return {
        "healthz": "/healthz",
        "front_page": "/",
        "thread_200_anonymous": f"/threads/{landmarks.thread_200}",
        "thread_200_member": f"/threads/{landmarks.thread_200}",
        "thread_200_member_fresh": f"/threads/{landmarks.thread_200}",
        "film_page": film,
        "search": f"{search}?q={landmarks.search_term}" if search else None,
        "vote_post": f"/posts/{landmarks.vote_post}/vote",
        "reply_post": ",".join(f"/posts/{post}/reply" for post in landmarks.reply_parents),
        **{route.key: f"/threads/{landmarks.thread_200}" for route in ROUTES if route.writes_to},
    }


def measure(server_name: str, database: str, url: str, landmarks: Landmarks, report: dict, seconds: float,
            writer_seconds: float, routes: list[Route], with_extras: bool = False, workers: int = 2,
            threads: int = 8, redis_url: str | None = None) -> None:
    port = servers.free_port()
    command = (servers.granian_command(port) if server_name == "granian"
               else servers.gunicorn_command(port, workers, threads))
    log_path = RESULTS / f"server-{server_name}-{database}.log"
    paths = route_paths(url, landmarks)
    say(f"\n{server_name} on {database}: {' '.join(command)}")
    # The pages directory inside a throwaway folder: the cache's running total (<dir>.bytes) lands beside it, in there
    with tempfile.TemporaryDirectory(prefix="reelboard-bench-cache-") as folder:
        cache_dir = str(Path(folder) / "pages")
        environment = servers.board_environment(url, cache_dir, redis_url)
        with servers.Server(server_name, command, environment, port, log_path) as server:
            measure_server(server, server_name, database, url, landmarks, report, seconds, writer_seconds, routes,
                           paths, with_extras)
            report["cache"].append({"server": server_name, "database": database,
                                    **cache_size(cache_dir, redis_url, page_cache_limit())})


def measure_server(server: servers.Server, server_name: str, database: str, url: str, landmarks: Landmarks,
                   report: dict, seconds: float, writer_seconds: float, routes: list[Route], paths: dict,
                   with_extras: bool) -> None:
    """Every route in turn on the running server, then (with_extras) the transfer budget, profile and writers."""
    port = server.port
    member = load.log_in(port, landmarks.reader, landmarks.password)
    measured = []
    for route in routes:
        server.wait_idle()
        try:
            entry = measure_route(server, route, paths[route.key], member, seconds, url, landmarks)
        except Exception as error:  # noqa: BLE001 — one route failing must not hide the others' figures
            entry = {"route": route.key, "label": route.label, "method": route.method, "path": paths[route.key],
                     "status": f"failed: {type(error).__name__}: {error}"[:200], "rps": None, "p50_ms": None,
                     "p99_ms": None, "bytes": None, "gzip_bytes": None, "errors": 1}
            if route.writes_to:
                entry["writes_per_s"] = None
            report["failures"].append(f"{server_name} on {database}, {route.key}: {entry['status']}")
        entry.update(server=server_name, database=database)
        measured.append(entry)
        say(f"  {route.label:<34} " + (f"{entry['rps']:>8.1f} req/s  p50 {entry['p50_ms']:>7.1f} ms  "
                                     f"p99 {entry['p99_ms']:>7.1f} ms  errors {entry['errors']}"
                                     if entry["status"] == "measured" else
                                     f"{entry['status']} (errors {entry['errors']})"))
        if entry.get("writer"):
            say("    " + describe_writer(entry["writer"]))
    add_ratios(measured)
    report["results"] += measured
    if with_extras:
        server.wait_idle()
        if database == "sqlite":
            report["transfer_budget"] = transfer_budget(port, landmarks)
            if flag("BENCH_PROFILE"):
                report["profile"] = profile_pages(server, paths, member, seconds)
        server.wait_idle()
        say(f"  concurrent writers: 16 clients for {writer_seconds:g} s…")
        report["writers"][database] = result = writers.run(port, url, landmarks, writer_seconds)
        say(f"    {result['replies_per_second']} replies/s, {result['acknowledged']} acknowledged, "
            f"{result['stored']} stored, {result['errors']} errors")
    peaks = server.read_peak_memory()
    report["memory"].append({"server": server_name, "database": database, "processes": peaks})


def add_ratios(measured: list[dict]) -> None:
    """Each row's requests/s as a share of the same server's /healthz in the same run."""
    ceiling = next((entry["rps"] for entry in measured if entry["route"] == "healthz"), None)
    for entry in measured:
        entry["ratio_to_ceiling"] = round(entry["rps"] / ceiling, 3) if entry.get("rps") and ceiling else None


def measure_route(server: servers.Server, route: Route, path: str | None, member: load.Member, seconds: float,
                  url: str, landmarks: Landmarks) -> dict:
    entry = {"route": route.key, "label": route.label, "method": route.method, "path": path, "status": "measured",
             "rps": None, "p50_ms": None, "p99_ms": None, "bytes": None, "gzip_bytes": None, "errors": 0}
    if path is None:
        entry["status"] = "not implemented yet"
        return entry
    port = server.port
    headers = {"Cookie": member.cookie_header} if route.member else {}
    if route.fresh:
        headers["Cache-Control"] = "no-cache"
    if route.lua:
        headers |= {"X-CSRFToken": member.token}
        first_path = path.split(",")[0]
        body = b"direction=up" if route.lua == "vote" else b"body=The+first+benchmark+reply%2C+fetched+once+for+its+size."
        sample = load.request(port, "POST", first_path, headers | {
            "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"}, body)
        figures = load.run_wrk(port, "/", seconds, headers, lua_args=[route.lua, path])
    else:
        for _ in range(6):  # warm both workers: templates compiled, connections opened
            sample = load.request(port, "GET", path, headers)
        if route.writes_to:
            figures, writer = under_spike(server, route, path, headers, seconds, url, landmarks)
            entry.update(spike_fields(route, writer))
        else:
            figures = load.run_wrk(port, path, seconds, headers)
    entry.update(figures)
    entry.update(bytes=len(sample.body), gzip_bytes=sample.gzip_bytes, sample_status=sample.status,
                 load_average_1m=round(os.getloadavg()[0], 2))
    entry["errors"] = figures["non_2xx_3xx"] + sum(figures["socket_errors"].values()) + (sample.status >= 400)
    if not figures["requests"]:  # every request still unanswered when wrk stopped: no latency to report
        entry.update(status=f"no response within {seconds:g} s", p50_ms=None, p99_ms=None,
                     errors=entry["errors"] + load.WRK_CONNECTIONS)
    return entry


def spike_members(landmarks: Landmarks, writes_per_s: float) -> list[str]:
    """The members who write during a spike: the concurrent writers' (never the reader wrk reads as)."""
    wanted = SPIKE_MEMBERS.get(writes_per_s, max(2, min(len(landmarks.writers), round(writes_per_s * 1.5))))
    return landmarks.writers[:wanted]


def under_spike(server: servers.Server, route: Route, path: str, headers: dict, seconds: float, url: str,
                landmarks: Landmarks) -> tuple[dict, dict]:
    """wrk on `path` while benchmarks/spike.py writes at the route's rate (from SPIKE_LEAD_SECONDS before wrk)."""
    members = spike_members(landmarks, route.writes_per_s)
    posts = spike.targets(url, landmarks.thread_200, members, route.writes_to, landmarks.reply_parents)
    writer = spike.WriterProcess({"port": server.port, "members": members, "password": landmarks.password,
                                  "rate": route.writes_per_s, "seconds": SPIKE_LEAD_SECONDS + seconds, **posts})
    try:
        writer.start()
        server.wait_idle()  # the members' logins done
        writer.go()
        time.sleep(SPIKE_LEAD_SECONDS)
        figures = load.run_wrk(server.port, path, seconds, headers)
        return figures, writer.result()
    finally:
        writer.stop()


def spike_fields(route: Route, writer: dict) -> dict:
    """A spike row's own fields: the achieved write rate (beside the asked one) and the writer's whole result."""
    return {"writes_per_s": writer["writes_per_s"], "writes_asked_per_s": route.writes_per_s,
            "writes_to": route.writes_to, "write_errors": writer["errors"], "writer": writer}


def describe_writer(writer: dict) -> str:
    return (f"writer: {writer['writes_per_s']:g} writes/s achieved of {writer['rate_asked_per_s']:g} asked "
            f"({writer['acknowledged']} acknowledged of {writer['planned']} planned, {writer['missed']} missed, "
            f"{writer['errors']} errors; latency p50 {writer['latency_p50_ms']} ms, p99 {writer['latency_p99_ms']} ms)"
            + (f"; first failure: {writer['failures'][0]}" if writer["failures"] else ""))


def measure_render(_server: str, database: str, url: str, landmarks: Landmarks, report: dict, quick: bool) -> None:
    """benchmarks/render.py's uncached render on the benchmark's own board, in a fresh process, before any server."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    runs, warmup = (20, 5) if quick else (render.RUNS, render.WARMUP)
    say(f"\nuncached render on {database}, in-process: {runs} requests after {warmup} per page…")
    with tempfile.TemporaryDirectory(prefix="reelboard-bench-render-") as folder, \
            ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        figures = pool.submit(render.measure, url, landmarks, runs, warmup, str(Path(folder) / "pages")).result()
    rows = render_rows(figures, database, landmarks)
    for row in rows:
        say(f"  {row['label']:<34} CPU median {row['cpu_ms']['median']:>6.2f} ms  p90 {row['cpu_ms']['p90']:>6.2f} ms")
    report["results"] += rows


def render_rows(figures: dict, database: str, landmarks: Landmarks) -> list[dict]:
    """One row per viewer and thread from render.measure()'s {viewer: {thread key: figures}}."""
    rows = []
    for viewer, threads in figures.items():
        for key, label in RENDERED:
            described = f"{label}, member, shared copy" if viewer == render.SHARED_MEMBER else f"uncached, {label}, {viewer}"
            rows.append({"route": f"render_{key}_{viewer}", "label": described,
                         "method": "GET", "path": f"/threads/{getattr(landmarks, key)}", "status": "measured",
                         "server": "in-process", "database": database, "rps": None, "p50_ms": None, "p99_ms": None,
                         "ratio_to_ceiling": None, "bytes": None, "gzip_bytes": None, "errors": 0,
                         "cpu_ms": threads[key]})
    return rows


def page_cache_limit() -> int:
    """PAGE_CACHE_MAX_BYTES as the served board reads it: BOARD_PAGE_CACHE_MAX_BYTES, else the board's default."""
    configured = os.environ.get("BOARD_PAGE_CACHE_MAX_BYTES")
    return int(json.loads(configured)) if configured else DEFAULTS["PAGE_CACHE_MAX_BYTES"]


def cache_size(cache_dir: str, redis_url: str | None, limit: int) -> dict:
    """What the page cache holds at the end of a server's run: the directory's files, or the Redis database's keys."""
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        try:
            keys = list(client.scan_iter(match="reelboard:*", count=1000))
            used = sum(client.memory_usage(key) or 0 for key in keys)
            lasting = sum(1 for key in keys if client.ttl(key) == -1)
        finally:
            client.close()
        return {"backend": "redis", "keys": len(keys), "bytes": used, "keys_without_ttl": lasting,
                "limit_bytes": None, "within_limit": None}
    files = used = 0
    for path in Path(cache_dir).rglob("*"):  # nothing if the server never made the directory
        try:
            if path.is_file():
                used += path.stat().st_size
                files += 1
        except FileNotFoundError:  # dropped by the cache meanwhile
            continue
    return {"backend": "files", "files": files, "bytes": used, "limit_bytes": limit, "within_limit": used <= limit}


def empty_redis(redis_url: str) -> None:
    """The Redis database the PostgreSQL run uses starts empty, as its PostgreSQL schema does (both are throwaway)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


def transfer_budget(port: int, landmarks: Landmarks) -> dict:
    """The 20-reply thread page as a first visit fetches it: HTML and every stylesheet, script and icon it links."""
    import re

    page = load.request(port, "GET", f"/threads/{landmarks.thread_20}")
    html = page.text()
    assets = re.findall(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"', html)
    parts = [{"path": f"/threads/{landmarks.thread_20}", "name": "HTML", "bytes": len(page.body),
              "gzip_bytes": page.gzip_bytes}]
    for asset in dict.fromkeys(assets):
        reply = load.request(port, "GET", asset)
        parts.append({"path": asset, "name": asset.rsplit("/", 1)[-1], "bytes": len(reply.body),
                      "gzip_bytes": reply.gzip_bytes,
                      "cache_control": reply.headers.get("Cache-Control")})
    total = sum(part["gzip_bytes"] for part in parts)
    say(f"  transfer, 20-reply thread page + assets: {total:,} bytes gzipped (budget {TRANSFER_BUDGET:,})")
    return {"parts": parts, "total_bytes": sum(p["bytes"] for p in parts), "total_gzip_bytes": total,
            "budget_bytes": TRANSFER_BUDGET, "within_budget": total <= TRANSFER_BUDGET,
            "served_compressed": page.headers.get("Content-Encoding") is not None}


def profile_pages(server: servers.Server, paths: dict, member: load.Member, seconds: float) -> dict:
    if not profile.available():
        say("  py-spy is missing: no profile")
        return {}
    worker = next((pid for pid in server.workers()), None)
    found = {}
    for key in ("front_page", "thread_200_anonymous"):
        for mode in profile.MODES:
            server.wait_idle()
            say(f"  profiling {key} with py-spy ({mode}) for {max(5, seconds):g} s…")
            found[f"{key} ({mode})"] = profile.profile_route(server.port, paths[key], worker, max(5.0, seconds), mode)
    return found


def check_targets(report: dict) -> list[dict]:
    """Issues #5's and #10's targets, judged on make run's server (granian) for each database measured."""
    checks = []
    for database in dict.fromkeys(entry["database"] for entry in report["results"]):
        def check(target: str, measured, met: bool) -> None:
            checks.append({"database": database, "target": target, "measured": measured, "met": met})

        entries = {e["route"]: e for e in report["results"] if e["server"] == "granian" and e["database"] == database}
        ceiling = entries.get("healthz", {}).get("rps")
        for route, lowest in TARGETS.items():
            rps = entries.get(route, {}).get("rps")
            ratio = rps / ceiling if rps and ceiling else None  # not the stored ratio, rounded: 0.0996 is short of 0.10
            check(f"{route} ≥ {lowest:.2f} of ceiling", None if ratio is None else round(ratio, 4),
                  ratio is not None and ratio >= lowest)
        for route, highest in ROUTE_P99_TARGETS_MS.items():
            p99 = entries.get(route, {}).get("p99_ms")
            check(f"{route} p99 < {highest} ms", p99, p99 is not None and p99 < highest)
        pages = [e for e in entries.values() if e["method"] == "GET" and e["route"] != "healthz"
                 and e["status"] != "not implemented yet" and "writes_per_s" not in e]  # the quiet board's pages
        unanswered = [e for e in pages if e["p99_ms"] is None]
        worst = max((e for e in pages if e["p99_ms"] is not None), key=lambda e: e["p99_ms"], default=None)
        if unanswered:
            check(f"p99 < {P99_TARGET_MS} ms on every page", f"{unanswered[0]['route']}: {unanswered[0]['status']}",
                  False)
        elif worst:
            check(f"p99 < {P99_TARGET_MS} ms on every page", f"{worst['p99_ms']} ms ({worst['route']})",
                  worst["p99_ms"] < P99_TARGET_MS)
        checks_for_render(check, [e for e in report["results"] if e["database"] == database and "cpu_ms" in e])
        run = report["writers"].get(database)
        if run:
            check("concurrent writers: no errors, no lost posts", f"{run['errors']} errors, {run['lost']} lost",
                  run["errors"] == 0 and run["lost"] == 0 and run["reply_counts_consistent"])
            check(f"concurrent writers ≥ {WRITERS_TARGET} replies/s", run["replies_per_second"],
                  run["replies_per_second"] >= WRITERS_TARGET)
        for cache in report.get("cache", []):
            if cache["server"] == "granian" and cache["database"] == database and cache["backend"] == "files":
                check(f"page cache directory ≤ its limit ({cache['limit_bytes']:,} bytes) at the end",
                      cache["bytes"], cache["within_limit"])
    budget = report["transfer_budget"]
    if budget:
        checks.append({"database": "sqlite", "target": "20-reply thread page ≤ 50 KB compressed, with CSS and JS",
                       "measured": budget["total_gzip_bytes"], "met": budget["within_budget"]})
    return checks


def checks_for_render(check, rows: list[dict]) -> None:
    """Uncached 200-reply page within RENDER_TARGETS_MS (median), and the 1,000-reply page 1 within LONG_THREAD_FACTOR."""
    median = {row["route"]: row["cpu_ms"]["median"] for row in rows}
    for viewer, highest in RENDER_TARGETS_MS.items():
        short, long = median.get(f"render_thread_200_{viewer}"), median.get(f"render_thread_1000_{viewer}")
        if short is None:
            continue
        check(f"uncached render, 200 replies, {viewer}: median ≤ {highest} ms CPU", short, short <= highest)
        if long is not None:
            factor = round(long / short, 2) if short else None
            check(f"uncached render, 1,000 replies, {viewer}: ≤ {LONG_THREAD_FACTOR}× the 200's", factor,
                  factor is not None and factor <= LONG_THREAD_FACTOR)


def print_report(report: dict) -> None:
    dataset_counts = report["dataset"].get("counts", {})
    say("\n" + "=" * 134)
    say(f"Reelboard benchmark — {report['mode']} mode, {report['machine']['cores']} cores, "
        f"{', '.join(f'{v:,} {k}' for k, v in dataset_counts.items() if k != 'reader_votes_in_thread_200')}")
    say(f"wrk {report['settings']['wrk']}, {report['settings']['seconds_per_route']:g} s per route; "
        f"{report['settings']['workers']} workers × {report['settings']['threads_per_worker']} threads")
    busy = max(report["machine"]["load_average_at_start"][0], report["machine"]["load_average_at_end"][0])
    if busy > 0.75 * report["machine"]["cores"]:
        say(f"NOTE: the machine was busy with other work (1-minute load average up to {busy:.1f} on "
            f"{report['machine']['cores']} cores): absolute figures are depressed and noisy; compare ratios, and "
            "see load_average_1m per route in the JSON.")
    say("=" * 134)
    header = (f"{'server':<11}{'db':<11}{'route':<39}{'req/s':>9}{'ratio':>7}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'bytes':>10}{'gzip':>9}{'errors':>8}{'writes/s':>10}")
    say(header)
    say("-" * len(header))
    for e in sorted(report["results"], key=lambda e: "cpu_ms" in e):  # served rows first, then in-process renders
        say(table_row(e))
    say("Spike rows: wrk reads while benchmarks/spike.py writes over HTTP (writes/s: achieved; write errors in the "
        "JSON).\nUncached render rows: CPU ms per page in-process, page cache off (median and p90).")
    say("")
    for build_db, timings in report["build_seconds"].items():
        say(f"dataset build on {build_db}: {timings['total']} s ({', '.join(f'{k} {v}' for k, v in timings.items() if k != 'total')})")
    for memory in report["memory"]:
        peaks = ", ".join(f"{p['name']} {p['peak_rss_mib']} MiB" for p in memory["processes"])
        say(f"peak RSS per process, {memory['server']} on {memory['database']}: {peaks}")
    for database, run in report["writers"].items():
        say(f"concurrent writers on {database}: {run['replies_per_second']} replies/s over {run['seconds']} s, "
            f"{run['acknowledged']} acknowledged, {run['stored']} stored, {run['lost']} lost, {run['errors']} errors, "
            f"reply counts {'consistent' if run['reply_counts_consistent'] else 'INCONSISTENT'}")
    budget = report["transfer_budget"]
    if budget:
        parts = ", ".join(f"{p['name']} {p['gzip_bytes']:,}" for p in budget["parts"])
        sent = ("the board itself sends them uncompressed" if not budget["served_compressed"]
                else "the board compresses them itself")
        say(f"transfer, 20-reply thread page: {budget['total_gzip_bytes']:,} bytes gzipped of {budget['budget_bytes']:,} "
            f"({parts}); {sent}: {budget['total_bytes']:,} bytes")
    for cache in report.get("cache", []):
        say(f"page cache at the end, {cache['server']} on {cache['database']}: {describe_cache(cache)}")
    say_server_comparison(report)
    say("\nTargets (issues #5 and #10), on make run's server:")
    for check in report["targets"]:
        say(f"  [{'met' if check['met'] else 'NOT met':>7}] {check['database']:<10} {check['target']:<67} {check['measured']}")
    for key, found in report["profile"].items():
        what = "threads holding the GIL" if key.endswith("(gil)") else "running threads, SQL included"
        say(f"\nprofile of {key}: py-spy on one worker under wrk load, {found.get('samples', 0)} samples of {what}")
        if "error" in found:
            say(f"  {found['error']}")
            continue
        say("  self time by library: " + ", ".join(f"{name} {pct}%" for name, pct in found["self_by_area_pct"]))
        say("  top functions (self): ")
        for name, pct in found["self_by_function_pct"][:8]:
            say(f"    {pct:5.1f}%  {name}")
        say("  the board's frames and templates (inclusive): ")
        for name, pct in found["inclusive_board_and_templates_pct"][:8]:
            say(f"    {pct:5.1f}%  {name}")


def table_row(e: dict) -> str:
    """One line of the table: a wrk row (and a spike's achieved writes/s), an uncached render, or what went wrong."""
    start = f"{e['server']:<11}{e['database']:<11}{e['label']:<39}"
    if e["status"] != "measured":
        return f"{start}   {e['status']}" + (f" (errors {e['errors']})" if e["errors"] else "")
    if "cpu_ms" in e:
        return f"{start}   CPU ms: median {e['cpu_ms']['median']:.2f}, p90 {e['cpu_ms']['p90']:.2f}"
    ratio = f"{e['ratio_to_ceiling']:.2f}" if e["ratio_to_ceiling"] is not None else "—"
    writes = f"{e['writes_per_s']:>10.1f}" if e.get("writes_per_s") is not None else ""
    return (f"{start}{e['rps']:>9.1f}{ratio:>7}{e['p50_ms']:>9.1f}{e['p99_ms']:>9.1f}{e['bytes']:>10,}"
            f"{e['gzip_bytes']:>9,}{e['errors']:>8}{writes}")


def describe_cache(cache: dict) -> str:
    if cache["backend"] == "redis":
        return (f"{cache['keys']:,} keys in Redis, {cache['bytes']:,} bytes (MEMORY USAGE), "
                f"{cache['keys_without_ttl']} without a TTL")
    return (f"{cache['bytes']:,} bytes in {cache['files']:,} files, limit {cache['limit_bytes']:,} "
            f"(PAGE_CACHE_MAX_BYTES): {'within' if cache['within_limit'] else 'OVER'}")


def say_server_comparison(report: dict) -> None:
    by = {(e["server"], e["route"]): e for e in report["results"]
          if e["database"] == "sqlite" and e["status"] == "measured"}
    rows = [key for key in ("healthz", "front_page", "thread_200_anonymous")
            if ("gunicorn", key) in by and ("granian", key) in by and by[("gunicorn", key)]["rps"]]
    if not rows:
        say("\nWSGI servers compared: no route was measured on both servers in this run.")
        return
    say("\nWSGI servers compared (SQLite, same workers and threads):")
    for key in rows:
        granian, gunicorn = by[("granian", key)], by[("gunicorn", key)]
        say(f"  {key:<22} granian {granian['rps']:>8.1f} req/s (p99 {granian['p99_ms']:.1f} ms)   "
            f"gunicorn gthread {gunicorn['rps']:>8.1f} req/s (p99 {gunicorn['p99_ms']:.1f} ms)   "
            f"granian/gunicorn {granian['rps'] / gunicorn['rps']:.2f}×")
    factors = {key: by[("granian", key)]["rps"] / by[("gunicorn", key)]["rps"] for key in rows}
    say(f"  make run uses granian: {', '.join(f'{key} {factor:.2f}×' for key, factor in factors.items())} "
        "gunicorn's throughput in this run. The server only matters where the board's own work is small (the "
        "ceiling); on pages that cost milliseconds of Python both servers run the same code under the same GIL.")


if __name__ == "__main__":
    sys.exit(main())
