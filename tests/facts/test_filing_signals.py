"""The abnormal-filing and bad-faith-trademark signals on seeded register records: the cases the rules name are
caught, ordinary filing is not."""

from __future__ import annotations

import datetime as dt

from tongzhirong.facts import filing
from tongzhirong.facts.filing import Applicant, Filing

TODAY = dt.date(2026, 12, 1)
DYE = (
    "本实用新型公开了一种纺织品染色装置，包括染缸、循环泵和加热器，循环泵将染液从染缸底部抽出经加热器回流，使染色均匀。"
)
DYE_VARIED = (
    "本实用新型公开了一种纺织品的染色装置，包括染槽、循环泵和加热器，"
    "循环泵将染液从染槽底部抽出经加热器回流，染色更均匀。"
)
ORDINARY = [
    (
        "一种锂电池隔膜及其制备方法",
        "本发明涉及一种锂电池隔膜，由聚乙烯基膜和陶瓷涂层组成，提高了隔膜的耐热性和电解液浸润性。",
    ),
    (
        "一种船舶用锚链清洗设备",
        "本实用新型公开了一种船舶锚链清洗设备，包括高压喷头和刷辊，可在起锚时清除锚链上的淤泥。",
    ),
    ("一种高强度涤纶纤维的制备方法", "本发明公开了一种高强度涤纶纤维的制备方法，通过固相增粘和多级拉伸提高断裂强度。"),
    (
        "一种纺织品染色设备的控制系统",
        "本发明公开了一种基于温度曲线的染色控制系统，通过传感器反馈调节升温速率，减少色差。",
    ),
]


def patent(pk, title, abstract="", *, owner=1, filed=dt.date(2025, 3, 1), status="valid", **extra) -> Filing:
    return Filing(
        asset_id=pk,
        enterprise_id=owner,
        ip_type="utility_model",
        identifier=f"2025200{pk:05d}.X",
        title=title,
        abstract=abstract,
        filing_date=filed,
        legal_status=status,
        **extra,
    )


def mark(pk, text, *, owner=1, classes=(9,), filed=dt.date(2025, 6, 1), in_use=None) -> Filing:
    return Filing(
        asset_id=pk,
        enterprise_id=owner,
        ip_type="trademark",
        identifier=str(60000000 + pk),
        title=text,
        filing_date=filed,
        legal_status="valid",
        nice_classes=tuple(classes),
        in_use=in_use,
    )


FIRM = Applicant(1, "南通织锦纺织科技有限公司", employees=40)


def codes(found) -> set[tuple[str, int | None]]:
    return {(s.code, s.asset_id) for s in found}


def test_ordinary_patents_raise_nothing():
    filings = [patent(i, t, a) for i, (t, a) in enumerate(ORDINARY, start=1)]
    assert filing.signals(FIRM, filings, today=TODAY) == []


def test_a_trivially_varied_refiling_is_a_near_duplicate_naming_the_other():
    filings = [
        patent(1, "一种纺织品染色装置", DYE),
        patent(2, "一种纺织品的染色装置", DYE_VARIED),
        *(patent(i, t, a) for i, (t, a) in enumerate(ORDINARY, start=3)),
    ]
    found = filing.signals(FIRM, filings, today=TODAY)
    assert codes(found) == {("near_duplicate", 1), ("near_duplicate", 2)}
    first = next(s for s in found if s.asset_id == 1)
    assert first.evidence["other_identifier"] == filings[1].identifier
    assert first.evidence["similarity"] >= filing.SIMILARITY_THRESHOLD


def test_the_same_invention_filed_by_a_related_party_is_a_split_filing():
    mine = [patent(1, "一种纺织品染色装置", DYE)]
    theirs = [patent(9, "一种纺织品的染色装置", DYE_VARIED, owner=2)]
    found = filing.signals(FIRM, mine, related=theirs, today=TODAY)
    assert codes(found) == {("split_filing", 1)}
    assert found[0].evidence["other_enterprise_id"] == 2


