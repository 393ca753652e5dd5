#!/usr/bin/env python3
"""How fast `dashlive build` is, against `cp -r` of the same media bytes to the
same disk, measured in one run (these machines are shared and noisy: compare
the ratio, not the seconds).

Usage: [ROUNDS=5] [BBB_ONLY=1] benches/build_speed.py [BBB_DIR]

Catalogs: the BBB catalog imported from upload_v2.json (when BBB_DIR, default
../shared/media/bbb, exists) and a generated 10-stream catalog (each stream a
61.44 s synth test card). For each: a cold build (no previous tree), the
throughput against cp of the media bytes, a no-op rebuild, and the peak RSS
of a cold build (from GNU time).
"""
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "dashlive"], cwd=ROOT, check=True)
BIN = os.path.join(TARGET, "release", "dashlive")
bbb = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "media", "bbb"))


def run(args):
    """Runs a command; returns its seconds."""
    start = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def peak_rss(args):
    """A command's peak RSS in MB, from GNU time: wait4's rusage of a child
    of this script counts this Python process too (the child runs in its
    memory until it execs), and so reported Python's size."""
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *args], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, check=True)
    return int(p.stderr.split()[-1]) / 1024


def media_bytes(config):
    total = 0
    for f in os.listdir(os.path.join(config, "streams")):
        for line in open(os.path.join(config, "streams", f)):
            line = line.strip()
            if line.startswith("- ") and line.endswith(".mp4"):
                total += os.path.getsize(os.path.join(config, "streams", line[2:]))
    return total


def measure(name, config, work):
    out = os.path.join(work, f"{os.path.basename(config)}-out")
    # cp -r of the same media bytes to the same disk.
    src = os.path.join(work, f"{os.path.basename(config)}-cp-src")
    dst = os.path.join(work, f"{os.path.basename(config)}-cp-dst")
    os.makedirs(src)
    i = 0
    for f in os.listdir(os.path.join(config, "streams")):
        for line in open(os.path.join(config, "streams", f)):
            line = line.strip()
            if line.startswith("- ") and line.endswith(".mp4"):
                shutil.copyfile(os.path.join(config, "streams", line[2:]), os.path.join(src, f"{i}.mp4"))
                i += 1
    best = {}
    # Best of ROUNDS (default 5), each after the disk has settled (sync), cp and build
    # alternating, each into a new folder (nothing is deleted until the end).
    # Where ext4 has no journal (as on the VMs this ran on) it skips inodes
    # freed in the last minute (six while their inode table block is dirty)
    # one by one, reading each, before every inode it allocates: a tree made
    # where one was just deleted pays for every file of the deleted one, per
    # file it makes. `work` is marked a top directory (chattr +T) and every
    # folder gets a name of its own, so ext4 spreads them over block groups
    # and neither cp nor the build is likely to land on the freed inodes of an
    # earlier round, run or job.
    for r in range(int(os.environ.get("ROUNDS", "5"))):
        tag = f"{r}-{secrets.token_hex(4)}"
        subprocess.run(["sync"])
        cp = run(["cp", "-r", src, f"{dst}-{tag}"])
        subprocess.run(["sync"])
        cold = run([BIN, "build", "--config", config, "--out", f"{out}-{tag}"])
        noop = run([BIN, "build", "--config", config, "--out", f"{out}-{tag}"])
        for k, v in (("cp", cp), ("cold", cold), ("noop", noop)):
            best[k] = min(best.get(k, v), v)
    rss = peak_rss([BIN, "build", "--config", config, "--out", f"{out}-rss"])
    cp, cold, noop = best["cp"], best["cold"], best["noop"]
    size = media_bytes(config)
    print(f"{name}: {size / 1e6:.1f} MB of media")
    print(f"  cold build {cold:.3f} s ({size / 1e6 / cold:.0f} MB/s); cp -r {cp:.3f} s ({size / 1e6 / cp:.0f} MB/s); "
          f"build/cp throughput ratio {cp / cold:.2f}")
    print(f"  no-op rebuild {noop * 1000:.0f} ms; peak RSS of the cold build {rss:.0f} MB")


with tempfile.TemporaryDirectory(dir=ROOT) as work:
    # A hint where the file system has it; elsewhere nothing changes.
    subprocess.run(["chattr", "+T", work], stderr=subprocess.DEVNULL)
    if os.path.isfile(os.path.join(bbb, "upload_v2.json")):
        cfg = os.path.join(work, "bbb")
        os.makedirs(cfg)
        subprocess.run([BIN, "catalog", "import", os.path.join(bbb, "upload_v2.json"), "--config", cfg],
                       check=True, stdout=subprocess.DEVNULL)
        measure("BBB catalog", cfg, work)
    if os.environ.get("BBB_ONLY") == "1":
        sys.exit(0)
    cfg = os.path.join(work, "ten")
    os.makedirs(os.path.join(cfg, "streams"))
    subprocess.run([BIN, "synth", "--out", os.path.join(cfg, "media")], check=True, stdout=subprocess.DEVNULL)
    for n in range(10):
        # Ten streams, each with its own copy of the media (so ten times the bytes to cut).
        d = os.path.join(cfg, f"media{n}")
        shutil.copytree(os.path.join(cfg, "media"), d)
        files = sorted(f for f in os.listdir(d) if f.endswith(".mp4"))
        with open(os.path.join(cfg, "streams", f"s{n}.yaml"), "w") as f:
            f.write(f"directory: s{n}\ntitle: Stream {n}\nmedia:\n")
            for m in files:
                f.write(f"  - ../media{n}/{m}\n")
            f.write("timing_ref: testcard_720p\n")
    measure("10-stream generated catalog", cfg, work)
