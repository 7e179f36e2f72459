#!/usr/bin/env python3
"""Local <-> S3 benchmark: cvclone against rclone and the AWS CLI on a private S3 server in one run.

--server picks the server, started on a free port of 127.0.0.1 and stopped at the end:
  s3rver  (default) tests/servers/start-s3rver, directly (no signature front), its buckets in
          DATA/s3rver (wiped at start and at the end)
  rgw     Ceph's RADOS Gateway, a real S3 server: tests/servers/start-rgw in a fresh folder under
          /tmp (removed at the end), a single-node cluster whose OSD keeps the objects in memory;
          each bucket no later case reads is deleted as soon as it is done with (not measured)
Both cvclone and rclone use one generated config file (rclone.conf syntax, an [s3] remote with
provider Other and the server's key); the AWS CLI gets --endpoint-url and the same key. Cases
(--cases, comma-separated):
  up-big     local -> S3, the 1 GiB file          (cvclone copy, rclone copy, aws s3 cp --recursive)
  up-small   local -> S3, the 10,000 small files  (same tools)
  down-big   S3 -> local, the 1 GiB file          (same tools; all read one bucket written by rclone)
  down-small S3 -> local, the 10,000 small files
  noop       sync of the 10,000 files onto the bucket each tool uploaded them to, nothing to do
             (cvclone sync default / --checksum / --size-only, the same for rclone, aws s3 sync)
Each upload goes into a fresh bucket (created beforehand with the AWS CLI, not measured), each
download into a fresh local folder. Columns: median wall time, client CPU (user+sys of the
client's process tree), the server's CPU during the run (/proc/<pid>/stat utime+stime delta;
RGW: its monitor, OSD and radosgw together), client peak RSS. --quick uses a subset (--quick-mib
MiB of the big file, 1,000 small files) to test the script. A failing command is reported as
"failed" and the run goes on. The server is stopped and the folders removed on Ctrl-C and SIGTERM
too.

--before BIN measures a second cvclone binary beside the first in the same rounds (rows
"cvclone-before ..."; the targets then include after/before ratios), --no-peers leaves out
rclone and the AWS CLI: together, an A/B of a change.

Usage: bench/bench_s3.py [--server s3rver|rgw] [--runs 1] [--quick [--quick-mib 100]]
                         [--cases up-big,up-small,down-big,down-small,noop]
                         [--data DIR] [--cvclone build/cvclone] [--before BIN] [--no-peers]
"""
import contextlib
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ALL_CASES = "up-big,up-small,down-big,down-small,noop"


def families(args):
    """The tool families measured: cvclone, cvclone-before with --before, and the peers unless
    --no-peers."""
    out = ["cvclone"] + (["cvclone-before"] if args.before else [])
    return out + ([] if args.no_peers else ["rclone", "aws"])


def buckets_read(cases, measured):
    """The (data set, tool family) uploads that the given cases read: the downloads read
    rclone's (the first cvclone's without peers), the no-op sync each measured family's small
    files."""
    source = "rclone" if "rclone" in measured else "cvclone"
    needed = set()
    if "down-big" in cases:
        needed.add(("big", source))
    if "down-small" in cases:
        needed.add(("small", source))
    if "noop" in cases:
        needed.update(("small", family) for family in measured)
    return needed


def tree_bytes(folder):
    return sum(os.path.getsize(os.path.join(d, name))
               for d, _, files in os.walk(folder) for name in files)


