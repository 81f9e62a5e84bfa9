"""Grounding: every status, offsets into the original, and numbers that must not drift."""

from __future__ import annotations

from summarizer.grounding import (
    best_sentence,
    check,
    locate,
    numbers,
    speaker_named,
    summary_number_problems,
)
from summarizer.result import AlignmentStatus

TEXT = (
    "In June this year nine members of a people\u00a0smuggling network were sentenced to a "
    "total of 64 years in a French prison over a small boat crossing.\n\n"
    "Deputy Director Rick Jones said: \u201cFrance is a key partner for the UK\u201d \u2013 "
    "and the NCA\u2019s work goes on."
)


def test_exact_quote_gives_its_own_span() -> None:
    quote = "sentenced to a total of 64 years"
    found = locate(quote, TEXT)
    assert found is not None and found.status is AlignmentStatus.exact
    assert TEXT[found.start : found.end] == quote


def test_normalized_handles_nbsp_curly_quotes_dashes_and_case() -> None:
    quote = "nine members of a people smuggling network"  # plain space where the text has U+00A0
    found = locate(quote, TEXT)
    assert found is not None and found.status is AlignmentStatus.normalized
    assert TEXT[found.start : found.end] == "nine members of a people\u00a0smuggling network"

    found = locate('"FRANCE IS A KEY PARTNER for the UK" - and the NCA\'s work', TEXT)
    assert found is not None and found.status is AlignmentStatus.normalized
    assert TEXT[found.start : found.end].startswith("France is a key partner")
    assert TEXT[found.start : found.end].endswith("NCA\u2019s work")


def test_fuzzy_accepts_a_small_wording_slip() -> None:
    found = locate("sentenced to a total of 64 years in French prisons", TEXT)
    assert found is not None and found.status is AlignmentStatus.fuzzy
    assert "64 years in a French prison" in TEXT[found.start : found.end]
    assert found.score is not None and found.score >= 90


def test_a_changed_number_is_never_fuzzy() -> None:
    assert locate("sentenced to a total of 72 years in a French prison", TEXT) is None


def test_unrelated_quote_is_unaligned() -> None:
    assert locate("The Prime Minister announced new funding for the coastguard", TEXT) is None


def test_search_stays_inside_the_given_ranges() -> None:
    first_paragraph = (0, TEXT.index("\n\n"))
    assert locate("France is a key partner", TEXT, [first_paragraph]) is None
    assert locate("France is a key partner", TEXT) is not None


def test_numbers_are_canonical() -> None:
    assert numbers("£700m since 2020, fines of 193,000 Euros, five years") == [
        "700", "2020", "193000", "5", "million",
    ]  # fmt: skip


def test_check_flags_missing_numbers_and_thin_overlap() -> None:
    evidence = "nine members of a network were sentenced to a total of 64 years"
    assert check("Nine members were sentenced to 64 years.", evidence).supported
    wrong = check("Nine members were sentenced to 72 years.", evidence)
    assert not wrong.supported and wrong.missing_numbers == ["72"]
    assert not check("The weather in Calais was cold and windy.", evidence).supported
    assert check("Anything at all.", None).supported is False


def test_best_sentence_finds_the_supporting_sentence() -> None:
    span = best_sentence("Nine smugglers got 64 years in prison.", TEXT, [(0, len(TEXT))])
    assert span is not None and "64 years" in TEXT[span[0] : span[1]]


ARTICLE_WITH_COUNTS = (
    "Over 300 smugglers have been arrested and 52 criminal gang networks have been smashed in "
    "the five years the agency has worked with French police. Poore was jailed for five years."
)


def test_a_summary_number_put_on_what_the_article_counts_otherwise_is_flagged() -> None:
    summary = "Police arrested over 300 smugglers and dismantled five criminal gang networks."
    assert summary_number_problems(summary, ARTICLE_WITH_COUNTS) == [
        "'five criminal': the article gives 52 there"
    ]


def test_summary_numbers_the_article_states_pass() -> None:
    summary = "In five years, police arrested over 300 smugglers and smashed 52 criminal networks."
    assert summary_number_problems(summary, ARTICLE_WITH_COUNTS) == []


def test_a_summary_number_absent_from_the_article_is_flagged_and_one_is_not_a_count() -> None:
    summary = "One agency says 7,500 boats were seized."
    assert summary_number_problems(summary, ARTICLE_WITH_COUNTS) == [
        "'7,500 boats': the article never states 7500"
    ]


QUOTED = (
    "Deputy Director Rick Jones, who leads the NCA\u2019s network, said: \u201cFrance is a key "
    "partner.\n\n"
    "\u201cWe continue to work with French partners.\u201d\n\n"
    "Victoria Pullen said the French are our closest partner."
)
PARAS = [(0, 88), (90, 133), (135, len(QUOTED))]


def test_a_speaker_is_named_by_surname_or_whole_name_where_the_evidence_stands() -> None:
    assert QUOTED[PARAS[1][0] : PARAS[1][1]].startswith("\u201cWe continue")
    # the continuation paragraph, and the one that opened the quotation
    assert speaker_named("Deputy Director Rick Jones", QUOTED, PARAS[:2]) is True
    assert speaker_named("Rick Jones", QUOTED, [PARAS[0]]) is True
    assert speaker_named("NCA", QUOTED, [PARAS[0]]) is True  # an acronym, inside NCA's
    assert speaker_named("Victoria Pullen", QUOTED, [PARAS[2]]) is True


def test_a_speaker_the_evidence_surroundings_never_name_is_caught() -> None:
    assert speaker_named("Victoria Pullen", QUOTED, PARAS[:2]) is False  # Jones said that
    assert speaker_named("Rick Jones", QUOTED, [PARAS[1]]) is False  # the opener is not given
    assert speaker_named("Deputy Director Ann Jonesy", QUOTED, [PARAS[0]]) is False  # whole words


def test_no_speaker_or_no_evidence_is_not_checked() -> None:
    assert speaker_named(None, QUOTED, [PARAS[0]]) is None
    assert speaker_named("Rick Jones", QUOTED, []) is None


def test_magnitudes_count_as_numbers_so_million_cannot_become_billion() -> None:
    evidence = "law enforcement agencies struggle to fight the multi-million pound smuggling trade"
    checked = check("Agencies struggle against the multi-billion-pound smuggling trade.", evidence)
    assert checked.missing_numbers == ["billion"] and not checked.supported
    assert check("The UK is sending France £700 million.", "the UK sending France £700m").supported
    assert numbers("I'm sure it's fine") == []  # a lone "m" is not a magnitude
