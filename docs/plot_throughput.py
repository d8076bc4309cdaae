#!/usr/bin/env python3
"""Draws docs/throughput.svg from the ratio runner's JSON (no third-party packages).

    cargo run --release -p benches --bin ratio -- --json benches/results/ratio-DATE-CPU.json
    python3 docs/plot_throughput.py benches/results/ratio-DATE-CPU.json docs/throughput.svg "CPU, DATE"

Each runtime gets a group of bars, one per approach it ran (peers that exist for one runtime
only are left out elsewhere).
"""
import json
import sys

APPROACHES = [
    ("pool", "pool (fire-and-forget)", "#2b6cb0"),
    ("pool-handles", "pool, handles awaited", "#2f855a"),
    ("channel", "hand-written channel", "#90cdf4"),
    ("orb-boxed", "orb, boxed jobs", "#d69e2e"),
    ("deadqueue", "deadqueue + workers", "#805ad5"),
    ("joinset-semaphore", "JoinSet + Semaphore", "#ed64a6"),
    ("spawn-per-job", "task per job", "#e53e3e"),
]


def main(source, target, host):
    with open(source) as f:
        flat = json.load(f)
    rows = []
    for entry in flat:
        if not rows or rows[-1]["runtime"] != entry["runtime"]:
            rows.append({"runtime": entry["runtime"]})
        rows[-1][entry["approach"]] = entry["m_jobs_per_s"]
    top = max(row.get(key, 0.0) for row in rows for key, _, _ in APPROACHES)
    top = max(1.0, float(int(top) + 1))
    width, height = 760, 420
    left, right, upper, lower = 60, 20, 40, 110
    plot_w, plot_h = width - left - right, height - upper - lower
    group_w = plot_w / len(rows)
    bar_w = group_w * 0.8 / len(APPROACHES)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">'
        f"100,000 no-op jobs, 16 at once, 2 threads ({host}): median million jobs per second</text>",
    ]
    step = 5 if top > 20 else 1
    for i in range(0, int(top) + 1, step):
        y = upper + plot_h - plot_h * i / top
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{i}</text>')
    for g, row in enumerate(rows):
        x0 = left + g * group_w + group_w * 0.1
        for a, (key, _, colour) in enumerate(APPROACHES):
            if key not in row:
                continue
            value = row[key]
            h = plot_h * value / top
            x = x0 + a * bar_w
            y = upper + plot_h - h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{row['runtime']} {key}: {value:.2f} M jobs/s</title></rect>"
            )
            out.append(
                f'<text x="{x + bar_w / 2 - 1:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="10">{value:.1f}</text>'
            )
        out.append(
            f'<text x="{left + g * group_w + group_w / 2:.1f}" y="{upper + plot_h + 18}" '
            f'text-anchor="middle" font-size="13">{row["runtime"]}</text>'
        )
    for a, (_, label, colour) in enumerate(APPROACHES):
        x = left + (a % 4) * 170
        y = height - lower + 45 + (a // 4) * 20
        out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 18}" y="{y}">{label}</text>')
    out.append("</svg>")
    with open(target, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3])
