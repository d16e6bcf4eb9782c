"""`make bench`'s own logic: the spike writer's pacing and result, its real HTTP writes, the rows and targets it stores.

No timing is asserted here (speed lives in `make bench`): the pacer runs on a clock the test moves, and the writer's
run against a served board is checked for what it counts, not for how fast it went.
"""
import json

import pytest
from sqlalchemy import func, select

from benchmarks import run, spike
from benchmarks.dataset import Landmarks
from benchmarks.load import log_in
from board.extensions import db
from board.limits import DEFAULT_LIMITS
from board.models import Post, User, Vote

from .browser.conftest import serve
from .conftest import dispose, make_test_app
from .factories import DEFAULT_PASSWORD, make_reply, make_thread, make_user


class StepClock:
    """A clock that moves only when the pacer sleeps, or when the test says the scheduler ran late."""

    def __init__(self, now: float = 100.0):
        self.now, self.slept = now, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


# The pacer ----------------------------------------------------------------------------------------------------------

def test_pacer_plans_the_writes_due_within_the_run():
    assert spike.Pacer(5, 11).planned == 55
    assert spike.Pacer(1, 3.5).planned == 4  # due at 0, 1, 2 and 3 s
    assert spike.Pacer(0.1, 1).planned == 1
    with pytest.raises(ValueError):
        spike.Pacer(0, 10)


def test_pacer_sends_each_write_at_its_due_time_never_earlier():
    clock = StepClock()
    pacer = spike.Pacer(4, 1, clock=clock, sleep=clock.sleep)
    sent = []
    for number, due in pacer:
        assert clock.now >= due
        sent.append((number, round(due - 100.0, 6), round(clock.now - 100.0, 6)))
    assert sent == [(0, 0.0, 0.0), (1, 0.25, 0.25), (2, 0.5, 0.5), (3, 0.75, 0.75)]
    assert clock.slept == [0.25, 0.25, 0.25]
    assert pacer.deadline == 101.0


def test_a_late_pacer_sends_what_is_overdue_at_once_then_keeps_the_timetable():
    clock = StepClock()
    pacer = spike.Pacer(2, 3, clock=clock, sleep=clock.sleep)
    dues = []
    for number, due in pacer:
        dues.append(round(due - 100.0, 6))
        if number == 0:
            clock.now += 1.2  # the scheduler lost 1.2 s: writes 1 and 2 (due at 0.5 and 1 s) are overdue
    assert dues == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]  # the same timetable: nothing moved, nothing extra
    assert clock.slept == [0.3, 0.5, 0.5]  # no sleep for the overdue two, then back on time


def test_writes_alternate_replies_and_votes_each_rotating_over_its_posts():
    writes = [spike.plan_write(number, [11, 12], [21, 22, 23]) for number in range(8)]
    assert [(w.kind, w.post_id) for w in writes] == [
        ("reply", 11), ("vote", 21), ("reply", 12), ("vote", 22), ("reply", 11), ("vote", 23), ("reply", 12), ("vote", 21)]
    assert writes[0].path == "/posts/11/reply" and writes[1].path == "/posts/21/vote"
    assert writes[1].fields("n") == {"direction": "up"}
    assert writes[0].fields("a") != writes[0].fields("b") != writes[2].fields("b")  # a reply's text is never repeated
    assert {spike.plan_write(n, [], [5]).kind for n in range(3)} == {"vote"}  # only votes when nothing to reply to
    with pytest.raises(ValueError):
        spike.plan_write(0, [], [])


# The writer's result ------------------------------------------------------------------------------------------------

def sample(number: int, status=303, late: float = 0.0, took: float = 0.05) -> spike.Sample:
    due = number * 0.2
    return spike.Sample("reply" if number % 2 == 0 else "vote", due, due + late, due + late + took, status)


def test_the_achieved_rate_counts_acknowledged_writes_over_the_run():
    samples = [sample(n) for n in range(24)] + [sample(24, status=429), sample(25, status="ConnectionResetError")]
    result = spike.summarise(samples, missed=4, rate=5, started=0.0, seconds=6.0, failures=["vote: 429"])
    assert result["planned"] == 30
    assert (result["sent"], result["acknowledged"], result["missed"], result["errors"]) == (26, 24, 4, 2)
    assert result["statuses"] == {"303": 24, "429": 1, "ConnectionResetError": 1}
    assert result["acknowledged_by_kind"] == {"reply": 12, "vote": 12}
    assert result["writes_per_s"] == 4.0  # 24 acknowledged in the planned 6 s; failed and missed writes don't count
    assert result["rate_asked_per_s"] == 5
    assert result["latency_p50_ms"] == 50.0 and result["failures"] == ["vote: 429"]


