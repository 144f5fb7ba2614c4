"""Read one SPSS .sav/.zsav or Stata .dta file with pyreadstat, in a process of its own.

pyreadstat's C library can crash (segmentation fault) on a damaged file, which would take the
whole pipeline down with no message. `jianfu.ingest.read` therefore runs this module as a child
process (``python -m jianfu.ingest.spss_worker READER PATH [ENCODING]``): the child writes one
pickled dict to standard output — ``{"ok": True, "frame": DataFrame, "meta": {...}}`` or
``{"ok": False, "error": type name, "message": text}`` — and a crash of the child becomes a
clear error in the parent (`read_stat_in_subprocess`).

Standard library and pyreadstat only in the child: it starts in about a third of a second.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

#: Set (to anything non-empty) in the environment to make the child abort before reading: the
#: tests use it to check that a crash is reported clearly.
ABORT_ENV = "JIANFU_SPSS_WORKER_ABORT"
#: The metadata fields passed back to the parent.
META_FIELDS = (
    "column_names",
    "column_labels",
    "variable_value_labels",
    "missing_ranges",
    "missing_user_values",
)


class WorkerCrash(Exception):
    """The child died (a signal or an exit without a result); the message says how."""


def read_stat_in_subprocess(path: Path, reader: str, encoding: str | None) -> dict:
    """The worker's result for `path` (`reader` "spss" or "stata"); `WorkerCrash` if it died."""
    cmd = [sys.executable, "-m", "jianfu.ingest.spss_worker", reader, str(path)]
    if encoding is not None:
        cmd.append(encoding)
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2])  # the folder that holds the jianfu package
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
    if proc.returncode < 0:
        number = -proc.returncode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown signal"
        raise WorkerCrash(f"signal {number}, {name}")
    try:
        result = pickle.loads(proc.stdout)
    except Exception as exc:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise WorkerCrash(f"exit status {proc.returncode}: {tail[0]}") from exc
    if not isinstance(result, dict) or "ok" not in result:
        raise WorkerCrash(f"exit status {proc.returncode}: no result")
    return result


def _read(reader: str, path: str, encoding: str | None) -> dict:
    import pyreadstat

    read = pyreadstat.read_sav if reader == "spss" else pyreadstat.read_dta
    options = {"user_missing": True} if reader == "spss" else {}
    if encoding is not None:
        options["encoding"] = encoding
    try:
        df, meta = read(path, apply_value_formats=False, **options)
    except Exception as exc:  # pyreadstat raises ReadstatError, PyreadstatError, OSError...
        return {"ok": False, "error": type(exc).__name__, "message": str(exc)}
    return {
        "ok": True,
        "frame": df,
        "meta": {name: getattr(meta, name, None) for name in META_FIELDS},
    }


def main(argv: list[str]) -> int:
    if os.environ.get(ABORT_ENV):
        os.abort()
    reader, path, *rest = argv
    result = _read(reader, path, rest[0] if rest else None)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
