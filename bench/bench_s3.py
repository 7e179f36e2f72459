#!/usr/bin/env python3
"""Local <-> S3 benchmark: cvclone against rclone and the AWS CLI on a private s3rver, in one run.

Starts its own s3rver (tests/servers/start-s3rver, directly: no signature front) on a free port
with its buckets in DATA/s3rver (wiped at start and at the end). Both cvclone and rclone use one
generated config file (rclone.conf syntax, an [s3] remote with provider Other); the AWS CLI gets
--endpoint-url and s3rver's credentials. Cases (--cases, comma-separated):
  up-big     local -> S3, the 1 GiB file          (cvclone copy, rclone copy, aws s3 cp --recursive)
  up-small   local -> S3, the 10,000 small files  (same tools)
  down-big   S3 -> local, the 1 GiB file          (same tools; all read one bucket written by rclone)
  down-small S3 -> local, the 10,000 small files
  noop       sync of the 10,000 files onto the bucket each tool uploaded them to, nothing to do
             (cvclone sync default / --checksum / --size-only, the same for rclone, aws s3 sync)
Each upload goes into a fresh bucket (created beforehand with the AWS CLI, not measured), each
download into a fresh local folder. Columns: median wall time, client CPU (user+sys of the
client's process tree), s3rver's CPU during the run (/proc/<pid>/stat utime+stime delta), client
peak RSS. --quick uses a subset (--quick-mib MiB of the big file, 1,000 small files) to test the
script. A failing command is reported as "failed" and the run goes on.

Usage: bench/bench_s3.py [--runs 1] [--quick] [--cases up-big,up-small,down-big,down-small,noop]
                         [--data DIR] [--cvclone build/cvclone]
"""
import contextlib
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ALL_CASES = "up-big,up-small,down-big,down-small,noop"
FAMILIES = ("cvclone", "rclone", "aws")