def test_a_write_that_comes_back_after_the_run_lengthens_it():
    samples = [sample(n) for n in range(9)] + [sample(9, late=1.0, took=2.2)]  # due at 1.8 s, back at 5.0 s
    result = spike.summarise(samples, missed=0, rate=5, started=0.0, seconds=2.0)
    assert result["seconds"] == 5.0
    assert result["writes_per_s"] == 2.0
    assert result["waited_p99_ms"] == 1000.0  # it waited a second for a free connection


def test_a_writer_that_sent_nothing_reports_a_zero_rate_not_an_error():
    result = spike.summarise([], missed=5, rate=5, started=0.0, seconds=1.0)
    assert (result["planned"], result["writes_per_s"], result["latency_p99_ms"]) == (5, 0.0, None)


# The writer against a served board ----------------------------------------------------------------------------------

@pytest.fixture
def served_board(tmp_path):
    """A board on its own SQLite file served on 127.0.0.1, every limit raised as `make bench` raises them."""
    url = f"sqlite:///{tmp_path / 'board.db'}"
    app = make_test_app(url, RATE_LIMITS={name: "1000000 per hour" for name in DEFAULT_LIMITS})
    with app.app_context():
        db.create_all()
    author, reader = make_user(app, "author"), make_user(app, "reader")
    writers = [make_user(app, f"writer{n}") for n in range(3)]
    read = make_thread(app, author, "The thread everyone reads")
    own = make_reply(app, read.opening_post, writers[0])  # a writer's own post: never one of theirs to vote on
    make_reply(app, read.opening_post, reader)
    others = [make_thread(app, author), make_thread(app, writers[1])]
    try:
        with serve(app) as live:
            yield {"app": app, "url": url, "port": int(live.url.rsplit(":", 1)[1]), "read": read.id, "own": own.id,
                   "others": [thread.opening_post.id for thread in others], "writers": [w.username for w in writers]}
    finally:
        dispose(app)


def test_spike_targets_are_open_posts_in_the_read_thread_or_only_in_others(served_board):
    board = served_board
    same = spike.targets(board["url"], board["read"], board["writers"], "same", [])
    with board["app"].app_context():
        in_thread = set(db.session.scalars(select(Post.id).where(Post.thread_id == board["read"])))
    assert set(same["reply_to"]) == in_thread
    assert set(same["vote_on"]) == in_thread - {board["own"]}
    other = spike.targets(board["url"], board["read"], board["writers"], "other", [*board["others"], board["own"]])
    assert other["reply_to"] == board["others"]  # the read thread's post is left out
    assert other["vote_on"] == board["others"][:1]  # the second opening post is a writer's own


def test_the_writer_posts_real_forms_and_counts_what_the_board_stored(served_board):
    board = served_board
    members = [log_in(board["port"], name, DEFAULT_PASSWORD) for name in board["writers"]]
    posts = spike.targets(board["url"], board["read"], board["writers"], "other", board["others"])
    result = spike.write_at_rate(board["port"], members, rate=40, seconds=0.25, **posts)

    assert result["planned"] == 10
    assert result["acknowledged"] + result["missed"] + result["errors"] == 10
    assert result["errors"] == 0, result["failures"]
    with board["app"].app_context():
        writer_ids = select(User.id).where(User.username.in_(board["writers"]))
        replies = db.session.scalar(select(func.count()).select_from(Post).where(Post.author_id.in_(writer_ids),
                                                                                 Post.parent_id.is_not(None),
                                                                                 Post.thread_id != board["read"]))
        votes_rows = db.session.scalar(select(func.count()).select_from(Vote).where(Vote.user_id.in_(writer_ids)))
    assert replies == result["acknowledged_by_kind"].get("reply", 0)  # every 303 is a reply stored, none lost
    assert votes_rows <= result["acknowledged_by_kind"].get("vote", 0)  # a second "up" takes the vote back


def test_the_writer_process_logs_in_waits_for_go_and_reports_json(served_board):
    board = served_board
    posts = spike.targets(board["url"], board["read"], board["writers"][:2], "same", [])
    writer = spike.WriterProcess({"port": board["port"], "members": board["writers"][:2], "password": DEFAULT_PASSWORD,
                                  "rate": 20, "seconds": 0.2, **posts})
    try:
        writer.start()
        writer.go()
        result = writer.result()
    finally:
        writer.stop()
    assert result["planned"] == 4
    assert result["errors"] == 0, result["failures"]
    assert result["acknowledged"] + result["missed"] == 4
    assert json.loads(json.dumps(result)) == result


