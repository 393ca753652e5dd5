#!/usr/bin/env python3
"""A corpus of our own: content in the shapes real packagers write, made with
ffmpeg from the synth test card, and judged end to end (issue 11).

Usage: corpus.py [--work DIR] [--keep] [--only SHAPE[,SHAPE...]] [--list]
                 [--bin DASHLIVE] [--origin-bin DASHLIVE_ORIGIN] [--schema XSD]
                 [--live-seconds S] [--player-seconds S] [--player-jobs N] [--no-players]

Needs ffmpeg (Debian's 5.1 is what CI has: no network, no libfdk), xmllint and the
release binaries (`cargo build --release --bin dashlive -p dashlive-origin`; found
through $CARGO_TARGET_DIR as tests/e2e does). tests/e2e/run.sh runs it as the group
`corpus`; docs/packagers.md says what each shape is and what a real packager writes it.

What it does:
1. `dashlive synth` makes a 10.24 s test card (320x180 H.264, 25 fps, GOPs of 2.56 s, and
   AAC-LC 48 kHz whose length is exactly the video's). 10.24 s because it is a whole number
   of AAC frames at 44.1 kHz as well as at 48 kHz (441 and 480) and of video frames (256).
2. Every SHAPE below is made with ffmpeg from it: the container shapes copy the card's
   streams (-c copy), so they differ from the card only in their boxes; the codec shapes
   encode (libx264 with B-frames, libx265, libsvtav1, ffmpeg's aac, ac3, eac3). ffmpeg's
   `dash` muxer writes an init segment and a file per segment for each Representation;
   dashlive indexes one fragmented MP4 per track, so those are concatenated per stream,
   init first, then the segments in number order (`cat init-stream0.m4s
   chunk-stream0-*.m4s > v.mp4`): the result is exactly the byte stream an on-demand
   player reads.
3. Each file is indexed (`dashlive index --json`); each shape is a stream of one catalog
   (its video, else its first track, is the timing reference); `dashlive build` builds it.
4. A dashlive-origin serves the tree on a free loopback port, and for every shape:
   schema   hand_made VOD and on-demand manifests from the tree, and live hand_made with
            $Number$ and with timeline=1 (now= pinned), pass the DASH schema (xmllint
            --nonet, one run for all);
   vod      ffmpeg decodes the VOD manifest (hand_made, $Number$) and the on-demand one
            to the end: every video frame of the index, every audio frame;
   live     ffmpeg -re plays the live manifest in real time for a loop's length (which
            always crosses a loop boundary): the loop's frames (one frame of slack, as
            tests/e2e/live_ffmpeg.py), audio decoded for as long;
   loop     for every Representation, the live segments of a whole loop and the one either
            side (now= pinned) are fetched and parsed: every moof's tfdt equals the previous
            moof's tfdt plus its sample durations, across the loop boundary too, and every
            mfhd is its segment's number.
   dashjs, shaka  the H.264/AAC shapes only (avc1/avc3, mp4a; audio-only too): dash.js and
            Shaka in headless Chromium (tests/e2e/players/run.mjs --url ... --plan, through
            this origin's player pages) play hand_made VOD and live for --player-seconds (8)
            each, --player-jobs (6) at a time, by the players group's criteria; live starts
            5 s before a loop boundary, which it must cross. Left out with a NOTE when Chromium,
            node or the npm packages are missing (tests/e2e/run.sh installs them first).
   A shape ffmpeg 5.1 cannot write, or that dashlive refuses or gets wrong for a known
   reason, declares that outcome with the reason (EXPECT below): it prints PASS while the
   outcome is as declared, and FAIL asking to drop the declaration when it is not.

Prints one `PASS|FAIL <client> corpus/<shape> <what>: <evidence>` line per check (client:
ffmpeg for making and decoding, dashlive for indexing and building, xmllint, http for the
origin's own answers, dashjs and shaka for the browsers), NOTE lines for what is not checked and why, and `N passed, M
failed` last. Exit 0 when everything passed, 1 when a check failed, 2 on a setup error.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import e2elib  # noqa: E402
import matrixlib  # noqa: E402

REPO = e2elib.REPO
NS = "{urn:mpeg:dash:schema:mpd:2011}"
DURATION = 10.24  # s: 441 AAC frames at 44.1 kHz, 480 at 48 kHz, 256 frames at 25 fps
SEGMENT = 2.56
FPS = 25
SYNTH = ["--duration", str(DURATION), "--segment", str(SEGMENT), "--ladder", "320x180@300k",
         "--fps", str(FPS), "--prefix", "card"]
# A fixed 2026 clock for the pinned live checks (Unix ms).
PINNED_NOW = 1_775_000_000_000
VOD_TIMEOUT = 30  # s for ffmpeg to decode 10.24 s of VOD from loopback (it takes 1 to 3)

# ---------------------------------------------------------------------------------------------
# The shapes
# ---------------------------------------------------------------------------------------------
# Each shape: a description, and how to make it: `dash` (ffmpeg's dash muxer into a folder,
# then concatenated per stream), `mp4` (one ffmpeg run per output file) or `refused` (a
# command ffmpeg 5.1 refuses). Inputs: V = the card's video, A = the card's AAC, S = a
# WebVTT file of a cue a second. `expect` maps a check (make, index, build, schema, vod,
# odvod, live, loop) to the reason it is expected to fail.

COPY = ["-c", "copy"]
X264 = ["-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-g", "64", "-keyint_min", "64",
        "-sc_threshold", "0", "-b:v", "300k"]
FRAG = "frag_keyframe+empty_moov+default_base_moof"
# Audio has a key frame every frame: frag_keyframe would make a fragment per AAC frame.
AFRAG = ["-movflags", "empty_moov+default_base_moof", "-frag_duration", "2560000"]

SHAPES = [
    # --- ffmpeg's dash muxer: init + segment files, concatenated per stream -------------------
    dict(name="dash-segments", how="dash",
         what="ffmpeg -f dash (template, SegmentTimeline): styp + sidx + moof + mdat per segment",
         args=["-map", "0:v", "-map", "1:a"] + COPY + ["-seg_duration", str(SEGMENT), "-use_timeline", "1"]),
    dict(name="dash-ldash", how="dash",
         what="ffmpeg -f dash -ldash 1 -streaming 1: chunked CMAF, styp then a moof + mdat per frame",
         args=["-map", "0:v", "-map", "1:a"] + COPY + ["-seg_duration", str(SEGMENT), "-ldash", "1",
                                                    "-streaming", "1", "-use_timeline", "0"]),
    dict(name="dash-frag-duration", how="dash",
         what="ffmpeg -f dash -frag_type duration -frag_duration 0.64 -use_timeline 0: "
              "styp + sidx, then 4 moofs a segment",
         args=["-map", "0:v", "-map", "1:a"] + COPY + ["-seg_duration", str(SEGMENT), "-frag_type",
                                                    "duration", "-frag_duration", "0.64",
                                                    "-use_timeline", "0"]),
    dict(name="dash-single-file", how="dash-single",
         what="ffmpeg -f dash -single_file 1 (on-demand): one file a stream, a sidx per segment",
         args=["-map", "0:v", "-map", "1:a"] + COPY + ["-seg_duration", str(SEGMENT), "-single_file", "1"]),
    dict(name="dash-bframes-editlist", how="dash",
         what="ffmpeg -f dash, libx264 -bf 2 and ffmpeg's aac: an edit list on both tracks "
              "(video media_time 1024 for the B-frame delay, audio 1024 for the priming)",
         args=["-map", "0:v", "-map", "1:a"] + X264 + ["-bf", "2", "-c:a", "aac", "-b:a", "96k",
                                                    "-seg_duration", str(SEGMENT)],
         # Live manifests leave the edit lists out of presentationTimeOffset (ffmpeg's live start
         # differs for a track whose offset is not 0), so the video (media_time 1024: 2 frames of
         # B-frame delay) is presented 80 ms after the audio, and ffmpeg's -t, counted from the
         # earliest track, holds 254 to 256 frames.
         live_slack=(3, "2 frames more: live, the video's edit list is not a presentationTimeOffset, "
                        "so it starts 80 ms after the audio that -t counts from")),
    # --- ffmpeg's mp4 muxer: one file a track ----------------------------------------------------
    dict(name="mp4-empty-moov", how="mp4",
         what="-movflags frag_keyframe+empty_moov: no styp, no sidx, absolute tfhd base-data-offset",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-movflags", "frag_keyframe+empty_moov"]),
                  ("a", ["-i", "A", "-map", "0:a"] + COPY + ["-movflags", "empty_moov", "-frag_duration", "2560000"])]),
    dict(name="mp4-default-base-moof", how="mp4",
         what="-movflags frag_keyframe+empty_moov+default_base_moof",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-movflags", FRAG]),
                  ("a", ["-i", "A", "-map", "0:a"] + COPY + AFRAG)]),
    dict(name="mp4-frag-duration", how="mp4",
         what="-movflags empty_moov+default_base_moof -frag_duration 0.64 s: fragments cut "
              "without regard to key frames, 4 a GOP (only the first starts with a sync sample)",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-movflags", "empty_moov+default_base_moof",
                                                            "-frag_duration", "640000"]),
                  ("a", ["-i", "A", "-map", "0:a"] + COPY + ["-movflags", "empty_moov+default_base_moof",
                                                            "-frag_duration", "640000"])]),
    dict(name="mp4-global-sidx", how="mp4",
         what="-movflags ...+global_sidx: one sidx for the file (the on-demand shape)",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-movflags", FRAG + "+global_sidx"]),
                  ("a", ["-i", "A", "-map", "0:a"] + COPY + ["-movflags", "empty_moov+default_base_moof+global_sidx",
                                                            "-frag_duration", "2560000"])]),
    dict(name="mp4-dash-sidx", how="mp4",
         what="-movflags ...+dash: a sidx before every moof, no styp",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-movflags", FRAG + "+dash"]),
                  ("a", ["-i", "A", "-map", "0:a"] + COPY + ["-movflags", "empty_moov+default_base_moof+dash",
                                                            "-frag_duration", "2560000"])]),
    dict(name="mp4-prft", how="mp4",
         what="-write_prft wallclock: a prft before every moof",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-movflags", FRAG, "-write_prft", "wallclock"]),
                  ("a", ["-i", "A", "-map", "0:a"] + COPY + AFRAG + ["-write_prft", "wallclock"])]),
    dict(name="x264-negative-cts", how="mp4",
         what="libx264 -bf 2, -movflags ...+negative_cts_offsets: trun version 1, negative "
              "composition offsets, no edit list",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + X264 + ["-bf", "2", "-movflags", FRAG + "+negative_cts_offsets"])]),
    dict(name="x265-hevc", how="mp4",
         what="libx265 (hvc1), B-frames, closed GOPs of 2.56 s",
         outputs=[("v", ["-i", "V", "-map", "0:v", "-c:v", "libx265", "-preset", "veryfast", "-b:v", "300k",
                         "-x265-params", "keyint=64:min-keyint=64:scenecut=0:bframes=2:open-gop=0:"
                         "log-level=error:pools=1:frame-threads=1", "-tag:v", "hvc1", "-movflags", FRAG])]),
    dict(name="svtav1-av1", how="mp4",
         what="libsvtav1 (av01), key frames every 2.56 s",
         outputs=[("v", ["-i", "V", "-map", "0:v", "-c:v", "libsvtav1", "-preset", "12", "-g", "64",
                         "-b:v", "300k", "-movflags", FRAG])]),
    dict(name="pasp-4x3", how="mp4",
         what="libx264 240x180 with -vf setsar=4/3: pasp 4:3, tkhd 320x180 (non-square pixels)",
         outputs=[("v", ["-i", "V", "-map", "0:v", "-vf", "scale=240:180,setsar=4/3"] + X264
                   + ["-bf", "0", "-movflags", FRAG])]),
    dict(name="mov-zero-language", how="mp4",
         what="-f mov, language eng: QuickTime's language code 0 (English) in mdhd, which ISO "
              "BMFF reads as three zero letters",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-metadata:s:v", "language=eng", "-f", "mov",
                                                            "-movflags", FRAG])]),
    dict(name="aac-48k", how="mp4",
         what="ffmpeg's aac encoder, 48 kHz stereo (an audio-only stream)",
         outputs=[("a", ["-i", "A", "-map", "0:a", "-c:a", "aac", "-b:a", "96k", "-ar", "48000"] + AFRAG)]),
    dict(name="aac-44k", how="mp4",
         what="ffmpeg's aac encoder, 44.1 kHz stereo: segments of 110 or 111 frames "
              "(an audio-only stream)",
         outputs=[("a", ["-i", "A", "-map", "0:a", "-c:a", "aac", "-b:a", "96k", "-ar", "44100"] + AFRAG)]),
    dict(name="ac3", how="mp4",
         what="ffmpeg's ac3 encoder, 48 kHz stereo (-movflags +delay_moov: ffmpeg needs the "
              "first packet for the dac3 box), beside the card's video",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-movflags", FRAG]),
                  ("a", ["-i", "A", "-map", "0:a", "-c:a", "ac3", "-b:a", "192k", "-movflags",
                         "empty_moov+default_base_moof+delay_moov", "-frag_duration", "2560000"])]),
    dict(name="eac3", how="mp4",
         what="ffmpeg's eac3 encoder, 48 kHz stereo (+delay_moov, for the dec3 box), beside the "
              "card's video",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-movflags", FRAG]),
                  ("a", ["-i", "A", "-map", "0:a", "-c:a", "eac3", "-b:a", "96k", "-movflags",
                         "empty_moov+default_base_moof+delay_moov", "-frag_duration", "2560000"])]),
    dict(name="aac-beside-video", how="mp4",
         what="ffmpeg's aac (48 kHz, elst over its priming) beside the card's video",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-movflags", FRAG]),
                  ("a", ["-i", "A", "-map", "0:a", "-c:a", "aac", "-b:a", "96k"] + AFRAG)]),
    # --- what ffmpeg 5.1 cannot write, or writes in a shape dashlive refuses ---------------------
    dict(name="he-aac", how="he-aac",
         what="HE-AAC v1 signalling (AOT 5, explicit hierarchical: AAC-LC core at 24 kHz, SBR "
              "output 48 kHz) beside the card's video. Debian's ffmpeg has no SBR encoder "
              "(libfdk_aac is left out for its licence), so ffmpeg's aac writes the LC core and "
              "the esds's AudioSpecificConfig is rewritten as an HE-AAC packager writes it; "
              "decoders then run SBR without SBR data (a plain upsampling)",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-movflags", FRAG]),
                  ("a", ["-i", "A", "-map", "0:a", "-c:a", "aac", "-b:a", "48k", "-ar", "24000"]
                   + AFRAG)]),
    dict(name="webvtt", how="refused",
         what="WebVTT in fragmented MP4 (wvtt)",
         outputs=[("t", ["-i", "S", "-c:s", "webvtt"] + AFRAG)],
         expect={"make": "ffmpeg 5.1's mp4 muxer has no wvtt sample entry (`Could not find tag for "
                         "codec webvtt`)"}),
    dict(name="ttml-fragmented", how="refused",
         what="TTML in fragmented MP4 (stpp)",
         outputs=[("t", ["-i", "S", "-c:s", "ttml"] + AFRAG)],
         expect={"make": "ffmpeg 5.1 writes TTML only into an unfragmented MP4 (`Fragmentation is "
                         "not currently supported for TTML in MP4/ISMV`)"}),
    dict(name="synth-wvtt", how="mp4",
         what="WebVTT in fragmented MP4 (wvtt, a cue a second) as dashlive synth writes it (the "
              "shape of MP4Box and Shaka Packager output), beside the card's video",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-movflags", FRAG]),
                  ("t", {"copy": "vtt_mp4"})]),
    dict(name="synth-stpp", how="mp4",
         what="TTML in fragmented MP4 (stpp, a document a segment) as dashlive synth writes it, "
              "beside the card's video",
         outputs=[("v", ["-i", "V", "-map", "0:v"] + COPY + ["-movflags", FRAG]),
                  ("t", {"copy": "ttml_mp4"})]),
    dict(name="ttml-unfragmented", how="mp4",
         what="TTML in an unfragmented MP4 (stpp), what ffmpeg 5.1 can write",
         outputs=[("t", ["-i", "S", "-c:s", "ttml"])],
         expect={"index": "dashlive indexes fragmented MP4 only (`no fragments`); re-package "
                          "fragmented (MP4Box -dash, Shaka Packager)"}),
    dict(name="mov-aac", how="mp4",
         what="-f mov with AAC: QuickTime sound description v1, esds inside a wave box",
         outputs=[("a", ["-i", "A", "-map", "0:a"] + COPY + ["-f", "mov"] + AFRAG)],
         expect={"index": "dashlive reads an mp4a's esds only as the sample entry's child, not "
                          "inside QuickTime's wave box (`missing esds`); DASH content is ISO BMFF, "
                          "so this stays refused"}),
]
NOT_MADE = [
    ("emsg", "ffmpeg 5.1 writes no emsg box (no muxer option); tests/packagers.rs and "
             "tests/index_oracle.rs cover emsg-led segments with hand-made boxes"),
    ("use_timeline", "-use_timeline 0/1 changes only ffmpeg's own MPD, which dashlive does not "
                     "read: dash-segments (1) and dash-ldash (0) cover both; dashlive writes "
                     "its own $Number$ and SegmentTimeline manifests of every shape"),
]
CHECKS = ["make", "index", "build", "schema", "vod", "odvod", "live", "loop"]

results = []  # (ok, line)
lock = threading.Lock()


def report(ok, client, shape, what, evidence, expected=None, details=()):
    """One check's line. `expected`: the declared reason this check fails; `details`: indented
    lines printed after it."""
    if expected is not None:
        if ok:
            ok, evidence = False, (f"passes, but is declared to fail ({expected}): drop the "
                                   f"declaration | {evidence}")
        else:
            ok, evidence = True, f"fails as declared: {expected} | {evidence}"
    line = f"{'PASS' if ok else 'FAIL'} {client} corpus/{shape} {what}: {evidence}"
    with lock:
        print("\n".join([line, *details]), flush=True)
        results.append(ok)
    return ok


def run(cmd, timeout=300, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def tail(text, n=3):
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-n:])


# ---------------------------------------------------------------------------------------------
# Making the corpus
# ---------------------------------------------------------------------------------------------

def make_shape(shape, src, media):
    """Runs ffmpeg for one shape; returns ({track stem: file}, error text or None)."""
    name, dest = shape["name"], os.path.join(media, shape["name"])
    os.makedirs(dest, exist_ok=True)
    base = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y"]
    inputs = {"V": src["video"], "A": src["audio"], "S": src["vtt"]}
    if shape["how"] in ("dash", "dash-single"):
        cmd = base + ["-i", inputs["V"], "-i", inputs["A"]] + shape["args"] + ["-f", "dash", "m.mpd"]
        r = run(cmd, cwd=dest)
        if r.returncode != 0:
            return {}, tail(r.stderr)
        files = {}
        for init in sorted(glob.glob(os.path.join(dest, "init-stream*.m4s"))):
            n = re.search(r"init-stream(\d+)", init).group(1)
            segs = sorted(glob.glob(os.path.join(dest, f"chunk-stream{n}-*.m4s")))
            stem = f"{name}_{n}"
            with open(os.path.join(dest, stem + ".mp4"), "wb") as out:
                for p in [init] + segs:
                    with open(p, "rb") as f:
                        out.write(f.read())
            files[stem] = os.path.join(dest, stem + ".mp4")
        for single in sorted(glob.glob(os.path.join(dest, "m-stream*.mp4"))):
            n = re.search(r"m-stream(\d+)", single).group(1)
            stem = f"{name}_{n}"
            os.rename(single, os.path.join(dest, stem + ".mp4"))
            files[stem] = os.path.join(dest, stem + ".mp4")
        return files, None if files else "ffmpeg wrote no stream files"
    files = {}
    for suffix, args in shape["outputs"]:
        if isinstance(args, dict):  # a file dashlive synth made, as it is
            path = os.path.join(dest, f"{name}_{suffix}.mp4")
            shutil.copyfile(src[args["copy"]], path)
            files[f"{name}_{suffix}"] = path
            continue
        args = [inputs.get(a, a) if i > 0 and args[i - 1] == "-i" else a for i, a in enumerate(args)]
        ext = ".mov" if "mov" in args else ".mp4"
        path = os.path.join(dest, f"{name}_{suffix}{ext}")
        r = run(base + args + [path])
        if r.returncode != 0:
            return files, tail(r.stderr)
        files[f"{name}_{suffix}"] = path
    if shape["how"] == "he-aac":
        for path in files.values():
            with open(path, "rb") as f:
                data = f.read()
            if b"mp4a" in data:
                with open(path, "wb") as f:
                    f.write(with_he_aac_signalling(data))
    return files, None


# Sample rates of the AAC samplingFrequencyIndex (ISO/IEC 14496-3 1.6.3.4).
AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000]


def descriptor(tag, body):
    """An MPEG-4 descriptor (ISO/IEC 14496-1 8.3.3) with a one-byte size (bodies here are small)."""
    assert len(body) < 128
    return bytes([tag, len(body)]) + body


def with_he_aac_signalling(data):
    """An AAC-LC file's esds rewritten to explicit hierarchical HE-AAC signalling: AOT 5, the
    core's rate, channels, the SBR rate (twice the core's), then the core's AOT 2 and an empty
    GASpecificConfig. Every box around the esds gets its new size."""
    path = [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"mp4a", b"esds"]
    # Bytes before the children: stsd's full-box header and entry count; mp4a's sample entry.
    before = {b"stsd": 8, b"mp4a": 28}

    def rewrite(buf, depth):
        out = b""
        i = 0
        while i + 8 <= len(buf):
            size = int.from_bytes(buf[i:i + 4], "big")
            typ = buf[i + 4:i + 8]
            body = buf[i + 8:i + size]
            if typ == path[depth] and typ == b"esds":
                body = new_esds(body)
            elif typ == path[depth]:
                skip = before.get(typ, 0)
                body = body[:skip] + rewrite(body[skip:], depth + 1)
            out += (8 + len(body)).to_bytes(4, "big") + typ + body
            i += size
        return out

    def new_esds(body):
        # full-box header, ES_Descriptor(ES_ID 2, flags 1, DecoderConfigDescriptor(...), SLConfig)
        es = body[4:]
        assert es[0] == 3
        i = 2 if es[1] < 128 else 5
        es_id = es[i:i + 2]
        dcd = es[i + 3:]
        assert dcd[0] == 4
        j = 2 if dcd[1] < 128 else 5
        fixed = dcd[j:j + 13]  # objectType, streamType, bufferSize, maxBitrate, avgBitrate
        dsi = dcd[j + 13:]
        assert dsi[0] == 5
        k = 2 if dsi[1] < 128 else 5
        asc = dsi[k:]
        bits = int.from_bytes(asc[:2], "big")
        assert bits >> 11 == 2, "the core is AAC-LC"
        rate_index, channels = (bits >> 7) & 0xF, (bits >> 3) & 0xF
        sbr_index = AAC_RATES.index(AAC_RATES[rate_index] * 2)
        # 5 + 4 + 4 + 4 + 5 + 3 bits = 25: AOT 5, core rate, channels, SBR rate, AOT 2, GA config.
        v = (5 << 20) | (rate_index << 16) | (channels << 12) | (sbr_index << 8) | (2 << 3)
        new_asc = (v << 7).to_bytes(4, "big")
        dcd_new = descriptor(4, fixed + descriptor(5, new_asc))
        return body[:4] + descriptor(3, es_id + b"\x00" + dcd_new + descriptor(6, b"\x02"))

    return rewrite(data, 0)


def make_inputs(dashlive, work):
    synth = os.path.join(work, "synth")
    r = run([dashlive, "synth", "--out", synth] + SYNTH)
    if r.returncode != 0:
        raise SystemExit(f"dashlive synth failed: {r.stderr}")
    vtt = os.path.join(synth, "cues.vtt")
    with open(vtt, "w") as f:
        f.write("WEBVTT\n\n")
        for i in range(int(DURATION)):
            f.write(f"00:00:{i:02d}.000 --> 00:00:{i:02d}.900\ncue {i}\n\n")
    return {"video": os.path.join(synth, "card_180p.mp4"), "audio": os.path.join(synth, "card_aac.mp4"),
            "vtt": vtt, "vtt_mp4": os.path.join(synth, "card_vtt.mp4"),
            "ttml_mp4": os.path.join(synth, "card_ttml.mp4")}


# ---------------------------------------------------------------------------------------------
# Boxes: tfdt, trun durations and mfhd of every moof
# ---------------------------------------------------------------------------------------------

def boxes(data, start=0, end=None):
    end = len(data) if end is None else end
    i = start
    while i + 8 <= end:
        size = int.from_bytes(data[i:i + 4], "big")
        typ = data[i + 4:i + 8].decode("latin-1")
        head = 8
        if size == 1:
            size, head = int.from_bytes(data[i + 8:i + 16], "big"), 16
        elif size == 0:
            size = end - i
        if size < head or i + size > end:
            return
        yield typ, i + head, i + size
        i += size


def trex_default_duration(init):
    for t, s, e in boxes(init):
        if t == "moov":
            for t2, s2, e2 in boxes(init, s, e):
                if t2 == "mvex":
                    for t3, s3, e3 in boxes(init, s2, e2):
                        if t3 == "trex":
                            return int.from_bytes(init[s3 + 12:s3 + 16], "big")
    return 0


def moofs(seg, trex_duration):
    """[(mfhd sequence number, tfdt, duration)] of every moof (first traf)."""
    out = []
    for t, s, e in boxes(seg):
        if t != "moof":
            continue
        seq, tfdt, dur, default = None, None, 0, trex_duration
        for t2, s2, e2 in boxes(seg, s, e):
            if t2 == "mfhd":
                seq = int.from_bytes(seg[s2 + 4:s2 + 8], "big")
            if t2 != "traf" or tfdt is not None:
                continue
            for t3, s3, e3 in boxes(seg, s2, e2):
                flags = int.from_bytes(seg[s3 + 1:s3 + 4], "big")
                if t3 == "tfhd":
                    p = s3 + 8
                    p += 8 if flags & 1 else 0
                    p += 4 if flags & 2 else 0
                    if flags & 8:
                        default = int.from_bytes(seg[p:p + 4], "big")
                elif t3 == "tfdt":
                    n = 8 if seg[s3] == 1 else 4
                    tfdt = int.from_bytes(seg[s3 + 4:s3 + 4 + n], "big")
                elif t3 == "trun":
                    count = int.from_bytes(seg[s3 + 4:s3 + 8], "big")
                    p = s3 + 8 + (4 if flags & 1 else 0) + (4 if flags & 4 else 0)
                    per = 4 * sum(1 for f in (0x100, 0x200, 0x400, 0x800) if flags & f)
                    if flags & 0x100:
                        dur += sum(int.from_bytes(seg[p + k * per:p + k * per + 4], "big")
                                   for k in range(count))
                    else:
                        dur += count * default
        out.append((seq, tfdt, dur))
    return out


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------

def fetch(url, timeout=20):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, OSError) as e:
        return None, str(e).encode()


def expected_counts(stream):
    """{rep id: (kind, frames)}: video frames, audio frames (1024 AAC, 1536 AC-3/E-AC-3)."""
    return {k: (kind, n[0]) for k, (kind, n) in expected_ranges(stream).items()}


def expected_ranges(stream):
    """{rep id: (kind, {frames})}: as expected_counts, and for an audio track longer than its
    stream's timing reference (ffmpeg's AAC priming) also the frames within the reference's
    length: the Period ends there, and ffmpeg may leave a last segment that starts at its
    end out (it does with the on-demand SegmentList)."""
    ref = next((r["representation"] for r in stream["representations"]
                if r["representation"]["id"] == stream.get("timing_ref")), None)
    limit = ref["media_duration"] / ref["timescale"] if ref else None
    out = {}
    for r in stream["representations"]:
        rep = r["representation"]
        secs = rep["media_duration"] / rep["timescale"]
        if rep["content_type"] == "video" and rep.get("frame_rate"):
            fr = rep["frame_rate"]
            out[rep["id"]] = ("video", [round(secs * fr["num"] / fr["den"])])
        elif rep["content_type"] == "audio":
            per = 1024 if rep["codecs"].startswith("mp4a") else 1536
            if rep["codecs"] in ("mp4a.40.5", "mp4a.40.29"):
                per = 2048  # an SBR frame: 1024 core samples, twice the rate out
            n = [round(secs * rep["sample_rate"] / per)]
            if limit is not None and secs > limit:
                n.append(round(limit * rep["sample_rate"] / per))
            out[rep["id"]] = ("audio", n)
    return out


def framecounts(stdout):
    frames, kinds = {}, {}
    for line in stdout.splitlines():
        kind = re.match(r"#media_type (\d+): (\w+)", line)
        if kind:
            kinds[int(kind.group(1))] = kind.group(2)
        elif line and line[0].isdigit():
            i = int(line.split(",")[0])
            frames[i] = frames.get(i, 0) + 1
    by_kind = {}
    for i, k in sorted(kinds.items()):
        by_kind.setdefault(k, []).append(frames.get(i, 0))
    return by_kind


def decode_vod(base, shape, stream, mode, expect):
    url = f"{base}/dash/{mode}/{stream['directory']}/hand_made.mpd"
    want = expected_ranges(stream)
    try:
        # Video and audio only, as the e2e harness's VOD check: ffmpeg's dash demuxer with a
        # subtitle stream mapped stops its video early (252 of 256 frames beside wvtt, 194
        # beside stpp); text segments are judged by the schema and loop checks.
        r = run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-f", "dash", "-i", url,
                 "-map", "0:v?", "-map", "0:a?", "-f", "framecrc", "-"], timeout=VOD_TIMEOUT)
    except subprocess.TimeoutExpired:
        report(False, "ffmpeg", shape["name"], mode, f"ffmpeg still running after {VOD_TIMEOUT} s ({url})",
               expect.get(mode))
        return
    got = framecounts(r.stdout)
    problems = []
    if r.returncode != 0:
        problems.append(f"ffmpeg exit {r.returncode}: {tail(r.stderr)}")
    for kind in ("video", "audio"):
        w = [n for k, n in want.values() if k == kind]
        g = got.get(kind, [])
        # ffmpeg maps every Representation; each must decode whole (in the order of the index).
        if len(g) != len(w) or any(x not in ns for x, ns in zip(sorted(g), sorted(w))):
            problems.append(f"{kind} frames {g}, want {' or '.join(map(str, w[0])) if len(w) == 1 else w}")
    evidence = f"video frames {got.get('video', [])}, audio frames {got.get('audio', [])} ({url})"
    ok = not problems
    report(ok, "ffmpeg", shape["name"], mode, ("; ".join(problems) + " | " if problems else "") + evidence,
           expect.get(mode))


def decode_live(base, shape, stream, seconds, expect):
    url = f"{base}/dash/live/{stream['directory']}/hand_made.mpd"
    want = expected_counts(stream)
    kinds = {k for k, _ in want.values()}
    maps = (["-map", "0:v:0"] if "video" in kinds else []) + (["-map", "0:a:0"] if "audio" in kinds else [])
    r = run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-re", "-f", "dash", "-i", url] + maps
            + ["-t", str(seconds), "-f", "framecrc", "-"], timeout=seconds + 60)
    got = framecounts(r.stdout)
    problems = []
    slack, why = shape.get("live_slack", (1, "one frame of slack: -t cuts on the audio or the video clock"))
    if "video" in kinds:
        v = got.get("video", [0])[0]
        w = round(seconds * FPS)
        if v < w - slack:
            problems.append(f"video frames {v}, want {w} ({why})")
    if "audio" in kinds:
        # ffmpeg 5.1 opens each Representation at the live edge on its own, each at the
        # start of its own segment: the audio may start up to the stream's longest segment
        # after the video (and -t counts from the earliest track), so the audio must cover
        # SECONDS less that.
        a = got.get("audio", [0])[0]
        rid = next(r for r, (k, _) in want.items() if k == "audio")
        rep = next(r["representation"] for r in stream["representations"] if r["representation"]["id"] == rid)
        longest = max(x["duration"] / r["representation"]["timescale"]
                      for r in stream["representations"] for x in r["segments"])
        per_s = want[rid][1] / (rep["media_duration"] / rep["timescale"])
        w = per_s * (seconds - longest)
        if a < w - 2:
            problems.append(f"audio frames {a}, want at least {w:.0f} ({seconds} s less the "
                            f"longest segment, {longest:.2f} s)")
    if r.returncode != 0:
        problems.append(f"ffmpeg exit {r.returncode}: {tail(r.stderr)}")
    evidence = (f"{seconds} s in real time: video frames {got.get('video', [])}, audio frames "
                f"{got.get('audio', [])} ({url})")
    report(not problems, "ffmpeg", shape["name"], "live",
           ("; ".join(problems) + " | " if problems else "") + evidence, expect.get("live"))


def template_of(aset, rep):
    t = rep.find(NS + "SegmentTemplate")
    return aset.find(NS + "SegmentTemplate") if t is None else t


def check_loop(base, shape, stream, index_reps, expect):
    """Live segments of a loop and one either side: tfdt + durations chain, mfhd = number."""
    murl = f"{base}/dash/live/{stream['directory']}/hand_made.mpd?now={PINNED_NOW}"
    status, body = fetch(murl)
    if status != 200:
        report(False, "http", shape["name"], "loop", f"HTTP {status} for {murl}", expect.get("loop"))
        return
    root = ET.fromstring(body)
    ast = e2elib_ms(root.get("availabilityStartTime"))
    problems, evidence = [], []
    for aset in root.iter(NS + "AdaptationSet"):
        for rep in aset.iter(NS + "Representation"):
            rid = rep.get("id")
            t = template_of(aset, rep)
            if t is None or rid not in index_reps:
                continue
            ts, dur = int(t.get("timescale", "1")), int(t.get("duration"))
            start = int(t.get("startNumber", "1"))
            count = index_reps[rid]
            newest = start + (PINNED_NOW - ast) * ts // (dur * 1000) - 1  # complete at now
            k = (newest - 1 - start) // count  # the newest boundary with a segment after it
            boundary = start + k * count
            numbers = list(range(boundary - count - 1, boundary + 2))
            sub = lambda s, n: s.replace("$RepresentationID$", rid).replace("$Number$", str(n))
            init_url = urllib.parse.urljoin(murl, sub(t.get("initialization"), 0))
            st, init = fetch(init_url)
            if st != 200:
                problems.append(f"{rid}: HTTP {st} for {init_url}")
                continue
            trex = trex_default_duration(init)
            chain, prev, bad = [], None, []
            for n in numbers:
                url = urllib.parse.urljoin(murl, sub(t.get("media"), n))
                st, seg = fetch(url)
                if st != 200:
                    bad.append(f"HTTP {st} for {url}")
                    break
                ms = moofs(seg, trex)
                if not ms:
                    bad.append(f"no moof in segment {n}")
                    break
                for seq, tfdt, d in ms:
                    if seq != n:
                        bad.append(f"segment {n}: mfhd {seq}")
                    if prev is not None and tfdt != prev:
                        step = "back" if tfdt < prev else "forward"
                        side = " (the loop boundary)" if n == boundary and seq is not None else ""
                        bad.append(f"segment {n}{side}: tfdt {tfdt}, previous ended at {prev} "
                                   f"({step} {abs(tfdt - prev)} ticks)")
                    prev = tfdt + d
                chain.append(f"{n}:{ms[0][1]}")
            if bad:
                problems.append(f"{rid}: " + "; ".join(bad[:3]))
            evidence.append(f"{rid} segments {numbers[0]}..{numbers[-1]} across the boundary before "
                            f"{boundary} ({len(numbers)} segments, tfdt {chain[0] if chain else '?'} .. "
                            f"{chain[-1] if chain else '?'})")
    ok = not problems and bool(evidence)
    report(ok, "http", shape["name"], "loop",
           ("; ".join(problems) + " | " if problems else "") + "; ".join(evidence) + f" [{murl}]",
           expect.get("loop"))


PLAYERS_DIR = os.path.join(REPO, "tests", "e2e", "players")
BROWSER_CODECS = ("avc1", "avc3", "mp4a")


def browser_playable(stream):
    """H.264 (avc1/avc3) and AAC (mp4a) only: what Chromium's MSE plays in every build."""
    return all(r["representation"]["codecs"].split(".")[0] in BROWSER_CODECS
               for r in stream["representations"])


