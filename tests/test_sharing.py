"""Sharing data with a team (docs/sharing.md): what `dvc push` sends, what it never sends.

- The rules, on the project itself (fast): raw exports (`data/raw/`) are `push: false`, nothing
  after ingest is, and the git-tracked DVC config holds no credentials.
- The check `python -m jianfu.tools.sharing` finds each kind of problem.
- A shared-folder remote with a raw file of one's own (`dvc add` + `push: false`), as in the docs.
- End to end on an S3-compatible server (moto, on localhost): push the pipeline's results, check
  the bucket object by object (no raw object), pull them into a fresh clone without credentials
  in git, and reproduce the report there without the raw data.

Every DVC command here is the one docs/sharing.md gives.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ENV, ROOT, clone_with_outputs, dvc, run_git
from jianfu.tools import sharing

BUCKET = "jianfu-team"
#: Test credentials for the local S3 server (moto accepts any); set with --local only.
KEY_ID, SECRET = "jianfu-test-key-id", "jianfu-test-secret"
#: DVC 3's remote layout: <remote url>/files/md5/<first 2 hex digits>/<the other 30>[.dir]
OBJECT_PREFIX = "jianfu/files/md5/"


def git(cwd: Path, *args: str) -> str:
    return run_git(cwd, *args)


def dvc_fails(cwd: Path, *args: str) -> str:
    """Run a DVC command that must fail (same environment as conftest's `dvc`); its output."""
    proc = subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **ENV},
    )
    assert proc.returncode != 0, f"dvc {' '.join(args)} succeeded:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def ran_stages(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", output))


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


# --- the rules, on the project itself ----------------------------------------------------------


def _stage_graph(dvc_yaml: dict) -> dict[str, set[str]]:
    """Stage -> the stages whose outputs it reads (literal data paths of dvc.yaml)."""

    def paths(entries) -> list[str]:
        return [e if isinstance(e, str) else next(iter(e)) for e in entries or []]

    def overlap(a: str, b: str) -> bool:
        return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")

    stages = dvc_yaml["stages"]
    outs = {
        name: paths(s.get("outs")) + paths(s.get("metrics")) + paths(s.get("plots"))
        for name, s in stages.items()
    }
    return {
        name: {
            other
            for dep in paths(s.get("deps"))
            for other, produced in outs.items()
            if other != name and any(overlap(dep, p) for p in produced)
        }
        for name, s in stages.items()
    }


def _after(graph: dict[str, set[str]], stage: str) -> set[str]:
    found, frontier = {stage}, {stage}
    while frontier:
        frontier = {s for s, deps in graph.items() if deps & frontier} - found
        found |= frontier
    return found


def test_raw_exports_are_never_pushed_and_everything_after_ingest_is():
    outs = sharing.outputs(ROOT)
    raw = {o.path for o in outs if any(sharing._under(o.path, f) for f in sharing.PRIVATE)}
    assert {"data/simulated/survey", "data/simulated/admin"} <= raw
    assert all(not o.push for o in outs if o.path in raw), [o for o in outs if o.path in raw]
    # push: false anywhere else would leave a fresh clone unable to reproduce the report
    assert {o.path for o in outs if not o.push} == raw

    dvc_yaml = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    after_ingest = _after(_stage_graph(dvc_yaml), "ingest")
    assert {"ingest", "measure", "models", "figures", "report"} <= after_ingest
    for name in after_ingest:
        for key in ("outs", "metrics", "plots"):
            for entry in dvc_yaml["stages"][name].get(key) or []:
                flags = {} if isinstance(entry, str) else next(iter(entry.values())) or {}
                assert flags.get("push", True), f"stage {name}: {entry} has push: false"

    assert sharing.problems(ROOT) == []


def test_git_tracked_dvc_config_holds_no_credentials():
    config = (ROOT / ".dvc" / "config").read_text(encoding="utf-8")
    options = {line.split("=", 1)[0].strip().lower() for line in config.splitlines() if "=" in line}
    assert not options & {"access_key_id", "secret_access_key", "session_token", "password"}
    assert not options & sharing.SECRET_OPTIONS
    ignored = (ROOT / ".dvc" / ".gitignore").read_text(encoding="utf-8").split()
    assert "/config.local" in ignored


