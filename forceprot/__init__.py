"""forceprot: how many rockets of a salvo get through a base's defences, and where they land."""

__version__ = "0.1.0"
