#!/usr/bin/env python3
"""ffmpeg plays live streams from a running origin.

Usage: live_ffmpeg.py BASE_URL [SECONDS]

For each live manifest below, ffmpeg reads the stream in real time (-re,
without which ffmpeg 5.1 re-fetches one live segment in a loop) and decodes
SECONDS of the first video and audio track. A run passes on what ffmpeg
decoded (frame count and output time from -progress), never on its exit code,
which is 0 even when segments are missing. The checks run side by side.
Prints one PASS/FAIL line per stream and exits non-zero on any failure.
"""

import subprocess
import sys
import threading

STREAMS = [
    "dash/live/testcard/hand_made.mpd",
    "dash/live/testcard/hand_made.mpd?timeline=1",
    "dash/live/testcard/manifest_a.mpd",
    "dash/live/testcard/manifest_e.mpd?time=xsd",
]
FPS = 25


def progress_values(text):
    values = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def play(url, seconds, results, i):
    cmd = [
        "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-re", "-i", url,
        "-map", "0:v:0", "-map", "0:a:0", "-t", str(seconds),
        "-f", "null", "-", "-progress", "pipe:1",
    ]
    try:
        run = subprocess.run(
            ["timeout", "-k", "5", str(seconds + 40)] + cmd,
            capture_output=True, text=True, check=False,
        )
    except OSError as e:
        results[i] = (False, f"cannot run ffmpeg: {e}")
        return
    values = progress_values(run.stdout)
    frames = int(values.get("frame", "0") or 0)
    out_us = int(values.get("out_time_us", "0") or 0)
    want = seconds * FPS
    # One frame of slack: -t cuts on the audio or the video clock.
    ok = frames >= want - 1 and out_us >= (seconds - 0.1) * 1e6
    errors = run.stderr.strip().splitlines()[:5]
    detail = f"{frames} frames (want {want}), {out_us / 1e6:.2f} s decoded"
    if errors:
        detail += "; ffmpeg said: " + " | ".join(errors)
    results[i] = (ok, detail)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    base = sys.argv[1].rstrip("/") + "/"
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    results = [None] * len(STREAMS)
    threads = [
        threading.Thread(target=play, args=(base + s, seconds, results, i))
        for i, s in enumerate(STREAMS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = 0
    for stream, (ok, detail) in zip(STREAMS, results):
        print(f"{'PASS' if ok else 'FAIL'} live {stream}: {detail}")
        failed += not ok
    print(f"{len(STREAMS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
