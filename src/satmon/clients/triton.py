"""A small tritonclient wrapper the forecaster function uses to call the models.

``TritonForecaster(url).forecast(model, windows)`` sends raw windows ``[B, 20]`` and
returns every output the model declares (``forecast`` ``[B, 10]``; for the VAE also
``lower``, ``upper`` ``[B, 10]`` and ``anomaly_score`` ``[B, 1]``) as float32 arrays.
Use one instance per process; it keeps the models' metadata and a connection per thread:
tritonclient's HTTP client runs on gevent, whose greenlets cannot be shared between
threads ("Cannot switch to a different thread"), and a function host serves requests
on several threads.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from satmon.contract.forecast import HORIZON, SHORT_NAMES, WINDOW

log = logging.getLogger(__name__)
INPUT_NAME = "window"


class TritonError(RuntimeError):
    """Triton refused or failed a request (connection, unknown model, bad input)."""


class TritonForecaster:
    """Forecasts through Triton over HTTP (``host:port``, e.g. ``127.0.0.1:8500``) or gRPC
    (``grpc://host:port``)."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.protocol = "grpc" if url.startswith("grpc://") else "http"
        self._address = url.split("://", 1)[-1]
        if self.protocol == "grpc":
            import tritonclient.grpc as grpc_mod

            self._mod: Any = grpc_mod
        else:
            import tritonclient.http as http_mod

            self._mod = http_mod
        self._local = threading.local()
        self._clients: list[Any] = []  # every thread's, for close()
        self._clients_lock = threading.Lock()
        self._outputs: dict[str, list[str]] = {}

    @property
    def _client(self) -> Any:
        """This thread's client, made on its first call."""
        client = getattr(self._local, "client", None)
        if client is None:
            if self.protocol == "grpc":
                client = self._mod.InferenceServerClient(self._address)
            else:
                client = self._mod.InferenceServerClient(
                    self._address,
                    connection_timeout=self.timeout_s,
                    network_timeout=self.timeout_s,
                )
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def forecast(
        self, model: str, windows: np.ndarray, period: float | None = None
    ) -> dict[str, np.ndarray]:
        """Forecast raw ``windows`` ``[B, 20]`` (or one ``[20]``) with ``model``
        (``vae_timeseries`` / ``transformer_timeseries`` or ``vae`` / ``transformer``).

        ``period``: for a wrapped angle (longitude: 360) the window is unwrapped before
        and the forecasts wrapped after, so a crossing of ±180° is no jump.
        """
        name = SHORT_NAMES.get(model, model)
        x = prepare_windows(windows, period)
        inp = self._mod.InferInput(INPUT_NAME, list(x.shape), "FP32")
        if self.protocol == "http":
            inp.set_data_from_numpy(x, binary_data=True)
        else:
            inp.set_data_from_numpy(x)
        outputs = [self._requested_output(o) for o in self.output_names(name)]
        try:
            kwargs: dict[str, Any] = {"outputs": outputs}
            if self.protocol == "grpc":
                kwargs["client_timeout"] = self.timeout_s
            result = self._client.infer(name, [inp], **kwargs)
        except Exception as exc:
            raise TritonError(f"{name}: {exc}") from exc
        out = {o: np.asarray(result.as_numpy(o), dtype=np.float32) for o in self.output_names(name)}
        return wrap_outputs(out, period)

    def output_names(self, model: str) -> list[str]:
        """Declared outputs of ``model`` (cached)."""
        name = SHORT_NAMES.get(model, model)
        if name not in self._outputs:
            try:
                meta = self._client.get_model_metadata(name)
            except Exception as exc:
                raise TritonError(f"{name}: {exc}") from exc
            outputs = (
                meta["outputs"]
                if isinstance(meta, dict)
                else [{"name": o.name} for o in meta.outputs]
            )
            self._outputs[name] = [o["name"] for o in outputs]
        return self._outputs[name]

    def is_ready(self, model: str | None = None) -> bool:
        """Server (and ``model``, if given) ready."""
        try:
            if model is None:
                return bool(self._client.is_server_ready())
            return bool(self._client.is_model_ready(SHORT_NAMES.get(model, model)))
        except Exception:
            return False

    def close(self) -> None:
        """Close every thread's client (a gevent client may only be closed by its own
        thread; one that refuses is left to the process's exit)."""
        with self._clients_lock:
            clients, self._clients = self._clients, []
        self._local = threading.local()
        for client in clients:
            try:
                client.close()
            except Exception as exc:  # another thread's gevent hub
                log.debug("a Triton client could not be closed from this thread: %s", exc)

    def _requested_output(self, name: str) -> Any:
        if self.protocol == "http":
            return self._mod.InferRequestedOutput(name, binary_data=True)
        return self._mod.InferRequestedOutput(name)


def prepare_windows(windows: np.ndarray, period: float | None = None) -> np.ndarray:
    """Validate and shape raw windows → C-contiguous float32 ``[B, 20]``."""
    x = np.asarray(windows, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != WINDOW:
        raise ValueError(f"windows must have shape [B, {WINDOW}], got {list(x.shape)}")
    if not np.isfinite(x).all():
        raise ValueError("windows hold NaN or inf")
    if period is not None:
        x = np.unwrap(x, period=period, axis=1)
    return np.ascontiguousarray(x, dtype=np.float32)


def wrap_outputs(out: dict[str, np.ndarray], period: float | None) -> dict[str, np.ndarray]:
    """Wrap the value outputs of an angle back into ``[-period/2, period/2)``."""
    if period is None:
        return out
    half = period / 2.0
    wrapped = dict(out)
    for key in ("forecast", "lower", "upper"):
        if key in out:
            wrapped[key] = (np.mod(out[key].astype(np.float64) + half, period) - half).astype(
                np.float32
            )
    return wrapped


__all__ = ["HORIZON", "TritonError", "TritonForecaster", "prepare_windows", "wrap_outputs"]
