#!/usr/bin/env python3
"""How fast `dashlive build` is, against `cp -r` of the same media bytes to the
same disk, measured in one run (these machines are shared and noisy: compare
the ratio, not the seconds).

Usage: benches/build_speed.py [BBB_DIR]

Catalogs: the BBB catalog imported from upload_v2.json (when BBB_DIR, default
../shared/media/bbb, exists) and a generated 10-stream catalog (each stream a
61.44 s synth test card). For each: a cold build (no previous tree), the
throughput against cp of the media bytes, a no-op rebuild, and the peak RSS
of the cold build (from wait4's rusage).
"""
import os
import resource
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
    """Runs a command; returns (seconds, peak RSS in MB of the child)."""
    start = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{args} failed")
    return secs, usage.ru_maxrss / 1024


def media_bytes(config):
    total = 0
    for f in os.listdir(os.path.join(config, "streams")):
        for line in open(os.path.join(config, "streams", f)):
            line = line.strip()
            if line.startswith("- ") and line.endswith(".mp4"):
                total += os.path.getsize(os.path.join(config, "streams", line[2:]))
    return total


def measure(name, config, work):
    out = os.path.join(work, "out")
    # cp -r of the same media bytes to the same disk.
    src = os.path.join(work, "cp-src")
    dst = os.path.join(work, "cp-dst")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    i = 0
    for f in os.listdir(os.path.join(config, "streams")):
        for line in open(os.path.join(config, "streams", f)):
            line = line.strip()
            if line.startswith("- ") and line.endswith(".mp4"):
                shutil.copyfile(os.path.join(config, "streams", line[2:]), os.path.join(src, f"{i}.mp4"))
                i += 1
    best = {}
    # Best of three, each after the disk has settled (sync), cp and build alternating.
    for _ in range(3):
        shutil.rmtree(dst, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(["sync"])
        cp, _ = run(["cp", "-r", src, dst])
        subprocess.run(["sync"])
        cold, rss = run([BIN, "build", "--config", config, "--out", out])
        noop, _ = run([BIN, "build", "--config", config, "--out", out])
        for k, v in (("cp", cp), ("cold", cold), ("noop", noop), ("rss", rss)):
            best[k] = min(best.get(k, v), v)
    cp, cold, noop, rss = best["cp"], best["cold"], best["noop"], best["rss"]
    size = media_bytes(config)
    print(f"{name}: {size / 1e6:.1f} MB of media")
    print(f"  cold build {cold:.3f} s ({size / 1e6 / cold:.0f} MB/s); cp -r {cp:.3f} s ({size / 1e6 / cp:.0f} MB/s); "
          f"build/cp throughput ratio {cp / cold:.2f}")
    print(f"  no-op rebuild {noop * 1000:.0f} ms; peak RSS of the cold build {rss:.0f} MB")


with tempfile.TemporaryDirectory(dir=ROOT) as work:
    if os.path.isfile(os.path.join(bbb, "upload_v2.json")):
        cfg = os.path.join(work, "bbb")
        os.makedirs(cfg)
        subprocess.run([BIN, "catalog", "import", os.path.join(bbb, "upload_v2.json"), "--config", cfg],
                       check=True, stdout=subprocess.DEVNULL)
        measure("BBB catalog", cfg, work)
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
