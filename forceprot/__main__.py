"""``python -m forceprot``: the same as the ``forceprot`` command."""

from forceprot.cli import main

main()