# --- the check ---------------------------------------------------------------------------------


def test_sharing_check_finds_every_kind_of_problem(tmp_path, capsys):
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / ".gitignore").write_text("/config.local\n/tmp\n/cache\n", "utf-8")
    (tmp_path / ".dvc" / "config").write_text(
        "[core]\n    remote = team\n"
        "['remote \"team\"']\n    url = s3://bucket/jianfu\n    endpointurl = https://s3.example\n",
        encoding="utf-8",
    )
    stages = {
        "simulate": {
            "cmd": "x",
            "outs": [{"${raw}/survey": {"push": False}}, "data/truth"],
            "metrics": [{"metrics/simulate.json": {"cache": False}}],
        },
        "ingest": {"cmd": "y", "deps": ["${raw}/survey"], "outs": ["data/processed/survey"]},
    }
    dvc_yaml = {"vars": [{"raw": "data/raw"}], "stages": stages}
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(dvc_yaml), encoding="utf-8")
    assert sharing.problems(tmp_path) == []
    assert sharing.main(["--root", str(tmp_path)]) == 0
    assert "data/raw/survey" in capsys.readouterr().out

    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "wave2.csv.dvc").write_text(
        "outs:\n- md5: 0123\n  size: 1\n  hash: md5\n  path: wave2.csv\n", "utf-8"
    )
    stages["ingest"]["outs"] = [{"data/processed/survey": {"push": False}}, ".jianfu/deid.key"]
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(dvc_yaml), encoding="utf-8")
    with (tmp_path / ".dvc" / "config").open("a", encoding="utf-8") as fh:
        fh.write("    secret_access_key = abc\n")
    (tmp_path / ".dvc" / ".gitignore").write_text("/tmp\n/cache\n", "utf-8")
    found = [str(p) for p in sharing.problems(tmp_path)]
    assert len(found) == 5, found
    assert any("wave2.csv.dvc: output data/raw/wave2.csv: raw data" in p for p in found)
    assert any("output data/processed/survey: `push: false` outside" in p for p in found)
    assert any("output .jianfu/deid.key: the de-identification key" in p for p in found)
    assert any(p.startswith('.dvc/config:6: remote "team": `secret_access_key`') for p in found)
    assert any(p.startswith(".dvc/.gitignore") for p in found)
    assert sharing.main(["--root", str(tmp_path)]) == 2
    assert "not safe to push (5 problems)" in capsys.readouterr().err

    # `push: false` added to the .dvc file, as docs/sharing.md says, is enough
    dvc_file = tmp_path / "data" / "raw" / "wave2.csv.dvc"
    dvc_file.write_text(dvc_file.read_text("utf-8") + "  push: false\n", "utf-8")
    assert not any("wave2" in str(p) for p in sharing.problems(tmp_path))


# --- a shared folder (NAS) remote and a raw file of one's own ---------------------------------


def _remote_objects(remote: Path) -> set[str]:
    """md5 (with `.dir` for directory manifests) of every object in a local DVC 3 remote."""
    base = remote / "files" / "md5"
    return {f"{p.parent.name}{p.name}" for p in base.glob("*/*")} if base.exists() else set()


def test_shared_folder_remote_and_own_raw_data(tmp_path):
    """Docs (a) and (c): `dvc add` a raw file, mark it `push: false`, push to a folder, pull."""
    project, nas = tmp_path / "project", tmp_path / "nas" / "jianfu"
    (project / "data" / "raw").mkdir(parents=True)
    (project / "data" / "processed").mkdir(parents=True)
    git(project, "init", "-q")
    dvc(project, "init", "-q")
    raw = project / "data" / "raw" / "wave2.csv"
    raw.write_text("姓名,手机\n张三,13800000000\n", encoding="utf-8")
    clean = project / "data" / "processed" / "wave2.parquet"
    clean.write_bytes(b"de-identified rows")
    dvc(project, "add", "data/raw/wave2.csv", "data/processed/wave2.parquet")
    dvc_file = project / "data" / "raw" / "wave2.csv.dvc"
    assert [str(p) for p in sharing.problems(project)] == [
        "data/raw/wave2.csv.dvc: output data/raw/wave2.csv: raw data with personal information: "
        "mark it `push: false` so that `dvc push` never sends it"
    ]
    dvc_file.write_text(dvc_file.read_text("utf-8") + "  push: false\n", "utf-8")
    assert sharing.problems(project) == []
    dvc(project, "remote", "add", "-d", "team", str(nas))
    git(project, "add", "-A")
    git(project, "commit", "-qm", "data and remote")

    dvc(project, "push")
    assert _remote_objects(nas) == {md5(clean)}

    # a new raw version keeps `push: false` when added again
    raw.write_text("姓名,手机\n李四,13900000000\n", encoding="utf-8")
    dvc(project, "add", "data/raw/wave2.csv")
    assert "push: false" in dvc_file.read_text("utf-8")

    member = tmp_path / "member"
    git(tmp_path, "clone", "-q", str(project), str(member))
    dvc(member, "pull", "--allow-missing")
    assert (member / "data" / "processed" / "wave2.parquet").read_bytes() == clean.read_bytes()
    assert not (member / "data" / "raw" / "wave2.csv").exists()


