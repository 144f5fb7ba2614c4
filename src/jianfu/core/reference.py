"""The reference frame: Chongqing's 38 districts and 1,031 townships with their official codes.

Read from ``data/reference/`` (see its README for sources); shared by the simulator (sampling
frame) and the ingest step (township matching, known unit codes).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: The three strata of 一区两群, from the `region_yiqu_liangqun` column of cq_districts.csv.
STRATA = {
    "主城都市区": "metro",
    "渝东北三峡库区城镇群": "northeast",
    "渝东南武陵山区城镇群": "southeast",
}
TOWNSHIP_TYPES = {"街道": "street", "镇": "town", "乡": "township"}


def read_reference(
    districts_csv: str | Path, townships_csv: str | Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The real frame: districts with their 一区两群 stratum, townships with their type.

    Returns districts (district_code, district_name, district_name_en, stratum, pop2020, …)
    and townships (township_code, township_name, district_code, township_type).
    """
    districts = pd.read_csv(districts_csv, encoding="utf-8", dtype={"adcode": "int64"})
    districts = districts.rename(
        columns={"adcode": "district_code", "name": "district_name", "name_en": "district_name_en"}
    )
    districts["stratum"] = districts["region_yiqu_liangqun"].str.split("-").str[0]
    unknown = set(districts["stratum"]) - set(STRATA)
    if unknown:
        raise ValueError(f"{districts_csv}: unknown 一区两群 region(s) {sorted(unknown)}")
    townships = pd.read_csv(
        townships_csv, encoding="utf-8", dtype={"code": "int64", "district_code": "int64"}
    )
    townships = townships.rename(columns={"code": "township_code", "name": "township_name"})
    suffix = townships["township_name"].str.extract(r"(街道|镇|乡)$")[0]
    townships["township_type"] = suffix.map(TOWNSHIP_TYPES).fillna("township")
    return districts, townships
