from tongzhirong.outbox.retry import durable_task

from .services import loans_due_reminders


@durable_task
def send_due_reminders() -> int:
    return loans_due_reminders()
