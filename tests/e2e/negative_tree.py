#!/usr/bin/env python3
"""Proves that the ffmpeg and GStreamer VOD checks fail on a broken tree.

Usage: negative_tree.py OUT_DIR [--config CONFIG] [--origin-bin PATH] [--manifest NAME]

OUT_DIR is a built tree (dashlive build); CONFIG its catalog (default: the repository's
config/), which the origin needs even with --no-build; the dashlive-origin binary comes from
--origin-bin, $DASHLIVE_ORIGIN_BIN, $CARGO_TARGET_DIR/release, target/release or PATH.
By hand, from the repository (about 15 s):

    python3 tests/e2e/negative_tree.py out --origin-bin target/release/dashlive-origin

What it does, for the index's first stream and one manifest (default hand_made):

1. Copies OUT_DIR to a temporary folder with hard links (cp -al; a file is never changed in
   place there, it is deleted and written anew, so OUT_DIR stays intact) and breaks it:
   - VOD (dash/vod/<stream>/): deletes media segment 2 of every video representation and
     overwrites the mdat payload of segment 3 of every video representation with random bytes
     (same size, boxes intact). Every rung, because static_ffmpeg.py decodes all video
     streams (-map 0:v) while dashdemux2 picks one and switches: whichever plays, it meets
     the missing and the corrupt segment.
   - On-demand (dash/odvod/<stream>/, SegmentBase on one file per representation): overwrites
     the mdat payload of the second fragment of every video file (a deletion has no meaning
     for a byte range).
2. Control: on OUT_DIR as it is, static_ffmpeg.py (nginx) and gst.py --vod (a dashlive-origin
   started here with --out OUT_DIR --no-build) must PASS both manifests, so that a FAIL below
   cannot come from a missing tool or a broken set-up.
3. On the broken copy, static_ffmpeg.py and gst.py --vod (an origin with --out COPY) must
   report FAIL for both manifests.

Prints `PASS|FAIL <ffmpeg|gst> negative <manifest>: <what was broken> detected: <evidence>`
(and `PASS|FAIL <ffmpeg|gst> control <manifest>: ...` lines), then `N passed, M failed`; exits
1 if a broken tree is judged PASS or a control run fails.
"""

import argparse
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def top_boxes(data):
    """(type, offset, header size, size) of each top-level ISO BMFF box."""
    off = 0
    while off + 8 <= len(data):
        size, typ = struct.unpack(">I4s", data[off:off + 8])
        hdr = 8
        if size == 1:
            size = struct.unpack(">Q", data[off + 8:off + 16])[0]
            hdr = 16
        elif size == 0:
            size = len(data) - off
        if size < hdr:
            raise ValueError(f"bad box size {size} at {off}")
        yield typ.decode("latin1"), off, hdr, size
        off += size


def corrupt_mdat(path, which, seed):
    """Overwrites the payload of the WHICH-th mdat of PATH with random bytes, same size.
    Deletes the (possibly hard-linked) file and writes a new one."""
    data = bytearray(open(path, "rb").read())
    mdats = [(o, h, s) for t, o, h, s in top_boxes(data) if t == "mdat"]
    o, h, s = mdats[which]
    data[o + h:o + s] = random.Random(seed).randbytes(s - h)
    os.unlink(path)
    with open(path, "wb") as f:
        f.write(data)
    return s - h


def break_tree(tree, stream):
    """Breaks the copy; returns {manifest path: what was broken}."""
    vod_done, odvod_done = [], []
    for r in stream["representations"]:
        rep = r["representation"]
        if rep["content_type"] != "video":
            continue
        segs = sorted(r["segments"], key=lambda x: x["number"])
        if len(segs) < 3:
            raise SystemExit(f"{rep['id']}: needs at least 3 media segments, has {len(segs)}")
        gone, bad = segs[1], segs[2]
        os.unlink(os.path.join(tree, gone["path"]))
        n = corrupt_mdat(os.path.join(tree, bad["path"]), 0, rep["id"])
        vod_done.append(f"{rep['id']}: segment {gone['number']} deleted, segment {bad['number']} "
                        f"mdat ({n} bytes) overwritten")
        odvod = os.path.join(tree, "dash", "odvod", stream["directory"], f"{rep['id']}.mp4")
        if os.path.exists(odvod):
            n = corrupt_mdat(odvod, 1, rep["id"])
            odvod_done.append(f"{rep['id']}.mp4: fragment 2 mdat ({n} bytes) overwritten")
    return vod_done, odvod_done


