#!/usr/bin/env python3
"""Probe-like history in OpenMetrics, as `ioc export` writes it: TARGETS targets x 8 series every
15 s for HOURS hours ending at END (Unix seconds, default: now rounded down to 15 s), durations in
whole microseconds as libcurl reports them. The same arguments give the same file.

    probe-history.py TARGETS HOURS [SEED] [END] > history.om
"""
import random
import sys
import time


def main():
    targets = int(sys.argv[1])
    hours = float(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    end = int(sys.argv[4]) if len(sys.argv) > 4 else int(time.time()) // 15 * 15
    steps = int(hours * 240)
    start = end - (steps - 1) * 15
    rng = random.Random(seed)
    out = sys.stdout
    write = out.write
    families = {}
    for t in range(targets):
        province = f"p{t % 34:02d}"
        service = ("dvc", "motcua", "lgsp", "egov", "mail")[t % 5]
        base = f'instance="https://{service}.t{t}.gov.vn/",job="{province}",province="{province}",service="{service}"'
        latency = 0.04 + rng.random() * 0.3
        length = 200 + rng.randrange(5000)
        series = [
            ("probe_success", base, lambda r: "0" if r.random() < 0.001 else "1"),
            ("probe_http_status_code", base, lambda r: "503" if r.random() < 0.001 else "200"),
            ("probe_http_content_length", base, lambda r, n=length: str(n)),
            ("probe_duration_seconds", base, lambda r, l=latency: "%.6f" % (l * (0.55 + 0.9 * r.random()))),
        ]
        for phase, share in (("resolve", 0.05), ("connect", 0.15), ("tls", 0.3), ("processing", 0.5)):
            series.append(
                ("probe_http_duration_seconds", base + f',phase="{phase}"',
                 lambda r, l=latency, s=share: "%.6f" % (l * s * (0.55 + 0.9 * r.random()))))
        for name, labels, value in series:
            families.setdefault(name, []).append((labels, value))
    # Grouped by family and series, oldest first, as `ioc export` writes them.
    for name, members in families.items():
        write(f"# TYPE {name} unknown\n")
        for labels, value in members:
            head = f"{name}{{{labels}}} "
            lines = [f"{head}{value(rng)} {start + 15 * i}\n" for i in range(steps)]
            write("".join(lines))
    write("# EOF\n")


main()