class Bench:
    def __init__(self, args, server, work):
        self.args = args
        self.server = server
        self.work = work
        self.conf = os.path.join(work, "bench.conf")
        with open(self.conf, "w") as f:
            f.write(common.s3_remote_section("s3", server.endpoint))
        self.rclone_env = common.rclone_env()
        self.aws_env = common.aws_env(work)
        self.bucket_count = 0
        # Buckets holding a complete upload, by (data set, tool family), for later cases.
        self.uploaded = {}

    def bucket_dir(self, bucket):
        """Where s3rver keeps a bucket's objects and their metadata."""
        return os.path.join(self.server.data_dir, bucket)

    def new_bucket(self, prefix):
        self.bucket_count += 1
        name = f"{prefix}-{self.bucket_count}"
        common.run_quiet(self.aws(["s3", "mb", f"s3://{name}"]), self.aws_env)
        return name

    def aws(self, args):
        """The AWS CLI on s3rver; cp and sync print errors only (no per-file lines)."""
        quiet = ["--only-show-errors"] if args[:2] in (["s3", "cp"], ["s3", "sync"]) else []
        return ["aws", "--endpoint-url", self.server.endpoint] + args + quiet

    def cv(self, args):
        return [self.args.cvclone, "--config", self.conf] + args

    def rc(self, args):
        return ["rclone", "--config", self.conf] + args

    def copy_tools(self, src, dst, download):
        """{tool: (family, argv, env)} for a copy; src/dst are a local folder and a bucket."""
        if download:
            return {
                "cvclone copy": ("cvclone", self.cv(["copy", f"s3:{src}", dst]), None),
                "rclone copy": ("rclone", self.rc(["copy", f"s3:{src}", dst]), self.rclone_env),
                "aws s3 cp --recursive": (
                    "aws", self.aws(["s3", "cp", "--recursive", f"s3://{src}", dst]), self.aws_env),
            }
        return {
            "cvclone copy": ("cvclone", self.cv(["copy", src, f"s3:{dst}"]), None),
            "rclone copy": ("rclone", self.rc(["copy", src, f"s3:{dst}"]), self.rclone_env),
            "aws s3 cp --recursive": (
                "aws", self.aws(["s3", "cp", "--recursive", src, f"s3://{dst}"]), self.aws_env),
        }

    def sync_tools(self, src, buckets):
        """{tool: (family, argv, env)} for the no-op sync onto each family's bucket."""
        cv, rc, aw = buckets["cvclone"], buckets["rclone"], buckets["aws"]
        return {
            "cvclone sync": ("cvclone", self.cv(["sync", src, f"s3:{cv}"]), None),
            "cvclone sync --checksum": ("cvclone", self.cv(["sync", "--checksum", src, f"s3:{cv}"]), None),
            "cvclone sync --size-only": ("cvclone", self.cv(["sync", "--size-only", src, f"s3:{cv}"]), None),
            "rclone sync": ("rclone", self.rc(["sync", src, f"s3:{rc}"]), self.rclone_env),
            "rclone sync --checksum": ("rclone", self.rc(["sync", "--checksum", src, f"s3:{rc}"]), self.rclone_env),
            "rclone sync --size-only": ("rclone", self.rc(["sync", "--size-only", src, f"s3:{rc}"]), self.rclone_env),
            "aws s3 sync": ("aws", self.aws(["s3", "sync", src, f"s3://{aw}"]), self.aws_env),
        }

    def measure(self, tool, argv, env, inputs):
        """(wall, client cpu, server cpu, rss) or None if the command failed. inputs: the
        folders the command reads, local ones or buckets' (see common.settle)."""
        server_before = self.server.cpu_seconds()
        try:
            wall, cpu, rss = common.measure_with_rss(argv, env, inputs)
        except RuntimeError as e:
            print(f"  {tool}: FAILED: {e}", file=sys.stderr, flush=True)
            return None
        return wall, cpu, self.server.cpu_seconds() - server_before, rss

    def upload_case(self, case, key, src):
        """local -> fresh bucket per tool and run; remembers each family's run-0 bucket."""
        names = list(self.copy_tools(src, "B", False))
        buckets = {}

        def one_run(r, tool):
            bucket = self.new_bucket(f"up-{key}")
            family, argv, env = self.copy_tools(src, bucket, False)[tool]
            result = self.measure(tool, argv, env, (src,))
            if result is not None and (key, family) not in buckets:
                buckets[(key, family)] = bucket
            return result
        rows = common.rounds(case, names, self.args.runs, one_run)
        self.uploaded.update(buckets)
        return rows

    def seeded_bucket(self, key, family, src):
        """A bucket with src uploaded by family's tool: the upload case's, or a new one."""
        if (key, family) not in self.uploaded:
            bucket = self.new_bucket(f"seed-{key}-{family}")
            _, argv, env = self.copy_tools(src, bucket, False)[
                {"cvclone": "cvclone copy", "rclone": "rclone copy", "aws": "aws s3 cp --recursive"}[family]]
            common.run_quiet(argv, env)
            self.uploaded[(key, family)] = bucket
        return self.uploaded[(key, family)]

    def download_case(self, case, key, src):
        """Every tool reads the same bucket (written by rclone) into a fresh local folder. Nothing
        is deleted until the script ends (see "Deletions" in common.py)."""
        bucket = self.seeded_bucket(key, "rclone", src)
        out = os.path.join(self.work, f"out-{key}")
        os.makedirs(out)
        names = list(self.copy_tools(bucket, "D", True))

        def one_run(r, tool):
            dst = os.path.join(out, f"{r}-{names.index(tool)}")
            _, argv, env = self.copy_tools(bucket, dst, True)[tool]
            return self.measure(tool, argv, env, (self.bucket_dir(bucket),))
        return common.rounds(case, names, self.args.runs, one_run)

    def noop_case(self, case, src):
        buckets = {family: self.seeded_bucket("small", family, src) for family in FAMILIES}
        table = self.sync_tools(src, buckets)
        inputs = (src,) + tuple(self.bucket_dir(b) for b in buckets.values())

        def one_run(r, tool):
            _, argv, env = table[tool]
            return self.measure(tool, argv, env, inputs)
        return common.rounds(case, list(table), self.args.runs, one_run)


