"""Secure defaults shared by every construct, kept in one place."""

from .alarms import alarm_at_least
from .buckets import access_logs_bucket, secure_bucket
from .encryption import allow_logs, secure_key
from .functions import PYTHON_RUNTIME, PythonFunctionParts, python_function, runtime_code
from .logs import DEFAULT_LOG_RETENTION, secure_log_group
from .nag import acknowledge
from .schema import ExtraFields, Field, FieldType, RecordSchema
from .state_machines import secure_state_machine
from .validation import check_choice, check_not_both, check_range, check_s3_prefix, invalid

__all__ = [
    "DEFAULT_LOG_RETENTION",
    "PYTHON_RUNTIME",
    "ExtraFields",
    "Field",
    "FieldType",
    "PythonFunctionParts",
    "RecordSchema",
    "access_logs_bucket",
    "alarm_at_least",
    "acknowledge",
    "allow_logs",
    "check_choice",
    "check_not_both",
    "check_range",
    "check_s3_prefix",
    "invalid",
    "python_function",
    "runtime_code",
    "secure_bucket",
    "secure_key",
    "secure_log_group",
    "secure_state_machine",
]
