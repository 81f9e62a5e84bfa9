"""Read an article from a file, a URL, stdin or plain text into an `Article`.

Every way input can be wrong ends here as an `InputError` with one line saying what and where:
missing file, a directory, binary or non-UTF-8 bytes, empty text, HTML with no main text.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from summarizer.errors import InputError

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


def article_id(text: str) -> str:
    """Content address of an article: the sha256 of its text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Article(BaseModel):
    """An article's text (the one that spans index into) and what is known about it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    id: str = Field(default="", description="sha256 of text; computed.")
    title: str | None = None
    url: str | None = None
    published: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Article:
        if not self.text.strip():
            raise ValueError("the article is empty or only whitespace")
        object.__setattr__(self, "id", article_id(self.text))
        return self


def from_text(text: str, *, source: str | None = None, **meta: str | None) -> Article:
    """Build an Article from text, with a user-facing error for empty input."""
    if not text.strip():
        where = f"{source}: " if source else ""
        raise InputError(f"{where}the article is empty or only whitespace")
    return Article(text=text, source=source, **meta)


def decode(data: bytes, source: str) -> str:
    """Bytes to text, refusing binary and non-UTF-8 input rather than guessing."""
    if b"\x00" in data[:8192]:
        raise InputError(f"{source}: looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not valid UTF-8 (byte {exc.start}); convert it first, "
            "e.g. iconv -f latin1 -t utf-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:512].lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in head


def from_html(html: str, *, source: str, url: str | None = None) -> Article:
    """Main text of an HTML page via trafilatura, comments and boilerplate off."""
    import trafilatura

    text = trafilatura.extract(
        html, include_comments=False, include_tables=False, favor_precision=True, url=url
    )
    if not text or not text.strip():
        raise InputError(f"{source}: no article text found in the HTML")
    meta = trafilatura.extract_metadata(html, default_url=url)
    title = meta.title if meta is not None else None
    published = meta.date if meta is not None else None
    return from_text(text, source=source, title=title, url=url, published=published)


def read_path(path: str | Path) -> Article:
    """Read a file; HTML files go through trafilatura."""
    p = Path(path)
    source = str(path)
    if not p.exists():
        raise InputError(f"{source}: no such file")
    if p.is_dir():
        raise InputError(f"{source}: is a directory; give a file (batch jobs take directories)")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{source}: cannot read ({exc.strerror})") from None
    text = decode(data, source)
    if p.suffix.lower() in HTML_SUFFIXES or looks_like_html(text):
        return from_html(text, source=source)
    return from_text(text, source=source)


def read_stdin() -> Article:
    data = sys.stdin.buffer.read()
    text = decode(data, "stdin")
    if not text.strip():
        raise InputError("stdin: the article is empty or only whitespace")
    if looks_like_html(text):
        return from_html(text, source="-")
    return from_text(text, source="-")


def read_url(url: str, *, timeout: float = 30.0) -> Article:
    """Fetch a page and extract its main text."""
    import httpx2

    try:
        response = httpx2.get(url, timeout=timeout, follow_redirects=True)
        response.raise_for_status()
    except httpx2.HTTPStatusError as exc:
        raise InputError(f"{url}: HTTP {exc.response.status_code}") from None
    except httpx2.HTTPError as exc:
        raise InputError(f"{url}: cannot fetch ({type(exc).__name__}: {exc})") from None
    text = decode(response.content, url)
    if "html" in response.headers.get("content-type", "") or looks_like_html(text):
        return from_html(text, source=url, url=url)
    return from_text(text, source=url, url=url)


def read(target: str) -> Article:
    """Read from a path, an http(s) URL, or '-' for stdin."""
    if target == "-":
        return read_stdin()
    if target.startswith(("http://", "https://")):
        return read_url(target)
    return read_path(target)
