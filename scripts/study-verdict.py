#!/usr/bin/env python3
"""Paired verdicts of a CP reading-study experiment folder (docs/pretrained-regime.md §5).

    python3 scripts/study-verdict.py runs/study-i-pretrained-frozen [baseline-variant]

For every variant: mean ± sd over seeds of R@1 and MAP@R (percent), and the difference to the baseline (default "PA")
paired by seed with a two-sided 95 % Student-t interval (n - 1 degrees of freedom). Verdict on R@1: "above"/"below" the
baseline when the interval excludes 0, "inconclusive" otherwise. Reads only result.json and experiment.json of finished
runs, so it works on a folder while shards are still running.
"""
import glob, json, os, statistics as st, sys

T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}   # t_{0.975, df}


def load(folder):
    runs = {}
    for f in glob.glob(os.path.join(folder, "runs", "*", "*", "seed-*", "result.json")):
        label = json.load(open(os.path.join(os.path.dirname(f), "experiment.json")))
        result = json.load(open(f))
        metrics = result.get("finalMetrics") or result.get("FinalMetrics")
        runs.setdefault(label.get("variant") or label.get("Variant"), {})[label.get("seed") or label.get("Seed")] = metrics
    return runs


def interval(diffs):
    n, m = len(diffs), st.mean(diffs)
    if n < 2: return m, float("nan")
    return m, T95.get(n - 1, 1.96) * st.stdev(diffs) / n ** 0.5


def main():
    if len(sys.argv) < 2: sys.exit(__doc__)
    runs, base_name = load(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else "PA")
    if not runs: sys.exit(f"{sys.argv[1]}: no finished runs (runs/*/*/seed-*/result.json)")
    base = runs.get(base_name, {})
    print(f"{'variant':34s} n  R@1          MAP@R        ΔR@1 [95% CI]          ΔMAP@R [95% CI]        verdict (R@1)")
    for v in sorted(runs, key=lambda v: (v != base_name, v)):
        s = runs[v]; seeds = sorted(s)
        pct = lambda k, m: 100 * s[k][m]
        r1 = [pct(k, "recall_at_1") for k in seeds]; mp = [pct(k, "mean_average_precision_at_r") for k in seeds]
        sd = lambda xs: st.stdev(xs) if len(xs) > 1 else 0.0
        line = f"{v:34s} {len(seeds)}  {st.mean(r1):5.2f}±{sd(r1):4.2f}  {st.mean(mp):5.2f}±{sd(mp):4.2f}"
        common = [k for k in seeds if k in base]
        if v != base_name and common:
            (m1, h1) = interval([100 * (s[k]["recall_at_1"] - base[k]["recall_at_1"]) for k in common])
            (m2, h2) = interval([100 * (s[k]["mean_average_precision_at_r"] - base[k]["mean_average_precision_at_r"]) for k in common])
            verdict = "inconclusive" if h1 != h1 or m1 - h1 <= 0 <= m1 + h1 else ("above " + base_name if m1 > 0 else "below " + base_name)
            line += f"  {m1:+5.2f} [{m1 - h1:+5.2f},{m1 + h1:+5.2f}]  {m2:+5.2f} [{m2 - h2:+5.2f},{m2 + h2:+5.2f}]  {verdict}"
        print(line)


if __name__ == "__main__":
    main()
