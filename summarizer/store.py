"""The SQLite store: a content-addressed result cache and the state of batch jobs.

One file (WAL mode, so a reader never blocks the writer) in the user cache directory by default.

- `results`: a finished SummaryResult per cache key. The key hashes what decides the answer: the
  article's id (sha256 of its text), the model and endpoint, the prompt's sha256, the result
  schema version, the structured-output mode and the sampling settings. A batch that meets a key
  again makes no model call.
- `jobs` / `job_items`: one job per output file. An item is marked written only in the same
  transaction that records the output file's new committed length, after the line was flushed and
  fsynced. A killed job resumes by cutting the file back to that length (a torn or unrecorded
  line goes) and redoing only the items not marked: each item lands exactly once.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from summarizer.errors import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_sha TEXT NOT NULL,
    schema_version TEXT NOT NULL,
    mode TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    output TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    committed_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS remote_batches (
    id TEXT PRIMARY KEY,
    settings TEXT NOT NULL,
    requests_file TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS remote_items (
    batch_id TEXT NOT NULL REFERENCES remote_batches(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    cache_key TEXT NOT NULL,
    article TEXT,
    given TEXT,
    problem TEXT,
    PRIMARY KEY (batch_id, seq)
);
CREATE TABLE IF NOT EXISTS job_items (
    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    status TEXT NOT NULL,
    written_at TEXT NOT NULL,
    PRIMARY KEY (job_id, item_id)
);
"""


def default_path() -> Path:
    return Path(platformdirs.user_cache_dir("summarizer")) / "store.sqlite"


@dataclass(frozen=True)
class CacheKey:
    """Everything that decides a result; `value` is its sha256."""

    article_id: str
    model: str
    endpoint: str
    prompt_sha: str
    schema_version: str
    mode: str
    params: str

    @property
    def value(self) -> str:
        parts = [
            self.article_id,
            self.model,
            self.endpoint,
            self.prompt_sha,
            self.schema_version,
            self.mode,
            self.params,
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Job:
    id: int
    output: Path
    committed_bytes: int
    written: frozenset[str]


class Store:
    """Opened once per run; every method is a short transaction on one connection."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{self.path}: cannot open the store ({exc})") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- result cache --------------------------------------------------------------------------

    def get(self, key: CacheKey) -> str | None:
        """The cached result JSON for `key`, if any."""
        return self.get_by_value(key.value)

    def get_by_value(self, value: str) -> str | None:
        row = self._db.execute("SELECT result FROM results WHERE key = ?", (value,)).fetchone()
        return row[0] if row else None

    def put(self, key: CacheKey, result_json: str) -> None:
        """Committed at once: a result paid for survives whatever happens next."""
        self._db.execute(
            "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key.value,
                key.article_id,
                key.model,
                key.prompt_sha,
                key.schema_version,
                key.mode,
                result_json,
                _now(),
            ),
        )

    def cached_results(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    # -- jobs ----------------------------------------------------------------------------------

    def open_job(self, output: Path, *, restart: bool = False) -> Job:
        """The job writing `output`: resumed when one is on record, else a new one.

        Refuses to touch an existing file that no job of this store wrote, unless `restart`."""
        output = output.resolve()
        row = self._db.execute(
            "SELECT id, committed_bytes FROM jobs WHERE output = ?", (str(output),)
        ).fetchone()
        exists = output.exists()
        if row and exists and not restart:
            size = output.stat().st_size
            if size < row[1]:
                raise InputError(
                    f"{output}: shorter ({size:,} bytes) than the job recorded ({row[1]:,}); it "
                    "was changed outside the job: pass --restart to write it afresh"
                )
            written = frozenset(
                r[0]
                for r in self._db.execute(
                    "SELECT item_id FROM job_items WHERE job_id = ?", (row[0],)
                )
            )
            return Job(id=row[0], output=output, committed_bytes=row[1], written=written)
        if exists and not row and not restart:
            raise InputError(
                f"{output}: exists and no batch job of this store wrote it; pass --restart to "
                "overwrite it, or choose another output"
            )
        with self._transaction():
            self._db.execute("DELETE FROM jobs WHERE output = ?", (str(output),))
            cursor = self._db.execute(
                "INSERT INTO jobs (output, created_at) VALUES (?, ?)", (str(output), _now())
            )
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(b"")
        return Job(id=cursor.lastrowid or 0, output=output, committed_bytes=0, written=frozenset())

    def commit_written(self, job: Job, items: Iterable[tuple[str, str]], committed: int) -> None:
        """Record items (id, status) as written and the output's new length, atomically."""
        now = _now()
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO job_items VALUES (?, ?, ?, ?)",
                [(job.id, item_id, status, now) for item_id, status in items],
            )
            self._db.execute(
                "UPDATE jobs SET committed_bytes = ? WHERE id = ?", (committed, job.id)
            )

    def job_counts(self, output: Path) -> dict[str, int]:
        """Items written per status for the job writing `output` (empty if none)."""
        rows = self._db.execute(
            "SELECT status, COUNT(*) FROM job_items JOIN jobs ON jobs.id = job_items.job_id "
            "WHERE jobs.output = ? GROUP BY status",
            (str(output.resolve()),),
        )
        return dict(rows.fetchall())

    # -- provider batches ----------------------------------------------------------------------

    def save_remote_batch(
        self,
        batch_id: str,
        settings_json: str,
        requests_file: str,
        rows: list[tuple[str, str, str, str | None, str | None, str | None]],
        created_at: str,
    ) -> None:
        """A submitted batch and its items: (id, origin, cache key, article, given, problem)."""
        with self._transaction():
            self._db.execute("DELETE FROM remote_batches WHERE id = ?", (batch_id,))
            self._db.execute(
                "INSERT INTO remote_batches VALUES (?, ?, ?, ?)",
                (batch_id, settings_json, requests_file, created_at),
            )
            self._db.executemany(
                "INSERT INTO remote_items VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(batch_id, seq, *row) for seq, row in enumerate(rows)],
            )

    def remote_batch(self, batch_id: str) -> dict[str, str] | None:
        row = self._db.execute(
            "SELECT settings, requests_file, created_at FROM remote_batches WHERE id = ?",
            (batch_id,),
        ).fetchone()
        return (
            dict(zip(("settings", "requests_file", "created_at"), row, strict=True))
            if row
            else None
        )

    def remote_items(
        self, batch_id: str
    ) -> list[tuple[str, str, str | None, str | None, str | None]]:
        """(item id, origin, article JSON, given JSON, problem) in submission order."""
        return self._db.execute(
            "SELECT item_id, origin, article, given, problem FROM remote_items "
            "WHERE batch_id = ? ORDER BY seq",
            (batch_id,),
        ).fetchall()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
