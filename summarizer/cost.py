"""What tokens cost, from genai-prices' maintained price table (no network: its bundled snapshot).

A model the table does not know has no price (None), shown as such rather than guessed. A model
served on this machine (loopback endpoint) costs nothing per token.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import ip_address
from urllib.parse import urlparse

from summarizer.result import Usage
from summarizer.settings import Settings


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=64)
def _rates(model: str, endpoint: str) -> tuple[float, float] | None:
    """USD per input token and per output token, or None when the model is not in the table."""
    from genai_prices import Usage as PriceUsage
    from genai_prices import calc_price

    million = 1_000_000
    try:
        unit_in = calc_price(PriceUsage(input_tokens=million), model, provider_api_url=endpoint)
        unit_out = calc_price(PriceUsage(output_tokens=million), model, provider_api_url=endpoint)
    except LookupError:
        try:
            unit_in = calc_price(PriceUsage(input_tokens=million), model)
            unit_out = calc_price(PriceUsage(output_tokens=million), model)
        except LookupError:
            return None
    return float(unit_in.total_price) / million, float(unit_out.total_price) / million


def price(usage: Usage, settings: Settings) -> float | None:
    """USD for `usage` on the settings' model and endpoint; 0 on this machine; None if unknown."""
    if settings.uses_local_default or is_loopback(settings.endpoint):
        return 0.0
    rates = _rates(settings.resolved_model, settings.endpoint)
    if rates is None:
        return None
    return usage.prompt_tokens * rates[0] + usage.completion_tokens * rates[1]
