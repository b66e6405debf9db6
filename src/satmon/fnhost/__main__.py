"""``python -m satmon.fnhost``: serve one function with CloudEvents batched mode.

Runs through the importable module: function modules register their handlers in
``satmon.fnhost.host``, not in a ``__main__`` copy of it.
"""

from satmon.fnhost import host

host.main()
