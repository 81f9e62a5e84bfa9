"""Prompt templates: TOML files with an id and a version, rendered with string.Template.

Templates live in prompts/ at the top of the project and ship inside the wheel as
summarizer/data/prompts/. Rendering substitutes once, so `$` or `{{` in an article stays literal.
"""

from __future__ import annotations

import hashlib
import tomllib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

from pydantic import BaseModel, ConfigDict, Field

from summarizer.errors import ConfigError
from summarizer.result import PromptInfo


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MessagePair(_Strict):
    system: str
    user: str


class Reask(_Strict):
    claims: str
    summary: str


class PromptTemplate(_Strict):
    """One prompt file, validated: unknown keys are a mistake, not a silent no-op."""

    id: str
    version: str
    description: str
    passage_chars: int = Field(ge=100)
    summary: MessagePair
    claims: MessagePair
    reask: Reask
    sha256: str = ""

    @property
    def info(self) -> PromptInfo:
        return PromptInfo(id=self.id, version=self.version, sha256=self.sha256)

    def summary_messages(self, *, title: str, article: str) -> list[dict[str, str]]:
        return _messages(self.summary, title=title, article=article)

    def claims_messages(self, *, title: str, context: str, passage: str) -> list[dict[str, str]]:
        return _messages(self.claims, title=title, context=context, passage=passage)

    def summary_reask(self, problem: str) -> str:
        return Template(self.reask.summary).substitute(problem=problem)

    def claims_reask(self, problems: list[str]) -> str:
        listed = "\n".join(f"- {p}" for p in problems)
        return Template(self.reask.claims).substitute(problems=listed)


def _messages(pair: MessagePair, **values: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": Template(pair.system).substitute(values)},
        {"role": "user", "content": Template(pair.user).substitute(values)},
    ]


def prompts_dir() -> Traversable:
    """Installed: summarizer/prompts inside the package. Source checkout: ./prompts."""
    packaged = resources.files("summarizer").joinpath("data/prompts")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "prompts"


def parse(raw: bytes, name: str) -> PromptTemplate:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        return PromptTemplate(**data, sha256=hashlib.sha256(raw).hexdigest())
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(f"prompt {name!r} is not a valid prompt file: {first}") from None


@cache
def available() -> dict[str, PromptTemplate]:
    """Every prompt shipped, by id."""
    found = {}
    for entry in sorted(prompts_dir().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            template = parse(entry.read_bytes(), entry.name)
            found[template.id] = template
    return found


def load(name: str) -> PromptTemplate:
    """A shipped prompt by id, or a prompt file by path."""
    if name.endswith(".toml") and Path(name).is_file():
        return parse(Path(name).read_bytes(), name)
    prompts = available()
    if name not in prompts:
        known = ", ".join(sorted(prompts)) or "none"
        raise ConfigError(f"unknown prompt {name!r}; available: {known}")
    return prompts[name]