def test_filing_volume_out_of_line_with_head_count():
    many = [patent(i, f"一种装置{i}号", filed=TODAY - dt.timedelta(days=10 + i)) for i in range(1, 13)]
    small = Applicant(1, "南通某某科技有限公司", employees=8)
    volume = [s for s in filing.signals(small, many, today=TODAY) if s.code == "filing_volume"]
    assert volume
    assert (volume[0].evidence["filed"], volume[0].evidence["employees"]) == (12, 8)
    # The same twelve from a firm of 60 is ordinary.
    assert not [s for s in filing.signals(Applicant(1, "x", 60), many, today=TODAY) if s.code == "filing_volume"]


def test_a_transfer_shortly_before_the_pledge_is_flagged_an_old_one_is_not():
    recent = patent(1, ORDINARY[0][0], transferred_on=TODAY - dt.timedelta(days=30), transferred_from="ZR-2026-1")
    old = patent(2, ORDINARY[1][0], transferred_on=TODAY - dt.timedelta(days=400))
    assert codes(filing.signals(FIRM, [recent, old], today=TODAY)) == {("transferred_before_pledge", 1)}


def test_a_high_share_withdrawn_rejected_or_lapsed():
    statuses = ["withdrawn", "lapsed", "withdrawn", "valid", "valid", "lapsed"]
    filings = [patent(i, t, status=s) for i, (s, t) in enumerate(zip(statuses, "甲乙丙丁戊己", strict=True), 1)]
    found = [s for s in filing.signals(FIRM, filings, today=TODAY) if s.code == "high_lapse_share"]
    assert [s.evidence["withdrawn_rejected_or_lapsed"] for s in found] == [4]
    # One lapse in six is ordinary.
    ordinary = [patent(i, t, status="lapsed" if i == 1 else "valid") for i, t in enumerate("甲乙丙丁戊己", 1)]
    assert not [s for s in filing.signals(FIRM, ordinary, today=TODAY) if s.code == "high_lapse_share"]


def test_a_number_on_the_notified_list():
    found = filing.signals(FIRM, [patent(1, ORDINARY[0][0], notified="2026-第3批")], today=TODAY)
    assert codes(found) == {("notified_list", 1)}
    assert found[0].evidence["list"] == "2026-第3批"


def test_marks_across_many_classes_without_use():
    spread = [mark(i, f"织锦{i}", classes=(i, i + 12)) for i in range(1, 7)]
    assert codes(filing.signals(FIRM, spread, today=TODAY)) == {("mass_class_filing", None)}
    used = [mark(i, f"织锦{i}", classes=(i, i + 12), in_use=True) for i in range(1, 7)]
    assert filing.signals(FIRM, used, today=TODAY) == []


def test_marks_near_identical_to_a_well_known_mark():
    found = filing.signals(FIRM, [mark(1, "华为"), mark(2, "娃恰哈"), mark(3, "ADIDAS-PRO")], today=TODAY)
    by_asset = {s.asset_id: s.evidence for s in found if s.code == "well_known_mark"}
    assert by_asset[1]["match"] == "identical"
    assert (by_asset[2]["well_known"], by_asset[2]["match"]) == ("娃哈哈", "one_character_apart")
    assert (by_asset[3]["well_known"], by_asset[3]["match"]) == ("adidas", "contains")


def test_ordinary_marks_and_the_holders_own_are_not_lookalikes():
    assert filing.signals(FIRM, [mark(1, "织锦"), mark(2, "江海韵"), mark(3, "通州湾")], today=TODAY) == []
    holder = Applicant(5, "杭州娃哈哈集团有限公司", employees=20000)
    assert filing.signals(holder, [mark(1, "娃哈哈")], today=TODAY) == []


def test_hoarding():
    hoard = [mark(i, f"标{i}", classes=(1 + i % 3,), filed=dt.date(2020, 1, 1)) for i in range(1, 36)]
    assert codes(filing.signals(Applicant(1, "x", employees=5), hoard, today=TODAY)) == {("hoarding", None)}
    # A large brand house holding as many is not hoarding.
    assert filing.signals(Applicant(1, "x", employees=500), hoard, today=TODAY) == []
