"""``triton/models/*/1/model.py`` and ``satmon.forecast.serving`` without a server:
``triton_python_backend_utils`` is replaced by a small stub module in ``sys.modules`` (as
tensorrtllm_backend's tests do)."""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from typing import Any

import numpy as np
import pytest

from satmon.forecast import serving
from satmon.settings import REPO_ROOT

MODELS_DIR = REPO_ROOT / "triton" / "models"
MODEL_NAMES = ["vae_timeseries", "transformer_timeseries"]


class _Tensor:
    def __init__(self, name: str, array: np.ndarray) -> None:
        self._name, self._array = name, array

    def name(self) -> str:
        return self._name

    def as_numpy(self) -> np.ndarray:
        return self._array


class _TritonError:
    def __init__(self, message: str) -> None:
        self._message = message

    def message(self) -> str:
        return self._message


class _Response:
    def __init__(self, output_tensors: list[_Tensor], error: _TritonError | None = None) -> None:
        self.output_tensors, self.error = output_tensors, error

    def outputs(self) -> dict[str, np.ndarray]:
        return {t.name(): t.as_numpy() for t in self.output_tensors}


class _Request:
    def __init__(self, inputs: dict[str, np.ndarray]) -> None:
        self.inputs = inputs


def _stub_pb_utils() -> types.ModuleType:
    mod = types.ModuleType("triton_python_backend_utils")
    mod.Tensor = _Tensor  # type: ignore[attr-defined]
    mod.TritonError = _TritonError  # type: ignore[attr-defined]
    mod.InferenceResponse = _Response  # type: ignore[attr-defined]

    def get_input_tensor_by_name(request: _Request, name: str) -> _Tensor | None:
        return _Tensor(name, request.inputs[name]) if name in request.inputs else None

    mod.get_input_tensor_by_name = get_input_tensor_by_name  # type: ignore[attr-defined]
    mod.Logger = types.SimpleNamespace(log_info=lambda msg: None, log_warn=lambda msg: None)  # type: ignore[attr-defined]
    return mod


def _parse_pbtxt_io(text: str) -> dict[str, Any]:
    """Enough of config.pbtxt → the JSON Triton hands to ``initialize``."""
    import re

    def blocks(section: str) -> list[dict[str, Any]]:
        body = re.search(section + r"\s*\[(.*?)\n\]", text, re.S)
        assert body, section
        out = []
        for b in re.findall(r"\{(.*?)\}", body.group(1), re.S):
            name = re.search(r'name:\s*"(\w+)"', b).group(1)  # type: ignore[union-attr]
            dtype = re.search(r"data_type:\s*(\w+)", b).group(1)  # type: ignore[union-attr]
            dims = [d.strip() for d in re.search(r"dims:\s*\[(.*?)\]", b).group(1).split(",")]  # type: ignore[union-attr]
            out.append({"name": name, "data_type": dtype, "dims": dims})
        return out

    threads = re.search(r'key:\s*"torch_threads"\s*value:\s*\{\s*string_value:\s*"(\d+)"', text)
    params = {"torch_threads": {"string_value": threads.group(1)}} if threads else {}
    return {
        "max_batch_size": int(re.search(r"max_batch_size:\s*(\d+)", text).group(1)),  # type: ignore[union-attr]
        "input": blocks("input"),
        "output": blocks("output"),
        "parameters": params,
    }


@pytest.fixture(scope="module")
def pb_utils() -> Any:
    saved = sys.modules.get("triton_python_backend_utils")
    sys.modules["triton_python_backend_utils"] = _stub_pb_utils()
    yield sys.modules["triton_python_backend_utils"]
    if saved is None:
        sys.modules.pop("triton_python_backend_utils", None)
    else:
        sys.modules["triton_python_backend_utils"] = saved


