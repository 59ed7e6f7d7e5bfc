"""JSON Schema files exported from the models (schemas/json/), kept in sync by a test.

Each file names its dialect (`$schema`, JSON Schema 2020-12, what pydantic emits) and carries an `$id`,
`urn:policyflow:schema:<contract version>:<name>` (`urn:policyflow:schema:1.1:revision`). A URN rather
than an https URL: the project owns no web address, and an `$id` that looks fetchable but is not (or is
someone else's) misleads validators and readers; a URN is a stable, global name that no tool tries to
download. It names the project, the contract version the file describes and the document kind, so
schemas of two contract versions never share an id and a consumer can pin the one it was built against.
"""
from __future__ import annotations

import json
from pathlib import Path

from policyflow.schemas.models import EXPORTED, SCHEMA_VERSION

JSON_DIR = Path(__file__).parent / "json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_id(name: str, version: str = SCHEMA_VERSION) -> str:
    """The `$id` of an exported schema: `urn:policyflow:schema:1.1:revision`."""
    return f"urn:policyflow:schema:{version}:{name}"


def schema(name: str) -> dict:
    """The JSON Schema of one exported model (`revision`, `diff`, `error`), with `$schema` and `$id`."""
    body = EXPORTED[name].model_json_schema(by_alias=True, mode="serialization")
    return {"$schema": DIALECT, "$id": schema_id(name), **body}


def render() -> dict[str, str]:
    """File name -> JSON Schema text, deterministic."""
    return {f"{name}.schema.json": json.dumps(schema(name), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            for name in EXPORTED}


def write(directory: Path = JSON_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
