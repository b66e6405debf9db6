"""Triton Python backend of ``transformer_timeseries``: ``window`` FP32 ``[B, 20]`` →
``forecast`` ``[B, 10]``; ``weights.pt`` beside this file. The code is
``satmon.forecast.serving``; this file only makes it importable.
"""

import os
import site
import sys

# The backend stub starts Python with -E (sys.flags.ignore_environment), so PYTHONPATH,
# which the launcher sets to the virtualenv's site-packages, is not on sys.path. Put it
# first, and read its .pth files as site does: that is how satmon's install is found.
_paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
sys.path[:0] = _paths
for _path in _paths:
    site.addsitedir(_path)

import triton_python_backend_utils as pb_utils  # noqa: E402

from satmon.forecast.serving import ForecastBackend  # noqa: E402


class TritonPythonModel(ForecastBackend):
    pb_utils = pb_utils
