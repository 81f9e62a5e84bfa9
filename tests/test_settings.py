"""Settings resolve flags > env > config file > defaults; keys go only where they belong."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer.errors import ConfigError
from summarizer.settings import LOCAL_BASE_URL, LOCAL_MODEL, OPENAI_BASE_URL, Settings


def test_defaults_point_at_a_local_server_without_a_key() -> None:
    settings = Settings()
    assert settings.endpoint == LOCAL_BASE_URL and settings.resolved_model == LOCAL_MODEL
    assert settings.key_for_endpoint() is None


def test_flags_beat_env_beat_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('model = "from-config"\nprompt = "from-config"\nmax_tokens = 99\n')
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(config))
    assert Settings().model == "from-config" and Settings().max_tokens == 99
    monkeypatch.setenv("SUMMARIZER_MODEL", "from-env")
    assert Settings().model == "from-env" and Settings().prompt == "from-config"
    assert Settings(model="from-flag").model == "from-flag"


def test_openai_key_is_only_for_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-only")
    assert Settings().endpoint == OPENAI_BASE_URL
    assert Settings().key_for_endpoint() == "sk-openai-only"
    other = Settings(base_url="http://127.0.0.1:9999/v1")
    assert other.key_for_endpoint() is None


def test_explicit_key_goes_to_the_configured_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARIZER_API_KEY", "server-key")
    assert Settings(base_url="http://10.0.0.5:8000/v1").key_for_endpoint() == "server-key"


def test_openai_without_a_key_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="no API key for api.openai.com"):
        Settings(base_url=OPENAI_BASE_URL).key_for_endpoint()


def test_openai_base_url_env_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1234/v1/")
    assert Settings().endpoint == "http://127.0.0.1:1234/v1"


def test_a_malformed_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="base URL must look like"):
        Settings(base_url="localhost:8080")
