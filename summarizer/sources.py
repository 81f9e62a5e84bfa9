"""What a batch reads: files, directories, globs, URLs and JSONL records, as a list of items.

Listing is cheap and keeps no article text: a JSONL record is remembered by its file and byte
offset and read again when its turn comes, so memory stays flat however long the batch. A problem
found while listing (a missing file, a glob that matches nothing, a line that is not JSON) is an
item too: it becomes an error record in the output, and the rest of the batch goes on.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from summarizer import ingest
from summarizer.errors import InputError

JSONL_SUFFIXES = {".jsonl", ".ndjson"}
ARTICLE_SUFFIXES = {".txt", ".text", ".md", ".html", ".htm", ".xhtml"}
_GLOB_CHARS = set("*?[")


class InputRecord(BaseModel):
    """One JSONL line: {id?, text | html | url, title?, url?, published?}; other keys are kept
    and passed through to the output untouched."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str | None = None
    text: str | None = None
    html: str | None = None
    url: str | None = None
    title: str | None = None
    published: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _one_body(self) -> InputRecord:
        if self.text is None and self.html is None and self.url is None:
            raise ValueError("needs one of text, html or url")
        if self.text is not None and self.html is not None:
            raise ValueError("has both text and html; give one")
        return self

    def passthrough(self) -> dict[str, Any]:
        """What the user gave besides the article body, for the output record."""
        return self.model_dump(exclude={"text", "html"}, exclude_none=True)


@dataclass(frozen=True, slots=True)
class Item:
    """A batch input, not yet read. `problem` is set when listing already found it unusable."""

    id: str
    origin: str
    path: str | None = None
    offset: int | None = None
    url: str | None = None
    problem: str | None = None
    article: ingest.Article | None = None  # already read (a provider batch keeps it in the store)
    given: dict[str, Any] | None = None


def expand(inputs: list[str]) -> Iterator[Item]:
    """Every item the inputs name, in order: directories walked sorted, globs expanded."""
    for given in inputs:
        if given.startswith(("http://", "https://")):
            yield Item(id=given, origin=given, url=given)
            continue
        path = Path(given)
        if path.is_dir():
            yield from _directory(path)
        elif path.is_file():
            yield from _file(path)
        elif _GLOB_CHARS & set(given):
            matches = sorted(glob.glob(given, recursive=True))
            if not matches:
                yield Item(id=given, origin=given, problem=f"{given}: no files match")
            for match in matches:
                found = Path(match)
                yield from _directory(found) if found.is_dir() else _file(found)
        else:
            yield Item(id=given, origin=given, problem=f"{given}: no such file or directory")


def _directory(root: Path) -> Iterator[Item]:
    for path in sorted(root.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
        wanted = path.suffix.lower() in ARTICLE_SUFFIXES | JSONL_SUFFIXES
        if path.is_file() and not hidden and wanted:
            yield from _file(path)


def _file(path: Path) -> Iterator[Item]:
    if path.suffix.lower() in JSONL_SUFFIXES:
        yield from _records(path)
    else:
        yield Item(id=str(path), origin=str(path), path=str(path))


def _records(path: Path) -> Iterator[Item]:
    """One item per non-blank line; the id is the record's own, else file:line."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield Item(id=str(path), origin=str(path), problem=f"{path}: cannot read ({exc.strerror})")
        return
    with handle:
        offset = 0
        for number, raw in enumerate(handle, start=1):
            here, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            origin = f"{path}:{number}"
            try:
                record = parse_record(raw, origin)
            except InputError as exc:
                yield Item(id=origin, origin=origin, problem=exc.message)
                continue
            yield Item(id=record.id or origin, origin=origin, path=str(path), offset=here)


def parse_record(raw: bytes, origin: str) -> InputRecord:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{origin}: not a JSON line ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{origin}: a record must be a JSON object")
    try:
        return InputRecord.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{origin}: {where + ': ' if where else ''}{first['msg']}") from None


def read_record(item: Item) -> InputRecord:
    """Read an item's JSONL line again from its file."""
    assert item.path is not None and item.offset is not None
    with open(item.path, "rb") as handle:
        handle.seek(item.offset)
        return parse_record(handle.readline(), item.origin)


def load(item: Item) -> tuple[ingest.Article, dict[str, Any]]:
    """The article an item names and what the user gave with it (for the output record).

    Raises InputError for anything unreadable: the caller records it and moves on."""
    if item.problem:
        raise InputError(item.problem)
    if item.article is not None:
        return item.article, item.given or {}
    if item.url is not None:
        return ingest.read_url(item.url), {"url": item.url}
    if item.offset is None:
        assert item.path is not None
        return ingest.read_path(item.path), {"path": item.path}
    record = read_record(item)
    meta = {k: v for k, v in (("title", record.title), ("published", record.published)) if v}
    if record.text is not None:
        article = ingest.from_text(record.text, source=item.origin, url=record.url, **meta)
    elif record.html is not None:
        article = ingest.from_html(record.html, source=item.origin, url=record.url)
        article = article.model_copy(update=meta) if meta else article
    else:
        assert record.url is not None
        article = ingest.read_url(record.url).model_copy(update={"source": item.origin, **meta})
    return article, record.passthrough()
