#!/usr/bin/env python3
"""Crypt benchmark: cvclone against rclone copying into and out of identically configured crypt
remotes, in one run.

Both tools use one generated config file (rclone.conf syntax): [cryptlocal] (type crypt over a
local folder) and [crypts3] (type crypt over an [s3] remote on a private s3rver, started only when
an S3 case is selected, its buckets in DATA/s3rver, wiped at start and end), with the same
password obscured by `rclone obscure`. Cases (--cases, comma-separated):
  enc-local-big / enc-local-small  local -> crypt(local), into a fresh subfolder per tool and run
  dec-local-big / dec-local-small  crypt(local) -> local: both tools read the same encrypted tree,
                                   written once beforehand by cvclone (not measured)
  enc-s3-big / enc-s3-small        local -> crypt(S3), a fresh subfolder of one bucket per run
  enc-s3-mid                       the same for a 256 MiB file (the 1 GiB file's first 256 MiB),
                                   uploaded in parts too: with enc-s3-big it shows whether peak
                                   memory grows with the file's size
"big" is the 1 GiB file, "small" the 10,000 files of 1-64 KiB. Rows: cvclone copy, cvclone copy
--local-no-fsync (local destinations; rclone does not fsync), rclone copy. Columns: median wall
time, CPU (user+sys of the client's process tree), peak RSS, and for S3 cases s3rver's CPU.
--quick uses a subset (--quick-mib MiB, 1,000 small files) to test the script. A failing command
is reported as "failed" and the run goes on.

Usage: bench/bench_crypt.py [--runs 3] [--quick] [--cases enc-local-big,...] [--data DIR]
                            [--cvclone build/cvclone]
"""
import contextlib
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ALL_CASES = ("enc-local-big,enc-local-small,dec-local-big,dec-local-small,enc-s3-big,enc-s3-small,"
             "enc-s3-mid")
PASSWORD = "cvclone bench password"
CRYPT_BUCKET = "cryptbench"


class Bench:
    def __init__(self, args, work, server):
        self.args = args
        self.work = work
        self.server = server
        self.conf = os.path.join(work, "bench.conf")
        self.inner = os.path.join(work, "cryptlocal")
        os.makedirs(self.inner)
        obscured = common.rclone_obscure(PASSWORD)
        text = f"[cryptlocal]\ntype = crypt\nremote = {self.inner}\npassword = {obscured}\n\n"
        if server is not None:
            text += common.s3_remote_section("s3", server.endpoint)
            text += f"[crypts3]\ntype = crypt\nremote = s3:{CRYPT_BUCKET}\npassword = {obscured}\n\n"
            common.run_quiet(["aws", "--endpoint-url", server.endpoint, "s3", "mb",
                              f"s3://{CRYPT_BUCKET}"], common.aws_env(work))
        with open(self.conf, "w") as f:
            f.write(text)
        self.rclone_env = common.rclone_env()
        self.encrypted = {}  # data set key -> cryptlocal subfolder written by cvclone

    def tools(self, src, dst, local_dst):
        """{tool: (argv, env)} copying src to dst (remote:path or a local folder)."""
        cv = [self.args.cvclone, "--config", self.conf, "copy"]
        table = {"cvclone copy": (cv + [src, dst], None)}
        if local_dst:
            table["cvclone copy --local-no-fsync"] = (cv + ["--local-no-fsync", src, dst], None)
        table["rclone copy"] = (["rclone", "--config", self.conf, "copy", src, dst], self.rclone_env)
        return table

    def measure(self, tool, argv, env, on_s3, inputs):
        """(wall, cpu, rss, server cpu or None), or None if the command failed."""
        server_before = self.server.cpu_seconds() if on_s3 else None
        try:
            wall, cpu, rss = common.measure_with_rss(argv, env, inputs)
        except RuntimeError as e:
            print(f"  {tool}: FAILED: {e}", file=sys.stderr, flush=True)
            return None
        server = self.server.cpu_seconds() - server_before if on_s3 else None
        return wall, cpu, rss, server

    def run(self, case, src, dst_of, local_dst, inputs):
        """dst_of(run, tool index) -> destination; every tool copies src there. inputs: the
        folders the copy reads (see common.settle)."""
        names = list(self.tools(src, "D", local_dst))

        def one_run(r, tool):
            argv, env = self.tools(src, dst_of(r, names.index(tool)), local_dst)[tool]
            return self.measure(tool, argv, env, not local_dst, inputs)
        return common.rounds(case, names, self.args.runs, one_run)

    def encrypt_local(self, case, key, src):
        # The copies stay until the script ends (see "Deletions" in common.py).
        return self.run(case, src, lambda r, i: f"cryptlocal:enc-{key}-{r}-{i}", True, (src,))

    def decrypt_local(self, case, key, src):
        if key not in self.encrypted:
            # The encrypted tree lives in one subfolder of the inner folder; find it by listing
            # the inner folder before and after (its name is encrypted).
            before = set(os.listdir(self.inner))
            common.run_quiet([self.args.cvclone, "--config", self.conf, "copy", src,
                              f"cryptlocal:src-{key}"])
            self.encrypted[key] = (set(os.listdir(self.inner)) - before).pop()
        out = os.path.join(self.work, f"out-{key}")
        os.makedirs(out)
        return self.run(case, f"cryptlocal:src-{key}", lambda r, i: os.path.join(out, f"{r}-{i}"),
                        True, (os.path.join(self.inner, self.encrypted[key]),))

    def encrypt_s3(self, case, key, src):
        return self.run(case, src, lambda r, i: f"crypts3:enc-{key}-{r}-{i}", False, (src,))


