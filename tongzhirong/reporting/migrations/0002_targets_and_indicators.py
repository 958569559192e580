"""The plan's configuration (seed section 一): the 200亿 target under both readings, and its other indicators.

The data is written out here rather than imported, so that this migration means the same thing forever."""

from datetime import date
from decimal import Decimal

from django.db import migrations

YI = Decimal("100000000")

TARGETS = (
    ("pledge-2026-annual", "知识产权质押融资额 2026年度 200亿元", "annual", date(2026, 1, 1), date(2026, 12, 31)),
    (
        "pledge-2024-2026-cumulative",
        "知识产权质押融资额 2024—2026累计 200亿元",
        "cumulative",
        date(2024, 1, 1),
        date(2026, 12, 31),
    ),
)

# code, name, unit, target, what the platform can derive (empty: official figure only)
INDICATORS = (
    ("pledge_financing", "知识产权质押融资额", "亿元", "200", "Platform and reported loans, disbursed principal."),
    ("valid_invention_patents", "有效发明专利量", "件", "78000", "Valid invention patents registered on the platform."),
    ("valid_trademarks", "有效注册商标数", "件", "280000", "Valid trademarks registered on the platform."),
    (
        "trademarks_per_100_enterprises",
        "每百户企业注册商标拥有量",
        "件/百户",
        "62",
        "Valid trademarks on the platform per 100 enterprises registered on it.",
    ),
    (
        "high_value_patents_per_10k",
        "万人高价值发明专利拥有量",
        "件/万人",
        "32",
        "High-value invention patents on the platform (CNIPA's categories as far as recorded) per 10,000 "
        "residents of the population figure.",
    ),
    (
        "copyright_registrations",
        "著作权年登记量",
        "件/年",
        "60000",
        "Copyrights and software copyrights on the platform registered in the year.",
    ),
    ("transfers_licences_growth", "知识产权转让、许可数量年均增幅", "%", "10", ""),
    ("patent_intensive_gdp_share", "专利密集型产业增加值占GDP比重", "%", "17", ""),
    ("copyright_industries_gdp_share", "版权产业增加值占GDP比重", "%", "9", ""),
    ("ip_certified_firms", "知识产权贯标企业", "家", "1000", "Enterprises on the platform certified (贯标)."),
    ("population", "常住人口", "人", None, ""),
    ("registered_tech_smes", "科技型中小企业入库数", "家", None, ""),
)


def forwards(apps, schema_editor):
    Target = apps.get_model("reporting", "Target")
    Indicator = apps.get_model("reporting", "Indicator")
    for code, name, reading, start, end in TARGETS:
        Target.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "reading": reading,
                "measure": "disbursed_principal",
                "amount": 200 * YI,
                "period_start": start,
                "period_end": end,
                "includes_reported": True,
            },
        )
    for order, (code, name, unit, target, derivation) in enumerate(INDICATORS):
        Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "target": Decimal(target) if target is not None else None,
                "target_year": 2026 if target is not None else None,
                "derivation": derivation,
                "ordering_key": order,
            },
        )


def backwards(apps, schema_editor):
    apps.get_model("reporting", "Target").objects.filter(code__in=[t[0] for t in TARGETS]).delete()
    apps.get_model("reporting", "Indicator").objects.filter(code__in=[i[0] for i in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
