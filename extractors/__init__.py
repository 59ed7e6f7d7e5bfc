"""Pure extraction functions: text in, records out. No I/O beyond the package's own data files, no Prefect."""

import hashlib
from functools import lru_cache
from pathlib import Path

from policyflow import __version__


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """`<version>+<digest>` of the rules: every extractor module, data file and the contract models.

    Stored in each revision as `extractor_version`; the incremental cache re-extracts a document
    whenever this changes, so a rule or lexicon edit is never masked by cached output.
    """
    here = Path(__file__).parent
    files = sorted([*here.glob("*.py"), *(here / "data").glob("*"), here.parent / "schemas" / "models.py"])
    digest = hashlib.sha256()
    for f in files:
        if f.is_file():
            digest.update(f.name.encode())
            digest.update(f.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"
