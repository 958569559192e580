"""The demo world and the load generator: seeding code that sits on top of every domain app.

Nothing in ``tongzhirong``, ``scoring`` or ``api`` imports this package (an import-linter contract says so); only
its own management commands (``seed_demo``, ``generate_load``), the tests and the benchmarks do."""
