"""Reading input: every way it can be wrong ends in one clear InputError."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer.errors import InputError
from summarizer.ingest import article_id, from_text, read_path


def test_article_id_is_the_sha256_of_the_text(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Some news.\n", "utf-8")
    article = read_path(path)
    assert article.id == article_id("Some news.\n") and len(article.id) == 64
    assert article.source == str(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"  \n\t\n ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("caf\u00e9 na\u00efve".encode("latin-1"), "not valid UTF-8"),
    ],
    ids=["empty", "whitespace", "binary", "latin1"],
)
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_path(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_path(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a directory"):
        read_path(tmp_path)


def test_html_goes_through_trafilatura_without_comments(tmp_path: Path) -> None:
    body = " ".join(["The council approved the new harbour wall on Tuesday."] * 6)
    html = f"""<!doctype html><html><head><title>Harbour wall approved</title></head><body>
    <nav>Home | News | Sport</nav><article><h1>Harbour wall approved</h1><p>{body}</p>
    <p>Work starts in March and costs 4 million pounds, the council said.</p></article>
    <div class="comments" id="comments"><h3>Comments</h3>
    <div class="comment"><p>First! This is a reader comment that must not be summarized.</p></div>
    </div></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html, "utf-8")
    article = read_path(path)
    assert "harbour wall" in article.text
    assert "reader comment" not in article.text
    assert article.title == "Harbour wall approved"


def test_crlf_is_normalized_and_bom_dropped(tmp_path: Path) -> None:
    path = tmp_path / "win.txt"
    path.write_bytes("\ufeffLine one.\r\n\r\nLine two.".encode())
    assert read_path(path).text == "Line one.\n\nLine two."


def test_from_text_refuses_blank() -> None:
    with pytest.raises(InputError):
        from_text("   ")


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_url_input_is_fetched_and_extracted(tmp_path: Path) -> None:
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from summarizer.ingest import read

    body = " ".join(["The council approved the new harbour wall on Tuesday."] * 6)
    (tmp_path / "story.html").write_text(
        f"<html><head><title>Wall</title></head><body><article><p>{body}</p></article></body></html>"
    )
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        article = read(f"{base}/story.html")
        assert "harbour wall" in article.text and article.url == f"{base}/story.html"
        with pytest.raises(InputError, match="HTTP 404"):
            read(f"{base}/missing.html")
    finally:
        server.shutdown()
        server.server_close()
