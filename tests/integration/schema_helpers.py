"""Validation of pyhang's JSON reports against docs/pyhang.schema.json (JSON Schema 2020-12,
with Debian's python3-jsonschema): conftest's pyhang_json checks every report it parses."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "pyhang.schema.json"
_VALIDATOR = None


def schema_problems(doc) -> List[str]:
    """Where ``doc`` breaks the schema, one line each; [] when it validates."""
    global _VALIDATOR
    if _VALIDATOR is None:
        import jsonschema  # python3-jsonschema (scripts/install-deps.sh)
        _VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    errors = sorted(_VALIDATOR.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    return [f"at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
