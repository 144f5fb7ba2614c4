"""Exploratory factor analysis: parallel analysis, minres / ML extraction, rotations.

Where each method comes from:

- ``parallel_analysis``: Horn (1965), as R ``psych::fa.parallel``'s simulated-data comparison:
  eigenvalues of the observed correlation matrix (``method="pc"``) or of a reduced correlation
  matrix (``method="fa"``) against the same eigenvalues of standard-normal data of the same
  shape. The reduced matrix has on its diagonal either squared multiple correlations
  (``communalities="smc"``, Humphreys & Ilgen 1969; psych's ``SMC = TRUE``) or the communalities
  of a one-factor minres fit (``communalities="minres1"``, psych's default ``SMC = FALSE``:
  ``fa(r)$values``). The number of factors is the number of leading observed eigenvalues above
  the simulated ``quantile`` (or above the simulated mean with ``quantile=None``, psych's
  default when ``quant`` is not given). psych additionally resamples the observed data; we use
  the simulated normal data only.
- ``efa`` with ``method="minres"``: minimum residual (ordinary least squares) as
  ``psych::fa(fm = "minres")`` (Harman & Jones 1966; Revelle): uniquenesses are chosen by
  L-BFGS-B in [0.005, 1], starting from 1 - SMC, to minimise the sum of squared off-diagonal
  residuals; loadings are the first q eigenvectors of R with 1 - uniqueness on the diagonal.
  We minimise the full unweighted least-squares criterion (sum of the squared discarded
  eigenvalues) with its exact gradient; its minimiser also minimises psych's off-diagonal
  criterion (the diagonal residual is zero there), and converges more tightly.
- ``efa`` with ``method="ml"``: maximum likelihood as R ``stats::factanal`` (Joreskog 1967;
  Lawley & Maxwell): ``FAfn`` / ``FAgr`` / ``FAout`` minimised by L-BFGS-B in [0.005, 1] from
  factanal's start ``(1 - 0.5 q / p) / diag(R^-1)``.
- Rotations, written here and checked against factor_analyzer's ``Rotator``: ``"oblimin"``
  (gamma = 0, quartimin) by the gradient projection algorithm of Bernaards & Jennrich (2005) as
  ``GPArotation::oblimin`` (psych's default, no Kaiser normalisation); ``"varimax"`` as
  ``stats::varimax`` (Kaiser 1958, with Kaiser normalisation); ``"promax"`` as psych's
  ``fa(rotate = "promax")``, i.e. ``kaiser(rotate = "Promax")``: Kaiser-normalised rows, then
  ``psych::Promax`` = ``stats::promax`` (Hendrickson & White 1964, power m = 4 on varimax).

Correlations from raw data use pairwise-complete observations (psych's ``use = "pairwise"``).
After rotation every factor's largest absolute loading is made positive and factors are ordered by
variance explained (for oblique solutions ``diag(Phi L'L)``, psych's "SS loadings").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize

Method = Literal["minres", "ml"]
Rotation = Literal["oblimin", "promax", "varimax"] | None
PAMethod = Literal["fa", "pc"]
METHODS: tuple[str, ...] = ("minres", "ml")
ROTATIONS: tuple[str | None, ...] = ("oblimin", "promax", "varimax", None)
PA_METHODS: tuple[str, ...] = ("fa", "pc")
Communalities = Literal["smc", "minres1"]
COMMUNALITIES: tuple[str, ...] = ("smc", "minres1")

_PSI_BOUNDS = (0.005, 1.0)  # psych and factanal bound uniquenesses to [0.005, 1]


# --------------------------------------------------------------------------- correlations
def _correlation(data: pd.DataFrame, is_correlation: bool) -> tuple[np.ndarray, list[str]]:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(data).__name__}")
    names = [str(c) for c in data.columns]
    if is_correlation:
        r = data.to_numpy(dtype="float64", copy=True)
        if r.shape[0] != r.shape[1] or not np.allclose(r, r.T) or not np.allclose(np.diag(r), 1):
            raise ValueError("is_correlation=True needs a symmetric matrix with unit diagonal")
        return r, names
    non_numeric = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
    if non_numeric:
        raise ValueError(f"columns must be numeric; not numeric: {non_numeric}")
    r = data.astype("float64").corr().to_numpy(copy=True)  # pairwise-complete observations
    if np.isnan(r).any():
        raise ValueError("some variable pairs have no variance or < 2 jointly observed rows")
    return r, names


def _smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations, 1 - 1 / diag(R^-1)."""
    return 1.0 - 1.0 / np.diag(np.linalg.inv(r))


