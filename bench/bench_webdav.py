#!/usr/bin/env python3
"""Local -> WebDAV benchmark (issue 18): cvclone against rclone on one Apache httpd with mod_dav.

The server is tests/servers/start-webdav on a free port of 127.0.0.1, its data in DATA/webdav
(wiped at start and at the end), Basic auth. Both tools read one generated config file
(rclone.conf syntax, a [dav] remote of vendor other). Cases (--cases, comma-separated):
  up-small  the 10,000 small files copied into a fresh folder of the server per tool and run
  noop      sync of the same files onto the folder each tool uploaded them to, nothing to do
Columns: median wall time, client CPU (user+sys of the client's process tree), the server's CPU
during the run (httpd's processes, from /proc), client peak RSS. Targets (issue 18): cvclone's
time and peak memory at most 0.5x rclone's. --quick uses 1,000 of the files to test the script.

Usage: bench/bench_webdav.py [--runs 1] [--quick] [--cases up-small,noop] [--data DIR]
                             [--cvclone build/cvclone]
"""
import contextlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ALL_CASES = "up-small,noop"
USER, PASS = "cvclone", "webdav bench password"


class Webdav:
    """Apache httpd with mod_dav serving data_dir (wiped first); a context manager."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.pidfile = data_dir + ".pid"
        self.pid = None
        self.url = None

    def __enter__(self):
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(self.data_dir + ".httpd", ignore_errors=True)
        env = dict(os.environ, WEBDAV_PASS=PASS)
        try:
            out = subprocess.run([os.path.join(common.SERVERS, "start-webdav"), self.data_dir,
                                  self.pidfile], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"start-webdav failed: {out.stderr[-1000:]}")
            self.url = f"http://127.0.0.1:{int(out.stdout.strip().splitlines()[-1])}"
            with open(self.pidfile) as f:
                self.pid = int(f.read().strip())
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if os.path.exists(self.pidfile):
            common.run_uninterrupted([os.path.join(common.SERVERS, "stop-webdav"), self.pidfile])

    def cpu_seconds(self):
        """httpd's parent and its worker processes (they come and go: a sum over the live
        ones, read before and after each command)."""
        pids = [self.pid] + [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(self.pid)], stdout=subprocess.PIPE, text=True).stdout.split()]
        total = 0.0
        for pid in pids:
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                total += common.process_cpu_seconds(pid)
        return total


def main():
    args = common.parse_args(__doc__, 1, ALL_CASES)
    common.check_tools(("rclone", "/usr/bin/time"), args.cvclone)
    cases = args.cases.split(",")
    if set(cases) - set(ALL_CASES.split(",")):
        sys.exit(f"bench: unknown cases; known: {ALL_CASES}")
    common.exit_on_signals()
    os.makedirs(args.data, exist_ok=True)
    if args.quick:
        _, small = common.make_quick_dataset(args.data, 1, 10)
        label = "1,000 files 1-64 KiB"
    else:
        _, small = common.make_dataset(args.data)
        label = "10,000 files 1-64 KiB"
    common.warm(small)
    work = os.path.join(args.data, "webdavwork")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rows = []
    server = Webdav(os.path.join(args.data, "webdav"))
    try:
        with server:
            print(f"bench: httpd on {server.url} (pid {server.pid})", file=sys.stderr, flush=True)
            conf = os.path.join(work, "bench.conf")
            with open(conf, "w") as f:
                f.write(f"[dav]\ntype = webdav\nurl = {server.url}\nvendor = other\n"
                        f"user = {USER}\npass = {common.rclone_obscure(PASS)}\n")
            env = {"cvclone": None, "rclone": common.rclone_env()}
            prog = {"cvclone": args.cvclone, "rclone": "rclone"}
            count = [0]
            uploaded = {}

            def measure(tool, argv):
                before = server.cpu_seconds()
                try:
                    wall, cpu, rss = common.measure_with_rss(argv, env[tool], (small,))
                except RuntimeError as e:
                    print(f"  {tool}: FAILED: {e}", file=sys.stderr, flush=True)
                    return None
                return wall, cpu, server.cpu_seconds() - before, rss

            def upload(r, tool):
                count[0] += 1
                dst = f"dav:up-{count[0]}"
                result = measure(tool, [prog[tool], "--config", conf, "copy", small, dst])
                uploaded.setdefault(tool, dst)
                return result

            up_case = f"{label} local→WebDAV"
            if "up-small" in cases:
                rows += common.rounds(up_case, ["cvclone", "rclone"], args.runs, upload)
            for tool in ("cvclone", "rclone"):
                if tool not in uploaded:
                    uploaded[tool] = f"dav:seed-{tool}"
                    common.run_quiet([prog[tool], "--config", conf, "copy", small,
                                      uploaded[tool]], env[tool])
            noop_case = f"no-op sync {label.split(' files')[0]} files"
            if "noop" in cases:
                rows += common.rounds(noop_case, ["cvclone", "rclone"], args.runs,
                                      lambda r, tool: measure(tool, [prog[tool], "--config", conf,
                                                                     "sync", small,
                                                                     uploaded[tool]]))
    finally:
        shutil.rmtree(server.data_dir, ignore_errors=True)
        shutil.rmtree(server.data_dir + ".httpd", ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    header = ["case", "tool", f"wall s (median of {args.runs})", "client CPU s (user+sys)",
              "httpd CPU s", "client peak RSS MiB"]
    common.print_result_table(header, rows, ["{:.2f}", "{:.2f}", "{:.2f}", "{:.1f}"])
    by = {(r[0], r[1]): r[2:] for r in rows if len(r) > 2}
    targets = []
    for case in (up_case, noop_case):
        targets.append((f"{case}: wall, cvclone/rclone (target <= 0.5)",
                        common.ratio(by, case, "cvclone", "rclone", 0), 0.5))
        targets.append((f"{case}: peak RSS, cvclone/rclone (target <= 0.5)",
                        common.ratio(by, case, "cvclone", "rclone", 3), 0.5))
    common.print_targets(targets)


if __name__ == "__main__":
    main()
