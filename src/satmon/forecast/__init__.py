"""Forecasting models for satmon: a window of 20 raw points in, the next 10 out.

Two PyTorch models are served by Triton (``triton/models/<name>/``):

* ``vae_timeseries`` — a VAE over the window that also decodes the future; gives a
  p10/p90 spread from latent samples and a reconstruction-error anomaly score.
* ``transformer_timeseries`` — a small patch Transformer encoder.

Both normalise each window on its own (RevIN style) and predict the change from the
last value, so raw values of any channel and scale work. This package imports no
torch at module level; only the modules that need it do.

The window and horizon sizes and the model names are part of the contract
(``satmon.contract.forecast``).
"""
