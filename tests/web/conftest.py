from tests.subsidies.fixtures import city, claim, firm, owner, policy, repaid  # noqa: F401 (fixtures)
