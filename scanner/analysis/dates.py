"""The two dates of an assessment: the data's own date and the assessment date (``--as-of``).

Facts about the data's age (snapshot age, time powered off) are measured at the date the data was
taken - an RVTools export's vMetaData creation time, a live collection's time - so that a report
written years after the export does not age every snapshot by years. Calendar facts (a guest OS's
end of support) are measured at the assessment date. When the data is older than
``[analysis] stale_data_days`` the report headers say so.
"""

from __future__ import annotations

import datetime as dt

from scanner.analysis.model import Assessment, DataDate
from scanner.inventory.model import Estate, VCenter
from scanner.rules.base import parse_timestamp

RVTOOLS_BASIS = "RVTools export (vMetaData creation time)"
COLLECTION_BASIS = "vmscan collection time"
NO_EXPORT_DATE = "not in the export (no vMetaData creation time): ages measured at the assessment date"


def data_date_of(vcenter: VCenter, estate: Estate) -> tuple[str | None, str]:
    """(ISO timestamp or None, basis) of one vCenter's data."""
    if vcenter.source_kind == "rvtools":
        exported = vcenter.source_detail.get("exported_at")
        return (exported, RVTOOLS_BASIS) if exported else (None, NO_EXPORT_DATE)
    collected = vcenter.source_detail.get("collected_at") or estate.collected_at
    return collected, COLLECTION_BASIS if vcenter.source_kind == "vcenter" else "inventory collection time"


def data_dates(estate: Estate, as_of: dt.date) -> dict[int, DataDate]:
    """Each vCenter's DataDate, keyed by ``id(vcenter)``."""
    dates = {}
    for vcenter in estate.vcenters:
        taken_at, basis = data_date_of(vcenter, estate)
        when = parse_timestamp(taken_at)
        age = (as_of - when.astimezone(dt.UTC).date()).days if when is not None else None
        dates[id(vcenter)] = DataDate(vcenter=vcenter.name, taken_at=taken_at, basis=basis, age_days=age)
    return dates


def date_part(taken_at: str | None) -> dt.date | None:
    when = parse_timestamp(taken_at)
    return when.astimezone(dt.UTC).date() if when is not None else None


def data_date_line(assessment: Assessment) -> str:
    """One line naming both dates, e.g. "Data as of 2021-03-04 (RVTools export ...); assessed as of 2026-12-06"."""
    dates = sorted({(d.taken_at[:10] if d.taken_at else None, d.basis) for d in assessment.data_dates},
                   key=lambda item: (item[0] or "", item[1]))
    if not dates:
        return f"Assessed as of {assessment.as_of}"
    parts = [f"{day} ({basis})" if day else basis for day, basis in dates]
    label = "Data date" if len(parts) == 1 else "Data dates"
    return f"{label}: {'; '.join(parts)} · assessed as of {assessment.as_of} (end-of-support checks)"


def stale_data_notice(assessment: Assessment) -> str | None:
    """A warning when any vCenter's data is older than the stale threshold at the assessment date."""
    old = [d for d in assessment.data_dates if d.age_days is not None and d.age_days > assessment.stale_data_days]
    if not old:
        return None
    oldest = max(old, key=lambda d: d.age_days or 0)
    names = ", ".join(sorted({d.vcenter for d in old}))
    return (f"The data is {oldest.age_days} days old (taken {(oldest.taken_at or '')[:10]}, assessed "
            f"{assessment.as_of}; {names}): VMs, snapshots and power states may have changed since. "
            f"Ages are measured at the data's date, end of support at the assessment date; "
            f"re-export or re-collect before deciding.")
