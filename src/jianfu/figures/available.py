"""Which inputs of the figures and the report were not made because their stage was skipped.

On a team's own survey export some stages do not apply: without a simulated truth the
recoveries are skipped, without office records the panel and policy stages too. A skipped stage
writes ``SKIPPED.json`` into each output folder and ``{"skipped": reason}`` as its metrics
(`jianfu.core.io.write_skipped`); `skipped_input` finds that marker for any output path, so the
`figures` and `report` stages leave out what needs it, with the stage's own one-line reason.
Which data they come from is params ``data.source`` (`jianfu.core.params.data_source`).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from jianfu.core.io import skipped_reason


def skipped_input(root: str | Path, rel: str) -> str | None:
    """Why the output `rel` (relative to `root`) was not made, or None when its stage ran.

    A metrics JSON holding ``{"skipped": …}`` or any folder on the way to `rel` holding
    ``SKIPPED.json`` (the nearest folder first) gives the skipped stage's reason.
    """
    root = Path(root)
    path = PurePosixPath(rel)
    if path.suffix == ".json" and (reason := skipped_reason(root / rel)) is not None:
        return reason
    folders = [path, *path.parents] if (root / rel).is_dir() else list(path.parents)
    for folder in folders:
        if str(folder) in ("", "."):
            break
        if (reason := skipped_reason(root / folder)) is not None:
            return reason
    return None
