"""Packaging driven by settings.ini (nbdev 2). No pkg_resources: it is gone from setuptools >= 82."""
import logging
import warnings
from configparser import ConfigParser
from pathlib import Path

import setuptools
from setuptools.warnings import InformationOnly

# setuptools' notes on how an editable install works ("meta path finder", "folders with the same name") are
# information, not problems: silenced so that tools/setup.sh prints only real warnings
warnings.filterwarnings("ignore", category=InformationOnly)
logging.getLogger("setuptools.command.editable_wheel").addFilter(
    lambda record: not record.getMessage().startswith("Editable install will be performed"))

config = ConfigParser(delimiters=["="])
config.read("settings.ini", encoding="utf-8")
cfg = config["DEFAULT"]

requirements = cfg.get("requirements", "").split()
dev_requirements = cfg.get("dev_requirements", "").split()
console_scripts = [s.strip() for s in cfg.get("console_scripts", "").split("\n") if s.strip()]

setuptools.setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    author=cfg["author"],
    author_email=cfg["author_email"],
    license="Apache-2.0",
    url=cfg["git_url"],
    packages=setuptools.find_packages(include=["pgnb", "pgnb.*"]),
    include_package_data=True,
    python_requires=">=" + cfg["min_python"],
    install_requires=requirements,
    extras_require={"dev": dev_requirements},
    entry_points={"console_scripts": console_scripts, "nbdev": [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
    long_description=Path("README.md").read_text(encoding="utf-8") if Path("README.md").exists() else "",
    long_description_content_type="text/markdown",
    zip_safe=False,
)
