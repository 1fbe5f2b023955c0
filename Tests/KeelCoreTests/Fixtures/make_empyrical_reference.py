#!/usr/bin/env python3
"""Builds empyrical_reference.json: closes Keel simulated and empyrical's metrics of them.

How it was made (from the repository root; empyrical-reloaded from PyPI in a virtualenv outside the repo):
    python3 -m venv /tmp/emp && /tmp/emp/bin/pip install empyrical-reloaded pandas
    swift run keel data simulate --symbols NVDA,SPY --days 800 --seed 77 --out /tmp/keel-metrics
    /tmp/emp/bin/python Tests/KeelCoreTests/Fixtures/make_empyrical_reference.py /tmp/keel-metrics \
        Tests/KeelCoreTests/Fixtures/empyrical_reference.json
NVDA's closes stand for a strategy's equity curve, SPY's for the benchmark.
"""
import csv
import json
import sys

import empyrical as ep
import numpy as np
import pandas as pd

folder, target = sys.argv[1], sys.argv[2]
def closes(symbol):
    rows = list(csv.DictReader(open(f"{folder}/{symbol}.csv")))
    return [r["date"] for r in rows], [float(r["close"]) for r in rows]

dates, equity = closes("NVDA")
_, benchmark = closes("SPY")
index = pd.to_datetime(dates)
r = pd.Series(equity, index=index).pct_change().dropna()
b = pd.Series(benchmark, index=index).pct_change().dropna()
alpha, beta = ep.alpha_beta(r, b)
reference = {
    "equity": equity, "benchmark": benchmark,
    "total_return": float(ep.cum_returns_final(r)),
    "cagr": float(ep.annual_return(r)),
    "annual_volatility": float(ep.annual_volatility(r)),
    "sharpe": float(ep.sharpe_ratio(r)),
    "sortino": float(ep.sortino_ratio(r)),
    "max_drawdown": float(ep.max_drawdown(r)),
    "calmar": float(ep.calmar_ratio(r)),
    "alpha": float(alpha), "beta": float(beta),
}
json.dump(reference, open(target, "w"), indent=1)
print(f"wrote {target}: {len(r)} returns, empyrical {ep.__version__}")
