"""Check, before `dvc push`, that no personal data and no credential can reach the team's remote.

Checks (docs/sharing.md):
- every DVC output under `data/own/`, `data/simulated/survey|admin/` or `data/raw/` (a stage
  output in dvc.yaml or a `dvc add`-ed `.dvc` file) is marked `push: false`: raw exports hold
  names, phone numbers and IPs;
- no other output is marked `push: false`: a fresh clone could not reproduce the results
  without it;
- no output lies under `.jianfu/` (the de-identification key is shared out of band);
- the git-tracked `.dvc/config` holds no credentials (they go in `.dvc/config.local` with
  `dvc remote modify --local`), and `.dvc/.gitignore` ignores `/config.local`.

Reads the files only (no DVC, no network): run it from the project folder with
`.venv/bin/python -m jianfu.tools.sharing`. It exits with status 2 and lists every problem, or
prints what `dvc push` sends and what it keeps back.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from jianfu.core.errors import JianfuError, Problem, ProblemsError

#: Folders whose outputs hold personal data before de-identification: never pushed. The
#: simulator's exports, your own exports (if you `dvc add` them), and the older layout's data/raw.
PRIVATE = ("data/simulated/survey", "data/simulated/admin", "data/own", "data/raw")
#: Where the de-identification key lives (never a DVC output, never in git).
KEY_DIR = ".jianfu"
#: Remote options (any DVC remote type) that are secrets: only in .dvc/config.local.
SECRET_OPTIONS = frozenset(
    {
        "access_key_id",
        "secret_access_key",
        "session_token",
        "sse_customer_key",
        "password",
        "passphrase",
        "token",
        "account_key",
        "connection_string",
        "sas_token",
        "client_secret",
        "oss_key_id",
        "oss_key_secret",
        "gdrive_client_secret",
    }
)
#: Folders never searched for `.dvc` files.
_SKIP_DIRS = {".git", ".dvc", ".venv", "venv", "node_modules", "__pycache__", KEY_DIR}
_VAR = re.compile(r"\$\{\s*([\w.-]+)\s*\}")


@dataclass(frozen=True)
class Output:
    """One DVC output: its path (project-relative, POSIX), where it is declared, its flags."""

    path: str
    source: str
    push: bool = True
    cache: bool = True

    @property
    def pushed(self) -> bool:
        """Whether `dvc push` sends it (outputs with `cache: false` are never in the cache)."""
        return self.push and self.cache


def _lookup(tree: dict, dotted: str):
    node = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _resolver(root: Path, dvc_yaml: dict):
    """`${var}` interpolation as DVC does it for simple cases: dvc.yaml `vars`, then params.yaml."""
    scope: dict = {}
    params = root / "params.yaml"
    if params.exists():
        scope.update(yaml.safe_load(params.read_text(encoding="utf-8")) or {})
    for entry in dvc_yaml.get("vars") or []:
        if isinstance(entry, dict):
            scope.update(entry)

    def resolve(text: str) -> str:
        def sub(match: re.Match) -> str:
            value = _lookup(scope, match.group(1))
            return match.group(0) if value is None or isinstance(value, dict) else str(value)

        return _VAR.sub(sub, text)

    return resolve


def _entries(items, resolve, source: str) -> list[Output]:
    out = []
    for item in items or []:
        if isinstance(item, str):
            path, flags = item, {}
        else:
            ((path, flags),) = item.items()
            flags = flags or {}
        out.append(
            Output(
                path=resolve(str(path)).strip("/"),
                source=source,
                push=bool(flags.get("push", True)),
                cache=bool(flags.get("cache", True)),
            )
        )
    return out


def _dvc_files(root: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        found += [Path(folder) / f for f in sorted(files) if f.endswith(".dvc")]
    return found


def outputs(root: Path) -> list[Output]:
    """Every output of dvc.yaml's stages (outs, metrics, plots) and of `.dvc` files."""
    result: list[Output] = []
    dvc_yaml_file = root / "dvc.yaml"
    if dvc_yaml_file.exists():
        dvc_yaml = yaml.safe_load(dvc_yaml_file.read_text(encoding="utf-8")) or {}
        resolve = _resolver(root, dvc_yaml)
        for name, stage in (dvc_yaml.get("stages") or {}).items():
            body = stage.get("do", stage)  # foreach stages: the template's paths
            for key in ("outs", "metrics", "plots"):
                result += _entries(body.get(key), resolve, f"dvc.yaml, stage {name}")
    for dvc_file in _dvc_files(root):
        data = yaml.safe_load(dvc_file.read_text(encoding="utf-8")) or {}
        folder = dvc_file.parent.relative_to(root).as_posix()
        rel = dvc_file.relative_to(root).as_posix()
        for out in data.get("outs") or []:  # {path, md5, ..., push, cache}: one per output
            path = str(out["path"]).strip("/")
            result.append(
                Output(
                    path=path if folder == "." else f"{folder}/{path}",
                    source=rel,
                    push=bool(out.get("push", True)),
                    cache=bool(out.get("cache", True)),
                )
            )
    return result


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def config_secrets(config: Path) -> list[tuple[str, str, int]]:
    """(section, option, line) of every secret option set in a DVC config file."""
    found, section = [], ""
    if not config.exists():
        return found
    for number, line in enumerate(config.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.strip("[]").strip("'")  # ['remote "team"'] -> remote "team"
            continue
        option = stripped.split("=", 1)[0].strip().lower() if "=" in stripped else ""
        if option in SECRET_OPTIONS:
            found.append((section, option, number))
    return found


def problems(root: Path, private: tuple[str, ...] = PRIVATE) -> list[Problem]:
    """Everything that would let personal data or a credential out, or break a fresh clone."""
    found = []
    for out in outputs(root):
        where = f"output {out.path}"
        is_private = any(_under(out.path, folder) for folder in private)
        if is_private and out.pushed:
            found.append(
                Problem(
                    out.source,
                    where,
                    "raw data with personal information: mark it `push: false` so that "
                    "`dvc push` never sends it",
                )
            )
        if not is_private and not out.push:
            found.append(
                Problem(
                    out.source,
                    where,
                    "`push: false` outside "
                    + ", ".join(f"{p}/" for p in private)
                    + ": a fresh clone could not get it with `dvc pull`. Keep personal data "
                    "under data/own/ and push everything after ingest (it is de-identified)",
                )
            )
        if _under(out.path, KEY_DIR):
            found.append(
                Problem(
                    out.source,
                    where,
                    "the de-identification key is never a DVC output: share it out of band",
                )
            )
    for section, option, line in config_secrets(root / ".dvc" / "config"):
        found.append(
            Problem(
                ".dvc/config",
                section,
                f"`{option}` is a credential in a git-tracked file: remove it and set it with "
                f"`dvc remote modify --local` (.dvc/config.local), then change the secret",
                line,
            )
        )
    ignore = root / ".dvc" / ".gitignore"
    lines = ignore.read_text(encoding="utf-8").split() if ignore.exists() else []
    if "/config.local" not in lines:
        found.append(
            Problem(".dvc/.gitignore", "/config.local", "missing: credentials could be committed")
        )
    return found


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="project folder (default: current folder)"
    )


def run(args: argparse.Namespace) -> None:
    root = args.root.resolve()
    if not (root / ".dvc").is_dir():
        raise JianfuError(f"{root}: not a DVC project (no .dvc folder)")
    found = problems(root)
    if found:
        raise ProblemsError("not safe to push", found)
    outs = outputs(root)
    kept = sorted(o.path for o in outs if o.cache and not o.push)
    sent = sorted(o.path for o in outs if o.pushed)
    print(f"{root}: safe to push. `dvc push` sends {len(sent)} outputs; never sends:")
    for path in kept:
        print(f"  {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jianfu.tools.sharing",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        run(args)
    except JianfuError as exc:
        print(f"jianfu sharing: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
