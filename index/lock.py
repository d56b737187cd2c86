"""Single-writer lock for ingest.

An OS advisory lock (flock) on `HOME/ingest.lock`: the kernel releases it when
the holder dies, so a lock file left by a killed ingest is recognised as
stale and taken over, while a live holder is refused with a clear message.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

from policyqa.errors import IngestLockedError


class WriterLock:
    def __init__(self, home: Path) -> None:
        self.path = Path(home) / "ingest.lock"
        self._fd: int | None = None
        self.stale_from: dict | None = None  # holder info of a lock left by a dead process

    def __enter__(self) -> WriterLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            since = time.strftime("%H:%M:%S", time.localtime(holder.get("time", 0)))
            raise IngestLockedError(
                f"another ingest is running (pid {holder.get('pid', '?')}, since {since}); "
                "wait for it to finish, then run this again"
            ) from None
        holder = _read(fd)
        if holder.get("pid"):
            self.stale_from = holder  # left by a process that died while holding it
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "time": time.time()}).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read(fd: int) -> dict:
    raw = os.pread(fd, 4096, 0)
    try:
        return json.loads(raw.decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        return {}
