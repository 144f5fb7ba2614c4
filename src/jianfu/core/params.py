"""`params.yaml`: the single place for knobs.

Stages read their settings through `load_params`, which returns a `TrackedParams` mapping. It
records every key read, so the test suite can check that each DVC stage declares exactly the
params it reads (and DVC reruns a stage exactly when one of them changes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from jianfu.core.errors import JianfuError

DEFAULT_PARAMS = Path("params.yaml")


class TrackedParams(Mapping):
    """A read-only nested mapping that records the dotted keys read from it.

    Reading a section and then a leaf records the leaf (``simulate.seed``); a section whose
    contents are consumed as a whole (iterated, converted with `dict`) records the section.
    """

    def __init__(self, data: Mapping[str, Any], prefix: str = "", log: set[str] | None = None):
        self._data = data
        self._prefix = prefix
        self.accessed: set[str] = log if log is not None else set()

    def _key(self, key: str) -> str:
        return f"{self._prefix}{key}"

    def __getitem__(self, key: str) -> Any:
        if key not in self._data:
            where = self._prefix.rstrip(".") or "the top level"
            raise JianfuError(
                f"params.yaml: missing key '{self._key(key)}' (in {where}); "
                f"see the documented defaults in params.yaml"
            )
        value = self._data[key]
        if isinstance(value, Mapping):
            return TrackedParams(value, f"{self._key(key)}.", self.accessed)
        self.accessed.add(self._key(key))
        return value

    def __iter__(self) -> Iterator[str]:
        if self._prefix:
            self.accessed.add(self._prefix.rstrip("."))
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def to_dict(self) -> dict[str, Any]:
        """The whole section as plain data (records the section as read)."""
        if self._prefix:
            self.accessed.add(self._prefix.rstrip("."))
        return _plain(self._data)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_params(path: str | Path = DEFAULT_PARAMS) -> TrackedParams:
    """Read params.yaml; a missing or malformed file is a located error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JianfuError(f"{path}: not found (run from the project root)") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise JianfuError(f"{path}{line}: not valid YAML: {exc.problem}") from None
    if not isinstance(data, Mapping):
        raise JianfuError(f"{path}: expected a mapping of sections at the top level")
    return TrackedParams(data)


#: Values of params ``data.source``: the built-in simulated data, or the researcher's own.
DATA_SOURCES = ("simulated", "own")


def data_source(params: Mapping) -> str:
    """params ``data.source`` (``simulated`` or ``own``), checked; reads only that key."""
    source = params["data"]["source"]
    if source not in DATA_SOURCES:
        raise JianfuError(
            f"params.yaml data.source must be one of {', '.join(DATA_SOURCES)}, got {source!r}"
        )
    return str(source)


#: The one-line reason the stages that compare with the simulated truth give on own data.
NO_TRUTH = "own data (data.source: own): there is no simulated truth to compare with"
#: The reason the panel and policy stages give when own data come without office records.
NO_RECORDS = "no office records in {folder} (own data)"
#: The Chinese wording of each reason above, for the Chinese report (`reason_zh`).
_REASONS_ZH = (
    (NO_TRUTH, "自有数据（data.source: own）没有可对照的模拟真值"),
    (NO_RECORDS, "{folder} 中没有行政记录（自有数据）"),
)


def reason_zh(reason: str) -> str:
    """The Chinese wording of a skipped stage's one-line reason (the reason itself when it is
    not one of the reasons above)."""
    import re

    for en, zh in _REASONS_ZH:
        pattern = re.escape(en).replace(re.escape("{folder}"), "(?P<folder>.+?)")
        match = re.fullmatch(pattern, reason.strip())
        if match:
            return zh.format(**match.groupdict())
    return reason
