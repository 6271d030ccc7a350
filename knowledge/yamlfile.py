"""Reading the YAML data files (knowledge, rules, NLU data) the fast way.

libyaml's safe loader, where PyYAML was built with it, gives the same data as the pure-Python
one about ten times faster: start-up reads a dozen rule and data files (tests/test_startup.py
checks that both loaders agree on every YAML file of the repository).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """The data of one YAML document, read with the safe loader (None for an empty one)."""
    return yaml.load(text, Loader=SAFE_LOADER)


def read_yaml(path: Path) -> Any:
    """The data of a UTF-8 YAML file, read with the safe loader (None for an empty one)."""
    return parse_yaml(path.read_text(encoding="utf-8"))
