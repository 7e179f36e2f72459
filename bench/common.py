"""Helpers shared by the benchmark scripts: the data set, measuring a command, a private S3 server
(s3rver, or Ceph's RADOS Gateway), the shared rclone.conf-syntax config file, and the Markdown
output.

Measurements: wall time (monotonic clock), CPU time (user+sys of the measured process tree, from
RUSAGE_CHILDREN deltas) and peak RSS (from /usr/bin/time's %M: the measured process itself).
"""
import argparse
import contextlib
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVERS = os.path.join(ROOT, "tests", "servers")
# s3rver accepts only its own access key id; it never checks signatures.
S3RVER_KEY = "S3RVER"
S3RVER_SECRET = "S3RVER"
# The S3 user tests/servers/start-rgw creates (its defaults, passed to it explicitly).
RGW_KEY = "AKIACVCLONERGW000001"
RGW_SECRET = "cvclone/rgw+Secret=Key"
S3_REGION = "us-east-1"


def make_dataset(data):
    """Creates the data set once; a marker file beside each tree records that it is complete."""
    big = os.path.join(data, "big")
    small = os.path.join(data, "small")
    if not os.path.exists(big + ".done"):
        shutil.rmtree(big, ignore_errors=True)
        os.makedirs(big)
        with open(os.path.join(big, "file1g.bin"), "wb") as f:
            chunk = os.urandom(1 << 20)
            for i in range(1024):
                # Vary each MiB a little so no layer can deduplicate it.
                f.write(i.to_bytes(4, "little") + chunk[4:])
        open(big + ".done", "w").close()
    if not os.path.exists(small + ".done"):
        shutil.rmtree(small, ignore_errors=True)
        rng = random.Random(42)
        blob = os.urandom(64 << 10)
        for d in range(100):
            dirpath = os.path.join(small, f"dir{d:03d}")
            os.makedirs(dirpath)
            for i in range(100):
                size = rng.randint(1 << 10, 64 << 10)
                with open(os.path.join(dirpath, f"file{i:03d}.dat"), "wb") as f:
                    f.write(rng.randbytes(16) + blob[: size - 16])
        open(small + ".done", "w").close()
    return big, small


# Deletions: the scripts delete their copies only when they end. On a filesystem without a
# journal (this project's machines: ext4 without one), ext4 skips inodes freed in the last 60 s
# (300 s more while their inode table block is dirty) when it allocates one, scanning past each
# of them. Deleting 20,000 files before a case made the next 10,000-file copy here 2x slower
# (1.1-1.3 s -> 2.2 s for cvclone), whichever tool ran next. Start a script a minute or more after
# another one ended, for the same reason.


def warm(*trees):
    """Reads every file under the given folders once, so that every tool finds its source in the
    page cache (a file written with O_DIRECT, as cvclone writes large files, is not in it)."""
    for tree in trees:
        for dirpath, _, files in os.walk(tree):
            for name in files:
                with open(os.path.join(dirpath, name), "rb") as f:
                    while f.read(1 << 20):
                        pass


def copy_prefix(src, dst, mib):
    """Writes the first mib MiB of file src to dst."""
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for _ in range(mib):
            fout.write(fin.read(1 << 20))


def make_quick_dataset(data, big_mib=100, small_dirs=10):
    """A subset for testing the scripts (--quick): the first big_mib MiB of the 1 GiB file and the
    first small_dirs directories (100 files each) of the small files, hard-linked. Returns
    (big_dir, small_dir) under data/quick."""
    big, small = make_dataset(data)
    quick = os.path.join(data, "quick")
    qbig = os.path.join(quick, "big")
    qsmall = os.path.join(quick, "small")
    marker = os.path.join(quick, f"done-{big_mib}-{small_dirs}")
    if not os.path.exists(marker):
        shutil.rmtree(quick, ignore_errors=True)
        os.makedirs(qbig)
        copy_prefix(os.path.join(big, "file1g.bin"), os.path.join(qbig, f"file{big_mib}m.bin"),
                    big_mib)
        for d in sorted(os.listdir(small))[:small_dirs]:
            os.makedirs(os.path.join(qsmall, d))
            for name in os.listdir(os.path.join(small, d)):
                os.link(os.path.join(small, d, name), os.path.join(qsmall, d, name))
        open(marker, "w").close()
    return qbig, qsmall


