"""schemas/ holds the exported JSON Schemas; this fails when they drift from the models."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.schemas import RESULT_FILE, all_schemas, llm_schemas
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
    claims = printed["llm_claims.schema.json"]["properties"]["claims"]
    assert list(claims["items"]["properties"]) == ["quote", "speaker", "text", "kind", "certainty"]
    assert "start" not in json.dumps(printed)  # offsets are computed, never asked for


def test_the_llm_facing_schemas_carry_no_token_the_model_does_not_need() -> None:
    """Sent on every call: no per-field titles, no $defs indirection, no nested descriptions."""

    def fields(schema: dict) -> list[dict]:
        found = []
        for field in schema.get("properties", {}).values():
            items = field.get("items")
            found += [field, *fields(field), *([items, *fields(items)] if items else [])]
        return found

    for schema in llm_schemas().values():
        text = json.dumps(schema)
        assert "$defs" not in text and "$ref" not in text and "anyOf" not in text
        assert set(schema) == {"title", "description", "properties", "required", "type"}
        for field in fields(schema):
            assert "title" not in field and "description" not in field, field
