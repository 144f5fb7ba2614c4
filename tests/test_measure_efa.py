"""Exploratory factor analysis (jianfu.measure.efa) against independent implementations.

No psych loading table for ``fa(Thurstone, 3, n.obs = 213)`` could be sourced to more than
memory, so extraction is checked by (a) ML against statsmodels' ``Factor(method="ml")`` on the
same correlation matrix, (b) minres by the stationarity of psych's own criterion (the sum of
squared off-diagonal residuals, psych ``fit.residuals``), and rotations against
factor_analyzer's ``Rotator`` applied to the same unrotated loadings. Parallel analysis is
checked against psych's published counts: 3 factors for Holzinger-Swineford and, for bfi,
"Parallel analysis suggests that the number of factors = 6 and the number of components = 6".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from factor_analyzer.rotator import Rotator
from statsmodels.multivariate.factor import Factor

from conftest import REFERENCE
from jianfu.measure.efa import EFAResult, ParallelResult, efa, parallel_analysis

GROUPS = {  # Thurstone's three primary abilities
    "verbal": ["Sentences", "Vocabulary", "Sent.Completion"],
    "word_fluency": ["First.Letters", "Four.Letter.Words", "Suffixes"],
    "reasoning": ["Letter.Series", "Pedigrees", "Letter.Group"],
}


@pytest.fixture(scope="module")
def thurstone() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "Thurstone_cor.csv", index_col=0)


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "holzinger_swineford1939.csv")[[f"x{i}" for i in range(1, 10)]]


@pytest.fixture(scope="module")
def bfi_items() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "bfi.csv", index_col=0).iloc[:, :25]


def _normalise(loadings: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Test-side copy of the convention: largest loading positive, factors by SS loadings."""
    signs = np.sign(loadings[np.abs(loadings).argmax(axis=0), range(loadings.shape[1])])
    loadings, phi = loadings * signs, phi * np.outer(signs, signs)
    return loadings[:, np.argsort(-np.diag(phi @ loadings.T @ loadings))]


def test_ml_matches_statsmodels(thurstone):
    res = efa(thurstone, 3, method="ml", rotation=None, is_correlation=True)
    sm = Factor(corr=thurstone.to_numpy(), n_factor=3, method="ml", nobs=213).fit(
        tol=1e-12, maxiter=5000
    )
    # both optimise the same likelihood; agreement limited by statsmodels' optimizer (~3e-7)
    np.testing.assert_allclose(res.uniquenesses.to_numpy(), sm.uniqueness, atol=1e-5)
    lam = res.loadings.to_numpy()
    np.testing.assert_allclose(lam @ lam.T, sm.loadings @ sm.loadings.T, atol=1e-5)
    assert res.converged


def test_minres_is_stationary_for_psych_criterion(thurstone):
    r = thurstone.to_numpy()
    res = efa(thurstone, 3, method="minres", rotation=None, is_correlation=True)
    psi = res.uniquenesses.to_numpy()

    def off_diagonal_ss(psi: np.ndarray) -> float:  # psych fit.residuals, fm = "minres"
        s = r.copy()
        np.fill_diagonal(s, 1 - psi)
        values, vectors = np.linalg.eigh(s)
        lam = vectors[:, -3:] * np.sqrt(np.maximum(values[-3:], 0))
        resid = r - lam @ lam.T
        np.fill_diagonal(resid, 0)
        return float(np.sum(resid**2))

    h = 1e-6
    grad = [
        (off_diagonal_ss(psi + h * e) - off_diagonal_ss(psi - h * e)) / (2 * h) for e in np.eye(9)
    ]
    assert np.max(np.abs(grad)) < 1e-7  # central differences: exact gradient is 0 at the optimum
    rng = np.random.default_rng(1)
    best = off_diagonal_ss(psi)
    assert all(best <= off_diagonal_ss(psi + 1e-3 * rng.standard_normal(9)) for _ in range(20))