# Memory handed to the measured command right before it starts (see settle): more than any of
# these commands puts in the page cache or allocates (1 GiB copies, 0.3 GiB of small files).
BALLAST_BYTES = 1536 << 20


def settle(inputs=()):
    """Brings the machine to the same state before every measured command (not timed):
    - Dirty pages left by the previous command are written back: otherwise their writeback
      lands on whichever tool runs next (seen: a 1 GiB decrypt 2.4x slower right after the
      1 GiB encrypt that produced its input, 0.8x of rclone's when measured after a sync).
    - The page cache is dropped and the command's inputs (folders) are read back into it.
    - Free memory is made recently used, the same amount for every command: a ballast file of
      BALLAST_BYTES is written into the page cache and deleted. This machine's kernel hands
      free memory back to the hypervisor (free page reporting, page_reporting_order on its
      command line) about 2 s after it was freed, and the first use of such a page costs a fault
      in the host. Measured here: writing 1 GiB into the page cache took 0.14 s of system time
      right after deleting a cached 1 GiB file, 2.4-3.2 s ten seconds later. Without the
      ballast, a command got cheap memory only if the command before it had left its output in
      the page cache (dropped just now): a 1 GiB decrypt into the page cache took 1.1-1.4 s of
      system time after a copy written with O_DIRECT, 0.3 s after one that was not.
    Needs root for the drop; otherwise the inputs are read and the ballast written anyway."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError:
        pass
    warm(*inputs)
    ballast = os.path.join(ROOT, "bench", "data", f"ballast-{os.getpid()}.tmp")
    os.makedirs(os.path.dirname(ballast), exist_ok=True)
    block = bytes(1 << 20)
    try:
        with open(ballast, "wb") as f:
            for _ in range(BALLAST_BYTES >> 20):
                f.write(block)
    finally:
        # Never written back: deleted before the kernel writes dirty pages (and on Ctrl-C).
        with contextlib.suppress(FileNotFoundError):
            os.remove(ballast)


def measure(cmd, env=None, inputs=()):
    """Runs cmd after settle(inputs), returns (wall seconds, cpu seconds of children)."""
    settle(inputs)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far; use /usr/bin/time for the exact one.
    return wall, cpu


def measure_with_rss(cmd, env=None, inputs=()):
    """measure() and the peak RSS (MiB) of the command itself."""
    timefile = f"/tmp/cvclone-bench-time-{os.getpid()}.txt"
    try:
        wall, cpu = measure(["/usr/bin/time", "-f", "%M", "-o", timefile] + cmd, env, inputs)
        with open(timefile) as f:
            rss_kib = int(f.read().strip().splitlines()[-1])
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(timefile)
    return wall, cpu, rss_kib / 1024.0


def run_quiet(cmd, env=None):
    """Runs an unmeasured preparation command; raises with its stderr on failure."""
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")


def rclone_env():
    """rclone 1.60 fails on plain-http endpoints when AWS_CA_BUNDLE is set."""
    env = dict(os.environ)
    env.pop("AWS_CA_BUNDLE", None)
    env["RCLONE_CONFIG"] = "/dev/null"
    return env


def aws_env(home, access_key=S3RVER_KEY, secret_key=S3RVER_SECRET):
    """The AWS CLI talking to a private server (default: s3rver's key): the given credentials, no
    user config, and checksums only where required (newer botocore otherwise sends aws-chunked
    bodies, which s3rver cannot decode; kept on RGW too, so that the CLI does the same work on
    both)."""
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("AWS_"):
            del env[key]
    env.update({
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_DEFAULT_REGION": S3_REGION,
        "AWS_CONFIG_FILE": os.path.join(home, "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "aws-credentials"),
        "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
        "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
    })
    return env


def process_cpu_seconds(pid):
    """utime+stime of one process (all its threads) from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def run_uninterrupted(cmd):
    """Runs cmd to its end with SIGINT ignored, by it and by this script (an ignored signal stays
    ignored in the child): a second Ctrl-C must not leave a server half stopped."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals cannot be changed, nor received
        return subprocess.run(cmd)
    try:
        return subprocess.run(cmd)
    finally:
        signal.signal(signal.SIGINT, previous)


def exit_on_signals():
    """SIGTERM and SIGHUP end the script as Ctrl-C does, through its `with` blocks and `finally`
    clauses, so that the servers it started are stopped and its folders removed (by default
    Python dies at once on them)."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)


class _Server:
    """What the S3 servers share: stopped on leaving the context; their endpoint; their CPU."""

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self):
        return sum(process_cpu_seconds(pid) for pid in self.pids)


