"""lrtui.sweep.stats against reference values worked out by hand (closed forms; no scipy).

References used:
- I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b (the incomplete beta function with an integer 1);
- Student's t, two-sided p: df=1 (Cauchy) p = 1 - (2/π)·atan|t|; df=2 p = 1 - |t|/sqrt(2 + t²);
  df=4 p = 1 - |t|(6 + t²)/(4 + t²)^{3/2}, from the CDF 1/2 + (3/8)·u·(1 - u²/12), u = t/sqrt(1 + t²/4);
- quantiles: df=1 t_q = tan(π(q - 1/2)); df=2 t_q = (2q - 1)·sqrt(2 / (4q(1 - q))); large df -> 1.959964 (z).
"""

from __future__ import annotations

import math

import pytest

from lrtui.sweep.stats import (
    betainc,
    format_p,
    noise_note,
    rank,
    summarize,
    t_quantile,
    two_sided_p,
    welch,
)


@pytest.mark.parametrize("a", [0.5, 1.0, 2.5, 7.0])
@pytest.mark.parametrize("x", [0.01, 0.3, 0.5, 0.9, 0.999])
def test_betainc_matches_its_closed_forms(a, x):
    assert betainc(a, 1.0, x) == pytest.approx(x**a, rel=1e-12)
    assert betainc(1.0, a, x) == pytest.approx(1 - (1 - x) ** a, rel=1e-12)


def test_betainc_symmetry_and_bounds():
    assert betainc(3.3, 0.7, 0.4) == pytest.approx(1 - betainc(0.7, 3.3, 0.6), rel=1e-12)
    assert betainc(2, 3, 0.0) == 0.0 and betainc(2, 3, 1.0) == 1.0
    with pytest.raises(ValueError, match="need a, b > 0"):
        betainc(0, 1, 0.5)


@pytest.mark.parametrize("t", [0.0, 0.3, 1.0, 2.1213203435596424, 4.3, 12.7, 50.0])
def test_two_sided_p_matches_closed_forms_for_df_1_2_4(t):
    assert two_sided_p(t, 1) == pytest.approx(1 - 2 / math.pi * math.atan(t), rel=1e-10, abs=1e-14)
    assert two_sided_p(-t, 2) == pytest.approx(1 - t / math.sqrt(2 + t * t), rel=1e-10, abs=1e-14)
    assert two_sided_p(t, 4) == pytest.approx(1 - t * (6 + t * t) / (4 + t * t) ** 1.5, rel=1e-9, abs=1e-14)


def test_two_sided_p_edges():
    assert two_sided_p(math.inf, 3) == 0.0
    assert math.isnan(two_sided_p(math.nan, 3))
    with pytest.raises(ValueError, match="degrees of freedom"):
        two_sided_p(1.0, 0)


@pytest.mark.parametrize("q", [0.6, 0.9, 0.975, 0.995])
def test_t_quantile_matches_closed_forms(q):
    assert t_quantile(q, 1) == pytest.approx(math.tan(math.pi * (q - 0.5)), rel=1e-10)
    assert t_quantile(q, 2) == pytest.approx((2 * q - 1) * math.sqrt(2 / (4 * q * (1 - q))), rel=1e-10)
    assert t_quantile(1 - q, 2) == pytest.approx(-t_quantile(q, 2), rel=1e-12)


def test_t_quantile_textbook_values():
    assert t_quantile(0.975, 1) == pytest.approx(12.7062047, rel=1e-8)
    assert t_quantile(0.975, 2) == pytest.approx(4.3026527, rel=1e-8)
    assert t_quantile(0.975, 1e9) == pytest.approx(1.9599640, rel=1e-6)  # the normal's 97.5% point
    assert t_quantile(0.5, 3) == 0.0


def test_summarize_by_hand():
    # [0.70, 0.72, 0.74]: mean 0.72, deviations ±0.02, variance (0.0004 + 0 + 0.0004) / 2 = 0.0004, std 0.02;
    # 95% CI half-width t_{0.975,2} * 0.02 / sqrt(3)
    s = summarize([0.70, 0.72, 0.74, float("nan"), None])
    assert s.n == 3 and s.mean == pytest.approx(0.72) and s.std == pytest.approx(0.02)
    half = 4.302652729749464 * 0.02 / math.sqrt(3)
    assert s.ci_low == pytest.approx(0.72 - half) and s.ci_high == pytest.approx(0.72 + half)
    one = summarize([0.5])
    assert (one.n, one.mean, one.std, one.ci_low) == (1, 0.5, None, None)
    assert summarize([]).mean is None


