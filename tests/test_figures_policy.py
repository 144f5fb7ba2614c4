"""Policy figures: each in Chinese and English on tiny tidy frames made here; the tile grid.

As in ``test_figures.py``: in both languages no glyph may be missing (matplotlib's "Glyph …
missing" warning is an error here) and the PDF embeds TrueType fonts (no Type 3) with extractable
text (checked with poppler when installed); re-running a figure and `save_figure` gives
byte-identical PDF, SVG and PNG files (checked in Chinese only, to keep the module under 20 s:
nothing that could vary between runs depends on the language). The numbers behind two figures
(the hotline alignment, the regions' weighted means) are checked against hand computations.

The font is built once for this module on the characters its figures use (~1.5 s) and is the
only "Jianfu Sans SC" matplotlib sees while the module runs: ``test_figures.py`` registers a
subset of its own under the same family name, and matplotlib would take whichever came first.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jianfu.figures import fonts, policy, save_figure
from jianfu.figures.style import localize

pytestmark = pytest.mark.filterwarnings("error:Glyph:UserWarning")

ROOT = Path(__file__).resolve().parents[1]
DISTRICTS = ROOT / "data" / "reference" / "cq_districts.csv"
LABEL_TABLES = (
    policy.MEASURE_LABELS,
    policy.OUTCOME_LABELS,
    policy.ESTIMATOR_LABELS,
    policy.REGION_LABELS,
    policy.TEXT,
)


def _texts() -> list[str]:
    texts = [t for table in LABEL_TABLES for label in table.values() for t in label.values()]
    tiles = policy.chongqing_tiles()
    return texts + [str(v) for c in ("short_zh", "short_en", "name") for v in tiles[c]]


@pytest.fixture(scope="module")
def font(cjk_font):
    return cjk_font


# --------------------------------------------------------------------------- tiny inputs

MONTHS = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)]
#: district → (region, cadres, adoption month of 一表通, or None = never)
PANEL_DISTRICTS = {
    500103: ("主城都市区", 300, "2023-07"),
    500118: ("主城都市区", 900, "2023-04"),
    500101: ("渝东北三峡库区城镇群", 500, "2024-01"),
    500229: ("渝东北三峡库区城镇群", 200, None),
    500114: ("渝东南武陵山区城镇群", 400, "2023-10"),
    500241: ("渝东南武陵山区城镇群", 250, None),
}


def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for code, (region, cadres, adopt) in PANEL_DISTRICTS.items():
        for t, month in enumerate(MONTHS):
            after = adopt is not None and month >= adopt
            lagged = adopt is not None and MONTHS.index(month) >= MONTHS.index(adopt) + 3
            rows.append(
                {
                    "district_code": code,
                    "stratum": region,
                    "month": month,
                    "cadres": cadres,
                    "report_submissions": 30 - 10 * after + rng.normal(0, 1) + np.sin(t),
                    "response_hours": 9 - 1.2 * lagged + rng.normal(0, 0.2),
                    "resolution_rate": 0.83 + 0.03 * lagged + rng.normal(0, 0.005),
                    "satisfaction_rate": 0.86 + 0.025 * lagged + rng.normal(0, 0.005),
                    "adopt_yibiaotong": adopt,
                }
            )
    return pd.DataFrame(rows)


def _event_study() -> pd.DataFrame:
    rows = []
    truth = {e: (0.0 if e < 0 else -3.0 - e) for e in range(-4, 5)}
    for outcome, scale in (("report_submissions", 1.0), ("resolution_rate", 0.01)):
        for est, shift in (("cs_never", 0.2), ("twfe", 0.8), ("sun_abraham", 0.1)):
            for e, value in truth.items():
                if est != "cs_never" and e == -1:
                    continue  # the regressions' reference period
                est_value = (value * (1 - 0.1 * shift) + 0.1 * shift) * scale
                half = 0.6 * scale
                rows.append(
                    (outcome, est, f"e={e}", e, est_value, est_value - half, est_value + half)
                )
        rows.append((outcome, "twfe", "e>=5", 5, -8 * scale, -9 * scale, -7 * scale))
        rows.append((outcome, "sun_abraham", "overall", None, -5 * scale, -6 * scale, -4 * scale))
    frame = pd.DataFrame(
        rows,
        columns=["outcome", "estimator", "term", "event_time", "estimate", "ci_low", "ci_high"],
    )
    frame["event_time"] = frame["event_time"].astype("Int64")
    return frame.assign(measure="yibiaotong", aggregation="dynamic", se=0.3)


def _recovery() -> pd.DataFrame:
    ybt, rs, rh = "yibiaotong", "report_submissions", "response_hours"
    rows = [
        (ybt, rs, "cs_never", "simple", -12.1, -12.8, -14.4, -11.1),
        (ybt, rs, "twfe", "simple", -12.1, -10.0, -11.0, -9.0),
        (ybt, rh, "cs_notyet", "simple", -0.74, -0.95, -1.18, -0.72),
        (ybt, rh, "cs_notyet", "from_lag_3", -1.1, -1.07, -1.3, -0.84),
        (ybt, rh, "twfe", "simple", -0.74, -0.45, -0.6, -0.31),
        ("duty_list", "inspections", "cs_notyet", "simple", -0.76, -0.67, -0.95, -0.39),
        ("duty_list", "inspections", "twfe", "simple", -0.76, -0.55, -0.73, -0.36),
    ]
    columns = ["measure", "outcome", "estimator", "aggregation", "truth", "estimate"]
    frame = pd.DataFrame(rows, columns=[*columns, "ci_low", "ci_high"])
    frame["term"] = np.where(frame["aggregation"] == "simple", "ATT", "overall")
    frame["covered"] = (frame["ci_low"] <= frame["truth"]) & (frame["truth"] <= frame["ci_high"])
    truth = pd.DataFrame(
        {
            "measure": "yibiaotong",
            "outcome": "report_submissions",
            "estimator": "cs_never",
            "aggregation": "dynamic",
            "term": [f"e={e}" for e in range(-4, 5)],
            "truth": [0.0] * 4 + [-3.0 - e for e in range(5)],
        }
    )
    return pd.concat([frame, truth], ignore_index=True)


def _rollout() -> pd.DataFrame:
    codes = policy.chongqing_tiles()["district_code"].tolist()
    months = ["2023-09", "2024-03", "2024-09", "2025-03", None]
    rows = [
        {"district_code": c, "measure": m, "adoption_month": months[(i + k) % len(months)]}
        for k, m in enumerate(("yibiaotong", "duty_list"))
        for i, c in enumerate(codes)
    ]
    rows[0]["adoption_month"] = "2019-01"  # adopted before the window: extends the colour bar
    return pd.DataFrame(rows)


def _effects() -> pd.DataFrame:
    codes = policy.chongqing_tiles()["district_code"].tolist()[:30]
    values = np.linspace(-2.5, 1.5, len(codes))
    return pd.DataFrame(
        {"district_code": codes, "value": values, "text": [f"{v:.1f}" for v in values]}
    )


FIGURES = {
    "event_study": (
        lambda lang: policy.event_study(
            _event_study(), "yibiaotong", "report_submissions", truth=_recovery(), lang=lang
        ),
        {"zh": "相对实施的月份", "en": "Monthssinceadoption"},
    ),
    "event_study_panels": (
        lambda lang: policy.event_study(
            _event_study(),
            "yibiaotong",
            "resolution_rate",
            estimators=["cs_never", "twfe", "sun_abraham"],
            layout="panels",
            lag=3,
            window=(-3, 4),
            lang=lang,
        ),
        {"zh": "百分点", "en": "percentagepoints"},
    ),
    "workload_trends": (
        lambda lang: policy.workload_trends(
            _panel(), "adopt_yibiaotong", "report_submissions", lang=lang
        ),
        {"zh": "已实施区县占比", "en": "Districtsadopted"},
    ),
    "hotline_before_after": (
        lambda lang: policy.hotline_before_after(_panel(), window=(-6, 9), lang=lang),
        {"zh": "滞后约3个月", "en": "3-monthlag"},
    ),
    "district_tile_map": (
        lambda lang: policy.district_tile_map(
            _rollout(),
            value="adoption_month",
            facet="measure",
            month_range=("2023-01", "2025-12"),
            lang=lang,
        ),
        {"zh": "沙坪坝", "en": "Adoptionmonth"},
    ),
    "district_tile_map_effects": (
        lambda lang: policy.district_tile_map(
            _effects(),
            label="text",
            width="single",
            value_label={"zh": "效应", "en": "Effect"},
            lang=lang,
        ),
        {"zh": "无数据", "en": "Nodata"},
    ),
    "policy_recovery_plot": (
        lambda lang: policy.policy_recovery_plot(
            _recovery(), aggregations=("simple", "from_lag_3"), lang=lang
        ),
        {"zh": "估计值占真值的百分比", "en": "Estimateas%"},
    ),
}


#: One entry per public figure function (the others are variants of them).
MAIN = [name for name in FIGURES if name in dir(policy)]


def _hashes(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def _pdf_check(path: Path, expected: str) -> None:
    """No Type 3 font, all embedded, `expected` in the text (white space removed); poppler only."""
    if not (shutil.which("pdffonts") and shutil.which("pdftotext")):
        data = path.read_bytes()
        assert b"/Type3" not in data and b"/FontFile2" in data
        return
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    rows = listing.stdout.splitlines()[2:]
    assert rows and all("Type 3" not in r and " yes " in r for r in rows), listing.stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    assert expected in "".join(text.stdout.split()), text.stdout


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize(("name", "lang"), [(n, lang) for n in MAIN for lang in ("zh", "en")])
def test_figure_renders_reproducibly_with_searchable_text(name, lang, font, tmp_path):
    make, expected = FIGURES[name]
    runs = ("a", "b") if lang == "zh" else ("a",)
    for run in runs:  # made afresh and saved again, as a DVC re-run would
        written = save_figure(make(lang), tmp_path / run / name)
        assert [p.suffix for p in written] == [".pdf", ".svg", ".png"]
    if len(runs) == 2:
        assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")
    assert len(_hashes(tmp_path / "a")) == 3  # no temporary files left behind
    _pdf_check(tmp_path / "a" / f"{name}.pdf", expected[lang])


@pytest.mark.parametrize(
    ("name", "lang"), [("event_study_panels", "en"), ("district_tile_map_effects", "zh")]
)
def test_figure_variant_renders_with_searchable_text(name, lang, font, tmp_path):
    """Other options of the same functions, once each."""
    make, expected = FIGURES[name]
    (path,) = save_figure(make(lang), tmp_path / name, formats=["pdf"])
    _pdf_check(path, expected[lang])


def test_labels_are_bilingual_and_in_the_full_font(font):
    from fontTools.ttLib import TTFont

    assert set(policy.MEASURE_LABELS) == {"yibiaotong", "app_clean", "negative_list", "duty_list"}
    assert len(policy.OUTCOME_LABELS) == 9 and len(policy.ESTIMATOR_LABELS) == 4
    for table in LABEL_TABLES:
        for label in table.values():
            assert set(label) == {"zh", "en"} and all(label.values())
    cmap = set(TTFont(str(fonts.source_font()), lazy=True).getBestCmap()) & fonts.charset()
    missing = sorted({ch for t in _texts() for ch in t if not ch.isspace() and ord(ch) not in cmap})
    assert not missing


def test_event_study_draws_the_chosen_estimators_with_reference_points(font):
    fig = policy.event_study(
        _event_study(), "yibiaotong", "report_submissions", estimators=["cs_never", "twfe"]
    )
    ax = fig.axes[0]
    assert len(ax.containers) == 2  # one errorbar per estimator
    xs = sorted(np.round(ax.containers[1].lines[0].get_xdata(), 2))
    assert -1 + 0.2 not in xs and 5.2 not in xs  # no e = −1 and no binned end for TWFE
    hollow = [line for line in ax.lines if line.get_markerfacecolor() == "white"]
    assert [tuple(np.round(h.get_xydata()[0], 2)) for h in hollow] == [(-0.8, 0.0)]


def test_hotline_alignment_matches_a_hand_computation():
    panel = _panel()
    table = policy._aligned(panel, "adopt_yibiaotong", "response_hours", (-1, 1), "notyet")
    wide = panel.pivot(index="district_code", columns="month", values="response_hours")
    # e = 0 for the district adopting in 2023-10 (500114): comparison = not adopted by 2023-10
    # (500101 adopts 2024-01; 500229 and 500241 never)
    expected_control = wide.loc[[500101, 500229, 500241], "2023-10"].mean()
    adopters = {500103: "2023-07", 500118: "2023-04", 500101: "2024-01", 500114: "2023-10"}
    treated, control = [], []
    for code, month in adopters.items():
        later = [c for c, a in adopters.items() if a > month] + [500229, 500241]
        treated.append(wide.loc[code, month])
        control.append(wide.loc[later, month].mean())
    row = table[(table["event_time"] == 0)].set_index("group")
    assert row.loc["treated", "mean"] == pytest.approx(np.mean(treated))
    assert row.loc["comparison", "mean"] == pytest.approx(np.mean(control))
    assert control[3] == pytest.approx(expected_control)
    assert row.loc["treated", "n"] == 4
    half = 3.182446305284263 * np.std(treated, ddof=1) / 2  # t(0.975, 3) · sd / √4
    assert row.loc["treated", "ci_high"] - row.loc["treated", "mean"] == pytest.approx(half)
    never = policy._aligned(panel, "adopt_yibiaotong", "response_hours", (0, 0), "never")
    comparison = never.set_index("group").loc["comparison", "mean"]
    months = list(adopters.values())
    assert comparison == pytest.approx(
        np.mean([wide.loc[[500229, 500241], m].mean() for m in months])
    )


def test_workload_trends_weight_districts_by_cadres(font):
    panel = _panel()
    fig = policy.workload_trends(panel, "adopt_yibiaotong", "report_submissions", lang="en")
    top, bottom = fig.axes[:2]
    metro = panel[(panel["stratum"] == "主城都市区") & (panel["month"] == "2023-05")]
    weighted = np.average(metro["report_submissions"], weights=metro["cadres"])
    assert top.lines[0].get_ydata()[4] == pytest.approx(weighted)
    # 2023-05: 永川 (2023-04) has adopted, 渝中 (2023-07) not yet
    assert bottom.lines[0].get_ydata()[4] == pytest.approx(50.0)
    assert bottom.lines[1].get_ydata()[-1] == pytest.approx(50.0)  # 城口 never adopts


def test_tile_grid_has_the_38_districts_on_distinct_cells():
    reference = pd.read_csv(DISTRICTS, encoding="utf-8")
    tiles = policy.chongqing_tiles()
    assert sorted(tiles["district_code"]) == sorted(reference["adcode"])
    assert len(tiles) == 38 and not tiles.duplicated(["row", "col"]).any()
    assert tiles["short_zh"].is_unique and tiles["short_en"].is_unique
    merged = tiles.merge(reference, left_on="district_code", right_on="adcode")
    assert (merged["name_x"] == merged["name_y"]).all()
    assert (merged["name_en_x"] == merged["name_en_y"]).all()
    regions = merged["region_yiqu_liangqun"].str.split("-").str[0]
    assert (merged["region"] == regions).all()
    assert set(tiles["region"]) == set(policy.REGION_LABELS)
    # rough geography: 渝东北 north-east of the metropolitan area, 渝东南 south-east
    centre = tiles.groupby("region")[["row", "col"]].mean()
    metro, north_east, south_east = (centre.loc[r] for r in policy.REGION_LABELS)
    assert north_east["row"] < metro["row"] and north_east["col"] > metro["col"]
    assert south_east["row"] > north_east["row"] and south_east["col"] > metro["col"]
    yuzhong = tiles.set_index("short_zh").loc["渝中"]
    central = ["大渡口", "江北", "沙坪坝", "九龙坡", "南岸", "北碚", "渝北", "巴南"]
    for name in central:  # the central city is one 3 × 3 block around 渝中
        tile = tiles.set_index("short_zh").loc[name]
        assert max(abs(tile["row"] - yuzhong["row"]), abs(tile["col"] - yuzhong["col"])) == 1


def test_english_tile_names_split_at_syllables():
    split = {n: policy._split_pinyin(n) for n in policy.chongqing_tiles()["short_en"]}
    assert split["Shapingba"] == "Sha-\npingba"
    assert split["Rongchang"] == "Rong-\nchang"
    assert split["Zhongxian"] == "Zhong-\nxian"
    assert split["Dazu"] == "Dazu"
    for name, text in split.items():
        assert text.replace("-\n", "") == name
        assert max(len(line) for line in text.split("\n")) <= 7


def test_invalid_inputs_raise_clear_errors(font):
    es = _event_study()
    with pytest.raises(ValueError, match="no rows of estimators"):
        policy.event_study(es, "yibiaotong", "report_submissions", estimators=["cs_notyet"])
    with pytest.raises(ValueError, match="no event-time rows"):
        policy.event_study(es, "duty_list", "inspections")
    with pytest.raises(ValueError, match="layout"):
        policy.event_study(es, "yibiaotong", "report_submissions", layout="grid")
    with pytest.raises(ValueError, match="lang"):
        policy.event_study(es, "yibiaotong", "report_submissions", lang="fr")
    with pytest.raises(ValueError, match="missing columns"):
        policy.workload_trends(_panel(), "adopt_app_clean", "report_submissions")
    with pytest.raises(ValueError, match="control"):
        policy.hotline_before_after(_panel(), control="all")
    with pytest.raises(ValueError, match="no district adopts"):
        policy.hotline_before_after(_panel().assign(adopt_yibiaotong=None))
    with pytest.raises(ValueError, match="not in the tile grid"):
        policy.district_tile_map(pd.DataFrame({"district_code": [500199], "value": [1.0]}))
    with pytest.raises(ValueError, match="kind"):
        policy.district_tile_map(_effects(), kind="qualitative")
    with pytest.raises(ValueError, match="true effect is 0"):
        policy.policy_recovery_plot(_recovery().assign(truth=0.0))
    with pytest.raises(ValueError, match="no rows"):
        policy.policy_recovery_plot(_recovery(), estimators=["sun_abraham"])


def test_labels_override_and_unknown_codes(font):
    labels = {"report_submissions": {"zh": "填报", "en": "Reports filed"}}
    fig = policy.event_study(
        _event_study(), "yibiaotong", "report_submissions", labels=labels, lang="en"
    )
    assert fig.get_suptitle() == "One-form reporting → Reports filed"
    assert policy._name("new_measure", "zh") == "new_measure"
    assert localize(policy.REGION_LABELS["主城都市区"], "en") == "Metropolitan area"
