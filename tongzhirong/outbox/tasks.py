from .retry import durable_task
from .services import outbox_sweep


@durable_task
def sweep_outbox() -> int:
    """Beat, every ``OUTBOX_SWEEP_SECONDS``: publish again what no worker has finished."""
    return outbox_sweep()
