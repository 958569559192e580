"""The database's own refusal (PostgreSQL, django-pgtrigger): a table declared append-only refuses UPDATE and
DELETE whoever asks — the ORM, the admin, a shell, raw SQL. Declared in each model's ``Meta.triggers`` and
installed by that app's migrations; on SQLite nothing is installed and ``verify_audit`` catches changes.

A deliberate bypass (``pgtrigger.ignore``, used only by the demo to backdate its invented history) needs
code that names the trigger; the chain and its signed checkpoints still expose what it changed."""

import pgtrigger

APPEND_ONLY = "append_only"


def append_only() -> pgtrigger.Protect:
    """Rows are inserted, never updated or deleted (``<app>.<Model>:append_only`` for ``pgtrigger.ignore``)."""
    return pgtrigger.Protect(name=APPEND_ONLY, operation=pgtrigger.Update | pgtrigger.Delete)


def never_deleted(name: str = "never_deleted") -> pgtrigger.Protect:
    """Rows the domain updates in place but never removes."""
    return pgtrigger.Protect(name=name, operation=pgtrigger.Delete)
