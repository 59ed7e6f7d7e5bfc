"""Test-wide settings: Prefect state in the project's ignored folder, telemetry off, paths to test data."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# tests start no server that outlives them; tests/flows/test_local_server.py sets `reuse` itself
os.environ.setdefault("POLICYFLOW_PREFECT_SERVER", "temporary")

import pytest  # noqa: E402

DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return ROOT / "raw"


@pytest.fixture(scope="session")
def seed_gold_dir() -> Path:
    return DATA / "gold"
