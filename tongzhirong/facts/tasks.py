from tongzhirong.enterprises.models import Enterprise
from tongzhirong.outbox.retry import durable_task

from .flagging import enterprises_to_flag, filing_flags_refresh, flags_affected_by
from .sources.refresh import facts_refresh


@durable_task
def refresh_facts(enterprise_ids: list[int], sources: list[str] | None = None, only_stale: bool = False) -> dict:
    """Ask the sources again about these enterprises and their assets. A source that fails is recorded on the
    enterprises' fetch state (the bank reads it), not retried here: the next refresh or decision asks again."""
    result = facts_refresh(enterprise_ids=enterprise_ids, sources=sources, only_stale=only_stale)
    return {"asked": result.asked, "observed": result.observed, "recorded": result.recorded, "failed": result.failed}


@durable_task
def refresh_stale_facts() -> dict:
    """Nightly: every enterprise's facts older than their source's freshness window, asked again."""
    return refresh_facts(list(Enterprise.objects.values_list("pk", flat=True)), only_stale=True)


@durable_task
def refresh_filing_flags(enterprise_ids: list[int]) -> int:
    """Refresh the abnormal-filing and bad-faith-trademark flags of these enterprises and of their related
    parties (a split filing is seen from both sides). Idempotent: a repeat raises and clears nothing. Returns
    the flags raised."""
    return sum(filing_flags_refresh(enterprise_id=pk).raised for pk in flags_affected_by(enterprise_ids))


@durable_task
def refresh_all_filing_flags() -> int:
    """Every night: a transfer ages out of its window, a year's filing volume moves with the date."""
    return sum(filing_flags_refresh(enterprise_id=pk).raised for pk in enterprises_to_flag())
