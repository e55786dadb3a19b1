#!/usr/bin/env python3
"""Draws docs/img/pool_scaling.svg from benches/pool_measurements.csv: states
and seconds against W for SPIN and leash with and without its reductions, on
log scales. Plain SVG, no plotting library: run `python3 benches/plot_pool.py`."""

import csv
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
COLOURS = ["#d62728", "#7f7f7f", "#ff7f0e", "#1f77b4"]
W, H, LEFT, TOP, PW, PH = 980, 430, 70, 40, 360, 300


def load():
    series = {}
    with open(os.path.join(HERE, "pool_measurements.csv")) as f:
        rows = [r for r in csv.reader(line for line in f if not line.startswith("#"))]
    for name, w, states, secs, status in rows:
        series.setdefault(name, []).append((int(w), float(states), float(secs), status == "complete"))
    return series


def panel(out, x0, title, ylabel, index, series, lo, hi):
    out.append(f'<text x="{x0 + PW / 2}" y="{TOP - 15}" text-anchor="middle" font-weight="bold">{title}</text>')
    out.append(f'<rect x="{x0}" y="{TOP}" width="{PW}" height="{PH}" fill="none" stroke="black"/>')
    xs = lambda w: x0 + (w - 0) / 34 * PW
    ys = lambda v: TOP + PH - (math.log10(max(v, 10 ** lo)) - lo) / (hi - lo) * PH
    for e in range(lo, hi + 1):
        y = ys(10 ** e)
        out.append(f'<line x1="{x0}" x2="{x0 + PW}" y1="{y}" y2="{y}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4}" text-anchor="end" font-size="11">1e{e}</text>')
    for w in (2, 4, 6, 8, 12, 16, 24, 32):
        out.append(f'<text x="{xs(w)}" y="{TOP + PH + 16}" text-anchor="middle" font-size="11">{w}</text>')
    out.append(f'<text x="{x0 + PW / 2}" y="{TOP + PH + 34}" text-anchor="middle">W (workers; J = 2W, B = min(W/2, 4))</text>')
    out.append(
        f'<text x="{x0 - 50}" y="{TOP + PH / 2}" transform="rotate(-90 {x0 - 50} {TOP + PH / 2})" '
        f'text-anchor="middle">{ylabel}</text>'
    )
    for (name, points), colour in zip(series.items(), COLOURS):
        path = " ".join(f"{xs(p[0]):.1f},{ys(p[index]):.1f}" for p in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for p in points:
            fill = colour if p[3] else "white"
            out.append(f'<circle cx="{xs(p[0]):.1f}" cy="{ys(p[index]):.1f}" r="4" fill="{fill}" stroke="{colour}"/>')


def main():
    series = load()
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 90}" font-family="sans-serif">']
    out.append(f'<rect width="{W}" height="{H + 90}" fill="white"/>')
    panel(out, LEFT, "states stored", "states", 1, series, 2, 8)
    panel(out, LEFT + PW + 130, "time (seconds)", "seconds", 2, series, -3, 3)
    for i, ((name, _), colour) in enumerate(zip(series.items(), COLOURS)):
        y = H + 10 + 18 * i
        out.append(f'<line x1="{LEFT}" x2="{LEFT + 30}" y1="{y}" y2="{y}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{LEFT + 38}" y="{y + 4}" font-size="12">{name}</text>')
    out.append(
        f'<text x="{LEFT + 480}" y="{H + 14}" font-size="12">open marker: stopped by its limit '
        "(120 s), at the point reached</text>"
    )
    out.append("</svg>")
    with open(os.path.join(HERE, "..", "docs", "img", "pool_scaling.svg"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