def checks(rows, names):
    by = {(r[0], r[1]): r[2:] for r in rows if len(r) > 2}
    out = []
    for case in (names["up-big"], names["up-small"], names["down-big"], names["down-small"]):
        out.append((f"{case}: client CPU vs rclone (target <= 0.5)",
                    common.ratio(by, case, "cvclone copy", "rclone copy", 1), 0.5))
        out.append((f"{case}: client CPU vs aws (target <= 1.0)",
                    common.ratio(by, case, "cvclone copy", "aws s3 cp --recursive", 1), 1.0))
        peers = [by[(case, p)][0] for p in ("rclone copy", "aws s3 cp --recursive") if (case, p) in by]
        if (case, "cvclone copy") in by and peers:
            out.append((f"{case}: wall vs faster peer (target <= 1.0)",
                        by[(case, "cvclone copy")][0] / min(peers), 1.0))
        out.append((f"{case}: peak RSS vs rclone (informative, target: bounded)",
                    common.ratio(by, case, "cvclone copy", "rclone copy", 3), float("inf")))
    noop = names["noop"]
    for flag in ("", " --checksum", " --size-only"):
        out.append((f"{noop}{flag}: client CPU vs rclone (target <= 0.5)",
                    common.ratio(by, noop, "cvclone sync" + flag, "rclone sync" + flag, 1), 0.5))
        out.append((f"{noop}{flag}: client CPU vs aws (target <= 1.0)",
                    common.ratio(by, noop, "cvclone sync" + flag, "aws s3 sync", 1), 1.0))
        peers = [by[(noop, p)][0] for p in ("rclone sync" + flag, "aws s3 sync") if (noop, p) in by]
        if (noop, "cvclone sync" + flag) in by and peers:
            out.append((f"{noop}{flag}: wall vs faster peer (target <= 1.0)",
                        by[(noop, "cvclone sync" + flag)][0] / min(peers), 1.0))
    out.append((f"{noop}: default sync wall vs aws s3 sync (target <= 1.0)",
                common.ratio(by, noop, "cvclone sync", "aws s3 sync", 0), 1.0))
    return out


def main():
    args = common.parse_args(__doc__, 1, ALL_CASES)
    common.check_tools(("rclone", "aws", "node", "/usr/bin/time"), args.cvclone)
    cases = args.cases.split(",")
    unknown = set(cases) - set(ALL_CASES.split(","))
    if unknown:
        sys.exit(f"bench: unknown cases {sorted(unknown)}; known: {ALL_CASES}")
    os.makedirs(args.data, exist_ok=True)
    if args.quick:
        big, small = common.make_quick_dataset(args.data, args.quick_mib, 10)
        big_label, small_label = f"{args.quick_mib} MiB file", "1,000 files 1-64 KiB"
    else:
        big, small = common.make_dataset(args.data)
        big_label, small_label = "1 GiB file", "10,000 files 1-64 KiB"
    common.warm(big, small)
    names = {"up-big": f"{big_label} local→S3", "up-small": f"{small_label} local→S3",
             "down-big": f"{big_label} S3→local", "down-small": f"{small_label} S3→local",
             "noop": f"no-op sync {small_label.split(' files')[0]} files"}
    work = os.path.join(args.data, "s3work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rows = []
    with common.S3rver(os.path.join(args.data, "s3rver")) as server:
        print(f"bench: s3rver on {server.endpoint} (pid {server.pid})", file=sys.stderr, flush=True)
        bench = Bench(args, server, work)
        plan = [("up-big", lambda: bench.upload_case(names["up-big"], "big", big)),
                ("up-small", lambda: bench.upload_case(names["up-small"], "small", small)),
                ("down-big", lambda: bench.download_case(names["down-big"], "big", big)),
                ("down-small", lambda: bench.download_case(names["down-small"], "small", small)),
                ("noop", lambda: bench.noop_case(names["noop"], small))]
        for key, run in plan:
            if key in cases:
                rows += run()
    shutil.rmtree(os.path.join(args.data, "s3rver"), ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        os.remove(os.path.join(args.data, "s3rver") + ".log")
    shutil.rmtree(work, ignore_errors=True)

    header = ["case", "tool", f"wall s (median of {args.runs})", "client CPU s (user+sys)",
              "server CPU s", "client peak RSS MiB"]
    common.print_result_table(header, rows, ["{:.2f}", "{:.2f}", "{:.2f}", "{:.1f}"])
    common.print_targets(checks(rows, names))


if __name__ == "__main__":
    main()
