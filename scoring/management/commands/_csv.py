from pathlib import Path

import pandas as pd
from django.core.management.base import CommandError


def read_table(path: str) -> pd.DataFrame:
    """Read a CSV (or XLSX) a bank exported; every problem becomes a CommandError in plain words."""
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{path}: no such file.")
    try:
        frame = pd.read_excel(file) if file.suffix.lower() in (".xlsx", ".xlsm") else pd.read_csv(file)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise CommandError(f"{path} cannot be read as a table: {exc}") from exc
    if frame.empty:
        raise CommandError(f"{path} has no rows.")
    return frame
