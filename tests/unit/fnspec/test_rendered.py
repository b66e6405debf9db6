"""What is rendered from the descriptions agrees with them: eventing/<name>.yaml (read by
the local dispatcher), stack.yml (OpenFaaS), the launcher's processes and the image."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from satmon.eventing.crds import find_crd_dir, validate_document
from satmon.eventing.manifests import load_topology
from satmon.eventing.openfaas import stack_functions
from satmon.fnspec.load import load_functions
from satmon.fnspec.render import stale_files, write_rendered
from satmon.settings import REPO_ROOT, get_settings
from satmon.stack.components import ALARM_SUBSCRIPTIONS, COMPONENTS, INGESTION_SUBSCRIPTIONS
from satmon.stack.process import FORECASTING_NICE

FUNCTIONS = load_functions(REPO_ROOT)


def test_rendered_files_match_the_descriptions() -> None:
    stale = stale_files(REPO_ROOT)
    assert stale == [], f"{stale} differ from functions/*/func.yaml: run `satmon fn render`"


@pytest.mark.parametrize(
    ("old", "new", "renders"),
    [
        ("port: 8083", "port: 8093", {"eventing/forecaster.yaml"}),
        ("forecaster:0.1.0", "forecaster:0.2.0", {"eventing/forecaster.yaml", "stack.yml"}),
        ("max_events_per_second: 100", "max_events_per_second: 50", {"eventing/forecaster.yaml"}),
        (
            "broker: inference-requests",
            "broker: inference-results",
            {"eventing/forecaster.yaml", "stack.yml"},
        ),
    ],
    ids=["port", "image", "annotation", "trigger"],
)
def test_a_changed_description_makes_its_renders_stale(
    checkout: Path, old: str, new: str, renders: set[str]
) -> None:
    path = checkout / "functions" / "forecaster" / "func.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    assert set(stale_files(checkout)) == renders
    assert set(write_rendered(checkout)) == renders
    assert stale_files(checkout) == []


def test_a_hand_edited_render_is_stale(checkout: Path) -> None:
    stack = checkout / "stack.yml"
    stack.write_text(
        stack.read_text().replace("handler: ./functions/ingress", "handler: ./ingress")
    )
    manifest = checkout / "eventing" / "result-store.yaml"
    manifest.write_text(manifest.read_text().replace("'8084'", "'8085'"))
    assert set(stale_files(checkout)) == {"stack.yml", "eventing/result-store.yaml"}


def test_a_removed_function_leaves_no_manifest_behind(checkout: Path) -> None:
    for path in (checkout / "functions" / "ingress").iterdir():
        path.unlink()
    (checkout / "functions" / "ingress").rmdir()
    assert set(stale_files(checkout)) == {"eventing/ingress.yaml", "stack.yml"}
    write_rendered(checkout)
    assert not (checkout / "eventing" / "ingress.yaml").exists()


def test_the_dispatcher_reaches_each_function_at_its_port_through_its_triggers() -> None:
    topology = load_topology(REPO_ROOT / "eventing", validate=False)
    subs = {s.name: s for s in topology.subscriptions}
    for fn in FUNCTIONS:
        assert topology.services[fn.name].url == f"http://127.0.0.1:{fn.local.port}"
        for trigger in fn.triggers:
            sub = subs[trigger.name]
            assert sub.kind == trigger.kind
            assert sub.sink.url == f"http://127.0.0.1:{fn.local.port}"
            assert sub.ordered == (trigger.ordering == "ordered")
            assert sub.batch_max_events == (trigger.batch.max_events if trigger.batch else 1)
            assert sub.max_events_per_second == trigger.max_events_per_second
            if trigger.topics:
                assert sub.topics == tuple(trigger.topics)
            else:
                assert sub.topics == (topology.brokers[str(trigger.broker)].topic,)
    assert set(subs) == {t.name for fn in FUNCTIONS for t in fn.triggers}


def test_stack_yml_entries_agree_with_the_descriptions() -> None:
    stack = yaml.safe_load((REPO_ROOT / "stack.yml").read_text())
    topology = load_topology(REPO_ROOT / "eventing", validate=False)
    assert set(stack["functions"]) == {fn.name for fn in FUNCTIONS}
    for fn in FUNCTIONS:
        entry = stack["functions"][fn.name]
        assert entry["handler"] == f"./functions/{fn.name}"
        assert entry["image"] == fn.image
        assert (REPO_ROOT / entry["handler"] / "func.yaml").exists()
        topics = {t for s in topology.subscriptions if s.sink.name == fn.name for t in s.topics}
        annotated = entry.get("annotations", {}).get("topic", "")
        assert set(filter(None, annotated.split(","))) == topics, fn.name
        assert entry["labels"]["com.openfaas.scale.max"] == str(fn.cluster.scale.max)
        assert ("secrets" in entry) == bool(fn.cluster.secrets)
        for env_file in entry["environment_file"]:
            assert (REPO_ROOT / env_file).exists()


def test_stack_yml_is_what_faas_cli_reads_and_valid_openfaas_functions() -> None:
    stack = yaml.safe_load((REPO_ROOT / "stack.yml").read_text())
    assert stack["provider"]["name"] == "openfaas" and str(stack["version"]) == "1.0"
    crds = find_crd_dir()
    assert crds is not None
    for doc in stack_functions(stack):
        assert validate_document(doc, crds) == []


def test_the_launcher_serves_each_function_as_described() -> None:
    settings = get_settings()
    for fn in FUNCTIONS:
        spec = COMPONENTS[fn.name].build(settings)
        argv = list(spec.argv)
        assert argv[argv.index("--target") + 1] == fn.entry.target
        assert argv[argv.index("--port") + 1] == str(fn.local.port)
        assert argv[argv.index("--source") + 1] == str(settings.repo_root / fn.source)
        # every function on satmon's host: problem+json for every error, the server's too
        assert argv[argv.index("-m") + 1] == "satmon.fnhost"
        assert argv[argv.index("--signature-type") + 1] == fn.entry.signature
        assert spec.ports == [fn.local.port] and spec.env["WORKERS"] == str(fn.local.workers)
        assert spec.nice == (FORECASTING_NICE if fn.local.cpu == "low" else 0)
    normal = {t.name for fn in FUNCTIONS if fn.local.cpu == "normal" for t in fn.triggers}
    # the alarm-evaluator's triggers have a dispatcher of their own
    assert set(INGESTION_SUBSCRIPTIONS) == normal - set(ALARM_SUBSCRIPTIONS)


def test_the_dockerfile_holds_no_fact_of_any_function() -> None:
    """One recipe for every function: names, ports and entry points come from func.yaml."""
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert "--build-arg FUNCTION=<name>" in dockerfile
    assert 'CMD ["python", "-m", "satmon.fnspec.serve"]' in dockerfile
    for fn in FUNCTIONS:
        assert fn.name not in dockerfile and fn.entry.target not in dockerfile
        assert str(fn.local.port) not in dockerfile
    assert not list((REPO_ROOT / "functions").glob("*/Dockerfile"))
    assert not list((REPO_ROOT / "functions").glob("*/Procfile"))