def _top_eigen(m: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
    """The q largest eigenvalues (descending) and their eigenvectors."""
    values, vectors = np.linalg.eigh(m)
    return values[::-1][:q], vectors[:, ::-1][:, :q]


# --------------------------------------------------------------------------- extraction
def _uls_fn(psi: np.ndarray, r: np.ndarray, q: int) -> tuple[float, np.ndarray]:
    """ULS criterion (sum of squared discarded eigenvalues of R - diag(psi)) and its gradient."""
    values, vectors = np.linalg.eigh(r - np.diag(psi))
    rest_values, rest_vectors = values[:-q], vectors[:, :-q]  # eigh sorts ascending
    f = float(np.sum(rest_values**2))
    grad = -2.0 * (rest_vectors**2) @ rest_values
    return f, grad


def _minres_loadings(psi: np.ndarray, r: np.ndarray, q: int) -> np.ndarray:
    values, vectors = _top_eigen(r - np.diag(psi), q)  # psych FAout.wls
    return vectors * np.sqrt(np.maximum(values, 0.0))


def _ml_fn(psi: np.ndarray, r: np.ndarray, q: int) -> float:
    sc = 1.0 / np.sqrt(psi)  # factanal FAfn
    e = np.linalg.eigvalsh(r * np.outer(sc, sc))[::-1][q:]
    return float(-(np.sum(np.log(e) - e) - q + len(r)))


def _ml_loadings(psi: np.ndarray, r: np.ndarray, q: int) -> np.ndarray:
    sc = 1.0 / np.sqrt(psi)  # factanal FAout
    values, vectors = _top_eigen(r * np.outer(sc, sc), q)
    return np.sqrt(psi)[:, None] * vectors * np.sqrt(np.maximum(values - 1.0, 0.0))


def _ml_gr(psi: np.ndarray, r: np.ndarray, q: int) -> np.ndarray:
    load = _ml_loadings(psi, r, q)  # factanal FAgr
    g = load @ load.T + np.diag(psi) - r
    return np.diag(g) / psi**2


def _extract(r: np.ndarray, q: int, method: str) -> tuple[np.ndarray, bool, float]:
    p = len(r)
    bounds = [_PSI_BOUNDS] * p
    opts = {"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-10}
    if method == "minres":
        start = np.clip(1.0 - _smc(r), *_PSI_BOUNDS)
        res = optimize.minimize(
            _uls_fn, start, args=(r, q), jac=True, method="L-BFGS-B", bounds=bounds, options=opts
        )
        return _minres_loadings(res.x, r, q), bool(res.success), float(res.fun)
    start = np.clip((1.0 - 0.5 * q / p) / np.diag(np.linalg.inv(r)), *_PSI_BOUNDS)
    res = optimize.minimize(
        _ml_fn, start, args=(r, q), jac=_ml_gr, method="L-BFGS-B", bounds=bounds, options=opts
    )
    return _ml_loadings(res.x, r, q), bool(res.success), float(res.fun)


# --------------------------------------------------------------------------- rotations
def _varimax(a: np.ndarray, *, eps: float = 1e-14, max_iter: int = 10_000) -> np.ndarray:
    """stats::varimax with Kaiser normalisation; returns the orthogonal rotation matrix T."""
    k = a.shape[1]
    sc = np.sqrt(np.sum(a**2, axis=1))
    x = a / sc[:, None]
    p = x.shape[0]
    t = np.eye(k)
    d = 0.0
    for _ in range(max_iter):
        z = x @ t
        b = x.T @ (z**3 - z @ np.diag(np.sum(z**2, axis=0)) / p)
        u, s, vt = np.linalg.svd(b)
        t = u @ vt
        d_past, d = d, float(np.sum(s))
        if d < d_past * (1 + eps):
            break
    return t


def _oblimin_vgq(loadings: np.ndarray) -> tuple[float, np.ndarray]:
    """Oblimin (gamma = 0) criterion and gradient, GPArotation ``vgQ.oblimin``."""
    k = loadings.shape[1]
    x = loadings**2 @ (1.0 - np.eye(k))
    return float(np.sum(loadings**2 * x) / 4.0), loadings * x


def _gpa_oblique(
    a: np.ndarray, *, eps: float = 1e-7, max_iter: int = 2000
) -> tuple[np.ndarray, np.ndarray]:
    """GPFoblq (Bernaards & Jennrich 2005) for oblimin; returns the pattern and Phi.

    Iterates until the projected gradient norm is below `eps` (GPArotation's default is 1e-5;
    tighter here so that results do not depend on the stopping point to 6 decimals). Near the
    optimum rounding can stall the line search; a solution within GPArotation's 1e-5 is then kept.
    """
    t = np.eye(a.shape[1])
    alpha = 1.0
    loadings = a @ np.linalg.inv(t).T
    f, gq = _oblimin_vgq(loadings)
    g = -(loadings.T @ gq @ np.linalg.inv(t)).T
    for _ in range(max_iter):
        gp = g - t @ np.diag(np.sum(t * g, axis=0))
        s = np.sqrt(np.sum(gp**2))
        if s < eps:
            break
        alpha *= 2.0
        for _ in range(11):
            x = t - alpha * gp
            t_new = x / np.sqrt(np.sum(x**2, axis=0))
            l_new = a @ np.linalg.inv(t_new).T
            f_new, gq_new = _oblimin_vgq(l_new)
            if f - f_new > 0.5 * s**2 * alpha:
                break
            alpha /= 2.0
        t, loadings, f = t_new, l_new, f_new
        g = -(loadings.T @ gq_new @ np.linalg.inv(t)).T
    else:
        if s >= 1e-5:
            raise RuntimeError(f"oblimin rotation did not converge in {max_iter} iterations")
    return loadings, t.T @ t


def _promax(a: np.ndarray, m: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """psych ``fa(rotate = "promax")``: ``kaiser(rotate = "Promax")``.

    Rows are scaled to unit length (Kaiser normalisation), rotated by ``psych::Promax`` (= stats::
    promax: varimax, then a least-squares fit to the power-m target), and scaled back.
    """
    h = np.sqrt(np.sum(a**2, axis=1))[:, None]
    x = a / h
    x = x @ _varimax(x)
    target = x * np.abs(x) ** (m - 1)
    u = np.linalg.lstsq(x, target, rcond=None)[0]
    u = u * np.sqrt(np.diag(np.linalg.inv(u.T @ u)))
    ui = np.linalg.inv(u)
    return (x @ u) * h, ui @ ui.T


def _rotate(a: np.ndarray, rotation: str | None) -> tuple[np.ndarray, np.ndarray]:
    k = a.shape[1]
    if rotation is None or k < 2:
        return a, np.eye(k)
    if rotation == "varimax":
        return a @ _varimax(a), np.eye(k)
    if rotation == "promax":
        return _promax(a)
    return _gpa_oblique(a)


def _normalise(loadings: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest absolute loading of each factor positive; factors by decreasing SS loadings."""
    rows = np.argmax(np.abs(loadings), axis=0)
    signs = np.sign(loadings[rows, np.arange(loadings.shape[1])])
    signs[signs == 0] = 1.0
    loadings = loadings * signs
    phi = phi * np.outer(signs, signs)
    ss = np.diag(phi @ loadings.T @ loadings)
    order = np.argsort(-ss, kind="stable")
    return loadings[:, order], phi[np.ix_(order, order)]


# --------------------------------------------------------------------------- public API
@dataclass(frozen=True)
class EFAResult:
    """An exploratory factor solution.

    Attributes
    ----------
    loadings : pandas.DataFrame
        Pattern matrix (variables x factors ``F1..Fq``); equals the structure if orthogonal.
    structure : pandas.DataFrame
        Structure matrix ``loadings @ phi`` (correlations of variables with factors).
    phi : pandas.DataFrame
        Factor correlations (identity for orthogonal or unrotated solutions).
    communalities, uniquenesses : pandas.Series
        ``h2 = diag(L Phi L')`` and ``u2 = 1 - h2`` (psych's h2 and u2).
    variance : pandas.DataFrame
        Rows "SS loadings", "Proportion Var", "Cumulative Var" (psych's ``Vaccounted``).
    method, rotation : str, str or None
        As requested.
    converged : bool
        Whether the extraction optimiser reported convergence.
    objective : float
        Minimised criterion (ULS sum of squares for minres, factanal's objective for ml).
    """

    loadings: pd.DataFrame
    structure: pd.DataFrame
    phi: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    variance: pd.DataFrame
    method: str
    rotation: str | None
    converged: bool
    objective: float

    @property
    def n_factors(self) -> int:
        """Number of factors."""
        return self.loadings.shape[1]

    def to_frame(self) -> pd.DataFrame:
        """Loadings with h2 and u2 columns, as psych prints them."""
        return self.loadings.assign(h2=self.communalities, u2=self.uniquenesses)

    def loadings_table(self, threshold: float = 0.3, decimals: int = 2) -> pd.DataFrame:
        """Pattern loadings for a paper: rounded, |loading| < threshold blanked (as strings).

        Parameters
        ----------
        threshold : float
            Loadings smaller than this in absolute value are shown as an empty string.
        decimals : int
            Decimals shown for loadings, h2 and u2.

        Returns
        -------
        pandas.DataFrame
            Variables sorted by the factor of their largest loading, then by its size; columns
            the factors, then h2 and u2.
        """
        if not 0 <= threshold < 1:
            raise ValueError(f"threshold must be in [0, 1), got {threshold}")
        load = self.loadings
        main = load.abs().to_numpy().argmax(axis=1)
        size = load.abs().to_numpy().max(axis=1)
        order = np.lexsort((-size, main))
        fmt = f"{{:.{decimals}f}}"
        table = load.iloc[order].map(lambda v: fmt.format(v) if abs(v) >= threshold else "")
        table["h2"] = self.communalities.iloc[order].map(fmt.format)
        table["u2"] = self.uniquenesses.iloc[order].map(fmt.format)
        return table


def efa(
    data: pd.DataFrame,
    n_factors: int,
    *,
    method: Method = "minres",
    rotation: Rotation = "oblimin",
    is_correlation: bool = False,
) -> EFAResult:
    """Exploratory factor analysis by minres (psych::fa) or maximum likelihood (factanal).

    Parameters
    ----------
    data : pandas.DataFrame
        Raw numeric data (correlations from pairwise-complete rows), or a correlation matrix
        with ``is_correlation=True``.
    n_factors : int
        Number of factors, 1 <= n_factors < number of variables.
    method : {"minres", "ml"}
        Extraction method.
    rotation : {"oblimin", "promax", "varimax", None}
        Rotation; ``None`` keeps the unrotated (principal-axis ordered) solution.
    is_correlation : bool
        Treat `data` as a correlation matrix.

    Returns
    -------
    EFAResult
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if rotation not in ROTATIONS:
        raise ValueError(f"rotation must be one of {ROTATIONS}, got {rotation!r}")
    r, names = _correlation(data, is_correlation)
    p = len(names)
    if not (isinstance(n_factors, int | np.integer) and 1 <= n_factors < p):
        raise ValueError(f"n_factors must be an integer in [1, {p - 1}], got {n_factors!r}")
    unrotated, converged, objective = _extract(r, int(n_factors), method)
    loadings, phi = _normalise(*_rotate(unrotated, rotation))
    factors = pd.Index([f"F{i + 1}" for i in range(n_factors)], name="factor")
    index = pd.Index(names, name="variable")
    structure = loadings @ phi
    h2 = np.sum(loadings * structure, axis=1)
    ss = np.diag(phi @ loadings.T @ loadings)
    variance = pd.DataFrame(
        [ss, ss / p, np.cumsum(ss) / p],
        index=pd.Index(["SS loadings", "Proportion Var", "Cumulative Var"]),
        columns=factors,
    )
    return EFAResult(
        loadings=pd.DataFrame(loadings, index=index, columns=factors),
        structure=pd.DataFrame(structure, index=index, columns=factors),
        phi=pd.DataFrame(phi, index=factors, columns=factors),
        communalities=pd.Series(h2, index=index, name="h2"),
        uniquenesses=pd.Series(1.0 - h2, index=index, name="u2"),
        variance=variance,
        method=method,
        rotation=rotation,
        converged=converged,
        objective=objective,
    )


@dataclass(frozen=True)
class ParallelResult:
    """Horn's parallel analysis: observed vs simulated eigenvalues and the suggested count."""

    observed: pd.Series
    simulated_mean: pd.Series
    simulated_threshold: pd.Series
    n_factors: int
    method: str
    communalities: str
    quantile: float | None
    n_iter: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        """One row per eigenvalue: observed, simulated mean, threshold (quantile or mean)."""
        return pd.DataFrame(
            {
                "observed": self.observed,
                "simulated_mean": self.simulated_mean,
                "simulated_threshold": self.simulated_threshold,
            }
        )


def _pa_eigenvalues(r: np.ndarray, method: str, communalities: str) -> np.ndarray:
    if method == "fa":
        if communalities == "smc":
            diagonal = _smc(r)
        else:  # psych fa(r, 1)$values: R with the one-factor minres communalities on the diagonal
            loading = _extract(r, 1, "minres")[0]
            diagonal = np.sum(loading**2, axis=1)
        r = r.copy()
        np.fill_diagonal(r, diagonal)
    return np.linalg.eigvalsh(r)[::-1]


def parallel_analysis(
    data: pd.DataFrame,
    *,
    n_iter: int = 100,
    seed: int = 0,
    quantile: float | None = 0.95,
    method: PAMethod = "fa",
    communalities: Communalities = "smc",
) -> ParallelResult:
    """Horn's (1965) parallel analysis for the number of factors or components.

    Parameters
    ----------
    data : pandas.DataFrame
        Raw numeric data (n rows x p variables); correlations from pairwise-complete rows.
    n_iter : int
        Number of simulated standard-normal data sets of shape (n, p).
    seed : int
        Seed of the numpy random generator: the same seed gives the same result.
    quantile : float or None
        Quantile of the simulated eigenvalues an observed eigenvalue must exceed; ``None``
        compares with the simulated mean (psych's default).
    method : {"fa", "pc"}
        "fa": eigenvalues of the reduced correlation matrix; "pc": of the correlation matrix.
    communalities : {"smc", "minres1"}
        Diagonal of the reduced matrix for ``method="fa"``: squared multiple correlations, or
        one-factor minres communalities (psych's default; slower, one fit per simulated set).

    Returns
    -------
    ParallelResult
        ``n_factors`` is the number of leading observed eigenvalues above the simulated quantile.
    """
    if method not in PA_METHODS:
        raise ValueError(f"method must be one of {PA_METHODS}, got {method!r}")
    if communalities not in COMMUNALITIES:
        raise ValueError(f"communalities must be one of {COMMUNALITIES}, got {communalities!r}")
    if quantile is not None and not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1) or None, got {quantile}")
    if n_iter < 1:
        raise ValueError(f"n_iter must be >= 1, got {n_iter}")
    r, _ = _correlation(data, is_correlation=False)
    n, p = data.shape
    observed = _pa_eigenvalues(r, method, communalities)
    rng = np.random.default_rng(seed)
    sims = np.empty((n_iter, p))
    for i in range(n_iter):
        x = rng.standard_normal((n, p))
        sims[i] = _pa_eigenvalues(np.corrcoef(x, rowvar=False), method, communalities)
    mean = sims.mean(axis=0)
    upper = mean if quantile is None else np.quantile(sims, quantile, axis=0)
    below = np.flatnonzero(observed <= upper)
    suggested = int(below[0]) if below.size else p
    index = pd.RangeIndex(1, p + 1, name="eigenvalue")
    return ParallelResult(
        observed=pd.Series(observed, index=index, name="observed"),
        simulated_mean=pd.Series(mean, index=index, name="simulated_mean"),
        simulated_threshold=pd.Series(upper, index=index, name="simulated_threshold"),
        n_factors=suggested,
        method=method,
        communalities=communalities,
        quantile=quantile,
        n_iter=n_iter,
        seed=seed,
    )