def _load_module(name: str) -> Any:
    path = MODELS_DIR / name / "1" / "model.py"
    spec = importlib.util.spec_from_file_location(f"triton_model_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=MODEL_NAMES)
def served(request: pytest.FixtureRequest, pb_utils: Any) -> tuple[Any, Any, dict[str, Any]]:
    name = request.param
    module = _load_module(name)
    config = _parse_pbtxt_io((MODELS_DIR / name / "config.pbtxt").read_text())
    instance = module.TritonPythonModel()
    instance.initialize(
        {
            "model_config": json.dumps(config),
            "model_instance_kind": "CPU",
            "model_instance_device_id": "0",
            "model_repository": str(MODELS_DIR / name),
            "model_version": "1",
            "model_name": name,
        }
    )
    return module, instance, config


# --- pure functions ---------------------------------------------------------------------
def test_validate_window_accepts_and_casts() -> None:
    out = serving.validate_window(np.ones((3, 20), dtype=np.float64), 20)
    assert out.dtype == np.float32 and out.shape == (3, 20)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.ones((3, 19)), "shape"),
        (np.ones(20), "shape"),
        (np.zeros((0, 20)), "empty"),
        (np.full((1, 20), np.nan), "NaN"),
        (np.full((1, 20), 1e35), "beyond"),
        (np.array([["a"] * 20]), "numeric"),
    ],
)
def test_validate_window_names_the_problem(array: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        serving.validate_window(array, 20)


def test_stack_and_split_keep_request_rows() -> None:
    arrays = [np.full((n, 20), float(n), dtype=np.float32) for n in (1, 3, 2)]
    batch, slices = serving.stack_requests(arrays)
    assert batch.shape == (6, 20)
    outs = serving.split_outputs(
        {"forecast": batch[:, :10].astype(np.float64), "extra": batch},
        slices,
        {"forecast": np.float32},
    )
    assert [o["forecast"].shape for o in outs] == [(1, 10), (3, 10), (2, 10)]
    assert all(set(o) == {"forecast"} and o["forecast"].dtype == np.float32 for o in outs)
    assert outs[1]["forecast"][0, 0] == 3.0


def test_pick_device_follows_the_instance_kind() -> None:
    assert serving.pick_device("CPU", "0", True) == "cpu"
    assert serving.pick_device("GPU", "1", True) == "cuda:1"
    assert serving.pick_device("KIND_GPU", 0, True) == "cuda:0"
    assert serving.pick_device("GPU", "0", False) == "cpu"


def test_torch_threads_from_config_or_cpus() -> None:
    assert serving.torch_threads({"parameters": {"torch_threads": {"string_value": "3"}}}, 16) == 3
    assert serving.torch_threads({}, 2) == 2
    assert serving.torch_threads({}, 64) == 4
    assert serving.torch_threads({}, None) == 1


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_py_is_a_file_of_its_own_over_the_package(pb_utils: Any, name: str) -> None:
    path = MODELS_DIR / name / "1" / "model.py"
    assert not path.is_symlink()
    module = _load_module(name)
    assert issubclass(module.TritonPythonModel, serving.ForecastBackend)
    assert module.TritonPythonModel.pb_utils is pb_utils


def test_model_py_applies_pythonpath_with_its_pth_files(
    pb_utils: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stub ignores PYTHONPATH; model.py puts its entries first on sys.path and reads
    their .pth files (an editable install is one)."""
    site_dir, extra = tmp_path / "site-packages", tmp_path / "editable-src"
    site_dir.mkdir()
    extra.mkdir()
    (site_dir / "_probe.pth").write_text(f"{extra}\n")
    monkeypatch.setenv("PYTHONPATH", str(site_dir))
    monkeypatch.setattr(sys, "path", list(sys.path))
    _load_module("vae_timeseries")
    assert sys.path[0] == str(site_dir)
    assert str(extra) in sys.path


# --- initialize / execute with the committed weights ------------------------------------
def test_execute_answers_every_request_with_declared_outputs(served: Any) -> None:
    _, instance, config = served
    rng = np.random.default_rng(0)
    requests = [
        _Request({"window": rng.normal(size=(n, 20)).astype(np.float32)}) for n in (1, 5, 2)
    ]
    responses = instance.execute(requests)
    assert len(responses) == 3
    declared = {o["name"]: int(o["dims"][0]) for o in config["output"]}
    for n, response in zip((1, 5, 2), responses, strict=True):
        assert response.error is None
        outs = response.outputs()
        assert set(outs) == set(declared)
        for name, width in declared.items():
            assert outs[name].shape == (n, width) and outs[name].dtype == np.float32
            assert np.isfinite(outs[name]).all()


def test_bad_request_gets_an_error_and_the_others_are_answered(served: Any) -> None:
    _, instance, _ = served
    good = _Request({"window": np.ones((2, 20), dtype=np.float32)})
    nan = _Request({"window": np.full((1, 20), np.nan, dtype=np.float32)})
    missing = _Request({})
    responses = instance.execute([good, nan, missing, good])
    assert responses[0].error is None and responses[3].error is None
    assert "NaN" in responses[1].error.message()
    assert "missing input" in responses[2].error.message()
    assert responses[1].output_tensors == []


def test_batched_requests_equal_single_requests(served: Any) -> None:
    _, instance, _ = served
    x = np.random.default_rng(1).normal(size=(64, 20)).cumsum(axis=1).astype(np.float32)
    together = instance.execute([_Request({"window": x})])[0].outputs()
    singles = instance.execute([_Request({"window": x[i : i + 1]}) for i in range(64)])
    for name, value in together.items():
        stacked = np.concatenate([r.outputs()[name] for r in singles])
        np.testing.assert_allclose(value, stacked, rtol=1e-5, atol=1e-5)


def test_constant_and_spike_windows_are_finite(served: Any) -> None:
    _, instance, _ = served
    spike = np.ones((1, 20), dtype=np.float32)
    spike[0, 15] = 250.0
    const = np.full((1, 20), 421.7, dtype=np.float32)
    for window in (const, spike, np.zeros((1, 20), dtype=np.float32)):
        outs = instance.execute([_Request({"window": window})])[0].outputs()
        assert all(np.isfinite(v).all() for v in outs.values())
    outs = instance.execute([_Request({"window": const})])[0].outputs()
    np.testing.assert_allclose(outs["forecast"], 421.7, rtol=1e-4)


def test_whole_batch_failure_answers_each_request_with_an_error(served: Any) -> None:
    _, instance, _ = served
    model, instance.model = instance.model, None  # predict() on None raises
    try:
        responses = instance.execute([_Request({"window": np.ones((1, 20), dtype=np.float32)})] * 2)
    finally:
        instance.model = model
    assert all("inference failed" in r.error.message() for r in responses)
