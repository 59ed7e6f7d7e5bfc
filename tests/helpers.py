"""Helpers shared by the tests."""
import hashlib
from pathlib import Path


def digest_tree(folder: Path, skip=lambda rel: False) -> dict[str, str]:
    """relative path -> sha256 of every file under `folder` (except those `skip` names)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_file() and not skip(rel):
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out
