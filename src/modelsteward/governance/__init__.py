"""Governance: the tamper-evident audit log (more to come: model cards, review queue).

>>> import modelsteward.governance as g
>>> sorted(g.__all__)[:3]
['AuditEntry', 'AuditEventLog', 'AuditLog']
"""

from __future__ import annotations

from modelsteward.governance.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditEventLog,
    AuditLog,
    VerifyResult,
    parse_anchor,
    read_export,
    verify_file,
    verify_records,
)

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditEventLog",
    "AuditLog",
    "VerifyResult",
    "parse_anchor",
    "read_export",
    "verify_file",
    "verify_records",
]