def make_mid_file(data, big, mib):
    """A folder data/mid-<mib> holding the first mib MiB of the big file (made once)."""
    folder = os.path.join(data, f"mid-{mib}")
    marker = folder + ".done"
    if not os.path.exists(marker):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        common.copy_prefix(os.path.join(big, os.listdir(big)[0]),
                           os.path.join(folder, f"file{mib}m.bin"), mib)
        open(marker, "w").close()
    return folder


def checks(rows, names):
    by = {(r[0], r[1]): r[2:] for r in rows if len(r) > 2}
    out = []
    for kind in ("enc-local", "dec-local", "enc-s3"):
        for size, limit in (("big", 0.3), ("small", 0.5)):
            case = names.get(f"{kind}-{size}")
            for tool in ("cvclone copy", "cvclone copy --local-no-fsync"):
                out.append((f"{case}: {tool} wall vs rclone (target <= {limit})",
                            common.ratio(by, case, tool, "rclone copy", 0), limit))
        big, small = names.get(f"{kind}-big"), names.get(f"{kind}-small")
        if kind == "enc-s3":
            # Above upload_cutoff both files go up in parts from a fixed pool of part buffers:
            # memory is flat in the file's size if the 4x larger file needs no more of it.
            mid = names.get("enc-s3-mid")
            out.append((f"{kind}: cvclone copy peak RSS {big} / {mid} (memory flat: <= 1.1)",
                        common.ratio_across(by, big, mid, "cvclone copy", 2), 1.1))
            out.append((f"{kind}: cvclone copy peak RSS big file / small files (informative)",
                        common.ratio_across(by, big, small, "cvclone copy", 2), float("inf")))
        else:
            out.append((f"{kind}: cvclone copy peak RSS big file / small files (memory flat: <= 1.5)",
                        common.ratio_across(by, big, small, "cvclone copy", 2), 1.5))
        out.append((f"{big}: peak RSS vs rclone (informative)",
                    common.ratio(by, big, "cvclone copy", "rclone copy", 2), float("inf")))
    return out


def main():
    args = common.parse_args(__doc__, 3, ALL_CASES)
    cases = args.cases.split(",")
    unknown = set(cases) - set(ALL_CASES.split(","))
    if unknown:
        sys.exit(f"bench: unknown cases {sorted(unknown)}; known: {ALL_CASES}")
    need_s3 = any(c.startswith("enc-s3") for c in cases)
    common.check_tools(("rclone", "/usr/bin/time") + (("aws", "node") if need_s3 else ()),
                       args.cvclone)
    os.makedirs(args.data, exist_ok=True)
    if args.quick:
        big, small = common.make_quick_dataset(args.data, args.quick_mib, 10)
        mid_mib = max(1, args.quick_mib // 4)
        labels = {"big": f"{args.quick_mib} MiB file", "small": "1,000 files 1-64 KiB",
                  "mid": f"{mid_mib} MiB file"}
    else:
        big, small = common.make_dataset(args.data)
        mid_mib = 256
        labels = {"big": "1 GiB file", "small": "10,000 files 1-64 KiB", "mid": "256 MiB file"}
    mid = make_mid_file(args.data, big, mid_mib) if "enc-s3-mid" in cases else None
    common.warm(big, small)
    srcs = {"big": big, "small": small, "mid": mid}
    arrows = {"enc-local": "local→crypt(local)", "dec-local": "crypt(local)→local",
              "enc-s3": "local→crypt(S3)"}
    names = {f"{k}-{s}": f"{labels[s]} {a}" for k, a in arrows.items() for s in ("big", "small")}
    names["enc-s3-mid"] = f"{labels['mid']} {arrows['enc-s3']}"
    work = os.path.join(args.data, "cryptwork")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rows = []
    s3dir = os.path.join(args.data, "s3rver")
    with (common.S3rver(s3dir) if need_s3 else contextlib.nullcontext()) as server:
        if server is not None:
            print(f"bench: s3rver on {server.endpoint} (pid {server.pid})", file=sys.stderr, flush=True)
        bench = Bench(args, work, server)
        steps = {"enc-local": bench.encrypt_local, "dec-local": bench.decrypt_local,
                 "enc-s3": bench.encrypt_s3}
        for case in ALL_CASES.split(","):
            if case in cases:
                kind, size = case.rsplit("-", 1)
                rows += steps[kind](names[case], size, srcs[size])
    if need_s3:
        shutil.rmtree(s3dir, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.remove(s3dir + ".log")
    shutil.rmtree(work, ignore_errors=True)

    header = ["case", "tool", f"wall s (median of {args.runs})", "CPU s (user+sys)",
              "peak RSS MiB", "s3rver CPU s"]
    common.print_result_table(header, rows, ["{:.2f}", "{:.2f}", "{:.1f}", "{:.2f}"])
    common.print_targets(checks(rows, names))


if __name__ == "__main__":
    main()
