from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import from_django_validation
from .triggers import append_only


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


def status_constraint(model_label: str, choices: type[models.TextChoices]) -> models.CheckConstraint:
    """The database refuses any status outside the model's choices, bulk paths included."""
    return models.CheckConstraint(condition=models.Q(status__in=choices.values), name=f"{model_label}_status_valid")


def non_negative(*fields: str, prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(condition=models.Q(**{f"{f}__gte": 0}), name=f"{prefix}_{f}_non_negative")
        for f in fields
    ]


class StatusChange(models.Model):
    """Audit row for every status move of any stateful object: who, when, from, to and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("object type"))
    object_id = models.PositiveBigIntegerField(_("object id"))
    subject = GenericForeignKey("content_type", "object_id")
    from_status = models.CharField(_("from status"), max_length=32)
    to_status = models.CharField(_("to status"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        help_text=_("Empty when the system moved the status (e.g. a scheduled expiry)."),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"{self.content_type.model}#{self.object_id}: {self.from_status} → {self.to_status}"


def save_validated(obj: models.Model, *, update_fields: list[str] | None = None) -> models.Model:
    """Run model validation (field, cross-field and unique checks) and save; errors become ValidationFailed."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise from_django_validation(exc) from exc
    obj.save(update_fields=update_fields)
    return obj


class ReferenceCounter(models.Model):
    """The last number drawn for one reference stem (prefix and Asia/Shanghai day), so references are drawn
    under a row lock instead of counted."""

    stem = models.CharField(_("stem"), max_length=32, unique=True)
    value = models.PositiveIntegerField(_("last number"))

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self) -> str:
        return f"{self.stem}: {self.value}"


def next_reference(prefix: str, model: type[models.Model], field: str = "reference") -> str:
    """The next human reference of the day, ``<prefix><YYYYMMDD><nnnnn>`` (Asia/Shanghai day): applications,
    claims, disposal cases. The day's counter row is incremented by an UPDATE, which holds its lock until the
    caller's transaction ends, so concurrent writers draw distinct numbers; a stem's counter starts at the
    references already issued under it (the count the previous scheme used)."""
    stem = f"{prefix}{timezone.localdate():%Y%m%d}"
    with transaction.atomic():
        if not ReferenceCounter.objects.filter(stem=stem).update(value=models.F("value") + 1):
            issued = model.objects.filter(**{f"{field}__startswith": stem}).count()
            ReferenceCounter.objects.bulk_create([ReferenceCounter(stem=stem, value=issued)], ignore_conflicts=True)
            ReferenceCounter.objects.filter(stem=stem).update(value=models.F("value") + 1)
        value = ReferenceCounter.objects.values_list("value", flat=True).get(stem=stem)
    return f"{stem}{value:05d}"
