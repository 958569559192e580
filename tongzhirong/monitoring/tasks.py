from tongzhirong.outbox.retry import durable_task

from .services import collateral_monitor_run


@durable_task
def monitor_collateral() -> dict[str, int]:
    """Daily: flag pledged IP whose fees, legal status, remaining life or co-owners put the loan at risk."""
    result = collateral_monitor_run()
    return {
        "checked": result.checked,
        "opened": len(result.opened),
        "resolved": len(result.resolved),
        "notified": result.notified,
    }
