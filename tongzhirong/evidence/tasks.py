from celery import shared_task

from .checkpoints import checkpoint_create


@shared_task
def make_checkpoint() -> int:
    """Sign the chain's head as it stands; one more checkpoint is harmless, so a rerun needs no key."""
    return checkpoint_create(actor=None).pk
