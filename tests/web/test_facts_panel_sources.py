"""The bank's facts panel says how current each source is: fresh until a day, stale since a day, or unavailable
since a time — in Chinese, never a silent default."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from tests.factories import BankOfficerFactory, EnterpriseFactory
from tongzhirong.facts.models import FetchOutcome, SourceFetch
from tongzhirong.web.facts_panel import facts_panel

pytestmark = pytest.mark.django_db


def test_the_panel_names_each_sources_state_in_chinese():
    firm = EnterpriseFactory()
    now = timezone.now()
    SourceFetch.objects.create(
        enterprise=firm,
        source="court_enforcement",
        outcome=FetchOutcome.UNAVAILABLE,
        attempted_at=now,
        succeeded_at=now - dt.timedelta(days=40),
        failing_since=now - dt.timedelta(hours=2),
        error="timed out after 5 s",
    )
    SourceFetch.objects.create(
        enterprise=firm, source="ip_register", outcome=FetchOutcome.OK, attempted_at=now, succeeded_at=now
    )

    with translation.override("zh-hans"):
        page = render_to_string(
            "web/_facts_panel.html", {"facts_panel": facts_panel(user=BankOfficerFactory(), enterprise=firm)}
        )

    assert "数据源时效" in page
    assert "中国执行信息公开网" in page
    assert "起不可用" in page  # unavailable since …
    assert "起已过时" in page  # … and its facts stale since
    assert "有效至" in page  # the IP register, fresh
    assert "尚未从该数据源获取" in page  # a source never asked says so
    assert "timed out" not in page  # the provider's English error stays off the page
