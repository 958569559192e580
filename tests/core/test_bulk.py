"""``insert_new_rows`` writes what ``bulk_create`` writes, keeps out only rows a unique constraint
already holds, and writes nothing of a call that breaks any other constraint."""

import datetime as dt
from decimal import Decimal

import orjson
import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, NotSupportedError, connection
from django.utils import timezone

from scoring import registry
from scoring.models import ApplicationScore, ModelRole
from tests.factories import ApplicationFactory
from tongzhirong.core import bulk
from tongzhirong.core.bulk import insert_new_rows

pytestmark = pytest.mark.django_db

# Text that the COPY format and SQL quoting must carry through: quotes, a backslash, a tab, a newline,
# Chinese, and JSON's own null inside a value.
AWKWARD = 'a "quoted" \\ back\tslash\nline 南通 \\N'
FIELDS = ("application_id", "input_hash", "inputs", "pd", "points", "band", "reasons", "improvements")


@pytest.fixture
def version():
    registry.get_model("pledge_risk", ModelRole.CHAMPION)  # registers the default versions
    return registry.get_model("pledge_risk", ModelRole.CHAMPION)[0]


def _row(application_id: int, digest: str, pd: str = "0.012346") -> tuple:
    inputs = {"text": AWKWARD, "none": None, "list": [1, 2.5, "三"], "nested": {"k": -1e-07}}
    reasons = [{"feature": "debt_ratio", "pd_impact": 0.01234}]
    return (application_id, digest, inputs, Decimal(pd), Decimal("612.5"), "B", reasons, ["debt_ratio"])


def _read(pks) -> list[dict]:
    return list(ApplicationScore.objects.filter(pk__in=pks).order_by("application_id").values(*FIELDS))


def test_rows_read_back_as_the_orm_writes_them(version):
    apps = ApplicationFactory.create_batch(2)
    now = timezone.now()
    written = insert_new_rows(
        ApplicationScore,
        FIELDS,
        [_row(app.pk, "h1") for app in apps],
        constants={"model_version": version.pk, "created_at": now},
    )
    assert written == 2
    ours = ApplicationScore.objects.filter(input_hash="h1")
    for app in apps:
        ApplicationScore.objects.create(model_version=version, **dict(zip(FIELDS, _row(app.pk, "h2"), strict=True)))
    theirs = ApplicationScore.objects.filter(input_hash="h2")

    def comparable(rows):
        return [{k: v for k, v in row.items() if k != "input_hash"} for row in rows]

    assert comparable(_read(ours.values("pk"))) == comparable(_read(theirs.values("pk")))
    assert {s.created_at for s in ours} == {now}
    assert {s.model_version_id for s in ours} == {version.pk}
    # The compacting field stored its compact form, as through the ORM.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reasons FROM scoring_applicationscore WHERE input_hash = %s", ["h1"])
        assert {str(r[0]).replace(" ", "") for r in cursor.fetchall()} == {'[["debt_ratio",0.01234]]'}


def test_rows_a_unique_constraint_holds_are_kept_out_and_not_counted(version):
    first, second = ApplicationFactory.create_batch(2)
    constants = {"model_version": version.pk, "created_at": timezone.now()}
    assert insert_new_rows(ApplicationScore, FIELDS, [_row(first.pk, "same")], constants=constants) == 1
    kept = ApplicationScore.objects.get()
    again = [_row(first.pk, "same", pd="0.5"), _row(second.pk, "same")]
    assert insert_new_rows(ApplicationScore, FIELDS, again, constants=constants) == 1
    assert ApplicationScore.objects.count() == 2
    assert ApplicationScore.objects.get(pk=kept.pk).pd == Decimal("0.012346")  # the stored row is untouched


def test_a_row_breaking_a_check_constraint_fails_the_whole_call(version):
    """``bulk_create(ignore_conflicts=True)`` on SQLite would silently drop it (``INSERT OR IGNORE``)."""
    apps = ApplicationFactory.create_batch(2)
    rows = [_row(apps[0].pk, "ok"), _row(apps[1].pk, "bad", pd="1.5")]
    with pytest.raises(IntegrityError):
        insert_new_rows(
            ApplicationScore, FIELDS, rows, constants={"model_version": version.pk, "created_at": timezone.now()}
        )
    assert not ApplicationScore.objects.exists()


def test_a_json_fields_encoder_is_used(version, monkeypatch):
    monkeypatch.setattr(ApplicationScore._meta.get_field("inputs"), "encoder", DjangoJSONEncoder)
    inputs = {"amount": Decimal("12.50"), "day": dt.date(2026, 11, 26)}  # DjangoJSONEncoder's types
    rows = [(ApplicationFactory().pk, "h1", inputs, Decimal("0.1"), 600, "B", [], [])]
    constants = {"model_version": version.pk, "created_at": timezone.now()}
    assert insert_new_rows(ApplicationScore, FIELDS, rows, constants=constants) == 1
    assert ApplicationScore.objects.get().inputs == {"amount": "12.50", "day": "2026-11-26"}


