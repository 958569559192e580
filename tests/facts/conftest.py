from .fixtures import authorisation, enterprise, officer, owner, platform, submitted  # noqa: F401