class S3rver(_Server):
    """A private s3rver (tests/servers/start-s3rver) storing its buckets in data_dir, which is
    wiped first. Use as a context manager; stop() is idempotent.

    The interface the S3 benchmarks use, shared with RGW: name, cpu_label (a column header),
    tools (programs it needs), access_key / secret_key, endpoint, pids, cpu_seconds(),
    bucket_folders(bucket), release_bucket(bucket), stop()."""

    name = "s3rver"
    cpu_label = "s3rver CPU s"
    tools = ("node",)
    access_key = S3RVER_KEY
    secret_key = S3RVER_SECRET

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.pidfile = data_dir + ".pid"
        self.port = None
        self.pid = None

    def __enter__(self):
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        os.makedirs(os.path.dirname(self.data_dir), exist_ok=True)
        try:
            out = subprocess.run([os.path.join(SERVERS, "start-s3rver"), self.data_dir,
                                  self.pidfile],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"start-s3rver failed: {out.stderr[-1000:]}")
            self.port = int(out.stdout.strip().splitlines()[-1])
            with open(self.pidfile) as f:
                self.pid = int(f.read().strip())
        except BaseException:  # also Ctrl-C while it starts: the PID file is written first
            self.stop()
            raise
        return self

    @property
    def pids(self):
        return [self.pid]

    def bucket_folders(self, bucket):
        """The local folders holding a bucket's objects and their metadata, for settle()."""
        return (os.path.join(self.data_dir, bucket),)

    def release_bucket(self, bucket):
        """Nothing: the bucket's files stay until the script ends (see "Deletions" above)."""

    def stop(self):
        if os.path.exists(self.pidfile):
            run_uninterrupted([os.path.join(SERVERS, "stop-s3rver"), self.pidfile])
        self.pid = None


