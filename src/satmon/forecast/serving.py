"""The Triton Python backend of the satmon forecasters, as pure functions plus a base
class that each model's ``triton/models/<name>/1/model.py`` subclasses.

Input ``window`` FP32 ``[B, 20]`` raw values; outputs as declared in the model's
config.pbtxt: ``forecast`` ``[B, 10]`` and, for the VAE, ``lower`` / ``upper``
``[B, 10]`` (p10 / p90) and ``anomaly_score`` ``[B, 1]``. Requests are validated one by
one; a bad request gets an error response while the rest of the batch is answered.
Pre- and post-processing are module-level pure functions, tested without a server.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

# Idle OpenMP threads sleep instead of spinning: with few cores shared by the server, its
# clients and other instances, spinning threads steal the CPU (measured: ~5x less bulk
# throughput on 2 cores). Must be set before torch loads libgomp; the env var wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch

from satmon.forecast.modelio import load_weights

INPUT_NAME = "window"
TRITON_TO_NUMPY = {"TYPE_FP32": np.float32, "TYPE_FP64": np.float64, "TYPE_FP16": np.float16}
MAX_ABS_VALUE = 1e30  # beyond this float32 arithmetic on the window is not meaningful


# --- pure pre / post-processing ------------------------------------------------------
def validate_window(array: Any, window: int) -> np.ndarray:
    """A request's input → float32 ``[n, window]``; ValueError says what is wrong."""
    a = np.asarray(array)
    if a.ndim != 2 or a.shape[1] != window:
        raise ValueError(
            f"input '{INPUT_NAME}' must have shape [batch, {window}], got {list(a.shape)}"
        )
    if a.shape[0] == 0:
        raise ValueError(f"input '{INPUT_NAME}' is empty")
    if not np.issubdtype(a.dtype, np.number):
        raise ValueError(f"input '{INPUT_NAME}' must be numeric, got {a.dtype}")
    a = a.astype(np.float32, copy=False)
    if not np.isfinite(a).all():
        raise ValueError(f"input '{INPUT_NAME}' holds NaN or inf")
    if np.abs(a).max() > MAX_ABS_VALUE:
        raise ValueError(f"input '{INPUT_NAME}' has values beyond ±{MAX_ABS_VALUE:g}")
    return a


def stack_requests(arrays: list[np.ndarray]) -> tuple[np.ndarray, list[slice]]:
    """Concatenate per-request windows into one batch, remembering each request's rows."""
    slices, start = [], 0
    for a in arrays:
        slices.append(slice(start, start + len(a)))
        start += len(a)
    batch = np.concatenate(arrays) if arrays else np.zeros((0, 0), dtype=np.float32)
    return batch, slices


def split_outputs(
    outputs: dict[str, np.ndarray], slices: list[slice], dtypes: dict[str, type]
) -> list[dict[str, np.ndarray]]:
    """Batch outputs → one dict per request, only the declared names, declared dtypes."""
    return [
        {name: np.ascontiguousarray(outputs[name][s], dtype=dt) for name, dt in dtypes.items()}
        for s in slices
    ]


def output_dtypes(model_config: dict[str, Any]) -> dict[str, type]:
    """Declared output names → numpy dtypes, in config order."""
    return {o["name"]: TRITON_TO_NUMPY[o["data_type"]] for o in model_config["output"]}


def input_width(model_config: dict[str, Any]) -> int:
    """The declared width of the ``window`` input (20)."""
    for i in model_config["input"]:
        if i["name"] == INPUT_NAME:
            return int(i["dims"][-1])
    raise ValueError(f"model config declares no input named {INPUT_NAME!r}")


def pick_device(instance_kind: str, device_id: str | int, cuda_available: bool) -> str:
    """``cuda:<id>`` for a KIND_GPU instance when CUDA is there, else ``cpu``."""
    if instance_kind.upper() in ("GPU", "KIND_GPU") and cuda_available:
        return f"cuda:{int(device_id)}"
    return "cpu"


def torch_threads(model_config: dict[str, Any], cpu_count: int | None) -> int:
    """Intra-op threads: the ``torch_threads`` parameter, else all CPUs up to 4."""
    value = model_config.get("parameters", {}).get("torch_threads", {}).get("string_value")
    if value:
        return max(1, int(value))
    return max(1, min(4, cpu_count or 1))


def run_model(model: torch.nn.Module, batch: np.ndarray, device: str) -> dict[str, np.ndarray]:
    """Raw windows ``[B, L]`` → the model's outputs as numpy arrays."""
    with torch.inference_mode():
        out = model.predict(torch.from_numpy(batch).to(device))  # type: ignore[operator]
    return {name: t.detach().cpu().numpy() for name, t in out.items()}


# --- the Triton model ----------------------------------------------------------------
class ForecastBackend:
    """The body of a ``TritonPythonModel``: loads ``<version>/weights.pt`` and answers
    batches of ``window`` requests. A subclass in ``model.py`` sets ``pb_utils`` to the
    stub's ``triton_python_backend_utils`` (only importable inside the stub)."""

    pb_utils: Any
    model: Any

    def initialize(self, args: dict[str, str]) -> None:
        self.config = json.loads(args["model_config"])
        self.device = pick_device(
            args.get("model_instance_kind", "CPU"),
            args.get("model_instance_device_id", "0"),
            torch.cuda.is_available(),
        )
        if self.device == "cpu":
            torch.set_num_threads(torch_threads(self.config, os.cpu_count()))
        self.width = input_width(self.config)
        self.dtypes = output_dtypes(self.config)
        weights = Path(args["model_repository"]) / args["model_version"] / "weights.pt"
        self.model = load_weights(weights, self.device)
        self.pb_utils.Logger.log_info(
            f"{args['model_name']}: loaded {weights} on {self.device}, "
            f"{torch.get_num_threads()} torch threads"
        )

    def execute(self, requests: list[Any]) -> list[Any]:
        windows: list[np.ndarray] = []
        errors: dict[int, str] = {}
        for i, request in enumerate(requests):
            try:
                tensor = self.pb_utils.get_input_tensor_by_name(request, INPUT_NAME)
                if tensor is None:
                    raise ValueError(f"missing input '{INPUT_NAME}'")
                windows.append(validate_window(tensor.as_numpy(), self.width))
            except ValueError as exc:
                errors[i] = str(exc)
        outputs: list[dict[str, np.ndarray]] = []
        if windows:
            try:
                batch, slices = stack_requests(windows)
                outputs = split_outputs(
                    run_model(self.model, batch, self.device), slices, self.dtypes
                )
            except Exception as exc:  # the whole batch failed: every valid request says why
                message = f"inference failed: {type(exc).__name__}: {exc}"
                errors.update({i: message for i in range(len(requests)) if i not in errors})
        responses, answered = [], iter(outputs)
        for i in range(len(requests)):
            if i in errors:
                responses.append(
                    self.pb_utils.InferenceResponse(
                        output_tensors=[], error=self.pb_utils.TritonError(errors[i])
                    )
                )
            else:
                arrays = next(answered)
                tensors = [self.pb_utils.Tensor(name, arr) for name, arr in arrays.items()]
                responses.append(self.pb_utils.InferenceResponse(output_tensors=tensors))
        return responses

    def finalize(self) -> None:
        self.model = None
