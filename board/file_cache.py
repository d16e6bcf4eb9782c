"""Kept pages on disk, within a size budget (PAGE_CACHE_MAX_BYTES), without scanning the directory on each write.

cachelib's FileSystemCache bounds the number of files, not their size, and once over its threshold it reads every
file in the directory on each write. Here each write adds its size change to a running total kept in one small file
beside the directory (`<dir>.bytes`, updated under an fcntl lock, so every worker of the machine counts in it). Only
when the total passes the budget does a write scan the directory: it drops the oldest files (least recently written:
expired pages first, since every page lives PAGE_CACHE_SECONDS at most) until a quarter of the budget is free, and
writes down the true total. So a scan costs one pass per quarter-budget of writes, and the directory is back under
the budget when each write returns. A dropped tag version only makes the pages that depend on it stale.
"""
import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from flask_caching.backends.filesystemcache import FileSystemCache

PRUNE_TO = 0.75  # a scan leaves this share of the budget used: the next scan is a quarter-budget of writes away


class BoundedFileCache(FileSystemCache):
    def __init__(self, cache_dir: str, max_bytes: int, **kwargs):
        super().__init__(cache_dir, threshold=0, **kwargs)  # 0: cachelib never counts nor scans
        self.max_bytes = max_bytes
        self.total_path = Path(f"{cache_dir}.bytes")
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
