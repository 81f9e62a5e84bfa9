"""Settings: flags > environment > config file > defaults, resolved in one place.

Environment variables use the SUMMARIZER_ prefix; OPENAI_API_KEY and OPENAI_BASE_URL are read
too. An OpenAI key is only ever sent to OpenAI's own host: a key for another server must be given
explicitly as SUMMARIZER_API_KEY or --api-key.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlparse

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from summarizer.errors import ConfigError

OPENAI_BASE_URL = "https://api.openai.com/v1"
LOCAL_BASE_URL = "http://127.0.0.1:8080/v1"
LOCAL_MODEL = "qwen2.5-coder-1.5b-instruct"
OPENAI_MODEL = "gpt-4o-mini"


class Mode(StrEnum):
    """How structured output is requested; both work with OpenAI and llama.cpp's server."""

    tools = "tools"
    json = "json"


def config_path() -> Path:
    """The config file: $SUMMARIZER_CONFIG, else the platform's user config directory."""
    explicit = os.environ.get("SUMMARIZER_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_config_dir("summarizer")) / "config.toml"


class Settings(BaseSettings):
    """Everything a run can be configured with. Construct with keyword arguments for flags."""

    model_config = SettingsConfigDict(
        env_prefix="SUMMARIZER_", populate_by_name=True, extra="forbid"
    )

    model: str | None = Field(default=None, description="Model name; default depends on endpoint.")
    base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("base_url", "SUMMARIZER_BASE_URL", "OPENAI_BASE_URL"),
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="Key sent to whatever base URL is configured.",
        validation_alias=AliasChoices("api_key", "SUMMARIZER_API_KEY"),
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        description="Key sent only to api.openai.com.",
        validation_alias=AliasChoices("openai_api_key", "OPENAI_API_KEY"),
    )
    mode: Mode = Mode.tools
    prompt: str = "news"
    temperature: float = 0.0
    max_tokens: int = Field(default=1024, ge=16)
    timeout: float = Field(default=300.0, gt=0, description="Seconds per HTTP request.")
    validation_retries: int = Field(default=2, ge=0, le=10)
    review_reasks: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Re-asks when the code's review finds a problem: an unlocated quote, a "
        "non-atomic claim, an unnamed speaker, a summary of the wrong length.",
    )
    transport_retries: int = Field(default=4, ge=0, le=20)
    retry_max_wait: float = Field(default=60.0, ge=0)
    concurrency: int = Field(
        default=2, ge=1, le=256, description="Requests in flight at once, across a whole batch."
    )
    rpm: int | None = Field(default=None, ge=1, description="Requests per minute, at most.")
    tpm: int | None = Field(
        default=None, ge=1, description="Tokens per minute, at most (estimated)."
    )
    max_chars: int = Field(
        default=100_000, ge=1, description="Longer articles are refused rather than truncated."
    )
    local_model: Path | None = Field(
        default=None, description="A GGUF file for the local default instead of the shipped one."
    )
    local_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"base URL must look like http(s)://host[:port]/v1, got {value!r}")
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        return (init_settings, env_settings, toml)

    # Resolution: the code decides, once, where requests go and with which key.
    @property
    def endpoint(self) -> str:
        """The base URL requests go to."""
        if self.base_url:
            return self.base_url
        if self.api_key or self.openai_api_key:
            return OPENAI_BASE_URL
        return LOCAL_BASE_URL

    @property
    def uses_local_default(self) -> bool:
        """Nothing configured: the embedded local model serves the request."""
        return not (self.base_url or self.api_key or self.openai_api_key)

    @property
    def endpoint_host(self) -> str:
        return urlparse(self.endpoint).netloc

    @property
    def is_openai(self) -> bool:
        return urlparse(self.endpoint).hostname == "api.openai.com"

    @property
    def resolved_model(self) -> str:
        if self.model:
            return self.model
        return OPENAI_MODEL if self.is_openai else LOCAL_MODEL

    def key_for_endpoint(self) -> str | None:
        """The key to send: never an OpenAI key to a host that is not OpenAI's."""
        if self.api_key:
            return self.api_key.get_secret_value()
        if self.openai_api_key and self.is_openai:
            return self.openai_api_key.get_secret_value()
        if self.is_openai:
            raise ConfigError(
                "no API key for api.openai.com: set OPENAI_API_KEY (or --api-key), "
                "or point --base-url at an OpenAI-compatible server"
            )
        return None