def players_missing():
    """Why dash.js and Shaka cannot run here, or None. tests/e2e/run.sh installs all of it
    (players/run.sh with PLAYERS_INSTALL_ONLY=1) before the groups run."""
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    need = [("node", shutil.which("node")), ("chromium", os.path.isfile(chromium) and chromium),
            ("playwright-core", os.path.isdir(os.path.join(PLAYERS_DIR, "node_modules", "playwright-core")))]
    for pkg in ("dashjs", "shaka-player"):
        need.append((f"origin/players/node_modules/{pkg}",
                     os.path.isdir(os.path.join(REPO, "origin", "players", "node_modules", pkg))))
    absent = [name for name, ok in need if not ok]
    return (", ".join(absent) + " not installed (tests/e2e/players/run.sh installs them: "
            "PLAYERS_INSTALL_ONLY=1 tests/e2e/players/run.sh)") if absent else None


PLAYER_LINE = re.compile(r"^(PASS|FAIL) (dashjs|shaka) (vod|live) (\S+): (.*)$")


def play_in_browsers(base, built, seconds, jobs):
    """dash.js and Shaka (tests/e2e/players/run.mjs, headless Chromium, the origin's player
    pages) play the H.264/AAC shapes' hand_made VOD and live (a planned start LEAD_S before a
    loop boundary, which must be crossed) for SECONDS each."""
    chosen = [(s, st) for s, st in built if browser_playable(st)]
    for s, st in built:
        if not browser_playable(st):
            codecs = sorted({r["representation"]["codecs"] for r in st["representations"]})
            print(f"NOTE corpus/{s['name']}: not played in the browsers ({', '.join(codecs)}: "
                  f"only H.264/AAC shapes are)", flush=True)
    if not chosen:
        return
    why = players_missing()
    if why:
        print(f"NOTE corpus: dash.js and Shaka not run: {why}", flush=True)
        return
    by_dir = {st["directory"]: s for s, st in chosen}
    cmd = ["node", os.path.join(PLAYERS_DIR, "run.mjs"), "--origin", base, "--player", "dashjs,shaka",
           "--seconds", str(seconds), "--plan", "--jobs", str(jobs)]
    for _, st in chosen:
        for mode in ("vod", "live"):
            cmd += ["--url", f"{base}/dash/{mode}/{st['directory']}/hand_made.mpd"]
    if os.environ.get("CHROMIUM"):
        cmd += ["--chromium", os.environ["CHROMIUM"]]
    want = 2 * 2 * len(chosen)
    seen = 0
    pending = None  # (ok, player, shape, mode, evidence, details)

    def flush():
        nonlocal pending
        if pending:
            ok, player, shape, mode, evidence, details = pending
            report(ok, player, shape["name"], mode, evidence,
                   shape.get("expect", {}).get(f"{player} {mode}"), details)
        pending = None

    limit = want * (seconds + 25) / jobs + 120
    proc = subprocess.Popen(cmd, cwd=PLAYERS_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    timer = threading.Timer(limit, proc.kill)
    timer.start()
    try:
        for line in proc.stdout:
            line = line.rstrip("\n")
            m = PLAYER_LINE.match(line)
            if m:
                flush()
                shape = next((by_dir[d] for d in by_dir if f"/dash/{m.group(3)}/{d}/" in m.group(4)), None)
                if shape is None:
                    flush()
                    report(False, m.group(2), "?", m.group(3), f"a check of no corpus shape: {line}")
                    continue
                seen += 1
                pending = (m.group(1) == "PASS", m.group(2), shape, m.group(3),
                           f"{m.group(5)} ({m.group(4)})", [])
            elif line.startswith("    ") and pending:
                pending[5].append(line)
            elif re.match(r"^\d+ passed, \d+ failed$", line):
                flush()
            elif line.strip():
                flush()
                print(f"NOTE corpus: run.mjs: {line}", flush=True)
        flush()
        err = proc.stderr.read()
        rc = proc.wait()
    finally:
        timer.cancel()
    if seen != want or rc not in (0, 1):
        report(False, "players", "-", "setup",
               f"run.mjs exit {rc}, {seen} of {want} checks reported: {tail(err, 5)} ({' '.join(cmd[:9])} ...)")


def e2elib_ms(text):
    import datetime
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def check_schema(base, out, shapes_streams, schema, work):
    """hand_made VOD and on-demand from the tree, live $Number$ and timeline=1 from the origin."""
    docs = {}  # path -> (shape, what)
    folder = os.path.join(work, "mpd")
    os.makedirs(folder, exist_ok=True)
    for shape, stream in shapes_streams:
        d = stream["directory"]
        for mode in ("vod", "odvod"):
            docs[os.path.join(out, "dash", mode, d, "hand_made.mpd")] = (shape, mode)
        for label, q in (("live $Number$", ""), ("live timeline", "timeline=1&")):
            url = f"{base}/dash/live/{d}/hand_made.mpd?{q}now={PINNED_NOW}"
            st, body = fetch(url)
            path = os.path.join(folder, f"{d}-{'tl' if q else 'num'}.mpd")
            with open(path, "wb") as f:
                f.write(body if st == 200 else b"")
            docs[path] = (shape, label)
    r = run(["xmllint", "--noout", "--nonet", "--schema", schema] + list(docs), timeout=300)
    errors = {p: [] for p in docs}
    valid = set()
    for line in r.stderr.splitlines():
        if line.endswith(" validates"):
            valid.add(line[:-len(" validates")])
            continue
        for p in docs:
            if line.startswith(p + ":"):
                errors[p].append(line[len(p) + 1:].strip())
                break
    by_shape = {}
    for p, (shape, what) in docs.items():
        by_shape.setdefault(shape["name"], (shape, []))[1].append((what, p in valid, errors[p]))
    for name, (shape, items) in by_shape.items():
        bad = [f"{what}: {'; '.join(e[:2]) or 'not valid'}" for what, ok, e in items if not ok]
        ev = ", ".join(what for what, _, _ in items)
        report(not bad, "xmllint", name, "schema",
               ("; ".join(bad) + " | " if bad else "") + f"hand_made {ev} valid against DASH-MPD.xsd",
               shape.get("expect", {}).get("schema"))


# ---------------------------------------------------------------------------------------------

def find_bin(explicit, name):
    target = os.environ.get("CARGO_TARGET_DIR")
    for c in [explicit, target and os.path.join(target, "release", name),
              os.path.join(REPO, "target", "release", name), shutil.which(name)]:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    raise SystemExit(f"corpus.py: {name} not found (cargo build --release; CARGO_TARGET_DIR)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", help="folder to make the corpus in (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--only", default="", help="shapes, comma-separated")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--bin")
    ap.add_argument("--origin-bin")
    ap.add_argument("--schema", default=matrixlib.default_schema(),
                    help="DASH-MPD.xsd (default $DASHLIVE_MPD_SCHEMA, else ../shared/reference/schema)")
    ap.add_argument("--live-seconds", type=float, default=DURATION)
    ap.add_argument("--player-seconds", type=float, default=8,
                    help="seconds dash.js and Shaka play each H.264/AAC shape, VOD and live (8)")
    ap.add_argument("--player-jobs", type=int, default=6, help="browser playbacks at once (6)")
    ap.add_argument("--no-players", action="store_true", help="leave dash.js and Shaka out")
    args = ap.parse_args()
    if args.list:
        for s in SHAPES:
            print(f"{s['name']:24} {s['what']}")
        return 0
    only = set(filter(None, args.only.split(",")))
    shapes = [s for s in SHAPES if not only or s["name"] in only]
    if only - {s["name"] for s in SHAPES}:
        raise SystemExit(f"corpus.py: no shape {sorted(only - {s['name'] for s in SHAPES})} (--list)")
    for tool in ("ffmpeg", "xmllint"):
        if not shutil.which(tool):
            print(f"corpus.py: {tool} not found", file=sys.stderr)
            return 2
    if not os.path.isfile(args.schema):
        print(f"corpus.py: no schema at {args.schema} (--schema)", file=sys.stderr)
        return 2
    dashlive = find_bin(args.bin, "dashlive")
    origin_bin = find_bin(args.origin_bin, "dashlive-origin")
    work = os.path.abspath(args.work) if args.work else tempfile.mkdtemp(prefix="dashlive-corpus-")
    os.makedirs(work, exist_ok=True)
    t0 = time.monotonic()
    try:
        return corpus(shapes, dashlive, origin_bin, work, args, t0)
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)


