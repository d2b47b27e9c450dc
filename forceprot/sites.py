"""The example sites bundled with forceprot (``sites/`` at the top of the repository)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from forceprot.scenario import load_scenario

__all__ = ["BundledSite", "bundled_sites", "sites_dir"]


def sites_dir() -> Path:
    """Folder of the bundled sites: ``$FORCEPROT_SITES`` or ``sites/`` beside the package."""
    env = os.environ.get("FORCEPROT_SITES")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "sites"


@dataclass(frozen=True)
class BundledSite:
    path: Path
    name: str
    rocket: str
    tubes: int
    n_defences: int


def bundled_sites() -> list[BundledSite]:
    """Every scenario file in :func:`sites_dir`, validated."""
    out = []
    for path in sorted(sites_dir().glob("*.toml")):
        scenario = load_scenario(path)
        out.append(BundledSite(path=path, name=scenario.site.name, rocket=scenario.threat.rocket,
                               tubes=scenario.threat.tubes, n_defences=len(scenario.defence)))
    return out
