"""risksharing 0006: an auction's reserve names its valuation by a foreign key, no longer in text; both ways."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tongzhirong.risksharing import services
from tongzhirong.risksharing.models import Auction

from .helpers import bank_officer, disposal_case

BEFORE = [("risksharing", "0005_cover_request_lapsed")]
AFTER = [("risksharing", "0006_auction_reserve_valuation")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _stored_source(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reserve_source FROM risksharing_auction WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _auctions():
    officer = bank_officer()
    made = []
    for contract, reserve in (("JK-DEFAULT-1", None), ("JK-DEFAULT-2", Decimal("80000"))):
        case = disposal_case(officer, contract=contract)
        now = timezone.now()
        made.append(
            services.auction_start(
                actor=officer, case=case, opens_at=now, closes_at=now + dt.timedelta(days=7), reserve_price=reserve
            )
        )
    return made


@pytest.mark.django_db(transaction=True)
def test_the_reserves_valuation_is_kept_through_the_migration_both_ways():
    from_valuation, from_bank = _auctions()
    valuation_id = from_valuation.reserve_valuation_id
    _migrate(BEFORE)
    assert _stored_source(from_valuation.pk) == f"valuation #{valuation_id}"
    assert _stored_source(from_bank.pk) == "bank"
    _migrate(AFTER)
    linked, bank = Auction.objects.get(pk=from_valuation.pk), Auction.objects.get(pk=from_bank.pk)
    assert (linked.reserve_source, linked.reserve_valuation_id) == ("valuation", valuation_id)
    assert (bank.reserve_source, bank.reserve_valuation_id) == ("bank", None)


@pytest.mark.django_db(transaction=True)
def test_a_reserve_naming_a_valuation_that_is_not_stored_stops_the_migration():
    from_valuation, _ = _auctions()
    _migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE risksharing_auction SET reserve_source = 'valuation #999999' WHERE id = %s", [from_valuation.pk]
        )
    with pytest.raises(RuntimeError, match="valuation #999999"):
        _migrate(AFTER)
    assert _stored_source(from_valuation.pk) == "valuation #999999"  # nothing half-written
    with connection.cursor() as cursor:
        cursor.execute("UPDATE risksharing_auction SET reserve_source = 'bank' WHERE id = %s", [from_valuation.pk])
    _migrate(AFTER)
