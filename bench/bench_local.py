#!/usr/bin/env python3
"""Local -> local benchmark: cvclone against cp, rsync and rclone, measured in one run.

Builds the data set once (one 1 GiB file; 10,000 files of 1-64 KiB in 100 directories) under
--data (default bench/data), then for each case and tool runs the copy --runs times into a fresh
destination and reports the median wall time, CPU time (user+sys of the tool's process tree) and
peak memory (max RSS). Prints a Markdown table; the targets from the issue are checked as ratios.

Usage: bench/bench_local.py [--runs 3] [--data DIR] [--cvclone build/cvclone] [--cases big,small,noop]
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (ROOT, make_dataset, measure_with_rss, parse_args, warm,  # noqa: E402
                    print_result_table, print_targets)
from common import ratio as common_ratio  # noqa: E402


def tools(cvclone, src, dst, mode):
    rclone_env = dict(os.environ)
    rclone_env.pop("AWS_CA_BUNDLE", None)
    rclone_env["RCLONE_CONFIG"] = "/dev/null"
    if mode == "copy":
        return {
            "cvclone copy": ([cvclone, "--config", "/dev/null", "copy", src, dst], None),
            "cvclone copy --local-no-fsync": (
                [cvclone, "--config", "/dev/null", "copy", "--local-no-fsync", src, dst], None),
            "rclone copy": (["rclone", "copy", src, dst], rclone_env),
            "rsync -a": (["rsync", "-a", src + "/", dst + "/"], None),
            "cp -r": (["cp", "-r", src, dst], None),
        }
    return {
        "cvclone sync": ([cvclone, "--config", "/dev/null", "sync", src, dst], None),
        "rclone sync": (["rclone", "sync", src, dst], rclone_env),
        "rsync -a": (["rsync", "-a", "--delete", src + "/", dst + "/"], None),
    }


def run_case(name, src, out, cvclone, runs, mode):
    """Measures every tool `runs` times, round-robin with a rotating order, each copy into a
    fresh destination. Nothing is deleted between measurements of a case: deleting thousands of
    files just before a copy makes ext4's inode allocator scan the recently freed ones, which
    slows whichever tool runs next (seen here: 2-3x on the small-files case)."""
    table = tools(cvclone, src, "DST", mode)
    names = list(table)
    samples = {tool: [] for tool in names}
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    subprocess.run(["sync"])
    noop_dst = os.path.join(out, "noop")
    if mode == "sync":
        subprocess.run(["cp", "-a", src, noop_dst], check=True)
    for r in range(runs):
        order = names[r % len(names):] + names[: r % len(names)]
        for i, tool in enumerate(order):
            cmd_template, env = table[tool]
            dst = noop_dst if mode == "sync" else os.path.join(out, f"dst-{r}-{i}")
            cmd = [a.replace("DST", dst) for a in cmd_template]
            inputs = (src, noop_dst) if mode == "sync" else (src,)
            wall, cpu, rss = measure_with_rss(cmd, env, inputs)
            # What the command left unwritten: the time until its copy is on disk too.
            start = time.monotonic()
            os.sync()
            samples[tool].append((wall, cpu, rss, wall + time.monotonic() - start))
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(["sync"])
    rows = []
    for tool in names:
        wall = statistics.median(s[0] for s in samples[tool])
        cpu = statistics.median(s[1] for s in samples[tool])
        rss = statistics.median(s[2] for s in samples[tool])
        durable = statistics.median(s[3] for s in samples[tool])
        rows.append((name, tool, wall, cpu, rss, durable))
        print(f"  {name:<24} {tool:<30} wall {wall:7.2f} s  cpu {cpu:7.2f} s  rss {rss:8.1f} MiB"
              f"  on disk {durable:7.2f} s", file=sys.stderr, flush=True)
    return rows


def main():
    args = parse_args(__doc__, 3, "big,small,noop", quick=False)
    for tool in ("rclone", "rsync", "cp", "/usr/bin/time"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} is missing (run scripts/setup)")
    if not os.access(args.cvclone, os.X_OK):
        sys.exit(f"bench: {args.cvclone} not built (run scripts/build)")
    os.makedirs(args.data, exist_ok=True)
    big, small = make_dataset(args.data)
    warm(big, small)
    out = os.path.join(args.data, "out")
    cases = args.cases.split(",")
    rows = []
    if "big" in cases:
        rows += run_case("1 GiB file", big, out, args.cvclone, args.runs, "copy")
    if "small" in cases:
        rows += run_case("10,000 files 1-64 KiB", small, out, args.cvclone, args.runs, "copy")
    if "noop" in cases:
        rows += run_case("no-op sync 10,000 files", small, out, args.cvclone, args.runs, "sync")
    shutil.rmtree(out, ignore_errors=True)

    header = ["case", "tool", f"wall s (median of {args.runs})", "CPU s (user+sys)",
              "peak RSS MiB", "until on disk s (wall + a following sync)"]
    print_result_table(header, rows, ["{:.2f}", "{:.2f}", "{:.1f}", "{:.2f}"])
    by = {(n, t): (w, c, r, d) for n, t, w, c, r, d in rows}

    def ratio(case, a, b, idx=0):
        return common_ratio(by, case, a, b, idx)

    checks = [
        ("1 GiB copy wall vs cp -r (target <= 1.3)", ratio("1 GiB file", "cvclone copy", "cp -r"), 1.3),
        ("small files wall vs rsync -a (target <= 1.0)",
         ratio("10,000 files 1-64 KiB", "cvclone copy", "rsync -a"), 1.0),
        ("small files wall vs rclone (target <= 0.5)",
         ratio("10,000 files 1-64 KiB", "cvclone copy", "rclone copy"), 0.5),
        ("1 GiB copy --local-no-fsync wall vs cp -r (target <= 1.3)",
         ratio("1 GiB file", "cvclone copy --local-no-fsync", "cp -r"), 1.3),
        ("small files --local-no-fsync wall vs rsync -a (target <= 1.0)",
         ratio("10,000 files 1-64 KiB", "cvclone copy --local-no-fsync", "rsync -a"), 1.0),
        ("small files --local-no-fsync wall vs rclone (target <= 0.5)",
         ratio("10,000 files 1-64 KiB", "cvclone copy --local-no-fsync", "rclone copy"), 0.5),
        ("1 GiB copy until on disk vs cp -r's (same target, durable basis)",
         ratio("1 GiB file", "cvclone copy", "cp -r", 3), 1.3),
        ("small files until on disk vs rsync -a's (same target, durable basis)",
         ratio("10,000 files 1-64 KiB", "cvclone copy", "rsync -a", 3), 1.0),
        ("small files until on disk vs rclone's (same target, durable basis)",
         ratio("10,000 files 1-64 KiB", "cvclone copy", "rclone copy", 3), 0.5),
        ("no-op sync wall vs rsync -a (target <= 1.0)",
         ratio("no-op sync 10,000 files", "cvclone sync", "rsync -a"), 1.0),
    ]
    for case in ("1 GiB file", "10,000 files 1-64 KiB", "no-op sync 10,000 files"):
        peer = "rclone sync" if case.startswith("no-op") else "rclone copy"
        me = "cvclone sync" if case.startswith("no-op") else "cvclone copy"
        checks.append((f"{case}: peak memory vs rclone (target <= 0.5)", ratio(case, me, peer, 2), 0.5))
    print_targets(checks)


if __name__ == "__main__":
    main()
