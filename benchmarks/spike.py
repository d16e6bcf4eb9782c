"""The writer of `make bench`'s spike rows: members post replies and votes over HTTP at a steady rate.

    .venv/bin/python -m benchmarks.spike    (its plan as one JSON line on stdin, then "go" on the next line)

A separate process, so its own work never runs in the benchmark's process or the server's. It logs in each member
through the served board's login form (session cookie, then the CSRF token of the member's next page), prints
"ready", and on "go" posts plain forms as a browser without JavaScript does: replies (`/posts/<id>/reply`) and
votes (`/posts/<id>/vote`, "up" again takes the vote back, so every one is a write), alternately, each acknowledged
by a 303. Write n is due at start + n / rate (`Pacer`); a scheduler hands each write at its due time to whichever
member's connection is free, so one slow write never delays the next. A write still waiting for a free connection
when the run's time is up is counted as missed, never sent late. At the end it prints its result as JSON
(`summarise`): writes planned, sent, acknowledged, missed, errors by status, the achieved rate (acknowledged writes
per second of the run) and the writes' latency from their due time.
"""
import http.client
import json
import math
import queue
import secrets
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, select

from board.models import Post, User
from board.settings import normalise_database_url

from .load import HOST, log_in

ROOT = Path(__file__).resolve().parent.parent
ACKNOWLEDGED = 303  # a plain form's reply or vote, stored: "see the post"
FAILURES_KEPT = 5
TARGETS_PER_KIND = 50  # posts the writes rotate over


class Pacer:
    """Write n is due at start + n / rate, for the writes due within `seconds` (at least one).

    A late scheduler sends what is overdue at once and then keeps to the same timetable: the rate over the run
    stays the asked one, and no write is sent early. The clock and the sleep are the caller's (time's by default).
    """

    def __init__(self, rate: float, seconds: float, clock=time.monotonic, sleep=time.sleep):
        if rate <= 0 or seconds <= 0:
            raise ValueError("a spike needs a positive rate and duration")
        self.rate, self.seconds, self.clock, self.sleep = rate, seconds, clock, sleep
        self.started: float | None = None

    @property
    def planned(self) -> int:
        return max(1, math.ceil(round(self.seconds * self.rate, 9)))

    def due(self, number: int) -> float:
        return self.started + number / self.rate

    @property
    def deadline(self) -> float:
        return self.started + self.seconds

    def __iter__(self):
        """(number, due time) of each write, each yielded no earlier than its due time."""
        self.started = self.clock()
        for number in range(self.planned):
            delay = self.due(number) - self.clock()
            if delay > 0:
                self.sleep(delay)
            yield number, self.due(number)


@dataclass(frozen=True)
class Write:
    number: int
    kind: str  # "reply" or "vote"
    post_id: int

    @property
    def path(self) -> str:
        return f"/posts/{self.post_id}/{self.kind}"

    def fields(self, nonce: str) -> dict:
        if self.kind == "vote":
            return {"direction": "up"}
        return {"body": f"Spike reply {nonce}-{self.number}: the second act's long take lands differently tonight."}