# The rows and targets `make bench` stores ---------------------------------------------------------------------------

WRK_FIGURES = {"rps": 500.0, "p50_ms": 8.0, "p99_ms": 120.0, "requests": 5000, "non_2xx_3xx": 0, "socket_errors": {}}


def wrk_row(route: str, rps: float, p99_ms: float = 20.0, **extra) -> dict:
    return {"route": route, "label": route, "method": "POST" if route.endswith("_post") else "GET", "path": "/",
            "status": "measured", "rps": rps, "p50_ms": 5.0, "p99_ms": p99_ms, "bytes": 1, "gzip_bytes": 1,
            "errors": 0, "server": "granian", "database": "sqlite", **extra}


def writer_result(writes_per_s: float) -> dict:
    return spike.summarise([sample(n) for n in range(5)], 0, 5, 0.0, 5 / writes_per_s)


def test_spike_rows_carry_the_achieved_write_rate_beside_the_wrk_figures():
    route = next(route for route in run.ROUTES if route.key == "spike_other")
    row = wrk_row(route.key, 600.0) | run.spike_fields(route, writer_result(4.5))
    rows = [wrk_row("healthz", 2000.0), row]
    run.add_ratios(rows)
    assert {"route", "rps", "p50_ms", "p99_ms", "ratio_to_ceiling", "writes_per_s"} <= set(row)
    assert (row["ratio_to_ceiling"], row["writes_per_s"], row["writes_asked_per_s"]) == (0.3, 4.5, 5)
    assert row["writes_to"] == "other" and row["write_errors"] == 0
    assert json.loads(json.dumps(row)) == row
    assert "4.5" in run.table_row(row)


def test_every_spike_route_reads_the_200_reply_thread_at_the_issues_write_rates():
    spikes = {route.key: route for route in run.ROUTES if route.writes_to}
    assert {key: (route.writes_per_s, route.writes_to, route.member) for key, route in spikes.items()} == {
        "spike_other": (5, "other", False), "spike_same": (1, "same", False), "spike_member": (5, "other", True)}
    landmarks = Landmarks(writers=[f"writer{n:02d}" for n in range(1, 17)], reader="reader")
    assert len(run.spike_members(landmarks, 5)) >= 5 and "reader" not in run.spike_members(landmarks, 5)
    assert len(run.spike_members(landmarks, 1)) >= 1


def test_render_rows_hold_cpu_ms_for_each_viewer_and_thread():
    numbers = {"median": 4.0, "p90": 6.0, "mean": 4.5, "runs": 20}
    figures = {viewer: {"thread_200": numbers, "thread_1000": numbers | {"median": 4.4}} for viewer in ("visitor", "member")}
    rows = run.render_rows(figures, "sqlite", Landmarks(thread_200=7, thread_1000=8))
    assert [row["route"] for row in rows] == ["render_thread_200_visitor", "render_thread_1000_visitor",
                                              "render_thread_200_member", "render_thread_1000_member"]
    for row in rows:
        assert {"route", "rps", "p50_ms", "p99_ms", "ratio_to_ceiling", "cpu_ms"} <= set(row)
        assert row["rps"] is None and row["ratio_to_ceiling"] is None and row["cpu_ms"]["median"] in (4.0, 4.4)
    assert rows[1]["path"] == "/threads/8"
    assert "median 4.40" in run.table_row(rows[1])


def test_the_cache_directory_is_measured_against_its_limit(tmp_path):
    (tmp_path / "pages" / "locks").mkdir(parents=True)
    (tmp_path / "pages" / "a").write_bytes(b"x" * 700)
    (tmp_path / "pages" / "locks" / "b").write_bytes(b"x" * 300)
    assert run.cache_size(str(tmp_path / "pages"), None, 1000) == {
        "backend": "files", "files": 2, "bytes": 1000, "limit_bytes": 1000, "within_limit": True}
    assert run.cache_size(str(tmp_path / "pages"), None, 999)["within_limit"] is False
    assert run.cache_size(str(tmp_path / "never-made"), None, 10)["bytes"] == 0


def test_the_page_cache_limit_is_the_boards_setting(monkeypatch):
    monkeypatch.delenv("BOARD_PAGE_CACHE_MAX_BYTES", raising=False)
    assert run.page_cache_limit() == 256 * 1024 * 1024
    monkeypatch.setenv("BOARD_PAGE_CACHE_MAX_BYTES", "1048576")
    assert run.page_cache_limit() == 1048576


