"""Rocket and defence classes as data, each figure with its open-literature source."""

from forceprot.catalog.defences import (
    CRAM_CLASSES,
    DEFENCE_CLASSES,
    PATRIOT_CLASSES,
    CramClass,
    PatriotClass,
)
from forceprot.catalog.rockets import BUNDLED_ROCKETS, RocketClass

__all__ = [
    "BUNDLED_ROCKETS",
    "CRAM_CLASSES",
    "DEFENCE_CLASSES",
    "PATRIOT_CLASSES",
    "CramClass",
    "PatriotClass",
    "RocketClass",
]
