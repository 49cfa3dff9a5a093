"""One distribution that installs the four packages and the `curation` console script."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def _requirements() -> list[str]:
    lines = (HERE / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith(("#", "-"))]


setup(
    name="cc-curation",
    version="0.1.0",
    description="Common Crawl to training-ready token shards, as Apache Beam pipelines.",
    long_description=(HERE / "README.md").read_text() if (HERE / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["curation*", "filters*", "tokenizer*", "pipelines*"]),
    package_data={"filters": ["data/badwords/*", "data/badwords/**/*"], "curation": ["report/*.html"]},
    include_package_data=True,
    install_requires=_requirements(),
    entry_points={"console_scripts": ["curation=pipelines.cli:main"]},
)