def full_report(ratio: float, render_ms: float, long_factor: float, cache_bytes: int, writers_per_s: float,
                vote_p99: float = 50.0, spike_p99: float = 100.0) -> dict:
    ceiling = 1000.0
    rows = [wrk_row("healthz", ceiling)]
    rows += [wrk_row(route, ratio * ceiling, p99_ms={"vote_post": vote_p99, "spike_other": spike_p99}.get(route, 20.0),
                     **({"writes_per_s": 5.0} if route.startswith("spike") else {}))
             for route in run.TARGETS]
    run.add_ratios(rows)
    render = {viewer: {"thread_200": {"median": render_ms, "p90": render_ms},
                       "thread_1000": {"median": render_ms * long_factor, "p90": render_ms}}
              for viewer in ("visitor", "member")}
    rows += run.render_rows(render, "sqlite", Landmarks(thread_200=1, thread_1000=2))
    return {"results": rows, "transfer_budget": {},
            "writers": {"sqlite": {"errors": 0, "lost": 0, "reply_counts_consistent": True,
                                   "replies_per_second": writers_per_s}},
            "cache": [{"server": "granian", "database": "sqlite", "backend": "files", "files": 3, "bytes": cache_bytes,
                       "limit_bytes": 1000, "within_limit": cache_bytes <= 1000}]}


def test_targets_are_met_when_every_figure_reaches_the_issues_bar():
    checks = run.check_targets(full_report(ratio=0.5, render_ms=4.0, long_factor=1.1, cache_bytes=900,
                                           writers_per_s=250))
    assert all(check["met"] for check in checks), [check for check in checks if not check["met"]]
    targets = {check["target"] for check in checks}
    assert {"vote_post ≥ 0.10 of ceiling", "spike_other ≥ 0.30 of ceiling", "spike_same ≥ 0.10 of ceiling",
            "spike_member ≥ 0.15 of ceiling", "spike_other p99 < 150 ms", "vote_post p99 < 100 ms",
            "concurrent writers ≥ 200 replies/s", "uncached render, 200 replies, visitor: median ≤ 5 ms CPU",
            "uncached render, 200 replies, member: median ≤ 8 ms CPU",
            "uncached render, 1,000 replies, visitor: ≤ 1.2× the 200's",
            "page cache directory ≤ its limit (1,000 bytes) at the end"} <= targets
    assert "vote_post ≥ 0.40 of ceiling" not in targets  # issue #10 moved the vote's bar to 0.10


def test_a_ratio_is_judged_before_it_is_rounded():
    report = full_report(ratio=0.5, render_ms=4.0, long_factor=1.1, cache_bytes=900, writers_per_s=250)
    vote = next(row for row in report["results"] if row["route"] == "vote_post")
    vote["rps"] = 99.6  # of a ceiling of 1,000: stored as 0.1 (three decimals), short of the 0.10 bar
    run.add_ratios(report["results"])
    assert vote["ratio_to_ceiling"] == 0.1
    check = next(check for check in run.check_targets(report) if check["target"] == "vote_post ≥ 0.10 of ceiling")
    assert check == {"database": "sqlite", "target": "vote_post ≥ 0.10 of ceiling", "measured": 0.0996, "met": False}


def test_targets_are_not_met_where_a_figure_falls_short():
    checks = run.check_targets(full_report(ratio=0.12, render_ms=6.0, long_factor=1.5, cache_bytes=1001,
                                           writers_per_s=150, vote_p99=140.0, spike_p99=400.0))
    missed = {check["target"] for check in checks if not check["met"]}
    assert {"front_page ≥ 0.50 of ceiling", "spike_other ≥ 0.30 of ceiling", "spike_member ≥ 0.15 of ceiling",
            "spike_other p99 < 150 ms", "vote_post p99 < 100 ms", "concurrent writers ≥ 200 replies/s",
            "uncached render, 200 replies, visitor: median ≤ 5 ms CPU",
            "uncached render, 1,000 replies, member: ≤ 1.2× the 200's",
            "page cache directory ≤ its limit (1,000 bytes) at the end"} <= missed
    met = {check["target"] for check in checks if check["met"]}
    assert {"vote_post ≥ 0.10 of ceiling", "spike_same ≥ 0.10 of ceiling",
            "uncached render, 200 replies, member: median ≤ 8 ms CPU", "p99 < 100 ms on every page"} <= met
