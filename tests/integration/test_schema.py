"""docs/pyhang.schema.json: a valid JSON Schema 2020-12, naming the same fields as
docs/json-schema.md, and real reports (live and core, with --locals, --native, --no-analysis,
asyncio) validate against it. (Every other test's JSON report is validated too: conftest's
pyhang_json.)"""
from __future__ import annotations

import json
import re

import pytest

from conftest import INTERPRETERS, REPO_ROOT, hung_program, pyhang_json, take_gcore
from schema_helpers import schema_problems

jsonschema = pytest.importorskip("jsonschema", reason="python3-jsonschema (scripts/install-deps.sh)")

SCHEMA = json.loads((REPO_ROOT / "docs" / "pyhang.schema.json").read_text())
ONE_PYTHON = INTERPRETERS[-1] if INTERPRETERS else None


def test_schema_is_a_2020_12_schema():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def schema_fields(node, out=None) -> set:
    out = set() if out is None else out
    if isinstance(node, dict):
        for k, v in node.get("properties", {}).items():
            out.add(k)
            schema_fields(v, out)
        for k, v in node.items():
            if k != "properties":
                schema_fields(v, out)
    elif isinstance(node, list):
        for v in node:
            schema_fields(v, out)
    return out


def documented_fields() -> set:
    """Field names in the tables of docs/json-schema.md (first column), and those listed inline
    as `{"a", "b"}` objects."""
    text = (REPO_ROOT / "docs" / "json-schema.md").read_text()
    fields = set()
    for row in re.findall(r"^\| (`[^|]*`) \|", text, re.M):
        fields.update(re.findall(r"`([a-z_]+)`", row))
    for obj in re.findall(r"\{(\"[a-z_]+\"(?:, \"[a-z_]+\")+)\}", text):
        fields.update(re.findall(r"\"([a-z_]+)\"", obj))
    # The fields of `awaits` are listed in its row: `frame` (index ...), `when` / `fires_in` (...).
    for row in re.findall(r"^\| `awaits` \|.*$", text, re.M):
        fields.update(re.findall(r"`([a-z_]+)` [(/]", row))
    for obj in re.findall(r"`\{(\"[a-z_]+\": [^`]*)\}`", text):
        fields.update(re.findall(r"\"([a-z_]+)\":", obj))
    return fields


def test_schema_and_page_name_the_same_fields():
    in_schema = schema_fields(SCHEMA)
    in_page = documented_fields()
    # Words of the page's first column that are values, not fields.
    values = {"lock", "rlock", "condition", "semaphore", "event", "barrier", "queue", "thread", "task", "future",
              "sleep", "io", "gather", "wait", "taskgroup", "executor", "ready", "running", "none", "str", "bytes",
              "int", "float", "bool", "tuple", "list", "dict", "set", "frozenset", "anything"}
    assert sorted(in_page - in_schema - values) == []
    assert sorted(in_schema - in_page) == []


def test_schema_rejects_what_the_page_forbids():
    base = {"schema": "pyhang/1", "processes": [], "diagnosis": None, "warnings": []}
    assert schema_problems(base) == []
    assert schema_problems({**base, "schema": "pyhang/2"})
    assert schema_problems({**base, "extra": 1})
    assert schema_problems({**base, "diagnosis": {"verdict": "maybe", "summary": "", "findings": [],
                                                  "unconfirmed": [], "waiting_for": [], "notes": []}})


@pytest.mark.skipif(ONE_PYTHON is None, reason="no interpreter")
@pytest.mark.parametrize("args", [[], ["--locals"], ["--native"], ["--no-analysis"], ["--locals", "--native-all"]],
                         ids=["plain", "locals", "native", "no-analysis", "locals-native-all"])
def test_live_reports_validate(pyhang, args):
    with hung_program(ONE_PYTHON, "threads_lock_order.py") as prog:
        doc = pyhang_json(pyhang, "remote", prog.pid, *args)  # validates
    assert doc["processes"][0]["pid"] == prog.pid


@pytest.mark.skipif(ONE_PYTHON is None, reason="no interpreter")
def test_asyncio_report_validates(pyhang):
    with hung_program(ONE_PYTHON, "asyncio_await_each_other.py") as prog:
        doc = pyhang_json(pyhang, "remote", prog.pid, "--locals")
    assert doc["processes"][0]["tasks"] and doc["processes"][0]["event_loops"]


@pytest.mark.skipif(ONE_PYTHON is None, reason="no interpreter")
def test_core_report_validates(pyhang, tmp_path):
    with hung_program(ONE_PYTHON, "threads_lock_order.py") as prog:
        g = take_gcore(prog.pid, tmp_path / "core")
        assert g.returncode == 0, g.stderr
    doc = pyhang_json(pyhang, "core", tmp_path / f"core.{prog.pid}", "--locals")
    assert doc["processes"][0]["source"] == "core" and "core" in doc["processes"][0]
