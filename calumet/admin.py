# The audit log's read-only admin and the administrators' audit reports.
from . import reports  # noqa: F401
