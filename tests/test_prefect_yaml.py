"""prefect.yaml, the deployment for teams with their own Prefect server, checked the way
`prefect deploy` reads it: the schema, the entrypoint (loaded with Prefect's own loader), the
parameters against the flow's signature, the schedule, and the pull step's variables against
the documentation."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fiscaldocs.flows.ingest import ingest_flow
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import Flow, load_flow_from_entrypoint
from prefect.utilities.importtools import import_object
from prefect.utilities.templating import PlaceholderType, apply_values, find_placeholders

from fiscaldocs.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
PREFECT_YAML = ROOT / "prefect.yaml"
# The environment variables the pull step reads, as prefect.yaml's comments and the README document them.
DOCUMENTED_PULL_VARIABLES = {"FISCALDOCS_HOME"}


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def deployment(config) -> dict:
    (nightly,) = [d for d in config["deployments"] if d["name"] == "nightly"]
    return nightly


@pytest.fixture(scope="module")
def weekly(config) -> dict:
    (maintenance,) = [d for d in config["deployments"] if d["name"] == "weekly-maintenance"]
    return maintenance


def test_schema_is_what_prefect_deploy_accepts(config):
    # The model `prefect deploy` validates prefect.yaml with (it skips the file, with a warning, on errors).
    from prefect.cli.deploy._models import PrefectYamlModel

    model = PrefectYamlModel.model_validate(config)
    assert [d.name for d in model.deployments] == ["nightly", "weekly-maintenance"]
    assert model.prefect_version == "3.8.8"


def test_entrypoint_loads_the_ingest_flow(deployment):
    flow = load_flow_from_entrypoint(deployment["entrypoint"], use_placeholder_flow=False)
    assert isinstance(flow, Flow)
    assert flow is ingest_flow
    assert flow.name == "fiscaldocs-ingest"


def test_entrypoint_loads_in_a_fresh_process_away_from_the_repository(deployment, tmp_path):
    """A worker imports the entrypoint in a new process whose working directory is FISCALDOCS_HOME."""
    code = ("import sys; from prefect.flows import load_flow_from_entrypoint; "
            "flow = load_flow_from_entrypoint(sys.argv[1], use_placeholder_flow=False); "
            "print(flow.name, flow.fn.__module__)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    done = subprocess.run([sys.executable, "-c", code, deployment["entrypoint"]], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["fiscaldocs-ingest", "fiscaldocs.flows.ingest"]


def test_parameters_exist_in_the_flow_signature_and_validate(deployment):
    parameters = deployment["parameters"]
    signature = inspect.signature(ingest_flow.fn).parameters
    assert set(parameters) <= set(signature), set(parameters) - set(signature)
    validated = ingest_flow.validate_parameters(parameters)  # as a run would: types, defaults filled in
    assert {name: validated[name] for name in parameters} == parameters


def test_schedule_is_a_valid_cron_and_timezone_and_matches_serve(deployment):
    (schedule,) = deployment["schedules"]
    assert set(schedule) == {"cron", "timezone"}
    parsed = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # validates both
    assert parsed.cron == "0 2 * * *" and parsed.timezone == "Asia/Shanghai"
    serve = build_parser().parse_args(["serve"])
    assert (serve.cron, serve.timezone) == (schedule["cron"], schedule["timezone"])


def test_weekly_maintenance_loads_and_validates(weekly, deployment):
    from fiscaldocs.flows.maintain import maintain_flow

    flow = load_flow_from_entrypoint(weekly["entrypoint"], use_placeholder_flow=False)
    assert flow is maintain_flow
    validated = maintain_flow.validate_parameters(weekly["parameters"])
    assert {name: validated[name] for name in weekly["parameters"]} == weekly["parameters"]
    assert weekly["parameters"]["db"] == deployment["parameters"]["db"]  # the warehouse the nightly run writes
    maintain = build_parser().parse_args(["maintain"])  # the same ages as the command's defaults
    assert (maintain.expire_older_than, maintain.delete_older_than) == (
        weekly["parameters"]["expire_older_than"], weekly["parameters"]["delete_older_than"])
    (schedule,) = weekly["schedules"]
    parsed = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
    assert parsed.timezone == deployment["schedules"][0]["timezone"]
    assert weekly["work_pool"] == deployment["work_pool"]


def test_invalid_cron_or_timezone_would_be_caught():
    with pytest.raises(ValueError):
        CronSchedule(cron="0 25 * * *", timezone="Asia/Shanghai")
    with pytest.raises(ValueError):
        CronSchedule(cron="0 2 * * *", timezone="Asia/Shanghia")


def _pull_placeholders(config) -> list:
    found = []
    for step in config["pull"]:
        for inputs in step.values():
            for value in inputs.values():
                found += find_placeholders(str(value))
    return found


def test_pull_step_reads_only_the_documented_variables(config):
    placeholders = _pull_placeholders(config)
    assert {p.type for p in placeholders} == {PlaceholderType.ENV_VAR}
    assert {p.name.lstrip("$") for p in placeholders} == DOCUMENTED_PULL_VARIABLES
    comments = "\n".join(line for line in PREFECT_YAML.read_text(encoding="utf-8").splitlines()
                         if line.startswith("#"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in DOCUMENTED_PULL_VARIABLES:
        assert name in comments, f"{name} is not explained in prefect.yaml's comments"
        assert name in readme, f"{name} is not explained in the README"


def test_pull_step_changes_to_fiscaldocs_home(config, tmp_path, monkeypatch):
    monkeypatch.setenv("FISCALDOCS_HOME", str(tmp_path))
    monkeypatch.chdir(ROOT)  # restored after the step changes directory
    (step,) = config["pull"]
    ((fqn, inputs),) = step.items()
    resolved = apply_values(inputs, os.environ)
    assert resolved == {"directory": str(tmp_path)}
    assert import_object(fqn)(**resolved) == {"directory": str(tmp_path)}
    assert Path.cwd() == tmp_path


def test_work_pool_is_the_one_the_comments_create(config, deployment):
    pool = deployment["work_pool"]["name"]
    assert f"prefect work-pool create {pool} --type process" in PREFECT_YAML.read_text(encoding="utf-8")
    assert f"prefect worker start --pool {pool}" in PREFECT_YAML.read_text(encoding="utf-8")


def test_default_sources_file_exists_at_the_repository_root(deployment):
    """The repository root is a valid FISCALDOCS_HOME: its sources file reads."""
    from fiscaldocs.sources import read_sources_file

    declared = read_sources_file(ROOT / deployment["parameters"]["sources_file"])
    assert declared.inputs
