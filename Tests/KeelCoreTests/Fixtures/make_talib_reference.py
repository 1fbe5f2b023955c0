#!/usr/bin/env python3
"""Builds talib_reference.csv: bars simulated by Keel plus TA-Lib's values for every indicator Keel has.

How it was made (run from the repository root, TA-Lib from PyPI in a virtualenv outside the repo):
    python3 -m venv /tmp/talib && /tmp/talib/bin/pip install TA-Lib numpy
    swift run keel data simulate --symbols AAPL --days 420 --seed 2026 --out /tmp/keel-fixture
    /tmp/talib/bin/python Tests/KeelCoreTests/Fixtures/make_talib_reference.py /tmp/keel-fixture/AAPL.csv \
        Tests/KeelCoreTests/Fixtures/talib_reference.csv
Rolling volatility has no TA-Lib function: it is numpy's sample standard deviation of simple returns.
"""
import csv
import sys

import numpy as np
import talib

source, target = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(source)))
dates = [r["date"] for r in rows]
o, h, l, c, v = (np.array([float(r[k]) for r in rows]) for k in ("open", "high", "low", "close", "volume"))

upper, middle, lower = talib.BBANDS(c, timeperiod=20, nbdevup=2, nbdevdn=2, matype=0)
macd, signal, hist = talib.MACD(c, fastperiod=12, slowperiod=26, signalperiod=9)
slowk, slowd = talib.STOCH(h, l, c, fastk_period=14, slowk_period=3, slowk_matype=0, slowd_period=3, slowd_matype=0)
returns = np.full(len(c), np.nan)
returns[1:] = c[1:] / c[:-1] - 1
volatility = np.full(len(c), np.nan)
for i in range(20, len(c)):
    volatility[i] = np.std(returns[i - 19:i + 1], ddof=1) * np.sqrt(252)
zscore = (c - talib.SMA(c, 20)) / talib.STDDEV(c, 20, 1)

columns = {
    "sma_20": talib.SMA(c, 20), "ema_20": talib.EMA(c, 20), "rsi_14": talib.RSI(c, 14), "atr_14": talib.ATR(h, l, c, 14),
    "bb_upper": upper, "bb_middle": middle, "bb_lower": lower, "macd": macd, "macd_signal": signal, "macd_hist": hist,
    "wma_20": talib.WMA(c, 20), "adx_14": talib.ADX(h, l, c, 14), "stoch_k": slowk, "stoch_d": slowd, "obv": talib.OBV(c, v),
    "roc_10": talib.ROC(c, 10), "mom_10": talib.MOM(c, 10), "volatility_20": volatility, "zscore_20": zscore,
}
with open(target, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["date", "open", "high", "low", "close", "volume"] + list(columns))
    for i in range(len(c)):
        w.writerow([dates[i], rows[i]["open"], rows[i]["high"], rows[i]["low"], rows[i]["close"], rows[i]["volume"]]
                   + ["" if np.isnan(col[i]) else repr(float(col[i])) for col in columns.values()])
print(f"wrote {target}: {len(c)} rows, talib {talib.__version__}")
