"""A bank's risk team asks for its own model: the request is checked and stored, and its training is queued as a
task after commit (training takes minutes; a request never waits for it)."""

from __future__ import annotations

from django.db import transaction

from scoring.models import BankModelTraining
from scoring.tasks import train_bank_model
from scoring.training import bank_model_training_request
from tongzhirong.outbox.services import task_enqueue


def bank_model_training_queue(*, actor, upload, target: str, bad: str, kind: str = "scorecard") -> BankModelTraining:
    with transaction.atomic():
        training = bank_model_training_request(actor=actor, upload=upload, target=target, bad=bad, kind=kind)
        task_enqueue(train_bank_model, training.pk)
    return training
