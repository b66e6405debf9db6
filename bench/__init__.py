"""satmon's benchmarks: each prints its own table and writes JSON to ``bench/results/``.

Run from the repository root: ``python -m bench`` (every default benchmark) or
``python -m bench NAME [OPTIONS]``; :mod:`bench.__main__` lists them. The product
never imports this package.
"""
