"""``python -m satmon`` is the same CLI as ``satmon``."""

from satmon.cli import main

main()
