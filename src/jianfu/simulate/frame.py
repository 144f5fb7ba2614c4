"""The sampling frame and the unit registry: real districts and townships, synthetic villages.

Reads the 38 county-level units and 1,031 township-level units (official codes) from
`data/reference/`, adds synthetic villages / communities (DOMAIN_FACTS §4: ~11,000 in all), draws
the township-level quantities every other generator shares (workload intensity, cluster random
effects), and draws the multi-stage survey sample (districts stratified by 一区两群, then
townships, then cadres).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from jianfu.core.reference import STRATA, TOWNSHIP_TYPES, read_reference  # noqa: F401

#: Mean number of villages / communities per township type (DOMAIN_FACTS §4).
VILLAGES_PER_TYPE = {"street": 9, "town": 12, "township": 7}
_VILLAGE_SYLLABLES = list(
    "安宝碑长城大东丰凤福高古关河红华黄家金井乐莲林龙马南平桥清泉三山石双水太桃天"
    + "田铁湾王文五溪新兴杨羊永玉园云枣中竹"
)


@dataclass(frozen=True)
class Frame:
    """The unit registry: districts, townships (with shared latent quantities) and villages."""

    districts: pd.DataFrame
    townships: pd.DataFrame
    villages: pd.DataFrame


def build_frame(
    districts: pd.DataFrame, townships: pd.DataFrame, p, rng: np.random.Generator
) -> Frame:
    """Add the shared township-level quantities and synthetic villages.

    Township quantities (one draw per township, shared by the survey and the office records):
    ``workload_z`` (standardised log workload intensity: drives event rates and, by H7,
    formalism burden), ``cadres`` (establishment size), and the township and district random
    effects used by the survey's structural model (drawn in `jianfu.simulate.survey`).
    """
    towns = townships.merge(
        districts[["district_code", "stratum"]],
        on="district_code",
        how="left",
        validate="many_to_one",
    )
    n = len(towns)
    district_shift = dict(
        zip(
            districts["district_code"],
            rng.normal(0.0, p["workload_district_sd"], len(districts)),
            strict=True,
        )
    )
    towns["workload_z"] = towns["district_code"].map(district_shift) + rng.normal(
        0.0, p["workload_township_sd"], n
    )
    staff = p["cadres_per_township"]
    size = {t: staff[t] for t in ("street", "town", "township")}
    towns["cadres"] = np.maximum(
        10, rng.poisson(towns["township_type"].map(size).to_numpy(dtype=float))
    )
    villages = _villages(towns, rng)
    towns["n_villages"] = (
        towns["township_code"]
        .map(villages.groupby("township_code").size())
        .fillna(0)
        .astype("int64")
    )
    return Frame(districts=districts.reset_index(drop=True), townships=towns, villages=villages)


def _villages(towns: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    counts = np.maximum(1, rng.poisson(towns["township_type"].map(VILLAGES_PER_TYPE).to_numpy()))
    township_code = np.repeat(towns["township_code"].to_numpy(), counts)
    seq = np.concatenate([np.arange(1, c + 1) for c in counts])
    is_street = np.repeat((towns["township_type"] == "street").to_numpy(), counts)
    syllables = np.array(_VILLAGE_SYLLABLES)
    first = syllables[rng.integers(0, len(syllables), len(seq))]
    second = syllables[rng.integers(0, len(syllables), len(seq))]
    kind = np.where(is_street | (rng.random(len(seq)) < 0.12), "社区", "村")
    return pd.DataFrame(
        {
            "village_code": township_code * 1000 + seq,
            "village_name": pd.Series(first).str.cat(pd.Series(second)).str.cat(pd.Series(kind)),
            "village_type": np.where(kind == "社区", "community", "village"),
            "township_code": township_code,
            "synthetic": True,
        }
    )


def sample_design(frame: Frame, p, rng: np.random.Generator) -> pd.DataFrame:
    """The multi-stage survey sample: districts by stratum (PPS by population), townships, sizes.

    Returns one row per sampled township with the number of cadres who respond there.
    """
    districts = frame.districts
    chosen = []
    for stratum, n_districts in dict(p["districts_per_stratum"]).items():
        pool = districts[districts["stratum"] == stratum]
        if n_districts > len(pool):
            raise ValueError(
                f"simulate.survey.districts_per_stratum.{stratum}: {n_districts} "
                f"requested, the stratum has {len(pool)} districts"
            )
        weights = pool["pop2020"].to_numpy(dtype=float)
        picked = rng.choice(
            pool["district_code"].to_numpy(),
            size=n_districts,
            replace=False,
            p=weights / weights.sum(),
        )
        chosen.extend(sorted(picked.tolist()))
    towns = frame.townships[frame.townships["district_code"].isin(chosen)]
    per_district = p["townships_per_district"]
    sampled = []
    for code in chosen:
        pool = towns[towns["district_code"] == code]
        k = min(per_district, len(pool))
        sampled.append(pool.iloc[np.sort(rng.choice(len(pool), size=k, replace=False))])
    design = pd.concat(sampled, ignore_index=True)
    mean, dispersion = p["respondents_per_township"], p["respondents_dispersion"]
    sizes = rng.negative_binomial(dispersion, dispersion / (dispersion + mean), len(design))
    design["respondents"] = np.maximum(p["respondents_min"], sizes)
    return design[
        [
            "district_code",
            "township_code",
            "township_name",
            "township_type",
            "stratum",
            "respondents",
        ]
    ]
