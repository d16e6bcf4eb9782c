"""`make bench`: build a throwaway board, serve it exactly as `make run` does, load it with wrk, print the figures.

Environment (all optional):
  BENCH_QUICK=1            smaller board, 3 s per route, 5 s of concurrent writers (under 3 minutes)
  BENCH_DATABASE_URL=…     also build the same board in this PostgreSQL database (its public schema is DROPPED)
                           and measure it the same way, for a SQLite/PostgreSQL comparison
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

from . import dataset, load, profile, servers, writers
from .dataset import Landmarks, Size

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
INSTANCE_DB = (ROOT / "instance" / "board.db").resolve()
TRANSFER_BUDGET = 50_000  # bytes: "50 KB", counted strictly
TARGETS = {  # route → lowest ratio to the ceiling (issue #5)
    "front_page": 0.50,
    "thread_200_anonymous": 0.30,
    "thread_200_member": 0.15,
    "vote_post": 0.40,
}
P99_TARGET_MS = 100
WRITERS_TARGET = 300


@dataclass(frozen=True)
class Route:
    key: str
    label: str
    method: str = "GET"
    member: bool = False
    lua: str | None = None  # "vote" or "reply": a POST through benchmarks/lua/post.lua
    fresh: bool = False  # sent with Cache-Control: no-cache (a hard reload): rendered each time, not a kept copy


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
]
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
                     "rate_limits": f"every limit raised to {servers.BENCH_LIMIT} for the benchmark members"},
        "results": [], "memory": [], "writers": {}, "transfer_budget": {}, "profile": {}, "build_seconds": {},
        "failures": [],
    }
    say(f"Reelboard benchmark ({report['mode']}): {size.members:,} members, {size.threads:,} threads, "
        f"{size.posts:,} posts; {seconds:g} s per route; {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory(prefix="reelboard-bench-") as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'board.db'}"
        assert Path(folder, "board.db").resolve() != INSTANCE_DB
        landmarks = build("sqlite", sqlite_url, size, seed, report)
        carry_on(measure, "granian", "sqlite", sqlite_url, landmarks, report, seconds, writer_seconds,
                 routes=ROUTES, with_extras=True)
        carry_on(measure, "gunicorn", "sqlite", sqlite_url, landmarks, report, seconds, writer_seconds,
                 routes=[route for route in ROUTES if route.key in COMPARED], workers=workers, threads=threads)
    if postgres_url:
        landmarks = build("postgresql", postgres_url, size, seed, report)
        carry_on(measure, "granian", "postgresql", postgres_url, landmarks, report, seconds, writer_seconds,
                 routes=ROUTES, with_extras=True)

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
    }


def measure(server_name: str, database: str, url: str, landmarks: Landmarks, report: dict, seconds: float,
            writer_seconds: float, routes: list[Route], with_extras: bool = False, workers: int = 2,
            threads: int = 8) -> None:
    port = servers.free_port()
    command = (servers.granian_command(port) if server_name == "granian"
               else servers.gunicorn_command(port, workers, threads))
    log_path = RESULTS / f"server-{server_name}-{database}.log"
    paths = route_paths(url, landmarks)
    say(f"\n{server_name} on {database}: {' '.join(command)}")
    with tempfile.TemporaryDirectory(prefix="reelboard-bench-cache-") as cache_dir, \
            servers.Server(server_name, command, servers.board_environment(url, cache_dir), port, log_path) as server:
        member = load.log_in(port, landmarks.reader, landmarks.password)
        measured = []
        for route in routes:
            server.wait_idle()
            try:
                entry = measure_route(server, route, paths[route.key], member, seconds)
            except Exception as error:  # noqa: BLE001 — one route failing must not hide the others' figures
                entry = {"route": route.key, "label": route.label, "method": route.method, "path": paths[route.key],
                         "status": f"failed: {type(error).__name__}: {error}"[:200], "rps": None, "p50_ms": None,
                         "p99_ms": None, "bytes": None, "gzip_bytes": None, "errors": 1}
                report["failures"].append(f"{server_name} on {database}, {route.key}: {entry['status']}")
            entry.update(server=server_name, database=database)
            measured.append(entry)
            say(f"  {route.label:<34} " + (f"{entry['rps']:>8.1f} req/s  p50 {entry['p50_ms']:>7.1f} ms  "
                                         f"p99 {entry['p99_ms']:>7.1f} ms  errors {entry['errors']}"
                                         if entry["status"] == "measured" else
                                         f"{entry['status']} (errors {entry['errors']})"))
        ceiling = next((entry["rps"] for entry in measured if entry["route"] == "healthz"), None)
        for entry in measured:
            entry["ratio_to_ceiling"] = round(entry["rps"] / ceiling, 3) if entry.get("rps") and ceiling else None
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


def measure_route(server: servers.Server, route: Route, path: str | None, member: load.Member, seconds: float) -> dict:
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
        figures = load.run_wrk(port, path, seconds, headers)
    entry.update(figures)
    entry.update(bytes=len(sample.body), gzip_bytes=sample.gzip_bytes, sample_status=sample.status,
                 load_average_1m=round(os.getloadavg()[0], 2))
    entry["errors"] = figures["non_2xx_3xx"] + sum(figures["socket_errors"].values()) + (sample.status >= 400)
    if not figures["requests"]:  # every request still unanswered when wrk stopped: no latency to report
        entry.update(status=f"no response within {seconds:g} s", p50_ms=None, p99_ms=None,
                     errors=entry["errors"] + load.WRK_CONNECTIONS)
    return entry


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
    """Issue #5's targets, judged on make run's server (granian) for each database measured."""
    checks = []
    for database in dict.fromkeys(entry["database"] for entry in report["results"]):
        entries = {e["route"]: e for e in report["results"] if e["server"] == "granian" and e["database"] == database}
        for route, lowest in TARGETS.items():
            ratio = entries.get(route, {}).get("ratio_to_ceiling")
            checks.append({"database": database, "target": f"{route} ≥ {lowest:.2f} of ceiling",
                           "measured": ratio, "met": ratio is not None and ratio >= lowest})
        pages = [e for e in entries.values()
                 if e["method"] == "GET" and e["route"] != "healthz" and e["status"] != "not implemented yet"]
        unanswered = [e for e in pages if e["p99_ms"] is None]
        worst = max((e for e in pages if e["p99_ms"] is not None), key=lambda e: e["p99_ms"], default=None)
        if unanswered:
            checks.append({"database": database, "target": f"p99 < {P99_TARGET_MS} ms on every page",
                           "measured": f"{unanswered[0]['route']}: {unanswered[0]['status']}", "met": False})
        elif worst:
            checks.append({"database": database, "target": f"p99 < {P99_TARGET_MS} ms on every page",
                           "measured": f"{worst['p99_ms']} ms ({worst['route']})", "met": worst["p99_ms"] < P99_TARGET_MS})
        run = report["writers"].get(database)
        if run:
            checks.append({"database": database, "target": "concurrent writers: no errors, no lost posts",
                           "measured": f"{run['errors']} errors, {run['lost']} lost",
                           "met": run["errors"] == 0 and run["lost"] == 0 and run["reply_counts_consistent"]})
            checks.append({"database": database, "target": f"concurrent writers ≥ {WRITERS_TARGET} replies/s",
                           "measured": run["replies_per_second"], "met": run["replies_per_second"] >= WRITERS_TARGET})
    budget = report["transfer_budget"]
    if budget:
        checks.append({"database": "sqlite", "target": "20-reply thread page ≤ 50 KB compressed, with CSS and JS",
                       "measured": budget["total_gzip_bytes"], "met": budget["within_budget"]})
    return checks


