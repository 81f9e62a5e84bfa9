"""Prompt templates are versioned files; the static part comes first, the article last."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer import prompts
from summarizer.cli import app
from summarizer.errors import ConfigError


def test_the_default_prompt_has_an_id_version_and_sha() -> None:
    template = prompts.load("news")
    assert (template.id, template.version) == ("news", "8")
    assert len(template.sha256) == 64


def test_article_comes_last_and_static_text_first() -> None:
    template = prompts.load("news")
    messages = template.claims_messages(title="T", context="C", passage="THE PASSAGE")
    assert messages[0]["role"] == "system" and "THE PASSAGE" not in messages[0]["content"]
    assert messages[-1]["content"].endswith("THE PASSAGE")
    summary = template.summary_messages(title="T", article="THE ARTICLE")
    assert summary[-1]["content"].endswith("THE ARTICLE")


def test_dollar_and_braces_in_an_article_stay_literal() -> None:
    text = "Prices rose ${{ price }} and $title {0} {{x}}."
    messages = prompts.load("news").summary_messages(title="T", article=text)
    assert messages[-1]["content"].endswith(text)


def test_prompts_command_lists_shipped_prompts() -> None:
    result = CliRunner().invoke(app, ["prompts"])
    assert result.exit_code == 0
    assert result.stdout.startswith("news\tv8\t")


def test_unknown_prompt_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown prompt 'nope'; available: news"):
        prompts.load("nope")


def test_a_prompt_file_with_unknown_keys_is_refused(tmp_path: Path) -> None:
    shipped = (prompts.prompts_dir() / "news.toml").read_text("utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(shipped + '\nsurprise = "x"\n', "utf-8")
    with pytest.raises(ConfigError, match="not a valid prompt file"):
        prompts.load(str(bad))