# --- end to end on an S3-compatible server ----------------------------------------------------


@pytest.fixture
def s3_endpoint(monkeypatch, tmp_path):
    """A moto S3 server on a free localhost port, and an environment with no AWS settings.

    Credentials reach DVC only through `.dvc/config.local`: no AWS_* variable, no ~/.aws files,
    no instance metadata lookup; localhost bypasses any proxy.
    """
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for key in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(key, ",".join(filter(None, [os.environ.get(key), "127.0.0.1"])))

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _bucket_objects(endpoint: str) -> set[str]:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )
    keys = [
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for obj in page.get("Contents", [])
    ]
    assert all(k.startswith(OBJECT_PREFIX) for k in keys), keys
    return {k[len(OBJECT_PREFIX) :].replace("/", "", 1) for k in keys}


def _objects(lock_out: dict, cache: Path) -> set[str]:
    """The cache objects of one dvc.lock output: its md5, and for a directory every file's."""
    digest = lock_out["md5"]
    if not digest.endswith(".dir"):
        return {digest}
    manifest = json.loads((cache / "files" / "md5" / digest[:2] / digest[2:]).read_text("utf-8"))
    return {digest} | {entry["md5"] for entry in manifest}


def _status_paths(status: dict) -> set[str]:
    """Paths named in `dvc status --json`; fails on any other kind of change (params, cmd)."""
    paths = set()
    for stage, changes in status.items():
        for change in changes:
            assert isinstance(change, dict), (stage, change)
            assert set(change) <= {"changed deps", "changed outs"}, (stage, change)
            for entries in change.values():
                paths |= set(entries)
    return paths


