"""Sticky traffic split and the sample-ratio-mismatch check.

A request key is hashed (BLAKE2b, salted with the model name) to a point in [0, 1); the
request goes to the candidate when the point is below the candidate's share. The same key
always lands on the same arm at a given share, and raising the share only moves keys from
the baseline to the candidate, never back.

>>> from modelsteward.rollout import bucket, assign
>>> 0.0 <= bucket("user-42", salt="churn") < 1.0
True
>>> assign("user-42", 25.0, salt="churn") == assign("user-42", 25.0, salt="churn")
True
>>> assign("user-42", 0.0, salt="churn"), assign("user-42", 100.0, salt="churn")
('baseline', 'candidate')
>>> round(srm_check(9_500, 500, 5.0).p_value, 3)  # exactly the declared 95/5
1.0
>>> srm_check(9_000, 1_000, 5.0).mismatch  # twice the declared candidate share
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from hashlib import blake2b
from typing import Any, Literal

import scipy.special

__all__ = ["Arm", "SrmResult", "assign", "bucket", "srm_check"]

Arm = Literal["baseline", "candidate"]
_SCALE = float(2**64)


def bucket(key: str, *, salt: str = "") -> float:
    """The point of ``key`` in [0, 1): the first 8 bytes of BLAKE2b(salt, key)."""
    digest = blake2b(key.encode("utf-8"), digest_size=8, key=salt.encode("utf-8")[:64])
    return int.from_bytes(digest.digest(), "big") / _SCALE


def assign(key: str, candidate_percent: float, *, salt: str = "") -> Arm:
    """``candidate`` when the key's point is below ``candidate_percent`` / 100."""
    if candidate_percent <= 0.0:
        return "baseline"
    if candidate_percent >= 100.0:
        return "candidate"
    return "candidate" if bucket(key, salt=salt) * 100.0 < candidate_percent else "baseline"


@dataclass(frozen=True)
class SrmResult:
    """The chi-square goodness-of-fit of the observed arm counts against the declared
    split. ``mismatch`` is True when ``p_value`` < ``threshold``; with fewer than
    ``min_expected`` expected requests in an arm the check is not made (``checked`` False,
    no mismatch)."""

    baseline: int
    candidate: int
    declared_percent: float
    statistic: float
    p_value: float
    threshold: float
    checked: bool

    @property
    def mismatch(self) -> bool:
        return self.checked and self.p_value < self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "mismatch": self.mismatch}


def srm_check(
    baseline: int,
    candidate: int,
    candidate_percent: float,
    *,
    threshold: float = 0.001,
    min_expected: float = 5.0,
) -> SrmResult:
    """Sample-ratio-mismatch test of observed request counts per arm.

    The usual threshold is strict (p < 0.001) because a mismatch means the assignment or
    the logging is broken, not that one arm is better. Counts are of requests; when the
    same key sends many requests the counts are overdispersed, so prefer request keys
    that identify one request or one short session.
    """
    n = baseline + candidate
    share = candidate_percent / 100.0
    expected = (n * (1.0 - share), n * share)
    if min(expected) < min_expected:
        return SrmResult(baseline, candidate, candidate_percent, 0.0, 1.0, threshold, False)
    stat = (baseline - expected[0]) ** 2 / expected[0] + (candidate - expected[1]) ** 2 / (
        expected[1]
    )
    p = float(scipy.special.chdtrc(1, stat))  # = chi2.sf(stat, df=1), without scipy.stats
    return SrmResult(baseline, candidate, candidate_percent, float(stat), p, threshold, True)