def run_script(args, timeout=900):
    t = time.monotonic()
    try:
        r = subprocess.run([sys.executable] + args, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout + r.stderr, time.monotonic() - t
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return "timeout", out, time.monotonic() - t


def ffmpeg_verdicts(output, manifests):
    """{manifest: (ok, evidence)} from static_ffmpeg.py's `PASS|FAIL ffmpeg vod M: ...` lines
    (a FAIL followed by indented ffmpeg lines)."""
    verdicts, current = {}, None
    for line in output.splitlines():
        m = re.match(r"(PASS|FAIL) ffmpeg vod (\S+): (.*)", line)
        if m:
            current = m.group(2)
            verdicts[current] = [m.group(1) == "PASS", m.group(3)]
        elif line.startswith("    ") and current:
            verdicts[current][1] += "; " + line.strip()
        else:
            current = None
    return {m: tuple(verdicts[m]) if m in verdicts else None for m in manifests}


def gst_verdicts(output, manifests):
    """{manifest: (ok, evidence)} from gst.py's lines; a manifest passes only if all its lines
    pass (manifest_a has two)."""
    verdicts = {}
    for line in output.splitlines():
        m = re.match(r"(PASS|FAIL) gst vod https?://[^/]+/(\S+?): (.*)", line)
        if m and m.group(2) in manifests:
            ok, ev = verdicts.get(m.group(2), (True, ""))
            verdicts[m.group(2)] = (ok and m.group(1) == "PASS", (ev + " | " if ev else "") + m.group(3))
    return {m: verdicts.get(m) for m in manifests}


def main():
    ap = argparse.ArgumentParser(description="the ffmpeg and GStreamer VOD checks must fail on a broken tree")
    ap.add_argument("out_dir")
    ap.add_argument("--config", default=os.path.join(e2elib.REPO, "config"), help="the catalog (default config/)")
    ap.add_argument("--origin-bin", default=None)
    ap.add_argument("--manifest", default="hand_made", help="template to break and check (default hand_made)")
    args = ap.parse_args()
    t0 = time.monotonic()
    out = os.path.abspath(args.out_dir)
    origin_bin = e2elib.find_origin_bin(args.origin_bin)
    index = e2elib.load_index(out)
    stream = index["streams"][0]
    d = stream["directory"]
    vod_m = f"dash/vod/{d}/{args.manifest}.mpd"
    odvod_m = f"dash/odvod/{d}/{args.manifest}.mpd"
    manifests = [m for m in (vod_m, odvod_m) if m in stream["manifests"]]
    if vod_m not in manifests:
        raise SystemExit(f"{vod_m} is not in the index")
    only = f"{d}/{args.manifest}.mpd"  # matches both the VOD and the on-demand manifest

    passed = failed = 0

    def report(ok, text):
        nonlocal passed, failed
        print(f"{'PASS' if ok else 'FAIL'} {text}", flush=True)
        passed += ok
        failed += not ok

    work = tempfile.mkdtemp(prefix="dashlive-negative-")
    # mktemp's 0700 would keep nginx's unprivileged workers out.
    os.chmod(work, 0o755)
    origins = []
    try:
        tree = os.path.join(work, "tree")
        if subprocess.run(["cp", "-al", out, tree], stderr=subprocess.DEVNULL).returncode != 0:
            shutil.rmtree(tree, ignore_errors=True)  # another file system: a real copy
            subprocess.run(["cp", "-a", out, tree], check=True)
        vod_broken, odvod_broken = break_tree(tree, stream)
        broken = {vod_m: "deleted+corrupted segment", odvod_m: "corrupted fragment"}
        if odvod_m in manifests and not odvod_broken:
            manifests.remove(odvod_m)
        print(f"broken {vod_m}: " + "; ".join(vod_broken))
        if odvod_m in manifests:
            print(f"broken {odvod_m}: " + "; ".join(odvod_broken))

        for label, root in (("control", out), ("broken", tree)):
            origin = e2elib.Origin(origin_bin, root, args.config, os.path.join(work, f"origin-{label}.log"))
            origins.append(origin)
            rc_f, out_f, secs_f = run_script([os.path.join(HERE, "static_ffmpeg.py"), root, "--only", only])
            rc_g, out_g, secs_g = run_script([os.path.join(HERE, "gst.py"), origin.base, root, "--vod",
                                              "--only", only])
            origin.stop()
            for tool, rc, verdicts, secs in (("ffmpeg", rc_f, ffmpeg_verdicts(out_f, manifests), secs_f),
                                             ("gst", rc_g, gst_verdicts(out_g, manifests), secs_g)):
                raw = out_f if tool == "ffmpeg" else out_g
                for m in manifests:
                    v = verdicts[m]
                    if v is None:
                        report(False, f"{tool} {label if label == 'control' else 'negative'} {m}: no verdict "
                                      f"(exit {rc}): {raw.strip()[-600:]}")
                    elif label == "control":
                        report(v[0] and rc == 0, f"{tool} control {m}: the unbroken tree "
                                                 f"{'passes' if v[0] else 'FAILS'} ({secs:.0f} s): {v[1]}")
                    else:
                        report(not v[0] and rc not in (0, "timeout"),
                               f"{tool} negative {m}: {broken[m]} "
                               f"{'detected' if not v[0] else 'NOT detected (the check judged it PASS)'} "
                               f"(exit {rc}, {secs:.0f} s): {v[1]}")
    finally:
        for o in origins:
            o.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"wall time {time.monotonic() - t0:.0f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
