"""The output contract as pydantic models, and JSON Schema export."""
from policyflow.schemas.models import (  # noqa: F401
    ACCEPTED_SCHEMA_VERSIONS, SCHEMA_VERSION, Amount, Change, Condition, Diff, ErrorRecord, Measure, Metadata,
    RevisionDocument, Section, Source, Target, Unit,
)
