#!/usr/bin/env python3
"""encfs migration benchmark: cvclone reading an encfs volume straight into crypt, against the way
without it (mount the volume with encfs, then `rclone copy` from the mount into an rclone crypt
remote), in one run.

The volumes are made once under DATA (encfs-big/, encfs-small/: `encfs --standard`, the data set
copied in through the mount). One generated config file (rclone.conf syntax) serves both tools:
[encfs] (type encfs over the cipher folder), [cryptlocal] (crypt over a local folder) and
[crypts3] (crypt over an [s3] remote on a private S3 server, started only when an S3 case is
selected), with one password obscured by `rclone obscure`. --server picks the server: s3rver
(default; its buckets in DATA/s3rver, wiped at start and end) or rgw (Ceph's RADOS Gateway,
tests/servers/start-rgw, objects in memory: see common.RGW), as in bench_s3.py. Cases (--cases,
comma-separated):
  local-big / local-small   encfs(local) -> crypt(local), a fresh subfolder per tool and run
  s3-big / s3-small         encfs(local) -> crypt(S3), a fresh bucket per tool and run, released
                            (RGW: deleted) after it
"big" is the 1 GiB file, "small" the 10,000 files of 1-64 KiB. Rows: cvclone copy, cvclone copy
--local-no-fsync (local destinations; rclone does not fsync), encfs mount + rclone copy (one
shell command: encfs in the foreground as its child, so that its CPU counts; rclone copy; then
fusermount3 -u; the mount's readiness is polled with mountpoint every 10 ms). Columns: median
wall time, CPU (user+sys of the process tree), peak RSS of the largest process, and for S3 cases
the server's CPU (RGW: monitor, OSD and radosgw). --quick uses a subset (--quick-mib MiB, 1,000 small files) to test the script.

Usage: bench/bench_encfs.py [--runs 3] [--quick] [--cases local-big,...] [--data DIR]
                            [--cvclone build/cvclone] [--server s3rver|rgw]
"""
import contextlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ALL_CASES = "local-big,local-small,s3-big,s3-small"
PASSWORD = "cvclone bench password"
CRYPT_BUCKET = "encfsbench"
SEED_TOOL = "encfs mount + rclone copy"

# The way without cvclone, as one command: $1 cipher folder, $2 mount point, $3 destination,
# $4 config; the password in $BENCH_ENCFS_PASSWORD (encfs runs --extpass with /bin/sh -c).
SEED_SCRIPT = r"""
encfs -f --extpass='printf %s "$BENCH_ENCFS_PASSWORD"' "$1" "$2" 2>/dev/null &
pid=$!
until mountpoint -q "$2"; do
  kill -0 "$pid" 2>/dev/null || exit 90
  sleep 0.01
done
rc=0
rclone --config "$4" copy "$2" "$3" || rc=$?
fusermount3 -u "$2" || rc=91
wait "$pid" || true
exit "$rc"
"""


