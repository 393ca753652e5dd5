#!/usr/bin/env python3
"""Multi-period programmes judged by the DASH schema and by ffmpeg.

Usage: mps_check.py BASE_URL OUT_DIR [--schema DASH-MPD.xsd]

  BASE_URL  a running dashlive-origin serving OUT_DIR
  OUT_DIR   the tree `dashlive build` wrote (its mps/vod/<name>/ are the programmes)

- schema: every programme's built VOD manifest, and its live manifest with
  $Number$ and with timeline=1 at the fixed clocks of schema_check.py, through
  xmllint; each live answer must be a 200 dynamic MPD. The same with DRM
  (`drm=all&enc=cenc`, VOD and live): a programme with encrypted periods
  (`*-drm`) must then protect some Periods and leave others clear.
- ffmpeg: the whole VOD programme decoded, its video frame count equal to the
  sum over its Periods of Period@duration x the frame rate. Debian's ffmpeg 5.1
  reads one Period of a manifest (the last), so a local proxy hands it each
  Period in turn as a one-Period static MPD (Period at 0, its own duration,
  absolute BaseURL): every segment of every period is decoded, and the counts
  are added up.

Prints `PASS|FAIL <check> <programme>: <evidence>` per check and
`N passed, M failed` last. Exit 0 all passed, 1 a failure, 2 a setup error.
"""
import argparse
import http.server
import os
import re
import sys
import threading
import xml.etree.ElementTree as ET

import matrixlib as ml
from schema_check import TIMES

NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}


def periods_of(xml_text):
    """(id, duration s, frame rate of its first video Representation) per Period."""
    root = ET.fromstring(xml_text)
    out = []
    for p in root.findall("d:Period", NS):
        rate = None
        for aset in p.findall("d:AdaptationSet", NS):
            rep = aset.find("d:Representation", NS)
            fr = (rep is not None and rep.get("frameRate")) or aset.get("frameRate")
            if (aset.get("contentType") == "video" or "video" in (aset.get("mimeType") or "")) and fr:
                rate = ml.fraction(fr)
                break
        out.append((p.get("id"), ml.parse_duration(p.get("duration")), rate))
    return out


def one_period(xml_text, index, manifest_url):
    """The manifest with Period `index` only, at time 0, and an absolute BaseURL."""
    ET.register_namespace("", NS["d"])
    root = ET.fromstring(xml_text)
    periods = root.findall("d:Period", NS)
    for i, p in enumerate(periods):
        if i != index:
            root.remove(p)
    p = periods[index]
    p.set("start", "PT0S")
    root.set("mediaPresentationDuration", p.get("duration"))
    base = p.find("d:BaseURL", NS)
    base.text = manifest_url.rsplit("/", 1)[0] + "/" + base.text
    return ET.tostring(root, encoding="unicode")


