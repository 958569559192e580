"""One date format on every page, in both languages (``FORMAT_MODULE_PATH``): 2026-12-07 and 2026-12-07 14:30,
whether a template writes ``{{ day }}`` or ``{{ day|date }}``. Anything not set here is Django's locale default."""
