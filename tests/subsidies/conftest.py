from tests.subsidies.fixtures import city, firm, owner, policy  # noqa: F401 (fixtures)
