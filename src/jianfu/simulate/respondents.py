"""Respondents of the simulated cadre survey: background, workload answers, submission metadata.

Everything a 问卷星 export carries besides the scale items: the background block (marginals from
params, DOMAIN_FACTS §2.1), the district and the township typed as free text the way people type
it (suffix dropped, 办事处 for 街道, a wrong character, a district prefix, stray spaces), the
objective workload items of last month (negative binomial around per-cadre means, DOMAIN_FACTS
§3.1, scaled by the township's workload and by the roll-out), multi-choice channels, open-text
suggestions, and the submission metadata (time after the organisation department's push notice,
time taken, source, IP).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jianfu.codebook.model import Codebook

#: Ways a respondent writes a township's name (the kind is recorded in the truth).
TOWNSHIP_TEXT_KINDS = ("exact", "no_suffix", "office_suffix", "district_prefix", "spaces", "typo")
#: Characters people confuse when typing place names with a pinyin IME.
_TYPO = dict(
    zip("家佳坝霸湾弯溪西河合石时山杉桥乔龙隆", "佳家霸坝弯湾西溪合河时石杉山乔桥隆龙", strict=True)
)
_SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
)
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鑫斌波宇浩凯健俊帆")
#: Open-text suggestions (the project's own wording), some to be followed by personal data.
SUGGESTIONS = (
    "希望进一步精简报表，同一数据不要让基层反复填报。",
    "工作群太多，建议清理合并，不要要求24小时在线回复。",
    "督查检查考核能不能统筹安排，少一些拍照留痕。",
    "建议明确村（社区）的职责清单，不属于我们的事项不要层层下压。",
    "会议太多，很多会议只是传达文件，建议多开视频会、短会。",
    "希望容错纠错机制真正落地，让干部敢于担当。",
    "一表通用起来确实省事，希望尽快推广到所有部门的报表。",
    "政务App太多，建议统一入口，取消打卡和积分排名。",
    "希望多听听基层干部的意见，反映的问题要有回音。",
    "基层人手少、任务多，希望人员编制和待遇能跟上。",
    "无",
    "暂无建议",
)


def _choose(p, key: str, codes: tuple[int, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    probs = np.asarray(p[key], dtype=float)
    if len(probs) != len(codes) or not np.isclose(probs.sum(), 1.0):
        raise ValueError(
            f"simulate.survey.background.{key}: needs {len(codes)} probabilities "
            f"summing to 1, got {list(probs)}"
        )
    return rng.choice(np.asarray(codes), size=n, p=probs)


def draw_background(cb: Codebook, n: int, p, rng: np.random.Generator) -> pd.DataFrame:
    """Block A: background items, codes from the codebook's scales, marginals from params."""
    out = {}
    for item in cb.items:
        if item.block == "A":
            out[item.id] = _choose(p, item.id, cb.scales[item.scale].codes, n, rng)
    frame = pd.DataFrame(out)
    # logical consistency: nobody aged 30 or younger has worked more than 10 years at the
    # grassroots level (such rows are injected only as recorded dirt); redraw their tenure
    tenure_codes = cb.scales["tenure_band"].codes
    young_veteran = (frame["age_band"] == 1) & (frame["tenure_band"] == tenure_codes[-1])
    probs = np.asarray(p["tenure_band"][:-1], dtype=float)
    frame.loc[young_veteran, "tenure_band"] = rng.choice(
        np.asarray(tenure_codes[:-1]), int(young_veteran.sum()), p=probs / probs.sum()
    )
    return frame


def township_text(
    names: pd.Series, district_names: pd.Series, p, rng: np.random.Generator
) -> tuple[pd.Series, pd.Series]:
    """How respondents type their township: the text, and the kind of variation (truth)."""
    probs = np.asarray([p[k] for k in TOWNSHIP_TEXT_KINDS], dtype=float)
    kinds = rng.choice(np.asarray(TOWNSHIP_TEXT_KINDS), size=len(names), p=probs / probs.sum())
    stem = names.str.replace(r"(街道|镇|乡)$", "", regex=True)
    is_street = names.str.endswith("街道").to_numpy()
    office = pd.Series(np.where(is_street, stem + "办事处", names + "人民政府"), index=names.index)
    spaced = names.str.replace(r"(街道|镇|乡)$", r" \1", regex=True) + " "
    typo = names.map(lambda s: "".join(_TYPO.get(ch, ch) for ch in s))
    variants = {
        "no_suffix": stem,
        "office_suffix": office,
        "district_prefix": district_names.to_numpy() + names,
        "spaces": spaced,
        "typo": typo,
    }
    text = np.select(
        [kinds == k for k in variants],
        [np.asarray(v) for v in variants.values()],
        default=names.to_numpy(),
    )
    # a typo that changed nothing (no confusable character) is recorded as exact
    kinds = np.where((kinds == "typo") & (typo == names).to_numpy(), "exact", kinds)
    return pd.Series(text, index=names.index), pd.Series(kinds, index=names.index)