@pytest.mark.parametrize(
    ("rotation", "rotator"),
    [
        ("oblimin", Rotator(method="oblimin", normalize=False, tol=1e-8, max_iter=10_000)),
        ("varimax", Rotator(method="varimax", normalize=True, tol=1e-15, max_iter=100_000)),
        ("promax", Rotator(method="promax", normalize=True, tol=1e-15, max_iter=100_000)),
    ],
)
@pytest.mark.parametrize("method", ["minres", "ml"])
def test_rotation_matches_factor_analyzer(thurstone, method, rotation, rotator):
    unrotated = efa(thurstone, 3, method=method, rotation=None, is_correlation=True)
    res = efa(thurstone, 3, method=method, rotation=rotation, is_correlation=True)
    loadings = rotator.fit_transform(unrotated.loadings.to_numpy())
    phi = rotator.phi_ if rotator.phi_ is not None else np.eye(3)
    expected = _normalise(loadings, phi)
    # our GPA stops at gradient norm 1e-7 (oblimin); varimax/promax converge to ~1e-8
    np.testing.assert_allclose(res.loadings.to_numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("rotation", ["oblimin", "promax", "varimax", None])
def test_solution_invariants(thurstone, rotation):
    res = efa(thurstone, 3, rotation=rotation, is_correlation=True)
    base = efa(thurstone, 3, rotation=None, is_correlation=True)
    assert isinstance(res, EFAResult) and res.n_factors == 3
    # communalities do not depend on the rotation
    np.testing.assert_allclose(res.communalities, base.communalities, atol=1e-10)
    np.testing.assert_allclose(res.uniquenesses, 1 - res.communalities, atol=1e-15)
    lam, phi = res.loadings.to_numpy(), res.phi.to_numpy()
    np.testing.assert_allclose(res.structure.to_numpy(), lam @ phi, atol=1e-15)
    np.testing.assert_allclose(np.diag(phi), 1, atol=1e-12)
    if rotation in ("varimax", None):
        np.testing.assert_allclose(phi, np.eye(3), atol=1e-15)
    ss = res.variance.loc["SS loadings"].to_numpy()
    assert np.all(np.diff(ss) <= 1e-12)  # ordered by variance explained
    assert ss.sum() == pytest.approx(res.communalities.sum(), abs=1e-10)
    # each factor's largest loading is positive
    assert np.all(lam[np.abs(lam).argmax(axis=0), range(3)] > 0)


def test_thurstone_oblimin_recovers_three_abilities(thurstone):
    res = efa(thurstone, 3, rotation="oblimin", is_correlation=True)
    main = res.loadings.abs().idxmax(axis=1)
    for variables in GROUPS.values():
        assert main[variables].nunique() == 1  # each ability's tests share one factor
    assert main.nunique() == 3
    assert (res.phi.to_numpy()[np.triu_indices(3, 1)] > 0.4).all()  # correlated abilities


def test_efa_on_raw_data_and_loadings_table(hs):
    res = efa(hs, 3)
    table = res.loadings_table(threshold=0.3)
    assert list(table.columns) == ["F1", "F2", "F3", "h2", "u2"]
    shown = table[["F1", "F2", "F3"]].map(lambda v: v != "")
    assert shown.sum(axis=1).ge(1).all()  # every test loads >= .3 somewhere in HS
    small = res.loadings.abs() < 0.3
    assert (
        table.loc[small.index, ["F1", "F2", "F3"]].where(small.to_numpy()) == ""
    ).sum().sum() == (small.to_numpy().sum())
    assert list(res.to_frame().columns) == ["F1", "F2", "F3", "h2", "u2"]


@pytest.mark.parametrize("method", ["fa", "pc"])
def test_parallel_analysis_hs_suggests_three(hs, method):
    res = parallel_analysis(hs, n_iter=20, seed=0, method=method)
    assert isinstance(res, ParallelResult)
    assert res.n_factors == 3


def test_parallel_analysis_bfi_matches_psych(bfi_items):
    # psych's default fa.parallel (SMC = FALSE: one-factor minres communalities, mean of sims)
    fa = parallel_analysis(bfi_items, n_iter=10, communalities="minres1", quantile=None)
    pc = parallel_analysis(bfi_items, n_iter=10, method="pc", quantile=None)
    assert (fa.n_factors, pc.n_factors) == (6, 6)


def test_parallel_analysis_deterministic_by_seed(hs):
    a = parallel_analysis(hs, n_iter=5, seed=7)
    b = parallel_analysis(hs, n_iter=5, seed=7)
    c = parallel_analysis(hs, n_iter=5, seed=8)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert not np.allclose(a.simulated_mean, c.simulated_mean)
    np.testing.assert_array_equal(a.observed, c.observed)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "pa"}, "method must be one of"),
        ({"rotation": "quartimax"}, "rotation must be one of"),
        ({"n_factors": 9}, "n_factors must be an integer"),
    ],
)
def test_efa_invalid_options(hs, kwargs, message):
    args = {"n_factors": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        efa(hs, args.pop("n_factors"), **args)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "ml"}, "method must be one of"),
        ({"quantile": 1.5}, "quantile must be in"),
        ({"communalities": "ones"}, "communalities must be one of"),
        ({"n_iter": 0}, "n_iter must be"),
    ],
)
def test_parallel_analysis_invalid_options(hs, kwargs, message):
    with pytest.raises(ValueError, match=message):
        parallel_analysis(hs, **kwargs)