def test_welch_equal_variances_two_repeats_by_hand():
    # a=[1,3]: mean 2, var 2; b=[4,6]: mean 5, var 2. se² = 2/2 + 2/2 = 2, t = -3/sqrt(2),
    # df = 2² / ((1)²/1 + (1)²/1) = 2, p = 1 - |t|/sqrt(2 + t²) = 1 - 2.12132/2.54951 = 0.167952
    w = welch(summarize([1, 3]), summarize([4, 6]))
    assert w.diff == -3 and w.t == pytest.approx(-3 / math.sqrt(2)) and w.df == pytest.approx(2.0)
    assert w.p == pytest.approx(1 - (3 / math.sqrt(2)) / math.sqrt(2 + 4.5), rel=1e-10)


def test_welch_satterthwaite_degrees_of_freedom_by_hand():
    # a=[1,2,3]: var 1, n 3; b=[4,6]: var 2, n 2. se² = 1/3 + 1 = 4/3; df = (4/3)² / ((1/3)²/2 + 1²/1) = 32/19
    w = welch(summarize([1, 2, 3]), summarize([4, 6]))
    assert w.t == pytest.approx(-3 / math.sqrt(4 / 3)) and w.df == pytest.approx(32 / 19)
    # df between 1 and 2: the p-value lies between the two closed forms
    assert two_sided_p(w.t, 2) < w.p < two_sided_p(w.t, 1)


def test_welch_degenerate_cases():
    assert welch(summarize([0.5]), summarize([0.4, 0.6])) is None  # one repeat: untestable
    same = welch(summarize([0.5, 0.5]), summarize([0.5, 0.5]))
    assert same.p == 1.0
    apart = welch(summarize([0.5, 0.5]), summarize([0.4, 0.4]))  # deterministic runs, different means
    assert apart.p == 0.0 and apart.t == math.inf


def test_rank_marks_gaps_within_noise():
    summaries = [
        summarize([0.80, 0.82]),  # #1: 0.81 ± 0.014
        summarize([0.90, 0.91]),  # #2: best
        summarize([0.895, 0.915]),  # #3: 0.905, overlapping the best
        summarize([0.5]),  # one repeat
        summarize([]),  # no data
    ]
    ranked = rank(summaries)
    assert [r.key for r in ranked] == [1, 2, 0, 3, 4]
    verdicts = {r.key: r.verdict for r in ranked}
    assert verdicts == {1: "best", 2: "within noise", 0: "worse", 3: "untested", 4: "no data"}
    by_key = {r.key: r for r in ranked}
    # #1 vs best: diff -0.095, se² = 0.0002/2 + 0.00005/2 = 0.000125, t = -8.497, df = 1.4706
    assert by_key[0].vs_best.t == pytest.approx(-0.095 / math.sqrt(0.000125))
    assert by_key[0].vs_best.df == pytest.approx(0.000125**2 / ((0.0001**2) + (0.000025**2)))
    assert by_key[0].vs_best.p < 0.05 < by_key[2].vs_best.p
    assert by_key[2].within_noise is True and by_key[0].within_noise is False
    assert by_key[3].diff == pytest.approx(0.5 - 0.905) and by_key[4].diff is None  # the gap, even untested


def test_rank_lower_is_better_for_losses():
    ranked = rank([summarize([0.9, 0.92]), summarize([0.5, 0.52])], higher_is_better=False)
    assert [r.key for r in ranked] == [1, 0]


def test_noise_note_is_honest_about_few_repeats():
    assert "untested" in noise_note([1, 2])
    k2 = noise_note([2, 2, 2])
    assert "K=2" in k2 and "1 degree of freedom" in k2 and "Welch" in k2
    assert "K=3" in noise_note([3, 3]) and "K=8" in noise_note([8, 9])
    assert noise_note([0, 0]).startswith("no finished runs")
    assert "K=2" in noise_note([2, 2], short=True)


def test_format_p_never_rounds_across_alpha():
    assert format_p(0.0496) == "0.0496" and format_p(0.30) == "0.3" and format_p(0.0001) == "<0.001"
