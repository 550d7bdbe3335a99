"""The deck format as a JSON Schema, for editors: generated from the one card schema.

`deck_schema()` asks the loader's pydantic `TypeAdapter`s (the very ones that validate decks)
for their JSON Schemas, and joins them: a deck's `cards` are `Card`s without the fields the
loader fills in (`topic`, `topic_name`, `source`, `line`). What the adapters cannot say is
written in here: a challenge's `answer` (taken as written, checked by a rule that knows the
card's databases) and the per-database blocks' "not set" marker, which is no default a file
can write. Rules across fields (`deck.rules`) stay the loader's: the schema is what an editor
can check and complete as you type; `sqlaquiz validate` checks everything.
"""

from __future__ import annotations

from typing import Any

from quiz.deck.cards import DATABASES

MODELINE = "# yaml-language-server: $schema="


def deck_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a deck file."""
    from quiz.deck.loader import _CARD, _HEADER, PLACED

    deck = _HEADER.json_schema()
    card = _CARD.json_schema()
    defs: dict[str, Any] = {**deck.pop("$defs", {}), **card.pop("$defs", {})}
    for name in PLACED:
        card["properties"].pop(name, None)
    card["required"] = [name for name in card.get("required", []) if name not in PLACED]
    defs["Card"] = card
    deck["properties"]["cards"] = {
        "type": "array",
        "title": "Cards",
        "description": "The deck's cards; each card's id is unique across every deck.",
        "items": {"$ref": "#/$defs/Card"},
    }
    value: dict[str, Any] = {
        "anyOf": [{"type": "integer", "minimum": 0}, {"type": "boolean"}],
    }
    defs["Challenge"]["properties"]["answer"] = {
        "title": "Answer",
        "description": "The right answer: a count (ask: queries) or true / false (ask: raises); "
        "or one per database the card lists, e.g. {sqlite: 2, postgresql: 1}.",
        "anyOf": [
            *value["anyOf"],
            {
                "type": "object",
                "propertyNames": {"enum": list(DATABASES)},
                "additionalProperties": value,
            },
        ],
    }
    for block in defs.get("DatabaseExpect", {}).get("properties", {}).values():
        if block.get("default") == "inherit":
            del block["default"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **deck,
        "title": "sqlaquiz deck",
        "$defs": defs,
    }