def plan_write(number: int, reply_to: list[int], vote_on: list[int]) -> Write:
    """Replies and votes alternately (a reply first), each kind rotating over its posts; one kind if the other has none."""
    kinds = [kind for kind, posts in (("reply", reply_to), ("vote", vote_on)) if posts]
    if not kinds:
        raise ValueError("a spike needs posts to reply to or vote on")
    kind = kinds[number % len(kinds)]
    posts = reply_to if kind == "reply" else vote_on
    return Write(number, kind, posts[(number // len(kinds)) % len(posts)])


@dataclass(frozen=True)
class Sample:
    """One write as sent: when it was due, when it went out and came back (seconds on the writer's clock)."""

    kind: str
    due: float
    sent: float
    finished: float
    status: int | str  # the HTTP status, or the name of the error that stopped the request


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def milliseconds(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def summarise(samples: list[Sample], missed: int, rate: float, started: float, seconds: float,
              failures: list[str] | None = None) -> dict:
    """The writer's result: what was planned, sent, acknowledged and missed, and the rate achieved.

    The achieved rate is acknowledged writes per second of the run: its planned length, or longer if the last
    write came back after it (a write that fails is sent but not counted).
    """
    acknowledged = [sample for sample in samples if sample.status == ACKNOWLEDGED]
    statuses = Counter(str(sample.status) for sample in samples)
    finished = max((sample.finished for sample in samples), default=started)
    elapsed = max(seconds, finished - started)
    from_due = [sample.finished - sample.due for sample in acknowledged]
    return {
        "rate_asked_per_s": rate,
        "seconds": round(elapsed, 2),
        "planned": len(samples) + missed,
        "sent": len(samples),
        "acknowledged": len(acknowledged),
        "acknowledged_by_kind": dict(Counter(sample.kind for sample in acknowledged)),
        "missed": missed,
        "errors": len(samples) - len(acknowledged),
        "statuses": dict(statuses),
        "failures": list(failures or [])[:FAILURES_KEPT],
        "writes_per_s": round(len(acknowledged) / elapsed, 2),
        "latency_p50_ms": milliseconds(percentile(from_due, 0.50)),
        "latency_p99_ms": milliseconds(percentile(from_due, 0.99)),
        "response_p50_ms": milliseconds(percentile([s.finished - s.sent for s in acknowledged], 0.50)),
        "waited_p99_ms": milliseconds(percentile([s.sent - s.due for s in samples], 0.99)),
    }


def targets(database_url: str, thread_id: int, members: list[str], where: str, reply_parents: list[int]) -> dict:
    """The posts a spike writes to: in the read thread ("same") or the opening posts of other threads ("other").

    Only posts open to replies and votes (not hidden, not deleted), and for votes none of the writing members' own.
    """
    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as connection:
            authors = select(User.id).where(User.username.in_(members))
            visible = select(Post.id).where(Post.hidden.is_(False), Post.deleted.is_(False)).order_by(Post.id)
            if where == "same":
                visible = visible.where(Post.thread_id == thread_id)
            elif where == "other":
                visible = visible.where(Post.id.in_(reply_parents), Post.thread_id != thread_id)
            else:
                raise ValueError(f"a spike writes to the 'same' thread or 'other' threads, not {where!r}")
            reply_to = list(connection.scalars(visible.limit(TARGETS_PER_KIND)))
            vote_on = list(connection.scalars(visible.where(Post.author_id.not_in(authors)).limit(TARGETS_PER_KIND)))
    finally:
        engine.dispose()
    return {"reply_to": reply_to, "vote_on": vote_on}


def write_at_rate(port: int, members: list, rate: float, seconds: float, reply_to: list[int], vote_on: list[int],
                  clock=time.monotonic) -> dict:
    """Send the paced writes from one connection per logged-in member; return `summarise`'s result."""
    pacer = Pacer(rate, seconds, clock=clock)
    nonce = secrets.token_hex(4)  # replies never repeat an earlier run's text (the board folds a resubmission)
    jobs: queue.Queue = queue.Queue()
    samples, failures, missed = [], [], [0]
    lock = threading.Lock()

    def sender(member) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        while (job := jobs.get()) is not None:
            write, due = job
            if clock() > pacer.deadline:
                with lock:
                    missed[0] += 1
                continue
            sent = clock()
            try:
                reply = member.post_form(port, write.path, write.fields(nonce), connection=connection)
                status, detail = reply.status, reply.text()[:200]
            except (OSError, http.client.HTTPException) as error:
                status, detail = type(error).__name__, str(error)[:200]
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
            with lock:
                samples.append(Sample(write.kind, due, sent, clock(), status))
                if status != ACKNOWLEDGED and len(failures) < FAILURES_KEPT:
                    failures.append(f"{write.kind} {write.path} as {member.username}: {status} {detail}")
        connection.close()

    senders = [threading.Thread(target=sender, args=(member,), daemon=True) for member in members]
    for thread in senders:
        thread.start()
    for number, due in pacer:
        jobs.put((plan_write(number, reply_to, vote_on), due))
    for _ in senders:
        jobs.put(None)
    for thread in senders:
        thread.join(timeout=60)
    return summarise(samples, missed[0], rate, pacer.started, seconds, failures)


def main() -> int:
    """Read the plan, log in, say "ready", wait for "go", write, print the result."""
    plan = json.loads(sys.stdin.readline())
    members = [log_in(plan["port"], name, plan["password"]) for name in plan["members"]]
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    result = write_at_rate(plan["port"], members, plan["rate"], plan["seconds"], plan["reply_to"], plan["vote_on"])
    print(json.dumps(result), flush=True)
    return 0


class WriterProcess:
    """`python -m benchmarks.spike` started by the benchmark: start() returns once its members are logged in."""

    def __init__(self, plan: dict):
        self.plan = plan
        self.process = None

    def start(self, timeout: float = 120) -> "WriterProcess":
        import subprocess

        self.process = subprocess.Popen([sys.executable, "-m", "benchmarks.spike"], cwd=ROOT, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.process.stdin.write(json.dumps(self.plan) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline().strip()  # blocks until logged in (or the process died)
        if line != "ready":
            self.process.kill()
            _, error = self.process.communicate(timeout=timeout)
            raise RuntimeError(f"the spike writer did not start: {line or ''} {error[-500:]}")
        return self

    def go(self) -> None:
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def result(self, timeout: float = 120) -> dict:
        output, error = self.process.communicate(timeout=timeout)
        if self.process.returncode != 0:
            raise RuntimeError(f"the spike writer failed ({self.process.returncode}): {error[-500:]}")
        return json.loads(output.strip().splitlines()[-1])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # only the writer this object started
            self.process.communicate(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
