"""The services' own words read in Chinese at display time (issue 18, item 1): status changes, reasons and
notices are stored as written and shown through labels and gettext, so no code or English phrase reaches the
page."""

import pytest
from django.utils import translation

from tongzhirong.notifications.models import Notification
from tongzhirong.web.templatetags.words import notice_title, said, status_label


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def test_a_status_value_reads_as_its_label():
    assert status_label("under_review") == "审查中"
    assert status_label("pledge_registration") == "质押登记中"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("review started", "开始审查"),
        ("approval confirmed by checker", "复核员已确认批准"),
        ("registered 苏(2026)南通质登字第0001号", "质押已登记，登记通知书 苏(2026)南通质登字第0001号"),
        ("45 days past due", "逾期45天"),
        ("ip_legal_defect: 专利权属存在争议", "知识产权法律瑕疵：专利权属存在争议"),
        # A mixed portfolio's filing names its registries (issue 17, item 7).
        ("pledge filed [cnipa, copyright_centre]", "已提交质押登记（国家知识产权局、中国版权保护中心）"),
        (
            "registered Y2026320000001, ZY2026000001 [cnipa, copyright_centre]",
            "质押已登记，登记通知书 Y2026320000001, ZY2026000001（国家知识产权局、中国版权保护中心）",
        ),
        (
            "质押登记材料待签署 Filing package v2 ready to sign: NT-APP-1 [copyright_centre]",
            "质押登记材料 v2 待签署：NT-APP-1（中国版权保护中心）",
        ),
    ],
)
def test_a_reason_the_services_wrote_reads_in_chinese(stored, shown):
    assert said(stored) == shown


def test_a_persons_own_words_are_shown_as_written():
    assert said("请补充近三年财务报表。") == "请补充近三年财务报表。"


def test_a_status_change_notice_names_the_statuses_not_their_codes():
    """The bug: the notice read "APP-2026-00001: submitted → under_review"."""
    notice = Notification(title="APP-2026-00001: submitted → under_review", status_change_id=1)
    assert notice_title(notice) == "APP-2026-00001：已提交 → 审查中"


def test_a_bilingual_notice_title_reads_in_chinese_only():
    notice = Notification(title="质押登记材料已签署 Package v1 signed by the pledgee: APP-2026-00001")
    assert notice_title(notice) == "质押登记材料 v1 已由质权人签署：APP-2026-00001"
    overdue = Notification(title="逾期提醒 Overdue: NT-2026-0001 #3 12345.67 元 since 2026-11-30")
    assert notice_title(overdue) == "逾期提醒：NT-2026-0001 第3期，12345.67 元，自 2026-11-30 起"
