from tests.facts.simulator import simulator  # noqa: F401