class RGW(_Server):
    """A private Ceph RADOS Gateway (tests/servers/start-rgw): a single-node cluster (monitor,
    OSD, radosgw) in a fresh folder under /tmp (a short path: Ceph's admin socket paths must stay
    under ~100 bytes), removed by stop(). Same interface as S3rver; cpu_seconds() is the three
    daemons' CPU. Use as a context manager; stop() is idempotent.

    The OSD keeps every object in memory (memstore), at most store_bytes (raised from
    start-rgw's 2 GiB when larger, through CEPH_ARGS, which every Ceph program adds to its
    command line). A full OSD does not fail writes, it holds them: a benchmark releases
    each bucket it no longer needs (release_bucket) and asks for more than it ever holds at once."""

    name = "RGW"
    cpu_label = "RGW CPU s (mon+OSD+radosgw)"
    tools = ("ceph", "ceph-mon", "ceph-osd", "radosgw", "radosgw-admin")
    access_key = RGW_KEY
    secret_key = RGW_SECRET
    # start-rgw's own memstore size. Seen: once the OSD is full, every write waits (an upload
    # still hung after 60 s), nothing fails.
    DEFAULT_STORE_BYTES = 2 << 30

    def __init__(self, store_bytes=DEFAULT_STORE_BYTES):
        self.store_bytes = max(store_bytes, self.DEFAULT_STORE_BYTES)
        self.work_dir = None
        self.port = None
        self.pids = []

    def __enter__(self):
        self.stop()
        self.work_dir = tempfile.mkdtemp(prefix="cvclone-bench-rgw-", dir="/tmp")
        env = self._env()
        env.update({"CEPH_ARGS": f"--memstore_device_bytes={self.store_bytes}",
                    "RGW_ACCESS_KEY": self.access_key, "RGW_SECRET_KEY": self.secret_key})
        try:
            out = subprocess.run([os.path.join(SERVERS, "start-rgw"), self.work_dir], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"start-rgw failed: {out.stderr[-2000:]}")
            self.port = int(out.stdout.strip().splitlines()[-1])
            with open(os.path.join(self.work_dir, "pids")) as f:
                self.pids = [int(line) for line in f.read().split()]
        except BaseException:  # also Ctrl-C while it starts: start-rgw writes each PID at once
            self.stop()
            raise
        return self

    @staticmethod
    def _env():
        """The environment without the caller's Ceph settings."""
        env = dict(os.environ)
        env.pop("CEPH_ARGS", None)
        env.pop("CEPH_CONF", None)
        return env


    def bucket_folders(self, bucket):
        """No folders: the objects are in the OSD's memory, not in files."""
        return ()

    def release_bucket(self, bucket):
        """Deletes the bucket and its objects and frees their memory now (radosgw-admin; an S3
        delete would leave large objects' data to garbage collection, two hours later)."""
        out = subprocess.run(["radosgw-admin", "-c", os.path.join(self.work_dir, "ceph.conf"),
                              "bucket", "rm", f"--bucket={bucket}", "--purge-objects",
                              "--bypass-gc"], env=self._env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"radosgw-admin bucket rm {bucket} failed ({out.returncode}): "
                               f"{out.stderr[-500:]}")

    def stop(self):
        if self.work_dir is None:
            return
        if run_uninterrupted([os.path.join(SERVERS, "stop-rgw"), self.work_dir]).returncode != 0:
            print(f"bench: stop-rgw {self.work_dir} failed; PIDs {self.pids} may still run",
                  file=sys.stderr, flush=True)
        shutil.rmtree(self.work_dir, ignore_errors=True)
        self.work_dir = None
        self.pids = []


# --server's choices.
S3_SERVERS = {"s3rver": S3rver, "rgw": RGW}


def s3_remote_section(name, endpoint, access_key=S3RVER_KEY, secret_key=S3RVER_SECRET):
    """A [name] section, rclone.conf syntax, for an S3 remote on a private server (default:
    s3rver's key), the same for both tools."""
    return (f"[{name}]\ntype = s3\nprovider = Other\naccess_key_id = {access_key}\n"
            f"secret_access_key = {secret_key}\nendpoint = {endpoint}\nregion = {S3_REGION}\n"
            f"force_path_style = true\n\n")


def rclone_obscure(password):
    out = subprocess.run(["rclone", "obscure", password], env=rclone_env(), check=True,
                         stdout=subprocess.PIPE, text=True)
    return out.stdout.strip()


def check_tools(names, cvclone):
    for tool in names:
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} is missing (run scripts/setup)")
    if not os.access(cvclone, os.X_OK):
        sys.exit(f"bench: {cvclone} not built (run scripts/build)")


def median_rows(case, samples):
    """samples: {tool: [tuple of numbers or None]} -> [(case, tool, medians...)] in insertion
    order (a column holding None has the median None), each row logged to stderr."""
    rows = []
    for tool, values in samples.items():
        if not values:
            continue
        columns = [[v[i] for v in values] for i in range(len(values[0]))]
        medians = tuple(None if None in c else statistics.median(c) for c in columns)
        rows.append((case, tool) + medians)
        print(f"  {case:<40} {tool:<30} "
              + "  ".join("       —" if m is None else f"{m:8.2f}" for m in medians),
              file=sys.stderr, flush=True)
    return rows


