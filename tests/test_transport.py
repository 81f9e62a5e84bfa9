"""Error paths, against a local stub server whose responses are HAND-WRITTEN (see
handwritten_server.py): transport retries, fatal errors, truncation, invalid JSON, re-asks."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest

from summarizer import Settings, render, summarize
from summarizer.errors import AuthError, EndpointError, ModelOutputError, TruncatedOutputError
from summarizer.llm import LLM
from summarizer.result import AlignmentStatus
from tests.handwritten_server import Reply, StubServer, error_reply, tool_reply

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

ARTICLE = (
    "Harbour wall approved\n\n"
    "The council approved a 4 million pound harbour wall on Tuesday. Work starts in March."
)
LONG_ARTICLE = ARTICLE + " It will be 300 metres long. Residents welcomed the plan."
SUMMARY = tool_reply(
    "ArticleSummary",
    {"title": "Harbour wall approved", "summary": "The council approved a wall. Work starts soon."},
)
GOOD_CLAIMS = {
    "claims": [
        {
            "text": "The council approved a 4 million pound harbour wall.",
            "kind": "event",
            "speaker": None,
            "certainty": "asserted",
            "quote": "The council approved a 4 million pound harbour wall on Tuesday",
        }
    ]
}
CLAIMS = tool_reply("PassageClaims", GOOD_CLAIMS)


class Sleeps:
    """Records the waits tenacity asks for instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


def run(stub: StubServer, sleeps: Sleeps | None = None, **overrides: Any):
    values = {"concurrency": 1, "transport_retries": 3, "timeout": 5.0, **overrides}
    settings = Settings(base_url=stub.base_url, **values)
    return summarize(ARTICLE, settings, llm=LLM(settings, sleep=sleeps or Sleeps()))


def test_429_honours_retry_after_then_succeeds() -> None:
    script = {
        "ArticleSummary": [error_reply(429, "slow down", headers={"retry-after": "7"}), SUMMARY],
        "PassageClaims": [CLAIMS],
    }
    sleeps = Sleeps()
    with StubServer(script) as stub:
        result = run(stub, sleeps)
    assert stub.count("ArticleSummary") == 2
    # the pool pauses for the 7 s asked (here the clock stands still, so the queued claims
    # call sits the pause out too); the retry itself adds no wait of its own
    waits = [w for w in sleeps.waits if w]
    assert waits and waits == pytest.approx([7.0] * len(waits), abs=0.05)
    assert result.summary.startswith("The council approved")


def test_5xx_is_retried_with_backoff_and_bounded() -> None:
    script = {"ArticleSummary": [error_reply(500, "boom")], "PassageClaims": [CLAIMS]}
    sleeps = Sleeps()
    with StubServer(script) as stub, pytest.raises(EndpointError, match="HTTP 500 after 4 tries"):
        run(stub, sleeps)
    assert stub.count("ArticleSummary") == 4
    assert len(sleeps.waits) == 3 and all(0 <= w <= 60 for w in sleeps.waits)


def test_5xx_then_success_recovers() -> None:
    script = {
        "ArticleSummary": [error_reply(503, "busy"), error_reply(502, "bad gw"), SUMMARY],
        "PassageClaims": [CLAIMS],
    }
    with StubServer(script) as stub:
        result = run(stub)
    assert stub.count("ArticleSummary") == 3
    assert result.run.calls == 2  # failed transport attempts are not model calls


@pytest.mark.parametrize(
    "reply",
    [error_reply(401, "bad key"), error_reply(429, "no money", code="insufficient_quota")],
    ids=["auth", "quota"],
)
def test_auth_and_quota_errors_are_fatal_at_once(reply: Reply) -> None:
    script = {"ArticleSummary": [reply], "PassageClaims": [reply]}
    with StubServer(script) as stub, pytest.raises(AuthError):
        run(stub)
    assert stub.count("ArticleSummary") + stub.count("PassageClaims") <= 2  # one each, no retry


def test_timeouts_are_retried_then_reported() -> None:
    slow = Reply(body=SUMMARY.body, delay=1.5)
    script = {"ArticleSummary": [slow], "PassageClaims": [CLAIMS]}
    with StubServer(script) as stub, pytest.raises(EndpointError, match="no answer within 0.3s"):
        run(stub, timeout=0.3, transport_retries=1)
    assert stub.count("ArticleSummary") == 2


def test_unreachable_endpoint_says_where() -> None:
    from summarizer.localserver import free_port

    settings = Settings(base_url=f"http://127.0.0.1:{free_port()}/v1", transport_retries=1)
    with pytest.raises(EndpointError, match="cannot reach http://127.0.0.1"):
        summarize(ARTICLE, settings, llm=LLM(settings, sleep=Sleeps()))


