"""cxkit: a customer-experience consulting engagement kit."""

from .inputs.config import Engagement, load_engagement
from .errors import ConfigError, CxkitError, DataError, StageError

__all__ = ["Engagement", "load_engagement", "ConfigError", "CxkitError", "DataError", "StageError"]
__version__ = "0.1.0"
