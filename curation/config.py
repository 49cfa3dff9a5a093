"""Typed, validated configuration: one pydantic model per stage.

Every stage config derives from :class:`StageConfig`, which refuses unknown keys
(a typo in a YAML file is an error, not a silently ignored setting). A config is
loaded from YAML and then overridden from the command line with ``--set
key.sub=value`` pairs, whose values are parsed as YAML scalars.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

T = TypeVar("T", bound=BaseModel)


class StageConfig(BaseModel):
    """Base of every stage's configuration."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ConfigError(ValueError):
    """A configuration file or override that does not validate."""


def parse_overrides(pairs: list[str] | None) -> dict[str, Any]:
    """Turn ``["a.b=1", "c=x"]`` into ``{"a": {"b": 1}, "c": "x"}``."""
    tree: dict[str, Any] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ConfigError(f"override {pair!r} is not KEY=VALUE")
        key, raw = pair.split("=", 1)
        node = tree
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {pair!r} conflicts with another override")
        node[parts[-1]] = yaml.safe_load(raw) if raw != "" else ""
    return tree


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def read_yaml(path: str | Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping, not {type(data).__name__}")
    return data


def load_config(config_cls: type[T], path: str | Path | None = None, overrides: list[str] | None = None,
                section: str | None = None, flags: dict[str, Any] | None = None) -> T:
    """The one way every stage builds its config: YAML file, then ``flags``, then ``--set`` overrides.

    ``section``: when the file has a top-level key of that name (a whole-run file with one section
    per stage), only that section is read; otherwise the file is the stage's config itself (flat).
    ``flags``: values of dedicated CLI flags (None = not given); ``overrides`` (``KEY=VALUE``
    strings from ``--set``) win over both.
    """
    data = read_yaml(path)
    if section is not None and section in data:
        data = data.get(section) or {}
    data = deep_merge(data, {k: v for k, v in (flags or {}).items() if v is not None})
    data = deep_merge(data, parse_overrides(overrides))
    try:
        return config_cls.model_validate(data)
    except ValidationError as exc:
        where = f" in {path}" if path else ""
        raise ConfigError(f"invalid {config_cls.__name__}{where}:\n{_format_errors(exc)}") from None


def _format_errors(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        lines.append(f"  {loc}: {err['msg']}")
    return "\n".join(lines)


def config_hash(config: BaseModel) -> str:
    """A short stable hash of a config (used to decide whether a stage's output is current)."""
    import hashlib
    import json

    payload = json.dumps(config.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