@pytest.mark.pipeline
@pytest.mark.slow
def test_s3_remote_push_pull_and_report_without_raw_data(pipeline_project, s3_endpoint, tmp_path):
    """Slow tier: pushes and pulls every output through a local S3 server (~1-2 min)."""
    import boto3

    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    ).create_bucket(Bucket=BUCKET)

    # The researcher who ran the pipeline: a clone of the fixture's project with its results
    # committed (dvc.lock, metrics) and the fixture's cache, read in place.
    source = pipeline_project[0]
    cache = source / ".dvc" / "cache"
    origin = clone_with_outputs(source, tmp_path / "origin", commit=False)

    dvc(origin, "remote", "add", "-d", "team", f"s3://{BUCKET}/jianfu")
    dvc(origin, "remote", "modify", "team", "endpointurl", s3_endpoint)
    dvc(origin, "remote", "modify", "team", "region", "us-east-1")
    dvc(origin, "remote", "modify", "--local", "team", "access_key_id", KEY_ID)
    dvc(origin, "remote", "modify", "--local", "team", "secret_access_key", SECRET)
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "results and the team remote")
    assert ".dvc/config.local" not in git(origin, "ls-files")
    committed = git(origin, "show", "HEAD:.dvc/config")
    assert SECRET not in committed and KEY_ID not in committed
    assert sharing.problems(origin) == []

    # What would be pushed: `dvc status -c` never lists the raw exports
    cloud = json.loads(dvc(origin, "status", "-c", "--json"))
    assert cloud and not [p for p in cloud if p.startswith("data/simulated")], cloud
    assert "pushed" in dvc(origin, "push")

    # The bucket holds exactly the cached objects of every pushable output of dvc.lock
    flags = {o.path: o for o in sharing.outputs(origin)}
    lock = yaml.safe_load((origin / "dvc.lock").read_text(encoding="utf-8"))["stages"]
    lock_outs = {o["path"]: o for body in lock.values() for o in body.get("outs", [])}
    pushed = {p for p, o in lock_outs.items() if flags[p].pushed}
    private = {p for p, o in lock_outs.items() if flags[p].cache and not flags[p].push}
    assert {"data/simulated/survey", "data/simulated/admin"} <= private
    assert all(p.startswith("data/simulated/") for p in private), private
    expected = set().union(*(_objects(lock_outs[p], cache) for p in pushed))
    raw_objects = set().union(*(_objects(lock_outs[p], cache) for p in private))
    in_bucket = _bucket_objects(s3_endpoint)
    assert in_bucket == expected, (sorted(expected - in_bucket), sorted(in_bucket - expected))
    # ...and no object of a raw file: the raw files' own hashes (a raw file may be byte-identical
    # to a pushed output, so only hashes that nothing pushable has count)
    raw_files = [f for p in private for f in (source / p).rglob("*") if f.is_file()]
    raw_hashes = {md5(f) for f in raw_files}
    assert raw_hashes | {lock_outs[p]["md5"] for p in private} == raw_objects
    raw_only = raw_objects - expected
    assert raw_only and all((cache / "files/md5" / h[:2] / h[2:]).exists() for h in raw_only)
    assert not raw_only & in_bucket

    # A new member: a fresh clone (no cache, no data, no credentials)
    member = tmp_path / "member"
    git(tmp_path, "clone", "-q", str(origin), str(member))
    assert not (member / ".dvc" / "config.local").exists()
    # before any pull, nothing to run (`python3 bootstrap.py pipeline --allow-missing --dry`)
    assert ran_stages(dvc(member, "repro", "--allow-missing", "--dry")) == set()
    assert "Unable to locate credentials" in dvc_fails(member, "pull")
    dvc(member, "remote", "modify", "--local", "team", "access_key_id", KEY_ID)
    dvc(member, "remote", "modify", "--local", "team", "secret_access_key", SECRET)
    dvc(member, "pull", "--allow-missing")
    # without --allow-missing, pull fails on the raw exports (after fetching everything else)
    refused = dvc_fails(member, "pull")
    assert "Checkout failed" in refused and "data/simulated/survey" in refused
    assert not [f for f in (member / "data" / "simulated").rglob("*") if f.is_file()]
    for path in pushed:
        assert (member / path).exists(), path
    # the only differences DVC sees: the raw exports and the uncached power checkpoint
    uncached = {p for p, o in flags.items() if not o.cache and not (member / p).exists()}
    status_paths = _status_paths(json.loads(dvc(member, "status", "--json")))
    assert status_paths <= private | uncached, status_paths

    # With --allow-missing, missing data are no change: neither the raw exports nor deleted
    # outputs (here the report's) make a stage run; `dvc checkout` brings outputs back
    report_outs = [o["path"] for o in lock["report"]["outs"] if flags[o["path"]].cache]
    for path in report_outs:
        target = member / path
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    assert ran_stages(dvc(member, "repro", "--allow-missing", "--dry")) == set()
    dvc(member, "checkout", "report")
    assert json.loads(dvc(member, "status", "report", "--json")) == {}

    # A change after ingest (here the report's language) reruns only what follows it
    params_file = member / "params.yaml"
    params = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    assert params["report"]["language"] != "en"
    params["report"]["language"] = "en"
    params_file.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    assert ran_stages(dvc(member, "repro", "--allow-missing")) == {"report"}

    # Back to the committed params: the report is rebuilt byte for byte, without raw data
    git(member, "checkout", "--", "params.yaml")
    assert ran_stages(dvc(member, "repro", "--allow-missing")) == {"report"}
    relock = yaml.safe_load((member / "dvc.lock").read_text(encoding="utf-8"))["stages"]
    assert relock == lock
    for path in report_outs:
        assert (member / path).exists(), path
    assert ran_stages(dvc(member, "repro", "--allow-missing", "--dry")) == set()
