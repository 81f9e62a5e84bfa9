"""schemas/ holds the exported JSON Schemas; this fails when they drift from the models."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.schemas import RESULT_FILE, all_schemas
from tests.conftest import ROOT


@pytest.mark.parametrize("name", sorted(all_schemas()))
def test_exported_schema_matches_the_model(name: str) -> None:
    on_disk = json.loads((ROOT / "schemas" / name).read_text("utf-8"))
    assert on_disk == all_schemas()[name], (
        f"schemas/{name} is stale: run `python -m summarizer.schemas schemas`"
    )


def test_schema_command_prints_the_result_schema() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == all_schemas()[RESULT_FILE]


def test_schema_command_prints_the_llm_facing_schemas() -> None:
    result = CliRunner().invoke(app, ["schema", "--llm"])
    printed = json.loads(result.stdout)
    assert set(printed) == {"llm_summary.schema.json", "llm_claims.schema.json"}
    claim = printed["llm_claims.schema.json"]["$defs"]["ExtractedClaim"]["properties"]
    assert set(claim) == {"text", "kind", "speaker", "certainty", "quote"}
    assert "start" not in json.dumps(printed)  # offsets are computed, never asked for
