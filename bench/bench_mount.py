#!/usr/bin/env python3
"""Mount benchmark (issue 15): `cvclone mount` against `rclone mount` (--vfs-cache-mode writes)
over the same remote, and for crypt(local) also gocryptfs and encfs over a local ciphertext
folder, measured in one run.

Remotes (--remotes): local (a folder) and crypt-local (crypt over a folder; gocryptfs and encfs
join here, each over a folder of its own). Both cvclone and rclone read one generated config
file (rclone.conf syntax) and use --vfs-write-back 0s and a cache folder of their own. Each tool
gets a fresh backing folder and runs the cases in this order (--cases picks a subset):
  seq-write   the big file copied into the mount, until the backing folder holds all of it
              (stored: its ciphertext size reached), MiB/s
  seq-read    a fresh mount, the file read whole twice: cold (first) and warm (second), MiB/s
  rand-read   4 KiB reads at random offsets of the big file (2,000; one process), IOPS
  untar       a tar of the small files extracted into the mount, until all are stored, s
  ls-lR       a fresh mount, `ls -lR` of the extracted tree, s
and the peak RSS of the mount process over its cases. The read cases start from a cold cache:
each tool's cache folder is emptied before their mount, so the reads come from the remote
(crypt: decrypted) for every tool. rclone otherwise keeps a file written through its mount in
its VFS cache (plaintext, across remounts) and serves later reads from that copy; with
BENCH_MOUNT_FRESH_CACHE=0 the cache is left as the write left it, to measure that too. "big" is
the 1 GiB file, "small" the 10,000 files of 1-64 KiB; --quick uses a subset (--quick-mib MiB,
1,000 small files) to test the script. A failing tool is reported as "failed" and the run goes
on. The remotes measured: $BENCH_MOUNT_REMOTES (default local,crypt-local). With --runs N each
tool is measured N times (a fresh backing folder each time, the tools' order rotating from run
to run) and the table gives the medians.

Usage: [BENCH_MOUNT_REMOTES=local,crypt-local] [BENCH_MOUNT_FRESH_CACHE=0]
       bench/bench_mount.py [--quick] [--runs N] [--cases seq-write,...] [--data DIR]
                            [--cvclone build/cvclone]
"""
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ALL_CASES = "seq-write,seq-read,rand-read,untar,ls-lR"
PASSWORD = "cvclone bench password"
RANDOM_READS = 2000


