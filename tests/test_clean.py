"""Cleaning: boilerplate never reaches the model, and kept paragraphs are slices of the original."""

from __future__ import annotations

import pytest

from summarizer.clean import Role, clean, passages, rules
from tests.conftest import SEEDS

SEED_000, SEED_001 = (p.read_text("utf-8") for p in SEEDS)

BOILERPLATE = [
    ("breadcrumb", "News"),
    ("photo-slug", "FILES-FRANCE-BRITAIN-EU-MIGRANTS"),
    ("image-caption", "French police officers puncture a boat (Image: AFP via Getty Images)"),
    ("image-caption", "People scramble to board a small boat. Picture date: (Image: PA)"),
    ("comment-form", "LEAVE A RESPONSE"),
    ("comment-form-notice", "Your email address will not be published. Required fields *"),
    ("syndication-footer", "The post Five Years, 300 Arrests appeared first on Digpu News."),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "text"), BOILERPLATE)
def test_each_boilerplate_rule_recognises_its_pattern(rule: str, text: str) -> None:
    article = clean(f"A headline\n\nA body sentence that stays.\n\n{text}\n\nAnother one stays.")
    dropped = [p for p in article.paragraphs if p.role is Role.boilerplate]
    assert [(p.rule, p.text) for p in dropped] == [(rule, text)]


def test_rules_are_data_with_reasons() -> None:
    assert {r.name for r in rules()} >= {"breadcrumb", "photo-slug", "image-caption"}
    assert all(r.why for r in rules())


def test_ordinary_sentences_are_not_boilerplate() -> None:
    text = "The NCA said that many of the groups were involved in small boat crossings."
    assert clean(f"Title\n\n{text}").body[0].text == text


@pytest.mark.parametrize("seed", [SEED_000, SEED_001], ids=["000", "001"])
def test_seed_boilerplate_never_reaches_the_model(seed: str) -> None:
    model_text = clean(seed).body_text
    for needle in [
        "FILES-FRANCE-BRITAIN-EU-MIGRANTS", "(Image:", "LEAVE A RESPONSE",
        "Your email address", "appeared first on", "Migrant Channel crossing incidents",
    ]:  # fmt: skip
        assert needle not in model_text
    assert not model_text.startswith("News")
    assert not model_text.rstrip().endswith("News")


@pytest.mark.parametrize("seed", [SEED_000, SEED_001], ids=["000", "001"])
def test_paragraphs_are_exact_slices_of_the_original(seed: str) -> None:
    for p in clean(seed).paragraphs:
        assert seed[p.start : p.end] == p.text


def test_title_is_found_and_its_repeat_dropped() -> None:
    article = clean(SEED_001)
    assert (
        article.title == "Five Years, 300 Arrests: UK-France Joint Unit Hits Smuggling Gangs Hard"
    )
    assert [p.role for p in article.paragraphs[:2]] == [Role.title, Role.duplicate]
    assert {p.text for p in article.paragraphs if p.role is Role.heading} == {
        "Breaking the Networks", "Intelligence on the Frontline",
    }  # fmt: skip


def test_passages_cover_every_body_paragraph_once_in_order() -> None:
    article = clean(SEED_000)
    parts = passages(article, max_chars=700)
    flat = [p.index for part in parts for p in part.paragraphs]
    assert flat == [p.index for p in article.body]
    assert all(len(part.paragraphs) == 1 or len(part.text) <= 720 for part in parts)


def test_text_without_blank_lines_splits_on_newlines() -> None:
    article = clean("Headline here\nFirst sentence is here.\nSecond sentence is here.")
    assert [p.text for p in article.body] == ["First sentence is here.", "Second sentence is here."]