class PeriodServer:
    """Serves /<i>.mpd: Period i of the current manifest."""

    def __init__(self):
        self.docs = {}
        docs = self.docs

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = docs.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", ml.DASH_XML)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def decode(name, base, server):
    """Problems and evidence of decoding programme `name`'s VOD in full."""
    url = f"{base}mps/vod/{name}/hand_made.mpd"
    status, body, _ = ml.fetch(url)
    if status != 200:
        return [f"{url}: HTTP {status}"], ""
    text = body.decode()
    problems, parts, total, want_total = [], [], 0, 0
    for i, (pid, seconds, rate) in enumerate(periods_of(text)):
        if not rate or seconds is None:
            problems.append(f"period {pid}: no video frame rate or duration")
            continue
        want = round(seconds * rate)
        server.docs[f"/{i}.mpd"] = one_period(text, i, url)
        result = ml.run_ffmpeg(f"{server.base}/{i}.mpd", False, 0, 300)
        v = ml.by_kind(result, "video")
        got = v["count"] if v else 0
        total += got
        want_total += want
        # Reported, not judged: ffmpeg 5.1 shows a one-frame gap at the start of a
        # Period whose span starts mid-stream (show2 of testcard-break) though no
        # frame is missing; the count is the verdict.
        gap = f" (gap {v['max_gap']:.3f} s)" if v and v["max_gap"] > 0.5 / rate else ""
        parts.append(f"{pid} {got}/{want}{gap}")
        if result["returncode"] != 0:
            problems.append(f"period {pid}: ffmpeg exit {result['returncode']}: {' / '.join(result['stderr'])}")
        if got != want:
            problems.append(f"period {pid}: {got} video frames, want {want} ({seconds} s x {rate:g} fps)")
        elif v and v["min_gap"] < -0.001:
            problems.append(f"period {pid}: video frames overlap by {-v['min_gap']:.3f} s")
    return problems, f"{total} video frames, want {want_total} (sum of the periods: {', '.join(parts)})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("base_url")
    ap.add_argument("out_dir")
    ap.add_argument("--schema", default=ml.default_schema())
    args = ap.parse_args()
    base = args.base_url.rstrip("/") + "/"
    vod_dir = os.path.join(args.out_dir, "mps", "vod")
    try:
        ml.require_tools(args.schema, ffmpeg=True)
        ml.check_origin(base)
        names = sorted(os.listdir(vod_dir)) if os.path.isdir(vod_dir) else []
        if not names:
            raise ml.SetupError(f"no programmes under {vod_dir}")
    except ml.SetupError as e:
        print(f"setup error: {e}")
        return 2

    passed = failed = 0

    def verdict(ok, what, evidence):
        nonlocal passed, failed
        print(f"{'PASS' if ok else 'FAIL'} {what}: {evidence}")
        if ok:
            passed += 1
        else:
            failed += 1

    # Schema: the built VOD manifests and live ones at fixed clocks.
    for name in names:
        docs, problems = {}, []
        with open(os.path.join(vod_dir, name, "hand_made.mpd"), "rb") as f:
            docs["vod"] = f.read()
        for mode, q in [("$Number$", ""), ("timeline=1", "timeline=1&")]:
            for label, now in TIMES:
                url = f"{base}mps/live/{name}/hand_made.mpd?{q}now={now}"
                status, body, ctype = ml.fetch(url)
                root, err = ml.parse(body) if status == 200 else (None, f"HTTP {status}")
                if root is None or root.get("type") != "dynamic" or not ctype.startswith(ml.DASH_XML):
                    problems.append(f"{url}: {err or 'not a dynamic DASH MPD'}")
                    continue
                docs[f"live {mode} {label}: {url}"] = body
        # DRM: every system signalled, clear representations encrypted per request.
        drm_q = "drm=all&enc=cenc&"
        for mode, q in [("vod", ""), ("live $Number$", ""), ("live timeline=1", "timeline=1&")]:
            m = "vod" if mode == "vod" else "live"
            url = f"{base}mps/{m}/{name}/hand_made.mpd?{q}{drm_q}now={TIMES[0][1]}"
            status, body, _ = ml.fetch(url)
            if status != 200:
                problems.append(f"{url}: HTTP {status}")
                continue
            docs[f"drm {mode}: {url}"] = body
            protected = [("<ContentProtection" in p) for p in body.decode().split("<Period ")[1:]]
            if name.endswith("-drm") and not (any(protected) and not all(protected)):
                problems.append(f"{url}: Periods protected {protected}, want some encrypted and some clear")
            if not name.endswith("-drm") and any(protected):
                problems.append(f"{url}: a Period of a programme without encrypted periods is protected")
        try:
            errors = ml.validate(docs, args.schema)
        except ml.SetupError as e:
            print(f"setup error: {e}")
            return 2
        for key, errs in errors.items():
            problems += [f"{key}: {e}" for e in errs]
        verdict(not problems, f"xmllint mps {name}",
                "; ".join(problems[:6]) or f"{len(docs)} manifests valid (vod, live x {len(TIMES)} clocks x 2, drm vod and live x 2)")

    server = PeriodServer()
    try:
        for name in names:
            problems, evidence = decode(name, base, server)
            verdict(not problems, f"ffmpeg mps vod {name}",
                    ("; ".join(problems) + " | " if problems else "") + evidence)
    finally:
        server.close()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
