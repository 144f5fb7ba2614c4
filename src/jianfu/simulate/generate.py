"""Put the simulated survey together: sample → latent model → answers → dirt, with its truth.

Every random draw comes from a generator named after its component (`component_rng`), so
adding a component or changing one part's params does not shift the draws of the others.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jianfu.codebook.model import Codebook
from jianfu.simulate import export, respondents, survey
from jianfu.simulate.frame import Frame, sample_design


def component_rng(seed: int, name: str) -> np.random.Generator:
    """An independent, reproducible generator for one named component of the simulation."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


@dataclass(frozen=True)
class SurveyDraw:
    """The simulated survey before formatting, and everything known about how it was made."""

    answers: pd.DataFrame  # dirty answers in codebook codes, one row per submission
    dirt: pd.DataFrame  # (seq, response_id, reason, column)
    skipped: dict[str, pd.Series]  # item id -> rows skipped by questionnaire logic
    contact: pd.DataFrame | None  # 姓名 / 手机号 columns, if the survey collected them
    respondents: pd.DataFrame  # truth per respondent: clusters, latent scores, township text
    truth: dict  # parameters, calibrated variances, estimands, realised summaries
    township_we: pd.Series  # true expected work engagement per township (all townships)


#: A function giving, for item ids of block C, each respondent's roll-out multiplier.
Multipliers = Callable[[pd.DataFrame], dict[str, np.ndarray]]


def simulate_survey(
    cb: Codebook, frame: Frame, p, seed: int, multipliers: Multipliers | None = None
) -> SurveyDraw:
    """Draw the cadre survey.

    Parameters
    ----------
    cb : the questionnaire codebook (items, scales, reverse keys, attention checks).
    frame : the unit registry with township workload (`jianfu.simulate.frame.build_frame`).
    p : the ``simulate.survey`` params section.
    seed : the run seed.
    multipliers : roll-out effects on the workload items at the time of fielding.
    """
    design = sample_design(frame, p["design"], component_rng(seed, "design"))
    towns = frame.townships.reset_index(drop=True)
    district_codes = frame.districts["district_code"].to_numpy()
    t_index = pd.Series(np.arange(len(towns)), index=towns["township_code"])
    d_index = pd.Series(np.arange(len(district_codes)), index=district_codes)
    workload_all = (towns["workload_z"] / towns["workload_z"].std()).to_numpy()

    people = design.loc[design.index.repeat(design["respondents"])].reset_index(drop=True)
    n = len(people)
    t_idx = t_index[people["township_code"]].to_numpy()
    d_idx = d_index[people["district_code"]].to_numpy()

    model = survey.StructuralModel.from_params(p["model"])
    population = int(p["model"]["population_size"])
    model = survey.calibrate(model, component_rng(seed, "calibrate"), population)
    rng_effects = component_rng(seed, "cluster_effects")
    u_t = survey.draw_cluster_effects(len(towns), rng_effects)
    u_d = survey.draw_cluster_effects(len(district_codes), rng_effects)
    latent = survey.draw_latent(
        model,
        n,
        t_idx,
        d_idx,
        workload_all[t_idx],
        component_rng(seed, "latent"),
        u_township=u_t,
        u_district=u_d,
    )
    township_mean = survey.township_expected(
        model, u_t, u_d, d_index[towns["district_code"]].to_numpy(), workload_all
    )

    item_model = survey.make_item_model(cb, p["measurement"], component_rng(seed, "loadings"))
    items = survey.draw_items(cb, latent, item_model, component_rng(seed, "items"))

    rng = component_rng(seed, "respondents")
    background = respondents.draw_background(cb, n, p["background"], rng)
    mult = multipliers(people) if multipliers is not None else {}
    workload = respondents.draw_workload(
        cb, background, workload_all[t_idx], mult, p["workload"], rng
    )
    channels, channel_other = respondents.draw_channels(cb, n, p["channels"], rng)
    suggestions = respondents.draw_suggestions(n, p["suggestions"], rng)
    n_asked = sum(1 for i in cb.items if i.type != "text")
    meta = respondents.draw_submissions(n, n_asked, t_idx, p["fielding"], rng)
    district_names = frame.districts.set_index("district_code")["district_name"]
    text, text_kind = respondents.township_text(
        people["township_name"],
        people["district_code"].map(district_names),
        p["township_text"],
        rng,
    )

    (multi_item,) = [i for i in cb.items if i.type == "multi"]
    answers = pd.concat([meta, background, workload, items], axis=1)
    answers.insert(0, "response_id", np.arange(1, n + 1))
    for item in cb.attention_checks:
        answers[item.id] = item.attention_expected
    answers["district"] = people["district_code"].to_numpy()
    answers["township_name"] = text.to_numpy()
    answers[multi_item.id] = channels.to_numpy()
    answers[f"{multi_item.id}_other"] = channel_other.to_numpy()
    answers["suggestion"] = suggestions.to_numpy()

    dirty, dirt = export.inject_dirt(cb, answers, p["dirt"], component_rng(seed, "dirt"))
    skip_posts = list(p["skip_village_stationed_for_posts"])
    skipped = {"village_stationed": dirty["post_type"].isin(skip_posts)}
    contact = None
    if p["export"]["contact_columns"]:
        rng_c = component_rng(seed, "contact")
        contact = pd.DataFrame(
            {
                "姓名": respondents.person_name(rng_c, len(dirty)),
                "手机号": respondents.phone_number(rng_c, len(dirty)),
            }
        )
        # a resubmission is the same person
        first = dirty.groupby("response_id").cumcount() == 0
        by_id = contact[first.to_numpy()].set_index(dirty.loc[first, "response_id"].to_numpy())
        contact = by_id.loc[dirty["response_id"].to_numpy()].reset_index(drop=True)

    truth_people = pd.concat(
        [
            pd.DataFrame(
                {
                    "response_id": answers["response_id"],
                    "district_code": people["district_code"],
                    "township_code": people["township_code"],
                    "township_text": text,
                    "township_text_kind": text_kind,
                    "workload_std": workload_all[t_idx],
                }
            ),
            latent.add_prefix("eta_"),
        ],
        axis=1,
    )
    truth = {
        "structural_paths": model.paths,
        "residual_variance": {k: round(v, 6) for k, v in model.residual_variance.items()},
        "icc": {"township": model.icc_township, "district": model.icc_district},
        "exogenous_correlation": {
            "measures": model.measure_correlation,
            "moderators": model.moderator_correlation,
        },
        "loadings": {k: round(v, 6) for k, v in item_model.loadings.items()},
        "item_intercepts": {k: round(v, 6) for k, v in item_model.intercepts.items()},
        "cmv_loading": item_model.cmv_loading,
        "estimands": survey.population_estimands(
            cb, model, item_model, component_rng(seed, "population"), population
        ),
        "realised_latent": survey.latent_summary(latent, t_idx),
        "design": {
            "respondents": int(n),
            "submissions": len(dirty),
            "townships": len(design),
            "districts": sorted(int(c) for c in design["district_code"].unique()),
        },
    }
    township_we = pd.Series(
        township_mean["WE"].to_numpy(), index=towns["township_code"], name="township_we"
    )
    return SurveyDraw(dirty, dirt, skipped, contact, truth_people, truth, township_we)
