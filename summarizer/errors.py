"""Errors written for the person who reads them.

Every error the library raises on purpose is a `SummarizerError`: its message is one line a user
can act on, and `exit_code` is what the CLI returns for it.
"""

from __future__ import annotations


class SummarizerError(Exception):
    """Base class: a failure with a one-line, user-facing message."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.calls = 0  # model calls spent before failing, for usage bookkeeping
        self.usage: object | None = None

    def __str__(self) -> str:
        return self.message


class InputError(SummarizerError):
    """The article given cannot be read or holds no text (a usage problem)."""

    exit_code = 2


class ConfigError(SummarizerError):
    """Settings are missing or contradictory (no key, unknown prompt, bad mode)."""

    exit_code = 2


class EndpointError(SummarizerError):
    """The model endpoint could not be reached or kept failing after bounded retries."""


class AuthError(SummarizerError):
    """The endpoint refused the credentials or the account has no quota: retrying cannot help."""


class TruncatedOutputError(SummarizerError):
    """The model hit max_tokens before finishing its answer."""


class ModelOutputError(SummarizerError):
    """The model's answer stayed invalid after the bounded re-asks."""


class CassetteMissError(SummarizerError):
    """Replay found no recording for a request the run made."""
