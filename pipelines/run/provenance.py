"""What ``run.json`` records so that a run can be audited and reproduced from its output alone.

The resolved config, the command line, the versions of the project and of every pinned
dependency, Python, the runner and its options (secrets redacted) and the git commit when
the code runs from a checkout.
"""
from __future__ import annotations

import importlib.metadata
import platform
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT = "cc-curation"
PIN_FILES = ("requirements.txt", "requirements-dev.txt")
SECRET = re.compile(r"secret|token|password|passwd|credential|api_?key|access_?key|private_?key|auth",
                    re.IGNORECASE)
REDACTED = "<redacted>"


def pinned_names(repo: Path = REPO) -> list[str]:
    """Distribution names pinned in the requirement files (``name[extra]==version`` lines)."""
    names = []
    for file in PIN_FILES:
        path = repo / file
        if path.exists():
            for line in path.read_text().splitlines():
                match = re.match(r"\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*==", line)
                if match:
                    names.append(match.group(1))
    return sorted(dict.fromkeys(names), key=str.lower)


def project_version(repo: Path = REPO) -> str | None:
    try:
        return importlib.metadata.version(PROJECT)
    except importlib.metadata.PackageNotFoundError:
        match = re.search(r'version="([^"]+)"', (repo / "setup.py").read_text()) if (repo / "setup.py").exists() \
            else None
        return match.group(1) if match else None


def package_versions(repo: Path = REPO) -> dict[str, str | None]:
    """The installed version of the project and of every pinned dependency (None: not installed)."""
    versions: dict[str, str | None] = {PROJECT: project_version(repo)}
    for name in pinned_names(repo):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(repo: Path = REPO) -> dict | None:
    """The checkout's commit and whether it has uncommitted changes; None outside a git checkout."""
    if not (repo / ".git").exists():
        return None
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


def redact(args: list[str]) -> list[str]:
    """Command-line arguments with the value of every secret-looking option replaced."""
    out, hide_next = [], False
    for arg in args:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
            continue
        name, eq, _ = arg.partition("=")
        if name.startswith("-") and SECRET.search(name):
            if eq:
                out.append(f"{name}={REDACTED}")
            else:
                out.append(arg)
                hide_next = True
            continue
        if not name.startswith("-") and eq and SECRET.search(name):  # --set key.api_token=...
            out.append(f"{name}={REDACTED}")
            continue
        out.append(arg)
    return out


def redact_config(value):
    """A config dump with the value of every secret-looking key replaced."""
    if isinstance(value, dict):
        return {k: (REDACTED if SECRET.search(str(k)) and v not in (None, "") else redact_config(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact_config(v) for v in value]
    return value


def provenance(config_dump: dict, runner: str, beam_args: list[str], command: list[str] | None = None) -> dict:
    return {
        "command": redact(list(sys.argv if command is None else command)),
        "config": redact_config(config_dump),
        "runner": {"name": runner, "options": redact(list(beam_args))},
        "python": {"version": platform.python_version(), "implementation": platform.python_implementation(),
                   "executable": sys.executable},
        "platform": platform.platform(),
        "versions": package_versions(),
        "git": git_commit(),
    }
