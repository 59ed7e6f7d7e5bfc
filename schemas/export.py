"""JSON Schema files exported from the models (schemas/json/), kept in sync by a test."""
from __future__ import annotations

import json
from pathlib import Path

from policyflow.schemas.models import EXPORTED

JSON_DIR = Path(__file__).parent / "json"


def render() -> dict[str, str]:
    """File name -> JSON Schema text, deterministic."""
    out = {}
    for name, model in EXPORTED.items():
        schema = model.model_json_schema(by_alias=True, mode="serialization")
        out[f"{name}.schema.json"] = json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return out


def write(directory: Path = JSON_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
