#!/usr/bin/env python3
"""ffmpeg plays live streams from a running origin.

Usage: live_ffmpeg.py BASE_URL [SECONDS]

For every live template (hand_made, manifest_a, _e, _ef, _h, _i, _n), with $Number$ and with
?timeline=1, plus manifest_e with time=xsd, ffmpeg reads the stream in real time (-re,
without which ffmpeg 5.1 re-fetches one live segment in a loop) and decodes SECONDS (default
20) of the first video and audio track. A run passes on what ffmpeg decoded (frame count and
output time from -progress), never on its exit code, which is 0 even when segments are
missing, and on stalls: -re catches up after one without losing a frame, so the script
watches the -progress blocks (every 0.5 s) and fails a run whose output time stood still for
more than 2.5 s of wall time once it had started. The 15 checks run side by side
(measured: one ffmpeg takes about 5% of a core, decoding the first video track, 360p, and
the audio; the other representations are fetched for the first segment only). `-f dash`
because ffmpeg probes DASH by profile strings and manifest_n's malformed profile is a vendor
quirk kept on purpose. Prints one `PASS|FAIL ffmpeg live <url>: <evidence>` line per stream and exits non-zero on any failure.

ffmpeg 5.1 and a live edge without suggestedPresentationDelay (manifest_ef, manifest_h and
manifest_i, whose vendors write none): for a $Number$ stream ffmpeg starts at the segment still
being produced and never waits for one to become available. The origin holds such a request
until the segment is complete (as an encoder's origin would) instead of answering 404, so
these play like any other; without that hold ffmpeg would run ahead of the live edge on 404s
and never play.

By hand: python3 tests/e2e/live_ffmpeg.py http://127.0.0.1:5000 16
"""

import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib  # noqa: E402

# And dash-live's v2 manifest URL, which answers 302 to today's: players must follow it.
STREAMS = e2elib.live_paths("testcard") + [
    "dash/live/testcard/manifest_e.mpd?time=xsd",
    "dash/testcard/hand_made.mpd?mode=live",
]
FPS = 25
STALL_MAX = 2.5  # seconds of wall time without the output time moving (progress comes every 0.5 s)


def play(url, seconds, results, i):
    cmd = [
        "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-re", "-f", "dash", "-i", url,
        "-map", "0:v:0", "-map", "0:a:0", "-t", str(seconds),
        "-f", "null", "-", "-progress", "pipe:1",
    ]
    values, first, last_advance, last_out, stall = {}, None, None, 0, 0.0
    with tempfile.TemporaryFile(mode="w+") as err:
        try:
            proc = subprocess.Popen(
                ["timeout", "-k", "5", str(seconds + 40)] + cmd,
                stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, text=True,
            )
        except OSError as e:
            results[i] = (False, f"cannot run ffmpeg: {e}")
            return
        # -progress writes a block of key=value lines every 0.5 s, ending with progress=...;
        # the longest wall time without the output time moving is the longest stall.
        for line in proc.stdout:
            key, _, value = line.strip().partition("=")
            values[key] = value
            if key != "progress":
                continue
            now = time.monotonic()
            out = int(values.get("out_time_us", "0") or 0) if values.get("out_time_us", "N/A") != "N/A" else 0
            if out > last_out:
                if first is None:
                    first = now
                else:
                    stall = max(stall, now - last_advance)
                last_advance, last_out = now, out
        proc.wait()
        end = time.monotonic()
        err.seek(0)
        errors = err.read().strip().splitlines()[:5]
    frames = int(values.get("frame", "0") or 0)
    want = seconds * FPS
    # One frame of slack: -t cuts on the audio or the video clock.
    decoded = frames >= want - 1 and last_out >= (seconds - 0.1) * 1e6
    steady = stall <= STALL_MAX
    detail = f"{frames} frames (want {want}), {last_out / 1e6:.2f} s decoded"
    if first is not None:
        detail += f" in {end - first:.1f} s from the first output, longest stall {stall:.1f} s"
    if not steady:
        detail += f" (over {STALL_MAX} s: stalled)"
    if errors:
        detail += "; ffmpeg said: " + " | ".join(errors)
    results[i] = (decoded and steady, detail)


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
        print(f"{'PASS' if ok else 'FAIL'} ffmpeg live {base}{stream}: {detail}")
        failed += not ok
    print(f"{len(STREAMS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
