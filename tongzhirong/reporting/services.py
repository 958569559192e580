"""What the office writes: official figures of the plan's indicators. Reported loans come in through
``importing.reported_loans_import``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.core.errors import NotFound, ValidationFailed

from .importing import reported_loans_import
from .models import Indicator, OfficialFigure
from .selectors import city_wide_scope

__all__ = ["official_figure_record", "reported_loans_import"]


def official_figure_record(
    *, actor, indicator_code: str, as_of: dt.date, value: Decimal, source: str = ""
) -> OfficialFigure:
    """Enter the official figure of an indicator as of a day, or correct the one entered for that day.
    Only city-wide viewers (the city office, the platform) enter figures."""
    city_wide_scope(user=actor)
    indicator = Indicator.objects.filter(code=indicator_code).first()
    if indicator is None:
        raise NotFound(_("No indicator %(code)s.") % {"code": indicator_code})
    if as_of > timezone.localdate():
        raise ValidationFailed({"as_of": [_("An official figure cannot be dated in the future.")]})
    if value < 0:
        raise ValidationFailed({"value": [_("An official figure is not negative.")]})
    with transaction.atomic():
        figure, _created = OfficialFigure.objects.update_or_create(
            indicator=indicator, as_of=as_of, defaults={"value": value, "source": source, "entered_by": actor}
        )
    return figure
