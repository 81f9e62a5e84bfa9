"""JSON Schemas exported from the pydantic models; schemas/ holds them and a test checks drift."""

from __future__ import annotations

from typing import Any

from summarizer.extraction import ArticleSummary, PassageClaims
from summarizer.result import SummaryResult

RESULT_FILE = "summary_result.schema.json"
LLM_FILES = {"llm_summary.schema.json": ArticleSummary, "llm_claims.schema.json": PassageClaims}


def result_schema() -> dict[str, Any]:
    return SummaryResult.model_json_schema(mode="serialization")


def llm_schemas() -> dict[str, Any]:
    return {name: model.model_json_schema() for name, model in LLM_FILES.items()}


def all_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, as written to schemas/."""
    return {RESULT_FILE: result_schema(), **llm_schemas()}


def write(directory: str) -> list[str]:
    """Export every schema into `directory` (`python -m summarizer.schemas schemas`)."""
    import json
    from pathlib import Path

    written = []
    for name, schema in all_schemas().items():
        path = Path(directory) / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", "utf-8")
        written.append(str(path))
    return written


if __name__ == "__main__":
    import sys

    print("\n".join(write(sys.argv[1] if len(sys.argv) > 1 else "schemas")))