class Bench:
    def __init__(self, args, server, work):
        self.args = args
        self.server = server
        self.work = work
        self.conf = os.path.join(work, "bench.conf")
        with open(self.conf, "w") as f:
            f.write(common.s3_remote_section("s3", server.endpoint, server.access_key,
                                             server.secret_key))
        self.rclone_env = common.rclone_env()
        self.aws_env = common.aws_env(work, server.access_key, server.secret_key)
        self.bucket_count = 0
        self.families = families(args)
        self.binaries = {"cvclone": args.cvclone, "cvclone-before": args.before}
        # Buckets holding a complete upload, by (data set, tool family), for later cases.
        self.uploaded = {}
        # The cases still to run after the current one (set by main).
        self.later = []

    def bucket_inputs(self, buckets):
        """The local folders where the server keeps these buckets (see common.settle)."""
        return tuple(folder for b in buckets for folder in self.server.bucket_folders(b))

    def release_unread(self):
        """Releases the uploads no later case reads (see the servers' release_bucket). Nothing
        after the last case: the server goes with everything it holds."""
        if not self.later:
            return
        needed = buckets_read(self.later, self.families)
        for key in [k for k in self.uploaded if k not in needed]:
            self.server.release_bucket(self.uploaded.pop(key))

    def new_bucket(self, prefix):
        self.bucket_count += 1
        name = f"{prefix}-{self.bucket_count}"
        common.run_quiet(self.aws(["s3", "mb", f"s3://{name}"]), self.aws_env)
        return name

    def aws(self, args):
        """The AWS CLI on the server; cp and sync print errors only (no per-file lines)."""
        quiet = ["--only-show-errors"] if args[:2] in (["s3", "cp"], ["s3", "sync"]) else []
        return ["aws", "--endpoint-url", self.server.endpoint] + args + quiet

    def cv(self, args, family="cvclone"):
        return [self.binaries[family], "--config", self.conf] + args

    def rc(self, args):
        return ["rclone", "--config", self.conf] + args

    def copy_tools(self, src, dst, download):
        """{tool: (family, argv, env)} for a copy; src/dst are a local folder and a bucket."""
        src_url, dst_url = (f"s3://{src}", dst) if download else (src, f"s3://{dst}")
        src_arg, dst_arg = (f"s3:{src}", dst) if download else (src, f"s3:{dst}")
        tools = {}
        for family in self.families:
            if family.startswith("cvclone"):
                tools[f"{family} copy"] = (family, self.cv(["copy", src_arg, dst_arg], family), None)
            elif family == "rclone":
                tools["rclone copy"] = ("rclone", self.rc(["copy", src_arg, dst_arg]),
                                        self.rclone_env)
            else:
                tools["aws s3 cp --recursive"] = (
                    "aws", self.aws(["s3", "cp", "--recursive", src_url, dst_url]), self.aws_env)
        return tools

    def sync_tools(self, src, buckets):
        """{tool: (family, argv, env)} for the no-op sync onto each family's bucket."""
        tools = {}
        for family in self.families:
            bucket = buckets[family]
            if family == "aws":
                tools["aws s3 sync"] = ("aws", self.aws(["s3", "sync", src, f"s3://{bucket}"]),
                                        self.aws_env)
                continue
            for flags in ([], ["--checksum"], ["--size-only"]):
                tool = " ".join([family, "sync"] + flags)
                if family == "rclone":
                    tools[tool] = (family, self.rc(["sync"] + flags + [src, f"s3:{bucket}"]),
                                   self.rclone_env)
                else:
                    tools[tool] = (family, self.cv(["sync"] + flags + [src, f"s3:{bucket}"],
                                                   family), None)
        return tools

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
        """local -> fresh bucket per tool and run; remembers each family's first complete upload
        when a later case reads it, and releases the other buckets at once."""
        names = list(self.copy_tools(src, "B", False))
        buckets = {}
        needed = buckets_read(self.later, self.families)

        def one_run(r, tool):
            bucket = self.new_bucket(f"up-{key}")
            family, argv, env = self.copy_tools(src, bucket, False)[tool]
            result = self.measure(tool, argv, env, (src,))
            if result is not None and (key, family) in needed and (key, family) not in buckets:
                buckets[(key, family)] = bucket
            else:
                self.server.release_bucket(bucket)
            return result
        rows = common.rounds(case, names, self.args.runs, one_run)
        self.uploaded.update(buckets)
        return rows

    def seeded_bucket(self, key, family, src):
        """A bucket with src uploaded by family's tool: the upload case's, or a new one."""
        if (key, family) not in self.uploaded:
            bucket = self.new_bucket(f"seed-{key}-{family}")
            tool = "aws s3 cp --recursive" if family == "aws" else f"{family} copy"
            _, argv, env = self.copy_tools(src, bucket, False)[tool]
            common.run_quiet(argv, env)
            self.uploaded[(key, family)] = bucket
        return self.uploaded[(key, family)]

    def download_case(self, case, key, src):
        """Every tool reads the same bucket (written by rclone, or by cvclone with --no-peers)
        into a fresh local folder. Nothing is deleted until the script ends (see "Deletions" in
        common.py)."""
        bucket = self.seeded_bucket(key, "rclone" if "rclone" in self.families else "cvclone",
                                    src)
        out = os.path.join(self.work, f"out-{key}")
        os.makedirs(out)
        names = list(self.copy_tools(bucket, "D", True))

        def one_run(r, tool):
            dst = os.path.join(out, f"{r}-{names.index(tool)}")
            _, argv, env = self.copy_tools(bucket, dst, True)[tool]
            return self.measure(tool, argv, env, self.bucket_inputs((bucket,)))
        return common.rounds(case, names, self.args.runs, one_run)

    def noop_case(self, case, src):
        buckets = {family: self.seeded_bucket("small", family, src) for family in self.families}
        table = self.sync_tools(src, buckets)
        inputs = (src,) + self.bucket_inputs(buckets.values())

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


