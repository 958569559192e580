"""Abnormal patent filing and bad-faith trademark signals, computed from register records: pure functions (no
Django, no database), each signal carrying the evidence that raised it.

Patents follow the categories of CNIPA's rules on regulating patent applications (关于规范申请专利行为的规定,
2023, art. 3): near-duplicate or trivially varied applications, the same invention split across related
parties, filing volume out of line with the applicant's R&D capacity, transfers shortly before the right is
pledged, a high share of applications withdrawn, rejected or lapsed, and a number on CNIPA's notified lists.
Trademarks follow 商标法 art. 4 and 32 (规范商标申请注册行为若干规定, 2019): filings across many classes with no
use, marks near-identical to a well-known mark, hoarding.

Similarity of patents is the cosine of character 2- and 3-gram vectors of title and abstract (scikit-learn's
TfidfVectorizer, sublinear term frequency): it needs no word segmentation for Chinese and sees a trivially varied
title (one word added or swapped) as close. Inverse document frequency is off: the corpus is one firm's portfolio
and its related parties', a handful of documents, where document frequencies swing the score of the same pair by
0.1 or more with the number of other filings.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

# Codes of the signals. Asset signals name one right; firm signals describe the applicant's filing as a whole.
NEAR_DUPLICATE = "near_duplicate"
SPLIT_FILING = "split_filing"
FILING_VOLUME = "filing_volume"
TRANSFERRED_BEFORE_PLEDGE = "transferred_before_pledge"
HIGH_LAPSE_SHARE = "high_lapse_share"
NOTIFIED_LIST = "notified_list"
MASS_CLASS_FILING = "mass_class_filing"
WELL_KNOWN_MARK = "well_known_mark"
HOARDING = "hoarding"

PATENT_SIGNALS = (
    NEAR_DUPLICATE,
    SPLIT_FILING,
    FILING_VOLUME,
    TRANSFERRED_BEFORE_PLEDGE,
    HIGH_LAPSE_SHARE,
    NOTIFIED_LIST,
)
TRADEMARK_SIGNALS = (MASS_CLASS_FILING, WELL_KNOWN_MARK, HOARDING)
# The signals that keep a right out of a pledge (eligibility): the register would refuse or revoke it, or its
# value rests on a filing the rules call abnormal. The others are the bank's to weigh, as risk reasons.
ABNORMAL_FILING_BLOCKING = frozenset({NEAR_DUPLICATE, SPLIT_FILING, NOTIFIED_LIST})
BAD_FAITH_BLOCKING = frozenset({WELL_KNOWN_MARK})

# Thresholds, each a judgement written down. A title, or a title and abstract, re-filed with a word added or
# swapped scores 0.74-0.98; unrelated applications of one field stay under 0.35, and a bare title against
# another right's title and abstract under 0.6 (the seeded cases in tests/facts/test_filing_signals.py).
SIMILARITY_THRESHOLD = 0.7
VOLUME_WINDOW_DAYS = 365
VOLUME_MIN_FILINGS = 10  # below this, no volume is out of line whatever the head count
VOLUME_PER_EMPLOYEE = 1.0  # patent applications a year per employee (a busy R&D firm files ~0.2)
TRANSFER_WINDOW_DAYS = 180
LAPSE_MIN_FILINGS = 5
LAPSE_SHARE = 0.5
LAPSED_STATUSES = frozenset({"withdrawn", "lapsed"})
MASS_CLASS_WINDOW_DAYS = 730
MASS_CLASS_MIN_CLASSES = 10
IN_USE_SHARE = 1 / 3  # fewer marks than this in use is "without use"
HOARDING_MIN_MARKS = 30
HOARDING_MARKS_PER_EMPLOYEE = 1.0
MARK_SIMILARITY = 0.8

PATENT_TYPES = frozenset({"invention_patent", "utility_model", "design_patent"})
MARK_TYPES = frozenset({"trademark", "geographical_indication"})

# A seeded list of marks recognised as well known (驰名商标) or of high repute, with their holders. The
# platform's list is this one until CNIPA's is imported; holders' own filings are not flagged.
WELL_KNOWN_MARKS: tuple[tuple[str, str], ...] = (
    ("华为", "华为技术有限公司"),
    ("小米", "小米科技有限责任公司"),
    ("格力", "珠海格力电器股份有限公司"),
    ("海尔", "海尔集团公司"),
    ("美的", "美的集团股份有限公司"),
    ("联想", "联想（北京）有限公司"),
    ("比亚迪", "比亚迪股份有限公司"),
    ("茅台", "中国贵州茅台酒厂（集团）有限责任公司"),
    ("同仁堂", "中国北京同仁堂（集团）有限责任公司"),
    ("老干妈", "贵阳南明老干妈风味食品有限责任公司"),
    ("娃哈哈", "杭州娃哈哈集团有限公司"),
    ("李宁", "李宁（中国）体育用品有限公司"),
    ("安踏", "安踏（中国）有限公司"),
    ("腾讯", "深圳市腾讯计算机系统有限公司"),
    ("阿里巴巴", "阿里巴巴集团控股有限公司"),
    ("大疆", "深圳市大疆创新科技有限公司"),
    ("伊利", "内蒙古伊利实业集团股份有限公司"),
    ("青岛啤酒", "青岛啤酒股份有限公司"),
    ("罗莱", "罗莱生活科技股份有限公司"),
    ("波司登", "波司登羽绒服装有限公司"),
    ("nike", "Nike Innovate C.V."),
    ("adidas", "adidas AG"),
    ("starbucks", "Starbucks Corporation"),
    ("cocacola", "The Coca-Cola Company"),
)


@dataclass(frozen=True)
class Filing:
    """One record of a register: a patent application or a trademark, whoever holds it now."""

    asset_id: int
    enterprise_id: int
    ip_type: str
    identifier: str
    title: str
    filing_date: dt.date
    legal_status: str
    abstract: str = ""
    nice_classes: tuple[int, ...] = ()
    in_use: bool | None = None  # a trademark's use evidence, None when nothing is recorded
    transferred_on: dt.date | None = None
    transferred_from: str = ""
    notified: str = ""  # the notified list's reference when the number is on it


@dataclass(frozen=True)
class Applicant:
    enterprise_id: int
    name: str
    employees: int
    related: frozenset[int] = frozenset()  # related parties' enterprise ids (shared co-ownership)


@dataclass(frozen=True)
class Signal:
    code: str
    enterprise_id: int
    asset_id: int | None
    evidence: dict = field(hash=False, compare=False)


def signals(
    applicant: Applicant, filings: Sequence[Filing], *, related: Sequence[Filing] = (), today: dt.date
) -> list[Signal]:
    """Every signal about ``applicant`` from its own ``filings`` and those of its ``related`` parties (read
    for the split-filing comparison only)."""
    patents = [f for f in filings if f.ip_type in PATENT_TYPES]
    marks = [f for f in filings if f.ip_type in MARK_TYPES]
    found: list[Signal] = []
    found += similar_patents(applicant, patents, [f for f in related if f.ip_type in PATENT_TYPES])
    found += filing_volume(applicant, patents, today=today)
    found += transfers_before_pledge(applicant, patents, today=today)
    found += lapse_share(applicant, patents)
    found += notified(applicant, patents)
    found += mass_class_filing(applicant, marks, today=today)
    found += well_known_lookalikes(applicant, marks)
    found += hoarding(applicant, marks)
    return found


def _text(filing: Filing) -> str:
    return unicodedata.normalize("NFKC", f"{filing.title} {filing.abstract}").lower().strip()


def similarities(texts: Sequence[str]):
    """The cosine similarity matrix of ``texts`` over character 2- and 3-gram frequencies."""
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, use_idf=False)
    vectors = vectorizer.fit_transform(texts)
    return linear_kernel(vectors)  # rows are L2-normalised: the dot product is the cosine


def similar_patents(applicant: Applicant, own: Sequence[Filing], related: Sequence[Filing]) -> list[Signal]:
    """A pair of the applicant's applications of one type this close is a near-duplicate; a pair with a related
    party's application is the same invention split across applicants. Each right of the pair is flagged,
    naming the other."""
    pool = [*own, *related]
    if len(own) < 1 or len(pool) < 2:
        return []
    matrix = similarities([_text(f) for f in pool])
    found = []
    for i, mine in enumerate(own):
        for j, other in enumerate(pool):
            if j == i or other.ip_type != mine.ip_type or matrix[i, j] < SIMILARITY_THRESHOLD:
                continue
            evidence = {
                "similarity": round(float(matrix[i, j]), 2),
                "title": mine.title,
                "other_identifier": other.identifier,
                "other_title": other.title,
                "other_filed_on": other.filing_date.isoformat(),
            }
            if other.enterprise_id == applicant.enterprise_id:
                found.append(Signal(NEAR_DUPLICATE, applicant.enterprise_id, mine.asset_id, evidence))
            else:
                evidence["other_enterprise_id"] = other.enterprise_id
                found.append(Signal(SPLIT_FILING, applicant.enterprise_id, mine.asset_id, evidence))
    return _one_per_asset(found)


def _one_per_asset(found: Iterable[Signal]) -> list[Signal]:
    """The closest match per asset and code (a right copied five times names its nearest copy, and the count)."""
    best: dict[tuple[str, int | None], Signal] = {}
    counts: dict[tuple[str, int | None], int] = {}
    for signal in found:
        key = (signal.code, signal.asset_id)
        counts[key] = counts.get(key, 0) + 1
        if key not in best or signal.evidence["similarity"] > best[key].evidence["similarity"]:
            best[key] = signal
    return [
        Signal(s.code, s.enterprise_id, s.asset_id, {**s.evidence, "matches": counts[key]}) for key, s in best.items()
    ]


def filing_volume(applicant: Applicant, patents: Sequence[Filing], *, today: dt.date) -> list[Signal]:
    since = today - dt.timedelta(days=VOLUME_WINDOW_DAYS)
    recent = [f for f in patents if f.filing_date > since]
    employees = max(applicant.employees, 1)
    per_employee = len(recent) / employees
    if len(recent) < VOLUME_MIN_FILINGS or per_employee <= VOLUME_PER_EMPLOYEE:
        return []
    evidence = {
        "filed": len(recent),
        "window_days": VOLUME_WINDOW_DAYS,
        "employees": applicant.employees,
        "per_employee": round(per_employee, 2),
        "threshold": VOLUME_PER_EMPLOYEE,
    }
    return [Signal(FILING_VOLUME, applicant.enterprise_id, None, evidence)]


def transfers_before_pledge(applicant: Applicant, patents: Sequence[Filing], *, today: dt.date) -> list[Signal]:
    found = []
    for f in patents:
        if f.transferred_on is None or (today - f.transferred_on).days > TRANSFER_WINDOW_DAYS:
            continue
        evidence = {
            "transferred_on": f.transferred_on.isoformat(),
            "days_ago": (today - f.transferred_on).days,
            "window_days": TRANSFER_WINDOW_DAYS,
            "transferred_from": f.transferred_from,
        }
        found.append(Signal(TRANSFERRED_BEFORE_PLEDGE, applicant.enterprise_id, f.asset_id, evidence))
    return found


def lapse_share(applicant: Applicant, patents: Sequence[Filing]) -> list[Signal]:
    dropped = [f for f in patents if f.legal_status in LAPSED_STATUSES]
    if len(patents) < LAPSE_MIN_FILINGS or len(dropped) / len(patents) < LAPSE_SHARE:
        return []
    evidence = {
        "filings": len(patents),
        "withdrawn_rejected_or_lapsed": len(dropped),
        "share": round(len(dropped) / len(patents), 2),
        "threshold": LAPSE_SHARE,
        "examples": sorted(f.identifier for f in dropped)[:5],
    }
    return [Signal(HIGH_LAPSE_SHARE, applicant.enterprise_id, None, evidence)]


def notified(applicant: Applicant, patents: Sequence[Filing]) -> list[Signal]:
    return [
        Signal(NOTIFIED_LIST, applicant.enterprise_id, f.asset_id, {"list": f.notified, "identifier": f.identifier})
        for f in patents
        if f.notified
    ]


def mass_class_filing(applicant: Applicant, marks: Sequence[Filing], *, today: dt.date) -> list[Signal]:
    since = today - dt.timedelta(days=MASS_CLASS_WINDOW_DAYS)
    recent = [f for f in marks if f.filing_date > since]
    classes = sorted({c for f in recent for c in f.nice_classes})
    in_use = sum(f.in_use is True for f in recent)
    if len(classes) < MASS_CLASS_MIN_CLASSES or in_use >= IN_USE_SHARE * len(recent):
        return []
    evidence = {
        "marks": len(recent),
        "classes": classes,
        "class_count": len(classes),
        "in_use": in_use,
        "window_days": MASS_CLASS_WINDOW_DAYS,
        "threshold": MASS_CLASS_MIN_CLASSES,
    }
    return [Signal(MASS_CLASS_FILING, applicant.enterprise_id, None, evidence)]


def hoarding(applicant: Applicant, marks: Sequence[Filing]) -> list[Signal]:
    live = [f for f in marks if f.legal_status not in LAPSED_STATUSES]
    in_use = sum(f.in_use is True for f in live)
    per_employee = len(live) / max(applicant.employees, 1)
    if (
        len(live) < HOARDING_MIN_MARKS
        or per_employee <= HOARDING_MARKS_PER_EMPLOYEE
        or in_use >= IN_USE_SHARE * len(live)
    ):
        return []
    evidence = {
        "marks": len(live),
        "in_use": in_use,
        "employees": applicant.employees,
        "per_employee": round(per_employee, 2),
        "threshold": HOARDING_MIN_MARKS,
    }
    return [Signal(HOARDING, applicant.enterprise_id, None, evidence)]


_NOT_MARK = re.compile(r"[\W_]+", re.UNICODE)


def mark_key(text: str) -> str:
    """A mark's text as compared: full-width folded, lower case, without spaces, punctuation or hyphens."""
    return _NOT_MARK.sub("", unicodedata.normalize("NFKC", text).lower())


def _one_apart(a: str, b: str) -> bool:
    """One character replaced, added or dropped (娃哈哈 / 哇哈哈, adidas / adidos)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def well_known_lookalike(mark: str, *, owner_name: str = "") -> dict | None:
    """The evidence that ``mark`` copies a well-known mark, or None: identical, containing it, or one
    character apart. The holder's own filings are not flagged."""
    key = mark_key(mark)
    if not key:
        return None
    for known, holder in WELL_KNOWN_MARKS:
        if owner_name and mark_key(owner_name) == mark_key(holder):
            continue
        if key == known:
            how = "identical"
        elif known in key:
            how = "contains"
        elif len(known) >= 3 and _one_apart(key, known):
            how = "one_character_apart"
        else:
            continue
        return {"mark": mark, "well_known": known, "holder": holder, "match": how}
    return None


def well_known_lookalikes(applicant: Applicant, marks: Sequence[Filing]) -> list[Signal]:
    found = []
    for f in marks:
        evidence = well_known_lookalike(f.title, owner_name=applicant.name)
        if evidence is not None:
            found.append(Signal(WELL_KNOWN_MARK, applicant.enterprise_id, f.asset_id, evidence))
    return found