def draw_workload(
    cb: Codebook,
    background: pd.DataFrame,
    workload_z: np.ndarray,
    multipliers: dict[str, np.ndarray],
    p,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Block C: last month's objective workload, negative binomial around per-cadre means.

    ``mean = base · exp(workload_sd · workload_z) · village_factor · roll-out multiplier``;
    `multipliers` maps an item id to the roll-out multiplier of each respondent (1 = untreated).
    """
    village = np.isin(background["post_type"].to_numpy(), list(p["village_posts"]))
    out = {}
    for item in cb.items:
        if item.type != "number":
            continue
        spec = p["items"][item.id]
        mean = (
            float(spec["mean"])
            * np.exp(float(p["workload_sd"]) * workload_z)
            * np.where(village, float(p["village_factor"]), 1.0)
            * multipliers.get(item.id, 1.0)
        )
        size = float(spec["dispersion"])
        out[item.id] = rng.negative_binomial(size, size / (size + mean)).astype("int64")
    return pd.DataFrame(out)


def draw_channels(cb: Codebook, n: int, p, rng: np.random.Generator) -> tuple[pd.Series, pd.Series]:
    """The multi-choice item: chosen codes (tuples) and any 其他 free text."""
    (item,) = [i for i in cb.items if i.type == "multi"]
    scale = cb.scales[item.scale]
    probs = np.asarray(p["probabilities"], dtype=float)
    chosen = rng.random((n, len(scale.values))) < probs[None, :]
    none = ~chosen.any(axis=1)
    chosen[none, 0] = True  # every cadre uses at least one channel
    codes = np.asarray(scale.codes)
    picked = pd.Series([tuple(codes[row]) for row in chosen])
    other_code = next(v.code for v in scale.values if v.other_text)
    texts = np.asarray(list(p["other_texts"]))
    other = pd.Series(
        [texts[rng.integers(len(texts))] if other_code in row else "" for row in picked]
    )
    return picked, other


def person_name(rng: np.random.Generator, n: int) -> np.ndarray:
    surname = np.asarray(_SURNAMES)[rng.integers(0, len(_SURNAMES), n)]
    given = np.asarray(_GIVEN)[rng.integers(0, len(_GIVEN), (n, 2))]
    one = rng.random(n) < 0.35
    return np.char.add(
        surname.astype(str),
        np.where(one, given[:, 0], np.char.add(given[:, 0].astype(str), given[:, 1].astype(str))),
    )


def phone_number(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = np.asarray(
        ["133", "135", "136", "138", "139", "150", "151", "158", "177", "181", "187", "189", "199"]
    )[rng.integers(0, 13, n)]
    return np.char.add(prefix, np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8))


def draw_suggestions(n: int, p, rng: np.random.Generator) -> pd.Series:
    """Open text: many leave it empty; some write a suggestion (personal data added as dirt)."""
    answered = rng.random(n) < float(p["answer_rate"])
    texts = np.asarray(SUGGESTIONS)[rng.integers(0, len(SUGGESTIONS), n)]
    return pd.Series(np.where(answered, texts, ""))


def draw_submissions(
    n: int, n_items: int, township_idx: np.ndarray, p, rng: np.random.Generator
) -> pd.DataFrame:
    """Submission metadata: time (clustered in working hours after the push), duration, IP."""
    start = pd.Timestamp(p["fielded"])
    day = np.minimum(rng.geometric(float(p["daily_decay"]), n) - 1, int(p["field_days"]) - 1)
    hour = np.clip(rng.normal(14.0, 3.2, n), 7.5, 23.5)
    seconds = (day * 86400 + hour * 3600).astype("int64") + rng.integers(0, 60, n)
    submitted = start.normalize() + pd.to_timedelta(seconds, unit="s")
    # nobody answers before the notice goes out: early birds answer within the first hours
    early = submitted < start
    submitted = submitted.where(
        ~early, start + pd.to_timedelta(rng.integers(60, 4 * 3600, n), unit="s")
    )
    median = float(p["seconds_per_item_median"]) * n_items
    duration = np.round(median * np.exp(rng.normal(0, float(p["duration_sigma"]), n)))
    source_names = list(dict(p["sources"]))
    source_probs = np.asarray([p["sources"][s] for s in source_names], dtype=float)
    source = rng.choice(np.asarray(source_names), n, p=source_probs / source_probs.sum())
    # government offices share a NAT address: part of each township's cadres submit from it
    office_ip = _ips(rng, int(township_idx.max()) + 1)
    own_ip = _ips(rng, n)
    shared = rng.random(n) < float(p["shared_office_ip"])
    ip = np.where(shared, office_ip[township_idx], own_ip)
    return pd.DataFrame(
        {
            "submitted_at": submitted,
            "duration_s": duration.astype("int64"),
            "source": source,
            "source_detail": np.where(source == "微信", "微信群", "直接访问"),
            "ip": pd.Series(ip).str.cat(["(重庆-重庆)"] * n),
        }
    )


def _ips(rng: np.random.Generator, n: int) -> np.ndarray:
    # address blocks of Chongqing's large carriers (illustrative prefixes)
    first = np.asarray(
        [
            "106.84",
            "113.204",
            "117.59",
            "119.84",
            "125.84",
            "183.64",
            "222.178",
            "27.11",
            "58.17",
            "221.5",
        ]
    )[rng.integers(0, 10, n)]
    rest = rng.integers(1, 255, (n, 2)).astype(str)
    return np.char.add(
        np.char.add(np.char.add(first, "."), rest[:, 0]), np.char.add(".", rest[:, 1])
    )
