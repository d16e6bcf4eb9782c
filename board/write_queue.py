"""Writers to one SQLite database queue for its write lock, and the next one is woken the moment it is free.

SQLite alone makes a writer that finds the write lock taken sleep in its busy handler, in growing steps
(1, 2, 5 … up to 100 ms), however soon the lock is released: under contention a write that holds the lock for
a millisecond waits for seconds, and newcomers overtake the writers asleep. So a transaction that may write
first takes its turn here: the threads of one process queue on a lock of their own, and one thread per process
queues on an flock() of a lock file beside the database, which the kernel hands on at release (and frees when
a process dies). When a writer has its turn it begins with BEGIN IMMEDIATE, which then finds the lock free;
SQLite's busy timeout stays as the backstop for writers outside the board (the sqlite3 shell, another program).
While a writer has its turn its process collects no garbage: a collection, in whichever thread allocates past the
threshold, holds the GIL (and so the writer, and every writer waiting for the lock) for up to milliseconds; the
collection the allocations call for runs once the writer has let go, from the first turn its threads take to the last
they give back (the board's and the rate limits' file's turns may overlap).

Nor does a writer checkpoint the WAL, nor wait for a checkpoint. SQLite checkpoints inside the COMMIT that takes the
WAL past 1,000 pages (its own write lock already released), and a checkpoint waits for the disk (fsync), up to tens of
milliseconds: the writer's turn, and every writer queued behind it, would wait for it too; run by the writer after its
turn, it still made one write in CHECKPOINT_WRITES that much slower (the slowest 1 %: exactly a benchmark's p99). So
the board's connections never checkpoint by themselves (wal_autocheckpoint 0); every CHECKPOINT_WRITES-th write of a
process wakes that process's checkpointer thread, which runs a passive checkpoint on a connection of its own (it takes
no lock a writer or reader waits for) while the writer answers its request.
"""
import fcntl
import gc
import logging
import os
import sqlite3
import threading

log = logging.getLogger(__name__)
# A process's write transactions between two checkpoints of the WAL: a vote writes a few pages, so about as often as
# SQLite's own checkpoint every 1,000 pages of WAL with two worker processes.
CHECKPOINT_WRITES = 100
WRITERS_SUFFIX = "-writers"  # the queue's lock file beside its database: "board.db" → "board.db-writers"


class TurnsHeld:
    """The writers' turns held in this process (at most one per database): garbage is collected again when the last
    is given back, not when the first is (another thread's turn would then be held up by a collection)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None

    def _for_this_process(self) -> None:
        if self._pid != os.getpid():  # a forked worker holds none of its parent's turns
            self._pid, self._held, self._collecting = os.getpid(), 0, False

    # No `with self._lock`: it allocates, and an allocation may start a collection before the turn's gc.disable().
    def begin(self) -> None:
        self._lock.acquire()
        try:
            collecting = gc.isenabled()
            gc.disable()
            self._for_this_process()
            if self._held == 0:
                self._collecting = collecting
            self._held += 1
        finally:
            self._lock.release()

    def end(self) -> None:
        self._lock.acquire()
        try:
            self._held -= 1
            if self._held == 0 and self._collecting:
                gc.enable()
        finally:
            self._lock.release()


TURNS_HELD = TurnsHeld()


class Checkpointer:
    """A thread of this process that copies the WAL's committed pages into the database when a writer asks."""

    def __init__(self, database: str):
        self.database = database
        self._pid = None
        self._starting = threading.Lock()

    def ask(self) -> None:
        if self._pid != os.getpid():  # first asked in this process (a forked worker has no thread of its parent's)
            with self._starting:
                if self._pid != os.getpid():
                    self._due = threading.Event()
                    threading.Thread(target=self._run, args=(self._due,), name="wal-checkpointer", daemon=True).start()
                    self._pid = os.getpid()
        self._due.set()

    def _run(self, due: threading.Event) -> None:
        connection = sqlite3.connect(self.database, isolation_level=None)
        while True:
            due.wait()
            due.clear()
            try:  # PASSIVE: waits for no reader or writer; one that fails is logged, the next one catches up
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as error:
                log.warning("WAL checkpoint failed (%s): the next one catches up", error)


class WriterQueue:
    """The turns of the writers to one database; `lock_path` None (an in-memory database): this process only."""

    def __init__(self, lock_path: str | None, timeout: float):
        self.lock_path = lock_path
        self.timeout = timeout
        self.checkpointer = Checkpointer(lock_path.removesuffix(WRITERS_SUFFIX)) if lock_path else None
        self._pid = None
        self._setting_up = threading.Lock()  # held only while a process sets its queue up, never across a fork

    def _for_this_process(self) -> None:
        # A forked worker must not share its parent's thread lock or open file (flock locks belong to it).
        if self._pid == os.getpid():
            return
        with self._setting_up:  # a worker's threads write at once from its first requests: one sets up, all wait
            if self._pid != os.getpid():
                self._threads = threading.Lock()
                self._holder = None  # the thread whose turn it is
                self._writes = 0  # turns ended in this process
                self._descriptor = self._open_lock_file()
                self._pid = os.getpid()  # last: a thread that sees it uses everything above

    def _open_lock_file(self) -> int | None:
        if self.lock_path is None:
            return None
        try:
            # Owner-only, as the database beside it should be; created by the first writer, never by a reader.
            return os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as error:
            log.warning("no writer queue across processes (%s): waiting writers sleep in SQLite's busy handler", error)
            return None

    def take_turn(self) -> bool:
        """Wait for this writer's turn; False if it did not come within the timeout (then SQLite's own wait decides)."""
        self._for_this_process()
        if self._holder == threading.get_ident():
            return False  # a second connection of the writer that has the turn: waiting for itself would never end
        if not self._threads.acquire(timeout=self.timeout):
            return False
        try:
            if self._descriptor is not None:
                # One waiter per process: a blocking flock() is woken by the kernel as soon as the holder lets go.
                fcntl.flock(self._descriptor, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        self._holder = threading.get_ident()
        TURNS_HELD.begin()
        return True

    def end_turn(self) -> bool:
        """Let the next writer in; True when this process's writes call for a checkpoint now (the writer runs it)."""
        self._holder = None
        self._writes += 1
        checkpoint_due = self._writes % CHECKPOINT_WRITES == 0
        try:
            if self._descriptor is not None:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            self._threads.release()
            TURNS_HELD.end()  # last: a collection it lets start holds up no writer of any process
        return checkpoint_due


class QueuedConnection(sqlite3.Connection):
    """A SQLite connection that gives its writer's turn back however its transaction ends."""

    writer_queue: WriterQueue | None = None  # set when the engine connects (database.tune_sqlite)
    has_turn = False

    def take_turn(self) -> None:
        """Wait until this connection may begin writing (its BEGIN IMMEDIATE then finds the lock free)."""
        if self.writer_queue is not None and not self.has_turn:
            self.has_turn = self.writer_queue.take_turn()

    def end_turn(self) -> bool:
        if self.has_turn:
            self.has_turn = False
            return self.writer_queue.end_turn()
        return False

    def commit(self):
        try:
            super().commit()
        finally:
            checkpoint_due = self.end_turn()
        if checkpoint_due and self.writer_queue.checkpointer is not None:
            self.writer_queue.checkpointer.ask()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self):
        try:
            super().close()
        finally:
            self.end_turn()
