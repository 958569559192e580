"""PlainRowsSerializer gives what DRF's own serializer path gives, row for row."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from api.applications.serializers import ApplicationOutput
from api.rows import PlainRowsSerializer
from tests.factories import ApplicationFactory, BankOfficerFactory, IPAssetFactory, LoanProductFactory
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus
from tongzhirong.lending.queue import application_queue, application_queue_page


class Inner(serializers.Serializer):
    n = serializers.IntegerField()

    class Meta:
        list_serializer_class = PlainRowsSerializer


class Sample(serializers.Serializer):
    text = serializers.CharField()
    number = serializers.IntegerField()
    flag = serializers.BooleanField()
    choice = serializers.ChoiceField(choices=[("a", "A"), ("b", "B")])
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    at = serializers.DateTimeField()
    nested = serializers.CharField(source="inner.name")
    inners = Inner(many=True)
    method = serializers.SerializerMethodField()

    class Meta:
        list_serializer_class = PlainRowsSerializer

    def get_method(self, row) -> str:
        return f"{row['text']}!"


def drf_own(serializer_class, rows):
    return [dict(serializer_class(row).data) for row in rows]


def test_values_of_every_kind_come_out_as_drf_gives_them():
    rows = [
        {
            "text": "文本", "number": 7, "flag": True, "choice": "a", "amount": Decimal("12.5"),
            "at": dt.datetime(2026, 12, 31, 15, 30, tzinfo=dt.UTC), "inner": {"name": "x"}, "inners": [{"n": 1}],
        },
        {  # what a backend may hand over instead: ints for booleans, numbers in text fields, naive or other zones
            "text": 5, "number": "8", "flag": 0, "choice": "b", "amount": 3, "inner": {"name": None}, "inners": [],
            "at": dt.datetime(2026, 1, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        },
        {
            "text": None, "number": None, "flag": None, "choice": None, "amount": None, "at": None,
            "inner": {"name": "y"}, "inners": [{"n": 2}, {"n": 3}],
        },
    ]  # fmt: skip
    for zone in ("UTC", "Asia/Shanghai"):
        with timezone.override(zone):
            assert [dict(r) for r in Sample(rows, many=True).data] == drf_own(Sample, rows)


@pytest.mark.django_db
def test_the_queue_rows_come_out_as_drf_gives_them():
    product = LoanProductFactory()
    officer = BankOfficerFactory(organisation=product.bank)
    for status in (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW, ApplicationStatus.REJECTED):
        application = ApplicationFactory(product=product, status=status)
        for _ in range(2):
            ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=application.enterprise))
    queue = application_queue(user=officer)
    rows = application_queue_page(queue=queue, ids=list(queue.values_list("pk", flat=True)))
    assert [len(row["assets"]) for row in rows] == [2, 2, 2]
    assert [dict(r) for r in ApplicationOutput(rows, many=True).data] == drf_own(ApplicationOutput, rows)
