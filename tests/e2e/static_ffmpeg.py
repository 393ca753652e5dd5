#!/usr/bin/env python3
"""Serves a built tree with nginx (using the tree's own nginx.conf) and has
ffmpeg decode every VOD and on-demand manifest in it, end to end.

Usage: static_ffmpeg.py OUT_DIR [--only SUBSTRING]

--only checks only the manifests whose path contains SUBSTRING (for example
dash/vod/testcard/hand_made.mpd); negative_tree.py uses it on a tree it broke on purpose.
By hand: python3 tests/e2e/static_ffmpeg.py out --only hand_made (needs ffmpeg and nginx).

Passes when, for every manifest, ffmpeg exits 0, decodes every video frame
the index promises for each video representation and every audio frame of an
audio representation (the samples of its media duration over the codec's
frame: 1024 for AAC, 1536 for AC-3 and E-AC-3), and every request nginx
answers with 404 is for a segment number past the last one. Debian's ffmpeg
5.1 asks for segment N+1 of a static $Number$ template (its dashdec computes
the last number as startNumber + duration / segment duration); that miss is
ffmpeg's, and is the only one allowed.

Prints `PASS|FAIL ffmpeg vod <manifest path>: <evidence>` per manifest (a FAIL
line starts with its problems, then `|` and the evidence; ffmpeg's last stderr
lines follow it indented) and `N passed, M failed` last.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser(description="nginx serves a built tree; ffmpeg decodes its manifests")
ap.add_argument("out_dir")
ap.add_argument("--only", default="", help="only manifests whose path contains this")
args = ap.parse_args()
out = os.path.abspath(args.out_dir)
index = json.load(open(os.path.join(out, ".dashlive", "index.json")))

# The last segment number of every representation, by URL prefix.
last = {}
expected_frames = {}
expected_audio_frames = {}
for s in index["streams"]:
    for r in s["representations"]:
        rep = r["representation"]
        last[f"/dash/vod/{s['directory']}/{rep['id']}/"] = max(x["number"] for x in r["segments"])
        if rep["content_type"] == "video" and rep.get("frame_rate"):
            fr = rep["frame_rate"]
            secs = rep["media_duration"] / rep["timescale"]
            expected_frames[rep["id"]] = round(secs * fr["num"] / fr["den"])
        if rep["content_type"] == "audio" and rep.get("sample_rate"):
            samples = rep["media_duration"] * rep["sample_rate"] / rep["timescale"]
            per_frame = 1024 if rep["codecs"].startswith("mp4a") else 1536
            expected_audio_frames[rep["id"]] = round(samples / per_frame)

sock = socket.socket()
sock.bind(("127.0.0.1", 0))
port = sock.getsockname()[1]
sock.close()

work = tempfile.mkdtemp(prefix="dashlive-nginx-")
conf = os.path.join(work, "nginx.conf")
with open(conf, "w") as f:
    f.write(f"""daemon off;
worker_processes 1;
error_log {work}/error.log;
pid {work}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  access_log {work}/access.log;
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  # The tree's nginx.conf sends media URLs with a query here; none are asked.
  upstream dashlive_origin {{ server 127.0.0.1:5000; }}
  server {{
    listen 127.0.0.1:{port};
    root {out};
    include {out}/nginx.conf;
  }}
}}
""")
nginx = subprocess.Popen(["nginx", "-c", conf, "-p", work])
failures = []
checked = 0
try:
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    for s in index["streams"]:
        for m in s["manifests"]:
            if args.only not in m:
                continue
            url = f"http://127.0.0.1:{port}/{m}"
            before = open(f"{work}/access.log").read() if os.path.exists(f"{work}/access.log") else ""
            run = subprocess.run(
                # -f dash: ffmpeg probes DASH by profile strings, and manifest_n's
                # malformed profile is a vendor quirk we keep on purpose.
                ["ffmpeg", "-nostdin", "-v", "warning", "-f", "dash", "-i", url, "-map", "0:v", "-map", "0:a",
                 "-f", "framecrc", "-"],
                capture_output=True, text=True, timeout=300)
            checked += 1
            log = open(f"{work}/access.log").read()[len(before):]
            bad = []
            for line in log.splitlines():
                m404 = re.search(r'"GET (\S+) HTTP[^"]*" 404', line)
                if not m404:
                    continue
                path = m404.group(1).split("?")[0]
                num = re.match(r"(.*/)(\d+)\.m4[vas]$", path)
                if not (num and num.group(1) in last and int(num.group(2)) > last[num.group(1)]):
                    bad.append(path)
            frames, kinds = {}, {}
            for line in run.stdout.splitlines():
                kind = re.match(r"#media_type (\d+): (\w+)", line)
                if kind:
                    kinds[int(kind.group(1))] = kind.group(2)
                elif line and line[0].isdigit():
                    idx = int(line.split(",")[0])
                    frames[idx] = frames.get(idx, 0) + 1
            problems, details = [], []
            if run.returncode != 0:
                problems.append(f"ffmpeg exit {run.returncode}")
                details = run.stderr.strip().splitlines()[-8:]
            if bad:
                problems.append(f"404 for segments that exist in the manifest: {bad}")
            video = [frames.get(i, 0) for i, k in sorted(kinds.items()) if k == "video"]
            if not video or any(n not in expected_frames.values() for n in video):
                problems.append(f"video frames decoded per stream {video}, expected one of "
                                f"{sorted(set(expected_frames.values()))}")
            audio = [frames.get(i, 0) for i, k in sorted(kinds.items()) if k == "audio"]
            if not audio and "audio" in str(s):
                problems.append("no audio stream decoded")
            if any(n not in expected_audio_frames.values() for n in audio):
                problems.append(f"audio frames decoded per stream {audio}, expected one of "
                                f"{sorted(set(expected_audio_frames.values()))}")
            evidence = f"video frames {video}, audio frames {audio}, streams {kinds}"
            if problems:
                failures.append(m)
                print(f"FAIL ffmpeg vod {m}: {'; '.join(problems)} | {evidence}")
                for d in details:
                    print(f"    ffmpeg: {d}")
            else:
                print(f"PASS ffmpeg vod {m}: {evidence}")
finally:
    nginx.terminate()
    nginx.wait()
    shutil.rmtree(work, ignore_errors=True)

print(f"{checked - len(set(failures))} passed, {len(set(failures))} failed")
sys.exit(1 if failures or checked == 0 else 0)
