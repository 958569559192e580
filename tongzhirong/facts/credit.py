"""A bank recording the credit report it pulled under the firm's live credit-check authorisation: every line of
one report in one transaction (all or none), each a fact with the report's number as its reference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tongzhirong.core.errors import ValidationFailed
from tongzhirong.enterprises.models import Enterprise

from .catalogue import FACTS, Source
from .models import Fact
from .services import fact_record

# The lines of the central bank's enterprise credit report the platform records.
CREDIT_REPORT_FACTS = tuple(name for name, kind in FACTS.items() if kind.source == Source.CREDIT_REPORT)


def credit_report_record(
    *, actor, enterprise: Enterprise, reference: str, observed_at: dt.datetime, values: Mapping[str, Any]
) -> list[Fact]:
    """Record the report's ``values`` (fact name → value) as facts of source "credit report". ``fact_record``
    refuses an actor whose bank holds no live authorisation from the firm; a line that is not a credit-report
    fact, or a value it cannot hold, refuses the whole report naming the line (``{"values": {name: [...]}}``, which
    the API writes ``values/<name>``)."""
    reference = reference.strip()
    errors: dict[str, Any] = {}
    if not reference:
        errors["reference"] = [_("The report's number is required.")]
    if not values:
        errors["values"] = [_("Give at least one line of the report.")]
    unknown = {
        name: [_("Not a line of the credit report the platform records.")]
        for name in values
        if name not in CREDIT_REPORT_FACTS
    }
    if unknown:
        errors["values"] = unknown
    if errors:
        raise ValidationFailed(errors)
    recorded = []
    with transaction.atomic():
        for name, value in sorted(values.items()):
            try:
                recorded.append(
                    fact_record(
                        actor=actor,
                        enterprise=enterprise,
                        name=name,
                        value=value,
                        reference=reference,
                        observed_at=observed_at,
                        source=Source.CREDIT_REPORT,
                    )
                )
            except ValidationFailed as exc:
                named = {("values" if f == "value" else f): messages for f, messages in exc.errors.items()}
                if "values" in named:
                    named["values"] = {name: named["values"]}
                raise ValidationFailed(named) from exc
    return recorded