def cipher_size(tool, n):
    """Bytes a file of n bytes takes in the backing folder of tool's crypt."""
    if tool in ("cvclone", "rclone"):  # rclone's crypt format: header, 64 KiB blocks + 16
        return 32 + n + 16 * ((n + 65535) // 65536)
    if tool == "gocryptfs":  # 18-byte header, 4 KiB blocks + 32
        return 0 if n == 0 else 18 + n + 32 * ((n + 4095) // 4096)
    return n + 8 if n else 0  # encfs --standard: an 8-byte IV header


def wait_for(cond, limit=3600):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return False


def is_mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


def daemon_pid(mnt):
    """The PID of the process serving mnt (its command line names it)."""
    out = subprocess.run(["pgrep", "-f", mnt], capture_output=True, text=True).stdout.split()
    pids = [int(p) for p in out if int(p) != os.getpid()]
    return min(pids) if pids else None


def peak_rss_mib(pid):
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return None


def count_files(folder, skip=("gocryptfs.conf", "gocryptfs.diriv", ".encfs6.xml")):
    n = 0
    for _root, _dirs, files in os.walk(folder):
        n += sum(1 for f in files if f not in skip and ".partial" not in f and not f.startswith("."))
    return n


class Tool:
    """One peer mounting one remote kind over a fresh backing folder."""

    def __init__(self, name, remote, args, work):
        self.name, self.remote, self.args = name, remote, args
        self.dir = os.path.join(work, f"{remote}-{name}")
        self.store = os.path.join(self.dir, "store")
        self.mnt = os.path.join(self.dir, "mnt")
        self.cache = os.path.join(self.dir, "cache")
        for d in (self.store, self.mnt, self.cache):
            os.makedirs(d)
        self.conf = os.path.join(work, f"{remote}-{name}.conf")
        self.pid = None
        self.peak = 0.0
        if name == "gocryptfs":
            common.run_quiet(["gocryptfs", "-q", "-init", "-extpass", f"echo {PASSWORD}",
                              self.store])

    def mount(self):
        remote = self.store if self.remote == "local" else "c:"
        env = common.rclone_env()
        env["RCLONE_CONFIG"] = self.conf
        env["CVCLONE_CONFIG"] = self.conf
        if self.name == "cvclone":
            cmd = [self.args.cvclone, "mount", remote, self.mnt, "--daemon", "--cache-dir",
                   self.cache, "--vfs-write-back", "0s"]
        elif self.name == "rclone":
            cmd = ["rclone", "mount", remote, self.mnt, "--daemon", "--cache-dir", self.cache,
                   "--vfs-cache-mode", "writes", "--vfs-write-back", "0s"]
        elif self.name == "gocryptfs":
            cmd = ["gocryptfs", "-q", "-extpass", f"echo {PASSWORD}", self.store, self.mnt]
        else:
            cmd = ["encfs", "--standard", f"--extpass=echo {PASSWORD}", self.store, self.mnt]
        if self.name == "cvclone" or self.name == "rclone":
            if self.remote == "crypt-local":
                self.write_store_conf()
        common.run_quiet(cmd, env)
        if not wait_for(lambda: is_mounted(self.mnt), 60):
            raise RuntimeError(f"{self.name}: {self.mnt} did not mount")
        self.pid = daemon_pid(self.mnt)

    def write_store_conf(self):
        obscured = common.rclone_obscure(PASSWORD)
        with open(self.conf, "w") as f:
            f.write(f"[c]\ntype = crypt\nremote = {self.store}\npassword = {obscured}\n")

    def unmount(self):
        if self.pid is not None:
            self.peak = max(self.peak, peak_rss_mib(self.pid) or 0.0)
        subprocess.run(["fusermount3", "-u", self.mnt], stderr=subprocess.DEVNULL)
        if self.pid is not None:
            wait_for(lambda: not os.path.exists(f"/proc/{self.pid}"), 600)
        self.pid = None

    def stored_size(self, rel):
        """Size of rel's backing file (encrypted names: the only file of the folder's top)."""
        if self.remote == "local":
            path = os.path.join(self.store, rel)
            return os.path.getsize(path) if os.path.exists(path) else -1
        names = [n for n in os.listdir(self.store) if n not in ("gocryptfs.conf",
                 "gocryptfs.diriv", ".encfs6.xml") and ".partial" not in n]
        return os.path.getsize(os.path.join(self.store, names[0])) if len(names) == 1 else -1

    def expected_size(self, n):
        return n if self.remote == "local" else cipher_size(self.name, n)


def timed(fn):
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def read_all(path):
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 20):
            pass


def run_tool(tool, cases, big, tarball, n_small):
    """{case: value} for one tool; raises on failure."""
    out = {}
    size = os.path.getsize(big)
    mib = size / (1 << 20)
    tool.mount()
    target = os.path.join(tool.mnt, "big.bin")
    common.settle()
    t = timed(lambda: (shutil.copyfile(big, target),
                       wait_for(lambda: tool.stored_size("big.bin") == tool.expected_size(size))))
    if "seq-write" in cases:
        out["seq-write MiB/s"] = mib / t
    tool.unmount()
    if "seq-read" in cases or "rand-read" in cases:
        if os.environ.get("BENCH_MOUNT_FRESH_CACHE", "1") != "0":
            shutil.rmtree(tool.cache)
            os.makedirs(tool.cache)
        tool.mount()
        common.settle()
        cold = timed(lambda: read_all(target))
        warm = timed(lambda: read_all(target))
        if "seq-read" in cases:
            out["seq-read cold MiB/s"] = mib / cold
            out["seq-read warm MiB/s"] = mib / warm
        if "rand-read" in cases:
            rng = random.Random(1)
            fd = os.open(target, os.O_RDONLY)
            try:
                t = timed(lambda: [os.pread(fd, 4096, rng.randrange(0, size - 4096))
                                   for _ in range(RANDOM_READS)])
            finally:
                os.close(fd)
            out["rand-read IOPS"] = RANDOM_READS / t
        tool.unmount()
    if "untar" in cases or "ls-lR" in cases:
        tool.mount()
        common.settle([os.path.dirname(tarball)])
        before = count_files(tool.store)
        t = timed(lambda: (subprocess.run(["tar", "xf", tarball, "-C", tool.mnt], check=True),
                           wait_for(lambda: count_files(tool.store) >= before + n_small)))
        if "untar" in cases:
            out["untar s"] = t
        tool.unmount()
        if "ls-lR" in cases:
            tool.mount()
            common.settle()
            out["ls-lR s"] = timed(lambda: subprocess.run(["ls", "-lR", tool.mnt], check=True,
                                                          stdout=subprocess.DEVNULL))
            tool.unmount()
    out["peak RSS MiB"] = tool.peak
    return out


def main():
    common.exit_on_signals()
    ap_args = common.parse_args(__doc__, 1, ALL_CASES)
    remotes = os.environ.get("BENCH_MOUNT_REMOTES", "local,crypt-local").split(",")
    cases = set(ap_args.cases.split(","))
    common.check_tools(["rclone", "fusermount3", "tar"], ap_args.cvclone)
    if ap_args.quick:
        big_dir, small = common.make_quick_dataset(ap_args.data, ap_args.quick_mib, 10)
    else:
        big_dir, small = common.make_dataset(ap_args.data)
    big = os.path.join(big_dir, os.listdir(big_dir)[0])
    n_small = count_files(small)
    os.makedirs(os.path.join(common.ROOT, "bench", "data"), exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-mount-", dir=os.path.join(common.ROOT, "bench", "data"))
    tarball = os.path.join(work, "small.tar")
    subprocess.run(["tar", "cf", tarball, "-C", os.path.dirname(small), os.path.basename(small)],
                   check=True)
    rows, by = [], {}
    columns = ["seq-write MiB/s", "seq-read cold MiB/s", "seq-read warm MiB/s", "rand-read IOPS",
               "untar s", "ls-lR s", "peak RSS MiB"]
    try:
        for remote in remotes:
            peers = ["cvclone", "rclone"]
            if remote == "crypt-local":
                peers += [p for p in ("gocryptfs", "encfs") if shutil.which(p)]
            samples = {name: [] for name in peers}
            failed = set()
            for run in range(ap_args.runs):
                # The order rotates each run, so that no tool always goes first.
                order = peers[run % len(peers):] + peers[:run % len(peers)]
                for name in order:
                    if name in failed:
                        continue
                    tool = Tool(name, remote, ap_args, os.path.join(work, f"run{run}"))
                    print(f"bench: run {run + 1}: {remote} {name}", file=sys.stderr, flush=True)
                    try:
                        samples[name].append(run_tool(tool, cases, big, tarball, n_small))
                    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
                        print(f"bench: {name} on {remote} failed: {e}", file=sys.stderr)
                        with contextlib.suppress(Exception):
                            tool.unmount()
                        failed.add(name)
                    shutil.rmtree(tool.dir, ignore_errors=True)
            for name in peers:
                if name in failed or not samples[name]:
                    rows.append((remote, name))
                    continue
                result = {c: statistics.median([r[c] for r in samples[name]])
                          for c in samples[name][0]}
                by[(remote, name)] = result
                rows.append((remote, name) + tuple(result.get(c) for c in columns))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Data: {os.path.basename(big)} ({os.path.getsize(big) >> 20} MiB), {n_small} small "
          f"files; command: {' '.join(sys.argv)}\n")
    common.print_result_table(["remote", "tool"] + columns, rows,
                              ["{:.0f}", "{:.0f}", "{:.0f}", "{:.0f}", "{:.2f}", "{:.2f}", "{:.0f}"])

    def r(remote, col, a, b, invert=False):
        x, y = by.get((remote, a), {}).get(col), by.get((remote, b), {}).get(col)
        if not x or not y:
            return None
        return x / y if invert else y / x

    items = []
    for remote in remotes:
        # Ratios as "cvclone's cost / peer's cost": at most the limit meets the target.
        items += [(f"{remote}: seq write, rclone's throughput / cvclone's", r(remote, "seq-write MiB/s", "cvclone", "rclone"), 0.5),
                  (f"{remote}: seq read cold, rclone's / cvclone's", r(remote, "seq-read cold MiB/s", "cvclone", "rclone"), 0.5),
                  (f"{remote}: random reads, rclone's IOPS / cvclone's", r(remote, "rand-read IOPS", "cvclone", "rclone"), 0.5),
                  (f"{remote}: untar, cvclone's time / rclone's", r(remote, "untar s", "cvclone", "rclone", True), 0.5),
                  (f"{remote}: peak RSS, cvclone's / rclone's", r(remote, "peak RSS MiB", "cvclone", "rclone", True), 0.5)]
    if "crypt-local" in remotes:
        items += [("crypt-local: seq write, gocryptfs's throughput / cvclone's",
                   r("crypt-local", "seq-write MiB/s", "cvclone", "gocryptfs"), 1.5),
                  ("crypt-local: seq read cold, gocryptfs's throughput / cvclone's",
                   r("crypt-local", "seq-read cold MiB/s", "cvclone", "gocryptfs"), 1.5)]
    common.print_targets(items)


if __name__ == "__main__":
    main()
