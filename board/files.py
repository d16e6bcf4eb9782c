"""The board's files hold secrets (password hashes, sessions' keys, whole copies of the database): owner only.

SQLite creates a database 0644 (and its -wal and -shm files with the database's own mode), a directory is made
0755 under the usual umask: so the board creates each file and directory itself, with the mode it wants, before
anything else does, whatever the process's umask. `flask setup` tightens what an older release left wider.
"""
import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIRECTORY = 0o700
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_directory(path: Path) -> Path:
    """Make the directory (and missing parents) readable by its owner only; tighten it if it exists."""
    path = Path(path)
    missing = [parent for parent in (path, *path.parents) if not parent.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for directory in missing:
        os.chmod(directory, PRIVATE_DIRECTORY)  # mkdir's mode is cut by the umask, and parents get the default
    tighten(path)
    return path


def private_file(path: Path) -> Path:
    """Create an empty file readable by its owner only, unless it exists (then it is tightened)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    tighten(path)
    return path


def tighten(path: Path) -> None:
    """Take away every permission of group and others from a file or directory this process owns."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return
    mode = stat.S_IMODE(status.st_mode)
    if mode & 0o077 and status.st_uid == os.geteuid():  # another user's file is theirs to change
        os.chmod(path, mode & 0o700)


def tighten_sqlite_database(path: Path) -> None:
    """The database file and the files SQLite keeps beside it."""
    for candidate in (Path(path), *(Path(f"{path}{suffix}") for suffix in SQLITE_COMPANIONS)):
        tighten(candidate)


def tighten_tree(root: Path) -> None:
    """A directory and everything in it (the instance folder: config, database, copies kept by restore, cache)."""
    root = Path(root)
    if not root.exists():
        return
    tighten(root)
    for directory, subdirectories, files in os.walk(root):
        for name in (*subdirectories, *files):
            tighten(Path(directory) / name)
