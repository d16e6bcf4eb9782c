"""Kept pages on disk, within a size budget (PAGE_CACHE_MAX_BYTES), without scanning the directory on each write.

cachelib's FileSystemCache bounds the number of files, not their size, and once over its threshold it reads every
file in the directory on each write. Here each write adds its size change to a running total kept in one small file
beside the directory (`<dir>.bytes`, updated under an fcntl lock, so every worker of the machine counts in it). Only
when the total passes the budget does a write scan the directory: it drops the oldest files (least recently written:
expired pages first, since every page lives PAGE_CACHE_SECONDS at most) until a quarter of the budget is free, and
writes down the true total. So a scan costs one pass per quarter-budget of writes, and the directory is back under
the budget when each write returns.

The tag versions (board/page_cache.py) are not files among the pages: they live in one table of fixed size beside the
directory (`<dir>.tags`, 512 KB), mapped into every worker's memory. A tag's version is the 8 bytes of its slot (the
tag's CRC-32 modulo the slots); a write renews a tag by writing 8 random bytes there: no file is written, no lock is
taken, no system call is made but one stat (a table replaced by hand is mapped again). Two tags that share a slot
renew each other's pages, and a read that meets a half-written slot sees a version that is neither the old nor the new
one: either way a page is rendered once more, never kept past a write.
"""
import fcntl
import mmap
import os
import zlib
from contextlib import contextmanager
from pathlib import Path

from flask_caching.backends.filesystemcache import FileSystemCache

PRUNE_TO = 0.75  # a scan leaves this share of the budget used: the next scan is a quarter-budget of writes away


class BoundedFileCache(FileSystemCache):
    def __init__(self, cache_dir: str, max_bytes: int, **kwargs):
        super().__init__(cache_dir, threshold=0, **kwargs)  # 0: cachelib never counts nor scans
        self.max_bytes = max_bytes
        self.total_path = Path(f"{cache_dir}.bytes")
        self.tags = TagTable(f"{cache_dir}.tags")
        if not self.total_path.exists():
            with self.total() as total:
                total.write(self.directory_bytes())

    @classmethod
    def factory(cls, app, config, args, kwargs):
        return cls(config["CACHE_DIR"], config["PAGE_CACHE_MAX_BYTES"], hash_method=config["CACHE_FILE_HASH_METHOD"],
                   *args, **kwargs)

    def set(self, key, value, timeout=None, mgmt_element=False):
        filename = self._get_filename(key)
        before = file_bytes(filename)
        written = super().set(key, value, timeout, mgmt_element)
        self.count(file_bytes(filename) - before)
        return written

    def delete(self, key, mgmt_element=False):
        before = file_bytes(self._get_filename(key))
        deleted = super().delete(key, mgmt_element)
        self.count(-before)
        return deleted

    def clear(self):
        cleared = super().clear()
        with self.total() as total:
            total.write(self.directory_bytes())
        return cleared

    def count(self, change: int) -> None:
        """Add a write's size change to the running total; past the budget, drop the oldest files."""
        if not change:
            return
        with self.total() as total:
            now = total.read() + change
            if now > self.max_bytes:
                now = self.prune()
            total.write(now)

    def prune(self) -> int:
        """Drop the least recently written files until PRUNE_TO of the budget is used; the bytes left."""
        files = sorted(self.files(), key=lambda item: item[0])
        left = sum(size for _mtime, size, _path in files)
        for _mtime, size, path in files:
            if left <= self.max_bytes * PRUNE_TO:
                break
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
            left -= size
        return left

    def files(self):
        with os.scandir(self._path) as entries:
            for entry in entries:
                if entry.is_file() and not self._is_mgmt(entry.name):
                    try:
                        stat = entry.stat()
                    except FileNotFoundError:
                        continue
                    yield stat.st_mtime, stat.st_size, entry.path

    def directory_bytes(self) -> int:
        return sum(size for _mtime, size, _path in self.files())

    @contextmanager
    def total(self):
        """The running total, read and written under an exclusive lock (one worker at a time)."""
        fd = os.open(self.total_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield RunningTotal(fd)
        finally:
            os.close(fd)  # and the lock with it


class RunningTotal:
    def __init__(self, fd: int):
        self.fd = fd

    def read(self) -> int:
        text = os.pread(self.fd, 32, 0).strip()
        return int(text) if text.isdigit() else 0

    def write(self, total: int) -> None:
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, str(max(total, 0)).encode(), 0)


def file_bytes(path: str) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


TAG_SLOTS = 1 << 16
SLOT_BYTES = 8


class TagTable:
    """Every tag's version in one shared file of TAG_SLOTS slots, mapped into memory (see the module's docstring)."""

    def __init__(self, path: str):
        self.path = path
        self._map = self._inode = None

    def versions(self, tags) -> list[str]:
        table = self.table()
        return [table[slot:slot + SLOT_BYTES].hex() for slot in map(slot_of, tags)]

    def renew(self, tags) -> None:
        table = self.table()
        for tag in tags:
            slot = slot_of(tag)
            table[slot:slot + SLOT_BYTES] = os.urandom(SLOT_BYTES)

    def table(self) -> mmap.mmap:
        """The mapped table: the file now at `path` (made, full of random versions, by the first process to need it)."""
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            inode = None
        if self._map is None or inode != self._inode:
            self._map, self._inode = self.open()
        return self._map

    def open(self) -> tuple[mmap.mmap, int]:
        size = TAG_SLOTS * SLOT_BYTES
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
            except FileNotFoundError:
                self.create(size, replace=False)
                continue
            try:
                status = os.fstat(fd)
                if status.st_size != size:  # cut short or of another size: replaced whole, every version new
                    self.create(size, replace=True)
                    continue
                return mmap.mmap(fd, size), status.st_ino
            finally:
                os.close(fd)

    def create(self, size: int, replace: bool) -> None:
        """A table of random versions, written aside and linked in at once: a reader never maps a partial one.

        Random, not zeros: pages kept under a table that was deleted never match the new table's versions.
        """
        aside = f"{self.path}.{os.getpid()}.{os.urandom(4).hex()}"
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            written = 0
            while written < size:
                written += os.write(fd, os.urandom(size - written))
        finally:
            os.close(fd)
        try:
            if replace:
                os.replace(aside, self.path)
            else:
                os.link(aside, self.path)  # another process's table, linked first, wins
        except FileExistsError:
            pass
        finally:
            if os.path.exists(aside):
                os.unlink(aside)


def slot_of(tag: str) -> int:
    return zlib.crc32(tag.encode()) % TAG_SLOTS * SLOT_BYTES