def test_the_library_with_nothing_configured_says_how_to_get_the_local_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from summarizer import settings as settings_module
    from summarizer.localserver import free_port

    monkeypatch.setattr(settings_module, "LOCAL_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    settings = Settings(transport_retries=0)
    assert settings.uses_local_default
    with pytest.raises(EndpointError, match=r"no endpoint is configured.*local\.endpoint"):
        summarize(ARTICLE, settings, llm=LLM(settings, sleep=Sleeps()))


def test_the_library_reports_a_failure_once_as_an_error_not_as_log_lines_too() -> None:
    from summarizer.localserver import free_port

    code = (
        "from summarizer import Settings, summarize\n"
        "try:\n"
        f"    summarize('Headline\\n\\nA wall was approved.', Settings("
        f"base_url='http://127.0.0.1:{free_port()}/v1', transport_retries=0))\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "EndpointError"
    assert proc.stderr == ""


@pytest.mark.parametrize("finish_reason", ["length", "tool_calls"])
def test_output_cut_by_max_tokens_is_truncation(finish_reason: str) -> None:
    # llama.cpp's server says tool_calls even when max_tokens cut the answer.
    cut = tool_reply(
        "ArticleSummary", '{"title": "Harb', completion_tokens=64, finish_reason=finish_reason
    )
    script = {"ArticleSummary": [cut], "PassageClaims": [CLAIMS]}
    with StubServer(script) as stub, pytest.raises(TruncatedOutputError, match="max_tokens=64"):
        run(stub, max_tokens=64)
    assert stub.count("ArticleSummary") == 1


def test_invalid_json_is_reasked_and_usage_summed_over_attempts() -> None:
    broken = tool_reply("ArticleSummary", '{"title": "x", "summary": ')
    script = {"ArticleSummary": [broken, SUMMARY], "PassageClaims": [CLAIMS]}
    with StubServer(script) as stub:
        result = run(stub)
    assert stub.count("ArticleSummary") == 2
    assert result.run.validation_reasks == 1
    assert result.run.calls == 3
    assert result.run.usage.total_tokens == 3 * 120


def test_invalid_json_past_the_bound_is_a_clear_error() -> None:
    broken = tool_reply("ArticleSummary", "not json at all")
    script = {"ArticleSummary": [broken], "PassageClaims": [CLAIMS]}
    with StubServer(script) as stub, pytest.raises(ModelOutputError, match="3 attempt"):
        run(stub, validation_retries=2)
    assert stub.count("ArticleSummary") == 3


def test_one_sentence_summary_of_a_longer_article_is_reasked() -> None:
    short = tool_reply("ArticleSummary", {"title": "t", "summary": "Harbour wall approved"})
    script = {"ArticleSummary": [short, SUMMARY], "PassageClaims": [CLAIMS]}
    with StubServer(script) as stub:
        settings = Settings(base_url=stub.base_url, concurrency=1)
        summarize(LONG_ARTICLE, settings, llm=LLM(settings, sleep=Sleeps()))
    summary_requests = [
        r for r in stub.requests if r["tools"][0]["function"]["name"] == "ArticleSummary"
    ]
    assert len(summary_requests) == 2
    assert "2 to 4" in str(summary_requests[1]["messages"])


def test_ungrounded_quote_is_reasked_naming_it_then_kept_as_unaligned() -> None:
    invented = {
        "claims": [
            {
                "text": "The mayor resigned over the scandal.",
                "kind": "event",
                "speaker": None,
                "certainty": "reported",
                "quote": "the mayor resigned in disgrace",
            }
        ]
    }
    script = {"ArticleSummary": [SUMMARY], "PassageClaims": [tool_reply("PassageClaims", invented)]}
    with StubServer(script) as stub:
        result = run(stub, review_reasks=2)
    assert stub.count("PassageClaims") == 3  # first answer + 2 re-asks
    claims_requests = [
        r for r in stub.requests if r["tools"][0]["function"]["name"] != "ArticleSummary"
    ]
    assert "the mayor resigned in disgrace" in claims_requests[1]["messages"][-1]["content"]
    assert result.run.review_reasks == 2
    [claim] = result.claims
    assert claim.evidence.status is AlignmentStatus.unaligned
    assert claim.evidence.start is None and not claim.checks.supported
    assert any("not found" in w for w in result.warnings)


def test_openai_key_is_never_sent_to_another_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-never-leave-1234567890abcdef")
    script = {"ArticleSummary": [SUMMARY], "PassageClaims": [CLAIMS]}
    with StubServer(script) as stub:
        run(stub)
    sent = " ".join(str(h) for h in stub.headers)
    assert stub.headers and "sk-should-never-leave" not in sent


def test_a_passage_whose_answer_is_cut_off_costs_only_its_claims() -> None:
    looping = tool_reply("PassageClaims", '{"claims": [{"quote": "x', completion_tokens=64)
    script = {"ArticleSummary": [SUMMARY], "PassageClaims": [looping]}
    with StubServer(script) as stub:
        result = run(stub, max_tokens=64)
    assert result.summary.startswith("The council approved") and result.claims == []
    assert any("no claims from paragraph 1" in w and "cut off" in w for w in result.warnings)
    assert result.run.calls == 2 and result.run.usage.completion_tokens == 20 + 64


def test_non_atomic_claims_are_reasked_naming_the_problem() -> None:
    two_in_one = {
        "claims": [
            {
                "text": "The council approved a harbour wall. It costs 4 million pounds.",
                "kind": "event",
                "speaker": None,
                "certainty": "asserted",
                "quote": "The council approved a 4 million pound harbour wall on Tuesday",
            }
        ]
    }
    script = {
        "ArticleSummary": [SUMMARY],
        "PassageClaims": [tool_reply("PassageClaims", two_in_one), CLAIMS],
    }
    with StubServer(script) as stub:
        result = run(stub)
    claims_requests = [
        r for r in stub.requests if r["tools"][0]["function"]["name"] != "ArticleSummary"
    ]
    reask = claims_requests[1]["messages"][-1]["content"]
    assert "more than one sentence" in reask and "It costs 4 million pounds." in reask
    assert [c.text for c in result.claims] == [GOOD_CLAIMS["claims"][0]["text"]]
    assert result.run.review_reasks == 1


def test_claims_about_the_text_instead_of_the_world_are_reasked() -> None:
    from summarizer.extraction import ExtractedClaim
    from summarizer.review import claim_problems

    meta = ExtractedClaim(
        quote="q", speaker=None, text="The passage states that a wall was approved.",
        kind="event", certainty="asserted",
    )  # fmt: skip
    assert claim_problems(meta) == [
        "state the fact itself, not what the text says: "
        '"The passage states that a wall was approved."'
    ]


def test_framing_left_after_the_reasks_is_cut_by_the_code() -> None:
    framed = {"claims": [{**GOOD_CLAIMS["claims"][0], "text": "The passage states that the "
                          "council approved a 4 million pound harbour wall."}]}  # fmt: skip
    script = {"ArticleSummary": [SUMMARY], "PassageClaims": [tool_reply("PassageClaims", framed)]}
    with StubServer(script) as stub:
        result = run(stub, review_reasks=1)
    assert stub.count("PassageClaims") == 2  # asked to state the fact itself once, in vain
    assert [c.text for c in result.claims] == [
        "The council approved a 4 million pound harbour wall."
    ]


@pytest.mark.parametrize(
    "text",
    [
        "The article states.",  # nothing left after the framing
        "The text message was sent at noon.",  # not framing at all
        "This passage of the bill was contested.",
    ],
)
def test_text_that_only_looks_like_framing_is_left_alone(text: str) -> None:
    from summarizer.review import without_framing

    assert without_framing(text) == text


def test_evidence_is_searched_in_the_context_paragraph_the_model_was_shown() -> None:
    """The claim restates the paragraph before its passage (shown to the model as context) and
    quotes its own passage, which does not support it: the code finds the sentence that does."""
    first = "The council approved a 4 million pound harbour wall on Tuesday" + ", after" * 60
    second = "Work starts in March, the mayor said" + ", again" * 60
    article = f"Harbour wall approved\n\n{first}.\n\n{second}."
    restated = {**GOOD_CLAIMS["claims"][0], "quote": "Work starts in March"}
    script = {
        "ArticleSummary": [SUMMARY],
        "PassageClaims": [  # passage 1, then passage 2 (one request at a time)
            tool_reply("PassageClaims", {"claims": []}),
            tool_reply("PassageClaims", {"claims": [restated]}),
        ],
    }
    with StubServer(script) as stub:
        settings = Settings(base_url=stub.base_url, concurrency=1, review_reasks=0)
        result = summarize(article, settings, llm=LLM(settings, sleep=Sleeps()))
    [claim] = result.claims
    assert claim.evidence.origin == "search" and claim.checks.supported
    assert claim.evidence.text.startswith("The council approved a 4 million")
    assert claim.evidence.quote_status == "exact"  # the model's own quote, found where it was


def test_a_claim_put_in_the_mouth_of_someone_the_evidence_never_names_is_not_supported() -> None:
    article = (
        "Harbour wall approved\n\n"
        "Mayor Ann Lee said the harbour wall would open in May.\n\n"
        "Council chief Bob Stone voted against the plan on Tuesday."
    )
    said = {"text": "The harbour wall will open in May.", "kind": "quote",
            "certainty": "reported", "quote": "the harbour wall would open in May"}  # fmt: skip
    claims = {"claims": [{**said, "speaker": "Ann Lee"},
                         {**said, "text": "Bob Stone said the harbour wall will open in May.",
                          "speaker": "Bob Stone"}]}  # fmt: skip
    script = {"ArticleSummary": [SUMMARY], "PassageClaims": [tool_reply("PassageClaims", claims)]}
    with StubServer(script) as stub:
        settings = Settings(base_url=stub.base_url, review_reasks=0)
        result = summarize(article, settings, llm=LLM(settings, sleep=Sleeps()))
    lee, stone = result.claims
    assert lee.checks.speaker_named is True and lee.checks.supported
    assert stone.checks.content_overlap >= 0.5 and not stone.checks.missing_numbers
    assert stone.checks.speaker_named is False and not stone.checks.supported
    assert "speaker not named near the evidence" in render.to_markdown(result)


def test_a_reask_that_makes_things_worse_is_not_taken() -> None:
    one_problem = {
        "claims": [
            {**GOOD_CLAIMS["claims"][0], "text": "The council approved a wall. It cost 4 million."}
        ]
    }
    worse = {
        "claims": [
            {**GOOD_CLAIMS["claims"][0], "quote": "an invented quote", "text": "A. B."},
        ]
    }
    script = {
        "ArticleSummary": [SUMMARY],
        "PassageClaims": [
            tool_reply("PassageClaims", one_problem),
            tool_reply("PassageClaims", worse),
        ],
    }
    with StubServer(script) as stub:
        result = run(stub, review_reasks=1)
    assert stub.count("PassageClaims") == 2
    assert [c.text for c in result.claims] == ["The council approved a wall. It cost 4 million."]


def test_a_summary_still_too_short_after_the_reasks_is_kept_with_a_warning() -> None:
    short = tool_reply("ArticleSummary", {"title": "t", "summary": "Harbour wall approved"})
    script = {"ArticleSummary": [short], "PassageClaims": [CLAIMS]}
    values = {"concurrency": 1, "transport_retries": 0, "review_reasks": 1}
    with StubServer(script) as stub:
        settings = Settings(base_url=stub.base_url, **values)
        result = summarize(LONG_ARTICLE, settings, llm=LLM(settings, sleep=Sleeps()))
    assert result.summary == "Harbour wall approved"
    assert "summary kept as is: the summary has 1 sentence(s)" in result.warnings[0]
    assert stub.count("ArticleSummary") == 2


def test_a_summary_number_the_article_does_not_back_is_re_asked() -> None:
    said = "The council approved a {n} million pound wall. Work starts in March."
    wrong = tool_reply("ArticleSummary", {"title": "t", "summary": said.format(n=7)})
    right = tool_reply("ArticleSummary", {"title": "t", "summary": said.format(n=4)})
    script = {"ArticleSummary": [wrong, right], "PassageClaims": [CLAIMS]}
    with StubServer(script) as stub:
        result = run(stub, review_reasks=1)
    summary_requests = [
        r for r in stub.requests if r["tools"][0]["function"]["name"] == "ArticleSummary"
    ]
    assert (
        "'7 million': the article never states 7" in summary_requests[1]["messages"][-1]["content"]
    )
    assert result.summary.startswith("The council approved a 4 million")
    assert not any("summary" in w for w in result.warnings)


def test_a_summary_number_still_wrong_after_the_reasks_is_named_once_in_the_warnings() -> None:
    wrong = {"title": "t", "summary": "The council approved a 7 million pound wall. Work starts."}
    script = {"ArticleSummary": [tool_reply("ArticleSummary", wrong)], "PassageClaims": [CLAIMS]}
    with StubServer(script) as stub:
        result = run(stub, review_reasks=1)
    assert stub.count("ArticleSummary") == 2
    assert [w for w in result.warnings if "summary" in w] == [
        "summary kept as is: a number does not match the article: '7 million': the article "
        "never states 7; use the article's number"
    ]