def print_report(report: dict) -> None:
    dataset_counts = report["dataset"].get("counts", {})
    say("\n" + "=" * 118)
    say(f"Reelboard benchmark — {report['mode']} mode, {report['machine']['cores']} cores, "
        f"{', '.join(f'{v:,} {k}' for k, v in dataset_counts.items() if k != 'reader_votes_in_thread_200')}")
    say(f"wrk {report['settings']['wrk']}, {report['settings']['seconds_per_route']:g} s per route; "
        f"{report['settings']['workers']} workers × {report['settings']['threads_per_worker']} threads")
    busy = max(report["machine"]["load_average_at_start"][0], report["machine"]["load_average_at_end"][0])
    if busy > 0.75 * report["machine"]["cores"]:
        say(f"NOTE: the machine was busy with other work (1-minute load average up to {busy:.1f} on "
            f"{report['machine']['cores']} cores): absolute figures are depressed and noisy; compare ratios, and "
            "see load_average_1m per route in the JSON.")
    say("=" * 118)
    header = (f"{'server':<9}{'db':<11}{'route':<34}{'req/s':>9}{'ratio':>7}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'bytes':>10}{'gzip':>9}{'errors':>8}")
    say(header)
    say("-" * len(header))
    for e in report["results"]:
        if e["status"] != "measured":
            say(f"{e['server']:<9}{e['database']:<11}{e['label']:<34}   {e['status']}"
                + (f" (errors {e['errors']})" if e["errors"] else ""))
            continue
        ratio = f"{e['ratio_to_ceiling']:.2f}" if e["ratio_to_ceiling"] is not None else "—"
        say(f"{e['server']:<9}{e['database']:<11}{e['label']:<34}{e['rps']:>9.1f}{ratio:>7}"
            f"{e['p50_ms']:>9.1f}{e['p99_ms']:>9.1f}{e['bytes']:>10,}{e['gzip_bytes']:>9,}{e['errors']:>8}")
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
    say_server_comparison(report)
    say("\nTargets (issue #5), on make run's server:")
    for check in report["targets"]:
        say(f"  [{'met' if check['met'] else 'NOT met':>7}] {check['database']:<10} {check['target']:<55} {check['measured']}")
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
