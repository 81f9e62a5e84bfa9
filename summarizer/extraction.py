"""The LLM-facing schemas: what instructor asks the model for and validates.

Kept lean on purpose: every schema token is prompt overhead on every call, and small local models
degrade with deep nesting. Offsets, ids, numbers checks and dates are computed by the code, never
asked of the model.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import CoreSchema

MAX_CLAIMS_PER_PASSAGE = 8
MAX_FIELD_CHARS = 400

ClaimKind = Literal["event", "statistic", "quote", "statement", "background"]
Certainty = Literal["asserted", "reported", "alleged", "projected"]

_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?:\s+|$)")


def count_sentences(text: str) -> int:
    """Sentences in a short text: terminal punctuation followed by space or the end."""
    stripped = text.strip()
    if not stripped:
        return 0
    ends = len(_SENTENCE_END.findall(stripped))
    return ends if stripped[-1] in ".!?\"'”’)" else ends + 1


class CompactJsonSchema(GenerateJsonSchema):
    """The schema as the model needs it, nothing more: every token here is sent on every call.

    No per-field titles (they repeat the field names), nested models inlined (no $defs/$ref
    indirection), no nested titles or descriptions (the prompt explains the fields once), a
    nullable scalar as a list of types, an enum without its type. llama.cpp's grammar accepts
    all of it, and so does OpenAI's non-strict tool calling.
    """

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def nullable_schema(self, schema: Any) -> JsonSchemaValue:
        """`{"type": ["string", "null"]}` rather than an anyOf of two schemas, when it can."""
        generated = super().nullable_schema(schema)
        options = generated.get("anyOf", [])
        if len(generated) == 1 and all(list(o) == ["type"] for o in options):
            return {"type": [o["type"] for o in options]}
        return generated

    def literal_schema(self, schema: Any) -> JsonSchemaValue:
        """An enum without its `"type"`: the values already say it."""
        generated = super().literal_schema(schema)
        if "enum" in generated:
            generated.pop("type", None)
        return generated

    def generate(self, schema: CoreSchema, mode: JsonSchemaMode = "validation") -> JsonSchemaValue:
        generated = super().generate(schema, mode)
        definitions = generated.pop("$defs", {})
        return {k: _inline(v, definitions) for k, v in generated.items()}


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """Replace each `$ref` with its definition, minus the definition's title and description."""
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = definitions[node["$ref"].rsplit("/", 1)[-1]]
        trimmed = {k: v for k, v in target.items() if k not in ("title", "description")}
        return _inline(trimmed, definitions)
    return {k: _inline(v, definitions) for k, v in node.items()}


_SCHEMAS: dict[tuple[Any, ...], dict[str, Any]] = {}


class LLMSchema(BaseModel):
    """Base of the LLM-facing models: their JSON Schema is the compact one by default."""

    @classmethod
    def model_json_schema(  # type: ignore[override]
        cls,
        by_alias: bool = True,
        ref_template: str = "#/$defs/{model}",
        schema_generator: type[GenerateJsonSchema] = CompactJsonSchema,
        mode: JsonSchemaMode = "validation",
        **kwargs: Any,
    ) -> dict[str, Any]:
        if kwargs:
            return super().model_json_schema(
                by_alias=by_alias,
                ref_template=ref_template,
                schema_generator=schema_generator,
                mode=mode,
                **kwargs,
            )
        key = (cls, by_alias, ref_template, schema_generator, mode)
        if key not in _SCHEMAS:  # made once per model: it is asked for on every call
            _SCHEMAS[key] = super().model_json_schema(
                by_alias=by_alias, ref_template=ref_template,
                schema_generator=schema_generator, mode=mode,
            )  # fmt: skip
        return copy.deepcopy(_SCHEMAS[key])


# The top-level docstring is sent to the model as the tool's description: keep it short and
# addressed to the model. Fields carry no descriptions: the prompt says what each one holds.
# Design notes go in comments.


class ArticleSummary(LLMSchema):
    """The article's headline and a 2 to 4 sentence summary."""

    title: str
    summary: str


# Field order is generation order: the model copies the quote first, names who says it while the
# words are in view, and only then restates them as one fact.
class ExtractedClaim(LLMSchema):
    """One fact of the PASSAGE."""

    quote: str = Field(max_length=MAX_FIELD_CHARS)
    speaker: str | None
    text: str = Field(max_length=MAX_FIELD_CHARS)
    kind: ClaimKind
    certainty: Certainty

    @field_validator("text", "quote")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("speaker")
    @classmethod
    def _blank_speaker_is_none(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() in ("", "none", "null", "n/a", "unknown"):
            return None
        return value.strip()


# The bounds are part of the schema on purpose: a grammar-constrained server (llama.cpp) cannot
# loop past them, which stops a small model's greedy repetition at the source.
class PassageClaims(LLMSchema):
    """The facts of the PASSAGE."""

    claims: list[ExtractedClaim] = Field(max_length=MAX_CLAIMS_PER_PASSAGE)