def corpus(shapes, dashlive, origin_bin, work, args, t0):
    src = make_inputs(dashlive, work)
    media = os.path.join(work, "media")
    config = os.path.join(work, "config")
    shutil.rmtree(config, ignore_errors=True)
    os.makedirs(os.path.join(config, "streams"))
    with open(os.path.join(config, "site.yaml"), "w") as f:
        f.write("out: ../out\nmanifests: [hand_made]\ndefaults: {}\n")
    for name, why in NOT_MADE:
        print(f"NOTE corpus/{name}: not made: {why}")

    # 1. make, 2. index
    def make(shape):
        files, err = make_shape(shape, src, media)
        expect = shape.get("expect", {})
        what = shape["what"]
        if err:
            report(False, "ffmpeg", shape["name"], "make", f"{what}: {err}", expect.get("make"))
            return shape, {}
        report(True, "ffmpeg", shape["name"], "make",
               f"{what}: " + ", ".join(f"{os.path.basename(p)} {os.path.getsize(p)} bytes" for p in files.values()),
               expect.get("make"))
        indexed = {}
        bad = []
        for stem, path in files.items():
            r = run([dashlive, "index", "--json", path])
            if r.returncode != 0:
                bad.append(f"{os.path.basename(path)}: {tail(r.stderr, 1)}")
            else:
                indexed[stem] = (path, json.loads(r.stdout)[0])
        summary = ", ".join(
            f"{rep['id']} {rep['codecs']} {len(rep['segments']) - 1} segments "
            f"{rep['media_duration'] / rep['timescale']:.3f} s"
            + (f" {rep['width']}x{rep['height']} sar {rep.get('sar')}" if rep.get("width") else "")
            + (f" lang {rep['language']}" if rep["content_type"] != "video" or "lang" in shape["name"] else "")
            for _, rep in indexed.values())
        report(not bad, "dashlive", shape["name"], "index", ("; ".join(bad) + " | " if bad else "") + summary,
               expect.get("index"))
        return shape, ({} if bad else indexed)

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        made = list(pool.map(make, shapes))
    usable = [(s, ix) for s, ix in made if ix]
    for s, ix in usable:
        stems = list(ix)
        ref = next((k for k, (_, rep) in ix.items() if rep["content_type"] == "video"), stems[0])
        with open(os.path.join(config, "streams", f"{s['name']}.yaml"), "w") as f:
            f.write(f"directory: {s['name']}\ntitle: \"{s['what'].replace(chr(34), chr(39))}\"\nmedia:\n")
            for k in stems:
                f.write(f"  - {ix[k][0]}\n")
            f.write(f"timing_ref: {ref}\n")
            # Every audio codec in the manifests (the default, mp4a, leaves AC-3 and E-AC-3 out).
            f.write("defaults:\n  acodec: any\n")
    print(f"NOTE corpus: made and indexed in {time.monotonic() - t0:.0f} s", flush=True)
    if not usable:
        return finish(t0)

    # 3. build
    out = os.path.join(work, "out")
    chk = run([dashlive, "catalog", "check", "--config", config])
    warnings = [ln for ln in (chk.stdout + chk.stderr).splitlines() if "warn" in ln.lower()]
    for w in warnings:
        print(f"NOTE corpus: catalog check: {w.strip()}")
    r = run([dashlive, "build", "--config", config, "--out", out], timeout=600)
    if r.returncode != 0:
        for s, _ in usable:
            report(False, "dashlive", s["name"], "build", tail(r.stderr, 5), s.get("expect", {}).get("build"))
        return finish(t0)
    index = e2elib.load_index(out)
    streams = {s["directory"]: s for s in index["streams"]}
    for s, ix in usable:
        st = streams.get(s["name"])
        ok = st is not None and len(st["representations"]) == len(ix)
        report(ok, "dashlive", s["name"], "build",
               f"{len(st['representations']) if st else 0} representations, manifests "
               f"{', '.join(sorted(os.path.basename(m) for m in st['manifests'])) if st else '-'}",
               s.get("expect", {}).get("build"))
    built = [(s, streams[s["name"]]) for s, _ in usable if s["name"] in streams]

    # 4. serve and judge
    with e2elib.Origin(origin_bin, out, config, os.path.join(work, "origin.log")) as origin:
        base = origin.base
        check_schema(base, out, built, args.schema, work)
        print(f"NOTE corpus: built and schema-checked at {time.monotonic() - t0:.0f} s", flush=True)
        jobs = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(built) + 2) as pool:
            # Live in real time first, all side by side (each ffmpeg takes a few % of a core),
            # the rest while they play.
            for s, st in built:
                jobs.append(pool.submit(decode_live, base, s, st, args.live_seconds, s.get("expect", {})))
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as vod_pool:
                vjobs = []
                for s, st in built:
                    counts = {r["representation"]["id"]: len(r["segments"]) for r in st["representations"]}
                    vjobs.append(vod_pool.submit(check_loop, base, s, st, counts, s.get("expect", {})))
                    for mode in ("vod", "odvod"):
                        vjobs.append(vod_pool.submit(decode_vod, base, s, st, mode, s.get("expect", {})))
                for j in vjobs:
                    j.result()
            for j in jobs:
                j.result()
        print(f"NOTE corpus: ffmpeg and http checks done at {time.monotonic() - t0:.0f} s", flush=True)
        if args.no_players:
            print("NOTE corpus: dash.js and Shaka not run (--no-players)")
        else:
            play_in_browsers(base, built, args.player_seconds, args.player_jobs)
    return finish(t0)


def finish(t0):
    passed = sum(1 for ok in results if ok)
    failed = len(results) - passed
    print(f"NOTE corpus: {time.monotonic() - t0:.0f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
