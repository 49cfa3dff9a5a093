"""``curation validate``: structural checks, token statistics and a proxy LM over token shards."""
from curation.validate.config import ValidateConfig
from curation.validate.report import write_report
from curation.validate.run import validate_shards

__all__ = ["ValidateConfig", "validate_shards", "write_report"]