def make_volume(data, key, src):
    """The cipher folder of an `encfs --standard` volume holding src's tree (made once)."""
    folder = os.path.join(data, f"encfs-{key}")
    marker = folder + ".done"
    cipher, mnt = os.path.join(folder, "cipher"), os.path.join(folder, "mnt")
    if not os.path.exists(marker):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(cipher)
        os.makedirs(mnt)
        env = dict(os.environ, BENCH_ENCFS_PASSWORD=PASSWORD)
        print(f"bench: making the encfs volume {folder}", file=sys.stderr, flush=True)
        subprocess.run(["encfs", "--standard",
                        "--extpass=printf %s \"$BENCH_ENCFS_PASSWORD\"", cipher, mnt],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        try:
            subprocess.run(["cp", "-r", src + "/.", mnt], check=True)
        finally:
            subprocess.run(["fusermount3", "-u", mnt], check=True)
        open(marker, "w").close()
    return cipher, mnt


class Bench:
    def __init__(self, args, work, server):
        self.args = args
        self.work = work
        self.server = server
        self.conf = os.path.join(work, "bench.conf")
        self.inner = os.path.join(work, "cryptlocal")
        os.makedirs(self.inner)
        self.obscured = common.rclone_obscure(PASSWORD)
        self.volumes = {}
        self.rclone_env = common.rclone_env()
        self.rclone_env["BENCH_ENCFS_PASSWORD"] = PASSWORD

    def make_bucket(self, bucket):
        common.run_quiet(["aws", "--endpoint-url", self.server.endpoint, "s3", "mb",
                          f"s3://{bucket}"],
                         common.aws_env(self.work, self.server.access_key, self.server.secret_key))

    def write_config(self, cipher, bucket=None):
        """The config for the volume at cipher; [crypts3] over bucket when given."""
        text = (f"[encfs]\ntype = encfs\nremote = {cipher}\npassword = {self.obscured}\n\n"
                f"[cryptlocal]\ntype = crypt\nremote = {self.inner}\npassword = {self.obscured}\n\n")
        if bucket is not None:
            text += common.s3_remote_section("s3", self.server.endpoint, self.server.access_key,
                                             self.server.secret_key)
            text += (f"[crypts3]\ntype = crypt\nremote = s3:{bucket}\n"
                     f"password = {self.obscured}\n\n")
        with open(self.conf, "w") as f:
            f.write(text)

    def tools(self, cipher, mnt, dst, local_dst):
        """{tool: (argv, env)} migrating the volume to dst (a crypt remote:path)."""
        cv = [self.args.cvclone, "--config", self.conf, "copy"]
        table = {"cvclone copy": (cv + ["encfs:", dst], None)}
        if local_dst:
            table["cvclone copy --local-no-fsync"] = (cv + ["--local-no-fsync", "encfs:", dst], None)
        table[SEED_TOOL] = (["sh", "-c", SEED_SCRIPT, "sh", cipher, mnt, dst, self.conf],
                            self.rclone_env)
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

    def run(self, case, key, src, on_s3):
        cipher, mnt = make_volume(self.args.data, key, src)
        self.write_config(cipher)
        remote = "crypts3" if on_s3 else "cryptlocal"
        names = list(self.tools(cipher, mnt, "D", not on_s3))

        def one_run(r, tool):
            if not on_s3:
                dst = f"{remote}:mig-{key}-{r}-{names.index(tool)}"
                argv, env = self.tools(cipher, mnt, dst, True)[tool]
                return self.measure(tool, argv, env, False, (cipher,))
            bucket = f"{CRYPT_BUCKET}-{key}-{r}-{names.index(tool)}"
            self.make_bucket(bucket)
            self.write_config(cipher, bucket)
            argv, env = self.tools(cipher, mnt, f"{remote}:mig", False)[tool]
            try:
                return self.measure(tool, argv, env, True, (cipher,))
            finally:
                self.server.release_bucket(bucket)
        return common.rounds(case, names, self.args.runs, one_run)


def checks(rows, names):
    by = {(r[0], r[1]): r[2:] for r in rows if len(r) > 2}
    out = []
    for kind in ("local", "s3"):
        for size in ("big", "small"):
            case = names.get(f"{kind}-{size}")
            for tool in ("cvclone copy", "cvclone copy --local-no-fsync"):
                out.append((f"{case}: {tool} wall vs {SEED_TOOL} (target <= 0.3)",
                            common.ratio(by, case, tool, SEED_TOOL, 0), 0.3))
        big, small = names.get(f"{kind}-big"), names.get(f"{kind}-small")
        if kind == "s3":
            # Above upload_cutoff the big file goes up in parts from the S3 backend's fixed pool
            # of part buffers (bench_crypt.py's enc-s3-mid case shows that pool is flat in size).
            out.append((f"{kind}: cvclone copy peak RSS big file / small files (informative)",
                        common.ratio_across(by, big, small, "cvclone copy", 2), float("inf")))
        else:
            out.append((f"{kind}: cvclone copy peak RSS big file / small files "
                        "(memory flat: <= 1.5)",
                        common.ratio_across(by, big, small, "cvclone copy", 2), 1.5))
    return out


def main():
    args = common.parse_args(__doc__, 3, ALL_CASES, server=True)
    cases = args.cases.split(",")
    unknown = set(cases) - set(ALL_CASES.split(","))
    if unknown:
        sys.exit(f"bench: unknown cases {sorted(unknown)}; known: {ALL_CASES}")
    need_s3 = any(c.startswith("s3-") for c in cases)
    server_class = common.S3_SERVERS[args.server]
    common.check_tools(("rclone", "encfs", "fusermount3", "mountpoint", "/usr/bin/time")
                       + (("aws",) + server_class.tools if need_s3 else ()), args.cvclone)
    common.exit_on_signals()
    os.makedirs(args.data, exist_ok=True)
    if args.quick:
        big, small = common.make_quick_dataset(args.data, args.quick_mib, 10)
        labels = {"big": f"{args.quick_mib} MiB file", "small": "1,000 files 1-64 KiB"}
        keys = {"big": f"quick-big-{args.quick_mib}", "small": "quick-small"}
    else:
        big, small = common.make_dataset(args.data)
        labels = {"big": "1 GiB file", "small": "10,000 files 1-64 KiB"}
        keys = {"big": "big", "small": "small"}
    srcs = {"big": big, "small": small}
    arrows = {"local": "encfs(local)→crypt(local)", "s3": "encfs(local)→crypt(S3)"}
    names = {f"{k}-{s}": f"{labels[s]} {a}" for k, a in arrows.items() for s in ("big", "small")}
    work = os.path.join(args.data, "encfswork")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rows = []
    s3dir = os.path.join(args.data, "s3rver")
    if not need_s3:
        server = contextlib.nullcontext()
    elif args.server == "rgw":
        # One upload at a time is kept (released after each run): room for the big one, the
        # metadata, and below the OSD's full ratio.
        server = common.RGW(3 << 30)
    else:
        server = common.S3rver(s3dir)
    try:
        with server as server:
            if server is not None:
                print(f"bench: {server.name} on {server.endpoint} (pids "
                      f"{' '.join(map(str, server.pids))})", file=sys.stderr, flush=True)
            bench = Bench(args, work, server)
            for case in ALL_CASES.split(","):
                if case in cases:
                    kind, size = case.split("-")
                    rows += bench.run(names[case], keys[size], srcs[size], kind == "s3")
    finally:
        if need_s3 and args.server == "s3rver":
            shutil.rmtree(s3dir, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                os.remove(s3dir + ".log")
        shutil.rmtree(work, ignore_errors=True)

    header = ["case", "tool", f"wall s (median of {args.runs})", "CPU s (user+sys)",
              "peak RSS MiB", server_class.cpu_label]
    common.print_result_table(header, rows, ["{:.2f}", "{:.2f}", "{:.1f}", "{:.2f}"])
    common.print_targets(checks(rows, names))


if __name__ == "__main__":
    main()