def before_checks(rows, names):
    """After/before ratios of wall time and client CPU for each cvclone row measured with
    --before (target: at most 5 % slower)."""
    by = {(r[0], r[1]): r[2:] for r in rows if len(r) > 2}
    out = []
    for case in names.values():
        for (c, tool) in list(by):
            if c != case or not tool.startswith("cvclone "):
                continue
            before = "cvclone-before " + tool[len("cvclone "):]
            for idx, what in ((0, "wall"), (1, "client CPU")):
                out.append((f"{case}: {tool} {what} after/before (target <= 1.05)",
                            common.ratio(by, case, tool, before, idx), 1.05))
    return out


def main():
    args = common.parse_args(__doc__, 1, ALL_CASES, server=True, before=True)
    server_class = common.S3_SERVERS[args.server]
    peers = () if args.no_peers else ("rclone", "aws")
    common.check_tools(peers + ("/usr/bin/time",) + server_class.tools, args.cvclone)
    if args.before:
        common.check_tools((), args.before)
    cases = args.cases.split(",")
    unknown = set(cases) - set(ALL_CASES.split(","))
    if unknown:
        sys.exit(f"bench: unknown cases {sorted(unknown)}; known: {ALL_CASES}")
    common.exit_on_signals()
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
    if args.server == "rgw":
        # Most held at once (objects in the OSD's memory): a kept big upload and one being
        # made, or that and the small files' three kept uploads and one being made; plus room
        # for the metadata and below the OSD's full ratio.
        big_bytes, small_bytes = tree_bytes(big), tree_bytes(small)
        server = common.RGW(max(2 * big_bytes, big_bytes + 4 * small_bytes) + (1 << 30))
    else:
        server = common.S3rver(os.path.join(args.data, "s3rver"))
    work = os.path.join(args.data, "s3work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rows = []
    try:
        with server:
            print(f"bench: {server.name} on {server.endpoint} (pids "
                  f"{' '.join(map(str, server.pids))})", file=sys.stderr, flush=True)
            bench = Bench(args, server, work)
            plan = {"up-big": lambda: bench.upload_case(names["up-big"], "big", big),
                    "up-small": lambda: bench.upload_case(names["up-small"], "small", small),
                    "down-big": lambda: bench.download_case(names["down-big"], "big", big),
                    "down-small": lambda: bench.download_case(names["down-small"], "small", small),
                    "noop": lambda: bench.noop_case(names["noop"], small)}
            todo = [key for key in ALL_CASES.split(",") if key in cases]
            for i, key in enumerate(todo):
                bench.later = todo[i + 1:]
                rows += plan[key]()
                bench.release_unread()
    finally:
        if args.server == "s3rver":
            shutil.rmtree(server.data_dir, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                os.remove(server.data_dir + ".log")
        shutil.rmtree(work, ignore_errors=True)

    header = ["case", "tool", f"wall s (median of {args.runs})", "client CPU s (user+sys)",
              server.cpu_label, "client peak RSS MiB"]
    common.print_result_table(header, rows, ["{:.2f}", "{:.2f}", "{:.2f}", "{:.1f}"])
    common.print_targets(checks(rows, names) + (before_checks(rows, names) if args.before else []))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the server is stopped and the folders removed by then
        print("bench: interrupted", file=sys.stderr)
        sys.exit(130)
