"""Prices come from genai-prices' table: known models priced, unknown ones None, local free."""

from __future__ import annotations

import pytest
from genai_prices import Usage as PriceUsage
from genai_prices import calc_price

from summarizer.cost import price
from summarizer.result import Usage
from summarizer.settings import Settings

USAGE = Usage(prompt_tokens=12_000, completion_tokens=2_000, total_tokens=14_000)


def test_a_known_model_is_priced_from_the_table() -> None:
    settings = Settings(openai_api_key="sk-test-0000", model="gpt-4o-mini")
    expected = calc_price(PriceUsage(input_tokens=12_000, output_tokens=2_000), "gpt-4o-mini",
                          provider_id="openai").total_price  # fmt: skip
    assert price(USAGE, settings) == pytest.approx(float(expected))
    assert price(USAGE, settings) > 0


def test_an_unknown_model_has_no_price_rather_than_a_guess() -> None:
    settings = Settings(base_url="https://llm.example.org/v1", model="house-model-7b")
    assert price(USAGE, settings) is None


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1", "http://localhost:8000/v1"])
def test_a_model_on_this_machine_costs_nothing(url: str) -> None:
    assert price(USAGE, Settings(base_url=url, model="gpt-4o-mini")) == 0.0
    assert price(USAGE, Settings()) == 0.0  # the local default
