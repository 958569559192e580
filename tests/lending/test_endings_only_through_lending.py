"""An application ends (rejected, withdrawn, offer declined, expired) only through ``tongzhirong.lending``, which lets
the cover asked for lapse in the same transaction (issue 18). financing's own moves stay importable for lending, so
this reads every module's imports and calls (import-linter forbids modules, not names)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENDINGS = {"application_reject", "application_withdraw", "application_decline_offer"}
FINANCING = ("tongzhirong.financing.services", "tongzhirong.financing.services.applications")
ALLOWED = {"tongzhirong/lending/applications.py"}


def financing_endings_used(source: str) -> list[str]:
    """The financing ending moves ``source`` imports or calls through a name bound to financing's services."""
    tree = ast.parse(source)
    aliases, used = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in FINANCING:
            used += [f"{node.module}.{alias.name}" for alias in node.names if alias.name in ENDINGS]
        elif isinstance(node, ast.ImportFrom) and node.module == "tongzhirong.financing":
            aliases |= {alias.asname or alias.name for alias in node.names if alias.name == "services"}
        elif isinstance(node, ast.Import):
            aliases |= {alias.asname for alias in node.names if alias.name in FINANCING and alias.asname}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ENDINGS
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            used.append(f"{node.value.id}.{node.attr}")
    return used


def test_the_check_sees_each_way_of_reaching_financings_endings():
    assert financing_endings_used("from tongzhirong.financing.services import application_reject") == [
        "tongzhirong.financing.services.application_reject"
    ]
    assert financing_endings_used(
        "from tongzhirong.financing import services as fin\nfin.application_withdraw(actor=None, application=a)"
    ) == ["fin.application_withdraw"]
    assert financing_endings_used(
        "import tongzhirong.financing.services.applications as f\nf.application_decline_offer"
    ) == ["f.application_decline_offer"]
    assert financing_endings_used("from tongzhirong.lending.applications import application_reject") == []


def test_no_module_outside_lending_ends_an_application_through_financing():
    offenders = {}
    for package in ("tongzhirong", "api", "scoring"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("tongzhirong/financing/") or relative in ALLOWED:
                continue
            if used := financing_endings_used(path.read_text(encoding="utf-8")):
                offenders[relative] = used
    assert offenders == {}, "End applications through tongzhirong.lending.applications (the cover lapses with them)"
