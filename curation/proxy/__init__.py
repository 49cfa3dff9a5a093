"""The proxy language model used to validate token shards (``curation validate``)."""
from curation.proxy.model import PRESETS, ModelConfig, ProxyLM, next_token_targets, preset

__all__ = ["PRESETS", "ModelConfig", "ProxyLM", "next_token_targets", "preset"]
