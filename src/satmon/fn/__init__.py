"""``satmon fn``: the developer's commands for one function at a time (see cli.py)."""