def test_an_empty_call_writes_nothing(version):
    assert insert_new_rows(ApplicationScore, FIELDS, [], constants={"model_version": version.pk}) == 0


def test_another_database_is_refused(monkeypatch, version):
    monkeypatch.setattr(connection, "vendor", "oracle")
    with pytest.raises(NotSupportedError, match="oracle"):
        bulk.insert_new_rows(ApplicationScore, FIELDS, [], constants={"model_version": version.pk})


def test_rows_of_the_wrong_width_are_refused(version):
    app = ApplicationFactory()
    with pytest.raises(ValueError, match="needs 8 values"):
        insert_new_rows(ApplicationScore, FIELDS, [_row(app.pk, "h")[:7]], constants={"model_version": version.pk})
    with pytest.raises(ValueError, match="shorter"):  # rows of unequal widths
        insert_new_rows(ApplicationScore, FIELDS, [_row(app.pk, "h"), _row(app.pk, "i")[:7]])
    assert not ApplicationScore.objects.exists()


@pytest.mark.parametrize("expect_new", [False, True])
def test_rows_expected_new_are_written_and_a_row_stored_first_is_still_kept_out(version, expect_new):
    """``expect_new`` (COPY straight into the table on PostgreSQL) writes the same rows; when a concurrent writer
    stored one of them first after all, that row is kept and the others are written, as without it."""
    first, second = ApplicationFactory.create_batch(2)
    constants = {"model_version": version.pk, "created_at": timezone.now()}
    assert insert_new_rows(ApplicationScore, FIELDS, [_row(first.pk, "a")], constants=constants, expect_new=True) == 1
    kept = ApplicationScore.objects.get()
    again = [_row(first.pk, "a", pd="0.5"), _row(second.pk, "a")]
    assert insert_new_rows(ApplicationScore, FIELDS, again, constants=constants, expect_new=expect_new) == 1
    assert ApplicationScore.objects.count() == 2
    assert ApplicationScore.objects.get(pk=kept.pk).pd == Decimal("0.012346")
    assert _read([kept.pk])[0]["inputs"] == _row(first.pk, "a")[2]


def test_a_row_expected_new_breaking_a_check_constraint_still_fails_the_whole_call(version):
    apps = ApplicationFactory.create_batch(2)
    rows = [_row(apps[0].pk, "ok"), _row(apps[1].pk, "bad", pd="1.5")]
    constants = {"model_version": version.pk, "created_at": timezone.now()}
    with pytest.raises(IntegrityError):
        insert_new_rows(ApplicationScore, FIELDS, rows, constants=constants, expect_new=True)
    assert not ApplicationScore.objects.exists()


def test_rows_written_with_reserved_ids_keep_them(version):
    """On PostgreSQL the ids come from the table's sequence before the insert, so the caller need not read the rows
    back; another insert meanwhile takes other ids. SQLite has no sequence to reserve from."""
    apps = ApplicationFactory.create_batch(3)
    pks = bulk.reserved_ids(ApplicationScore, 2)
    if connection.vendor != "postgresql":
        assert pks is None
        return
    assert pks == sorted(set(pks))
    assert len(pks) == 2
    constants = {"model_version": version.pk, "created_at": timezone.now()}
    insert_new_rows(ApplicationScore, FIELDS, [_row(apps[2].pk, "meanwhile")], constants=constants)
    rows = [(pk, *_row(app.pk, "r")) for pk, app in zip(pks, apps[:2], strict=True)]
    assert insert_new_rows(ApplicationScore, ("id", *FIELDS), rows, constants=constants, expect_new=True) == 2
    stored = dict(ApplicationScore.objects.filter(input_hash="r").values_list("application_id", "pk"))
    assert stored == {apps[0].pk: pks[0], apps[1].pk: pks[1]}
    assert ApplicationScore.objects.get(input_hash="meanwhile").pk not in pks


def test_json_given_as_a_fragment_is_stored_as_encoded(version):
    """An ``orjson.Fragment`` is JSON in the field's stored form: written as it is, not compacted again."""
    app = ApplicationFactory()
    row = _row(app.pk, "f")
    packed = orjson.Fragment(orjson.dumps([["debt_ratio", 0.01234]]))
    constants = {"model_version": version.pk, "created_at": timezone.now()}
    insert_new_rows(ApplicationScore, FIELDS, [(*row[:6], packed, row[7])], constants=constants, expect_new=True)
    insert_new_rows(ApplicationScore, FIELDS, [_row(app.pk, "g")], constants=constants, expect_new=True)
    fragment, compacted = (ApplicationScore.objects.get(input_hash=h) for h in ("f", "g"))
    assert fragment.reasons == compacted.reasons
    assert fragment.created_at == compacted.created_at == constants["created_at"]
