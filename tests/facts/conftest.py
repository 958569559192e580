from .fixtures import authorisation, enterprise, officer, owner, platform, submitted  # noqa: F401
from .simulator import simulator  # noqa: F401
