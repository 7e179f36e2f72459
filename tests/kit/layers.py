#!/usr/bin/env python3
"""Checks that the include roots keep the layers apart (CMakeLists.txt, cvclone_expose).

Usage: layers.py BUILD_DIR

For each case, compiles a one-line file `#include "HEADER"` (-fsyntax-only) with the flags the
build uses for a source of the including layer (from BUILD_DIR/compile_commands.json): a header
of a layer that target does not link must not be found, and the same header must be found from
its own layer, so that a failure is the layering and not a broken probe.
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

# (including source, header, must compile)
CASES = [
    ("core/error.cpp", "backends/local/local.hpp", False),
    ("core/error.cpp", "crypt/crypt_remote.hpp", False),
    ("core/engine/sync.cpp", "backends/s3/s3_remote.hpp", False),
    ("crypt/crypt_remote.cpp", "backends/local/local.hpp", False),
    ("backends/local/local.cpp", "backends/s3/s3_remote.hpp", False),
    ("commands/copy.cpp", "backends/local/local.hpp", False),
    # The controls: each header from its own layer, and a lower layer from a higher one.
    ("backends/local/local.cpp", "backends/local/local.hpp", True),
    ("crypt/crypt_remote.cpp", "crypt/crypt_remote.hpp", True),
    ("commands/copy.cpp", "core/engine/sync.hpp", True),
    ("backends/encfs/encfs_remote.cpp", "crypt/password.hpp", True),
]


def flags_for(entries, source):
    for entry in entries:
        if entry["file"].endswith("/" + source):
            args = shlex.split(entry["command"]) if "command" in entry else entry["arguments"]
            out = []
            skip = False
            for arg in args:
                if skip:
                    skip = False
                    continue
                if arg in ("-o", "-MF", "-MT", "-MQ"):
                    skip = True
                    continue
                if arg in ("-c", "-MD", "-MMD") or arg == entry["file"] or arg.endswith(source):
                    continue
                out.append(arg)
            return out
    raise SystemExit(f"layers: {source} is not in compile_commands.json")


def main():
    build = sys.argv[1]
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = json.load(f)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "probe.cpp")
        for source, header, ok in CASES:
            with open(probe, "w") as f:
                f.write(f'#include "{header}"\n')
            cmd = flags_for(entries, source) + ["-fsyntax-only", probe]
            run = subprocess.run(cmd, capture_output=True, text=True)
            not_found = f"{header}: No such file" in run.stderr
            if ok and run.returncode != 0:
                print(f"FAIL {source} cannot include {header}:\n{run.stderr}")
                failures += 1
            elif not ok and (run.returncode == 0 or not not_found):
                print(f"FAIL {source} includes {header} (exit {run.returncode}):\n{run.stderr}")
                failures += 1
            else:
                print(f"ok   {source} {'includes' if ok else 'cannot include'} {header}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
