"""Atomic, deterministic file output.

A stage writes every output through these helpers: the data goes to a temporary file beside the
target and is moved into place with `os.replace` only when complete, so a killed stage never
leaves a half-written file that a later run could mistake for a good one. Writers fix everything
that would otherwise vary between runs (timestamps inside .docx archives, key order in JSON).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jianfu.core.errors import JianfuError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Timestamp written into documents whose formats require one (zip entries, docx properties).
FIXED_TIME = datetime(2024, 6, 3, tzinfo=UTC)  # the seed article's date


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it onto `path` if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary directory; it replaces `path` as a whole if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | Path, text: str) -> None:
    """UTF-8 text with Unix newlines."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, obj: Any) -> None:
    """JSON with sorted keys and Chinese kept readable (metrics, small tables)."""
    write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def write_csv(path: str | Path, frame, *, excel: bool = True) -> None:
    """CSV; `excel=True` writes UTF-8 with BOM so Excel shows the Chinese correctly."""
    text = frame.to_csv(index=False, lineterminator="\n")
    write_bytes(path, text.encode("utf-8-sig" if excel else "utf-8"))


_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)")


def deterministic_zip(data: bytes) -> bytes:
    """Rewrite an Office archive (docx, xlsx) so that it is byte-identical across runs.

    Fixes every zip entry's timestamp and attributes, and the creation / modification dates
    that the writers put into ``docProps/core.xml``.
    """
    out = io.BytesIO()
    stamp = FIXED_TIME.timetuple()[:6]
    iso = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            blob = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                blob = _CORE_DATES.sub(rb"\g<1>" + iso + rb"\g<2>", blob)
            dst.writestr(entry, blob)
    return out.getvalue()


def save_docx(document, path: str | Path) -> None:
    """Save a python-docx Document byte-identically across runs."""
    props = document.core_properties
    props.created = props.modified = FIXED_TIME.replace(tzinfo=None)
    props.last_printed = FIXED_TIME.replace(tzinfo=None)
    props.revision = 1
    props.last_modified_by = "jianfu"
    buf = io.BytesIO()
    document.save(buf)
    write_bytes(path, deterministic_zip(buf.getvalue()))


def read_output(root: str | Path, rel: str):
    """A pipeline output by its path relative to the project root: CSV (utf-8-sig), Parquet or
    JSON; a clear error when the stage that makes it has not run."""
    import pandas as pd

    path = Path(root) / rel
    if not path.exists():
        raise JianfuError(f"{rel} is missing: run the pipeline first (dvc repro)")
    if path.suffix == ".csv":
        return pd.read_csv(path, encoding="utf-8-sig")
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return json.loads(path.read_text(encoding="utf-8"))


def concat_tidy(frames, columns: list[str] | None = None):
    """Concatenate tidy tables (skipping empty ones), keep `columns` in that order when given,
    and store text columns as pandas strings (stable Parquet types). No frame: an empty table
    with `columns`."""
    import pandas as pd

    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns or [])
    out = pd.concat(frames, ignore_index=True)
    if columns is not None:
        out = out[columns]
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].astype("string")
    return out


#: The file a skipped stage writes into each of its output folders (see `write_skipped`).
SKIP_FILE = "SKIPPED.json"


def write_skipped(stage: str, reason: str, folders=(), metrics: str | Path | None = None) -> None:
    """Record that `stage` did not apply to this data (e.g. own data without office records).

    A skipped stage still writes every output DVC expects of it: each folder in `folders` holds
    only ``SKIPPED.json`` ({"stage", "reason"}), the metrics file is ``{"skipped": reason}``.
    The one-line reason is printed. Later stages ask `skipped_reason` instead of failing.
    """
    import sys

    record = {"stage": stage, "reason": reason}
    for folder in folders:
        with atomic_dir(folder) as out:
            write_json(out / SKIP_FILE, record)
    if metrics is not None:
        write_json(metrics, {"skipped": reason})
    print(f"jianfu {stage}: skipped: {reason}", file=sys.stderr, flush=True)


def skipped_reason(path: str | Path) -> str | None:
    """Why the stage that writes `path` (an output folder or metrics file) was skipped, or
    None when it ran (or has not run)."""
    path = Path(path)
    if path.is_dir():
        marker = path / SKIP_FILE
        if marker.exists():
            return str(json.loads(marker.read_text(encoding="utf-8"))["reason"])
        return None
    if path.suffix == ".json" and path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "skipped" in data:
            return str(data["skipped"])
    return None