def ratio(by, case, a, b, idx):
    """by[(case, tool)] = tuple of medians; the ratio a/b of column idx, or None."""
    if (case, a) in by and (case, b) in by and by[(case, a)][idx] is not None \
            and by[(case, b)][idx] is not None and by[(case, b)][idx] > 0:
        return by[(case, a)][idx] / by[(case, b)][idx]
    return None


def ratio_across(by, case_a, case_b, tool, idx):
    """The ratio of tool's column idx in case_a to that in case_b, or None."""
    a, b = by.get((case_a, tool)), by.get((case_b, tool))
    if a is None or b is None or a[idx] is None or b[idx] is None or b[idx] <= 0:
        return None
    return a[idx] / b[idx]


def rounds(case, names, runs, one_run):
    """Calls one_run(run, tool) -> tuple of numbers, or None on failure, for every tool `runs`
    times, round-robin with a rotating order. Returns the median rows (case, tool, medians...);
    a tool that failed in any run gets the row (case, tool) with no numbers."""
    samples = {tool: [] for tool in names}
    failed = set()
    for r in range(runs):
        order = names[r % len(names):] + names[: r % len(names)]
        for tool in order:
            result = one_run(r, tool)
            if result is None:
                failed.add(tool)
            else:
                samples[tool].append(result)
    rows = median_rows(case, {t: v for t, v in samples.items() if t not in failed})
    by_tool = {row[1]: row for row in rows}
    return [by_tool.get(t, (case, t)) for t in names]


def print_result_table(header, rows, formats):
    """Like print_table, but a row without numbers (a failed tool) gets 'failed' cells and a
    None value prints as '—'."""
    print("| " + " | ".join(header) + " |")
    print("|---|---|" + "---:|" * (len(header) - 2))
    for row in rows:
        if len(row) > 2:
            nums = ["—" if v is None else fmt.format(v) for fmt, v in zip(formats, row[2:])]
        else:
            nums = ["failed"] * len(formats)
        print("| " + " | ".join([row[0], row[1]] + nums) + " |")


def print_targets(items):
    """items: [(label, ratio or None, limit)]; missing ratios are skipped; an infinite limit
    marks an informative ratio (no yes/no)."""
    print()
    print("| target | ratio | met |")
    print("|---|---:|---|")
    for label, value, limit in items:
        if value is None:
            continue
        met = "—" if limit == float("inf") else ("yes" if value <= limit else "NO")
        print(f"| {label} | {value:.2f} | {met} |")


def parse_args(doc, default_runs, cases, quick=True, server=False, before=False):
    """The options every benchmark script takes: --runs, --data, --cvclone, --cases (default:
    all of `cases`), with quick --quick/--quick-mib, with server --server (s3rver or rgw), and
    with before --before BIN (a second cvclone measured beside the first, for an A/B of a
    change) and --no-peers (cvclone alone)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--runs", type=int, default=default_runs)
    ap.add_argument("--data", default=os.path.join(ROOT, "bench", "data"))
    ap.add_argument("--cvclone", default=os.path.join(ROOT, "build", "cvclone"))
    ap.add_argument("--cases", default=cases)
    if before:
        ap.add_argument("--before", metavar="BIN",
                        help="another cvclone binary, measured as 'cvclone-before' in the same "
                             "rounds (the order rotates each run)")
        ap.add_argument("--no-peers", action="store_true",
                        help="measure cvclone (and --before) only, not rclone or the AWS CLI")
    if quick:
        ap.add_argument("--quick", action="store_true", help="a small subset, to test the script")
        ap.add_argument("--quick-mib", type=int, default=100,
                        help="size of the big file with --quick")
    if server:
        ap.add_argument("--server", choices=tuple(S3_SERVERS), default="s3rver",
                        help="the S3 server to run against (default s3rver)")
    return ap.parse_args()
