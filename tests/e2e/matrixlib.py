"""Shared code of schema_check.py and matrix.py: HTTP, the batched xmllint
run, the vendor templates' expected schema errors, and judging ffmpeg runs.

Nothing here runs on import; see the two scripts for what is checked.
"""

import datetime
import html.parser
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

NS = "{urn:mpeg:dash:schema:mpd:2011}"
DASH_XML = "application/dash+xml"

# Templates with a live mode, and every mode of every template (the
# registry in src/mpd/registry.rs).
LIVE_TEMPLATES = ["hand_made", "manifest_a", "manifest_e", "manifest_ef", "manifest_h",
                  "manifest_i", "manifest_n"]
TEMPLATE_MODES = {
    "hand_made": ["vod", "live", "odvod"],
    "manifest_a": ["vod", "live"],
    "manifest_b": ["vod"],
    "manifest_e": ["vod", "live"],
    "manifest_ef": ["vod", "live"],
    "manifest_h": ["vod", "live"],
    "manifest_i": ["vod", "live"],
    "manifest_n": ["vod", "live"],
    "manifest_vod_aiv": ["odvod"],
}


# ------------------------------------------------------------ expected errors

def _rep_attr(attr):
    return (f"Representation@{attr}",
            re.compile(r"Element '\{urn:mpeg:dash:schema:mpd:2011\}Representation', attribute "
                       rf"'{attr}': The attribute '{attr}' is not allowed\."))


# The schema errors a vendor template keeps on purpose, matched by message
# (tests/mpd_templates.rs, docs/templates.md "Quirk decisions"): YouTube-era
# audio Representation attributes (vendors A, B, E) and Amazon's proprietary
# SegmentDurations (AIV). Any other schema error fails.
SAMPLE_RATE = _rep_attr("sampleRate")
NUM_CHANNELS = _rep_attr("numChannels")
REP_LANG = _rep_attr("lang")
SEGMENT_DURATIONS = (
    "SegmentDurations element",
    re.compile(r"Element '\{urn:mpeg:dash:schema:mpd:2011\}SegmentDurations': This element is "
               r"not expected\."))
EXPECTED_ERRORS = {
    "manifest_a": [SAMPLE_RATE, NUM_CHANNELS, REP_LANG],
    "manifest_b": [SAMPLE_RATE, NUM_CHANNELS, REP_LANG],
    "manifest_e": [NUM_CHANNELS, REP_LANG],
    "manifest_vod_aiv": [SEGMENT_DURATIONS],
}


def classify_errors(template, errors):
    """(names of the expected quirks seen, unexpected error lines)."""
    seen, unexpected = set(), []
    for e in errors:
        for name, pattern in EXPECTED_ERRORS.get(template, []):
            if pattern.search(e):
                seen.add(name)
                break
        else:
            unexpected.append(e)
    return seen, unexpected


def expected_errors_text():
    lines = []
    for t, quirks in EXPECTED_ERRORS.items():
        lines.append(f"  {t}: " + "; ".join(p.pattern for _, p in quirks))
    return "\n".join(lines)


# ------------------------------------------------------------------- setup

class SetupError(Exception):
    """Something the checks need is missing: exit 2."""


def default_schema():
    env = os.environ.get("DASHLIVE_MPD_SCHEMA")
    if env:
        return env
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(os.path.dirname(repo), "shared", "reference", "schema", "DASH-MPD.xsd")


def require_tools(schema=None, ffmpeg=False):
    tools = ["xmllint"] + (["ffmpeg", "timeout"] if ffmpeg else [])
    for tool in tools:
        try:
            subprocess.run([tool, "-version" if tool == "ffmpeg" else "--version"],
                           capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SetupError(f"cannot run {tool}: {e}") from e
    if schema is not None and not os.path.isfile(schema):
        raise SetupError(f"no DASH schema at {schema} (set DASHLIVE_MPD_SCHEMA or --schema)")


# -------------------------------------------------------------------- HTTP

def fetch(url, timeout=20):
    """(status, body bytes, content type); status 0 and the error as body
    when no HTTP answer came."""
    req = urllib.request.Request(url, headers={"User-Agent": "dashlive-e2e"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        try:
            body = e.read()
        except OSError:
            body = b""
        return e.code, body, e.headers.get("Content-Type", "") if e.headers else ""
    except (OSError, ValueError) as e:
        return 0, str(e).encode(), ""


def check_origin(base):
    status, body, _ = fetch(base + "healthz", timeout=10)
    if status != 200:
        raise SetupError(f"origin not answering at {base}healthz: "
                         f"{status or body.decode(errors='replace')}")


def strip_location(xml_text):
    """The manifest without its Location elements (they echo the query)."""
    return re.sub(r"\s*<Location>.*?</Location>", "", xml_text)


# ------------------------------------------------------------- manifests

def parse(xml_bytes):
    """(root element, None) or (None, the parser's error)."""
    try:
        return ET.fromstring(xml_bytes), None
    except ET.ParseError as e:
        return None, f"not well-formed: {e}"


def _content_type(aset):
    ct = aset.get("contentType")
    if ct:
        return ct
    mime = aset.get("mimeType") or ""
    if not mime:
        rep = aset.find(NS + "Representation")
        mime = rep.get("mimeType", "") if rep is not None else ""
    return {"video": "video", "audio": "audio"}.get(mime.split("/")[0], "text")


def manifest_summary(root):
    """What a decode is judged against: the first video and audio
    Representation (ffmpeg's 0:v:0 and 0:a:0), every Representation id by
    content type, and the addressing facts live decoding depends on."""
    out = {"video": [], "audio": [], "text": [], "frame_rate": {},
           "timeline": root.find(f".//{NS}SegmentTimeline") is not None,
           "spd": root.get("suggestedPresentationDelay"),
           "depth": parse_duration(root.get("timeShiftBufferDepth")),
           "ast": root.get("availabilityStartTime"),
           "duration": parse_duration(root.get("mediaPresentationDuration")),
           "type": root.get("type", "static")}
    for aset in root.iter(NS + "AdaptationSet"):
        ct = _content_type(aset)
        for rep in aset.iter(NS + "Representation"):
            rid = rep.get("id")
            out.setdefault(ct, []).append(rid)
            fr = rep.get("frameRate") or aset.get("frameRate") or aset.get("maxFrameRate")
            if fr:
                out["frame_rate"][rid] = fraction(fr)
    return out


def fraction(text):
    num, _, den = text.partition("/")
    return int(num) / int(den or 1)


def parse_duration(text):
    """xs:duration (PnDTnHnMnS) in seconds, None when absent."""
    if not text:
        return None
    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?", text)
    if not m:
        return None
    d, h, mi, s = m.groups()
    return int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]


def discover_streams(base, out_dir=None):
    """Stream directory -> {"video"/"audio"/"text": [clear Representation
    ids], "reps": {id: {kind, seconds, frames, fps, ...}}, "max_segment": the
    longest video/audio segment (s), "audio_loop_gap": the audio gap allowed
    at a loop boundary (s)}: from OUT_DIR's index when given (exact), else
    from the origin's index.html and each stream's VOD manifest."""
    streams = {}
    if out_dir:
        path = os.path.join(out_dir, ".dashlive", "index.json")
        try:
            with open(path) as f:
                index = json.load(f)
        except (OSError, ValueError) as e:
            raise SetupError(f"cannot read {path}: {e}") from e
        for s in index["streams"]:
            info = {"video": [], "audio": [], "text": [], "reps": {}, "max_segment": 0.0}
            for r in s["representations"]:
                rep = r["representation"]
                kind = rep["content_type"]
                if not rep.get("encryption"):  # listed only with drm=
                    info[kind if kind in ("video", "audio") else "text"].append(rep["id"])
                secs = rep["media_duration"] / rep["timescale"]
                entry = {"kind": kind, "seconds": secs}
                if kind == "video" and rep.get("frame_rate"):
                    fr = rep["frame_rate"]
                    entry["frames"] = round(secs * fr["num"] / fr["den"])
                    entry["fps"] = fr["num"] / fr["den"]
                entry["count"] = len(r["segments"])
                entry["timescale"] = rep["timescale"]
                entry["encrypted"] = bool(rep.get("encryption"))
                info["reps"][rep["id"]] = entry
                if kind in ("video", "audio"):
                    longest = max((x["duration"] for x in r["segments"]), default=0)
                    info["max_segment"] = max(info["max_segment"], longest / rep["timescale"])
            # The content loops at the timing reference's length; a track
            # shorter than it (BBB's audio ends 15 ms before its video) has
            # that much of a gap at each loop boundary, by design.
            ref_rep = next(r["representation"] for r in s["representations"]
                           if r["representation"]["id"] == s.get("timing_ref"))
            for e in info["reps"].values():
                # One loop in this representation's ticks: loop_num / loop_den.
                e["loop_num"] = ref_rep["media_duration"] * e["timescale"]
                e["loop_den"] = ref_rep["timescale"]
            ref = info["reps"].get(s.get("timing_ref"), {}).get("seconds")
            info["audio_loop_gap"] = max(
                [ref - e["seconds"] for e in info["reps"].values()
                 if ref and e["kind"] == "audio"] + [0.0]) + 0.005
            streams[s["directory"]] = info
        return streams
    status, body, _ = fetch(base + "index.html")
    if status != 200:
        raise SetupError(f"cannot list streams: {base}index.html answered {status}")
    parser = _Links()
    parser.feed(body.decode(errors="replace"))
    dirs = sorted({m.group(1) for link in parser.links
                   for m in [re.match(r"dash/vod/([^/]+)/hand_made\.mpd$", link)] if m})
    for d in dirs:
        status, body, _ = fetch(f"{base}dash/vod/{d}/hand_made.mpd?acodec=any")
        root, err = parse(body) if status == 200 else (None, f"HTTP {status}")
        if root is None:
            raise SetupError(f"cannot read the VOD manifest of {d}: {err}")
        summary = manifest_summary(root)
        info = {k: summary[k] for k in ("video", "audio", "text")}
        info["reps"] = {}
        secs = summary["duration"] or 0
        for k in ("video", "audio", "text"):
            for rid in summary[k]:
                entry = {"kind": k, "seconds": secs}
                if rid in summary["frame_rate"] and k == "video":
                    entry["fps"] = summary["frame_rate"][rid]
                    entry["frames"] = round(secs * entry["fps"])
                info["reps"][rid] = entry
        durations = [int(t.get("duration")) / int(t.get("timescale", "1"))
                     for a in root.iter(NS + "AdaptationSet") if _content_type(a) != "text"
                     for t in a.iter(NS + "SegmentTemplate") if t.get("duration")]
        info["max_segment"] = max(durations, default=4.0)
        info["audio_loop_gap"] = 0.05  # unknown without the index
        streams[d] = info
    if not streams:
        raise SetupError(f"no streams listed at {base}index.html")
    return streams


# ----------------------------------------------------------------- xmllint

PATCH_OPS_URL = "https://www.iana.org/assignments/xml-registry/schema/patch-ops.xsd"


def patch_schema_env(mpd_schema, tmp):
    """(DASH-MPD-PATCH.xsd beside the MPD schema, an environment whose XML
    catalog, written in tmp, maps the patch-ops.xsd it includes by https URL
    to a local file: $DASHLIVE_PATCH_OPS_XSD, else the tests' stand-in)."""
    patch = os.path.join(os.path.dirname(mpd_schema), "DASH-MPD-PATCH.xsd")
    if not os.path.isfile(patch):
        raise SetupError(f"no DASH patch schema at {patch}")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ops = os.environ.get("DASHLIVE_PATCH_OPS_XSD") or os.path.join(
        repo, "common", "patch-ops-stand-in.xsd")
    catalog = os.path.join(tmp, "catalog.xml")
    with open(catalog, "w") as f:
        f.write('<?xml version="1.0"?>\n<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">'
                f'<uri name="{PATCH_OPS_URL}" uri="file://{ops}"/>'
                f'<system systemId="{PATCH_OPS_URL}" uri="file://{ops}"/></catalog>\n')
    return patch, dict(os.environ, XML_CATALOG_FILES=catalog)


def validate(docs, schema, timeout=300, chunk=2000, env=None):
    """Schema-validate many documents with as few xmllint runs as possible.
    docs: {key: xml bytes}. Returns {key: [error lines]} (empty = valid); a
    document xmllint gave no verdict for gets an error saying so."""
    result = {}
    keys = list(docs)
    with tempfile.TemporaryDirectory(prefix="dashlive-xsd-") as tmp:
        names = {}
        for i, key in enumerate(keys):
            path = os.path.join(tmp, f"{i:05d}.mpd")
            with open(path, "wb") as f:
                f.write(docs[key])
            names[path] = key
        paths = list(names)
        for start in range(0, len(paths), chunk):
            batch = paths[start:start + chunk]
            try:
                run = subprocess.run(
                    ["xmllint", "--noout", "--nonet", "--schema", schema] + batch,
                    capture_output=True, text=True, timeout=timeout, check=False, env=env)
            except subprocess.TimeoutExpired:
                for p in batch:
                    result[names[p]] = [f"xmllint timed out after {timeout} s"]
                continue
            errors = {p: [] for p in batch}
            verdict = {}
            current = None
            prefix = re.compile(r"^(" + re.escape(tmp) + r"/\d{5}\.mpd)"
                                r"(:\d+: | validates$| fails to validate$)")
            for line in run.stderr.splitlines():
                m = prefix.match(line)
                if m:
                    current = m.group(1)
                    if m.group(2).startswith(" "):
                        verdict[current] = m.group(2).strip()
                    else:
                        errors[current].append(line[len(current) + 1:])
                elif "Schemas parser error" in line or "failed to compile" in line:
                    raise SetupError(f"xmllint cannot use the schema {schema}: {line}")
                elif current:
                    errors[current].append(line)
            for p in batch:
                errs = errors[p]
                if not errs and verdict.get(p) != "validates":
                    errs = [f"xmllint: {verdict.get(p, 'no verdict')} (exit {run.returncode})"]
                result[names[p]] = errs
    return result


# --------------------------------------------------------------- lag proxy

class DecodeProxy:
    """A local HTTP proxy to the origin through which ffmpeg plays live
    manifests, keeping in each dynamic MPD only what ffmpeg is asked to
    decode (-map 0:v:0 -map 0:a:0: the first video and the first audio
    Representation, in document order) and changing nothing else (segments
    and static manifests pass as they are; the manifests are validated as
    the origin serves them, elsewhere). ffmpeg 5.1 opens every
    Representation of a live manifest one after the other, each at the live
    edge it computes then, and starts its output clock at the earliest
    track, mapped or not: a text track with longer segments (BBB's are 10 s)
    would push video and audio out of -t, and without a
    suggestedPresentationDelay each Representation opened waits for the
    segment in progress, so the last one starts up to a segment per
    Representation late. The others are fetched for their first segment
    only and never judged, so leaving them out changes no verdict and
    bounds the wait at two segments."""

    def __init__(self, base):
        import http.server
        import threading
        upstream = base.rstrip("/")

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                status, body, ctype = fetch(upstream + self.path, timeout=40)
                if status == 200 and ctype.startswith(DASH_XML):
                    body = rewrite_for_ffmpeg(body.decode()).encode()
                self.send_response(status or 502)
                self.send_header("Content-Type", ctype or "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # ffmpeg hanging up mid-answer is no news

        self.server = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


_REPRESENTATION = re.compile(r"\s*<Representation\b[^>]*?(?:/>|>.*?</Representation>)", re.S)


def rewrite_for_ffmpeg(text):
    """See DecodeProxy: a dynamic MPD with its first video and first audio
    Representation only (no text)."""
    head = re.search(r"<MPD\b[^>]*>", text)
    if not head or 'type="dynamic"' not in head.group(0):
        return text
    kept = set()

    def trim_set(m):
        whole = m.group(0)
        kind = re.search(r'contentType="(video|audio)"|mimeType="(video|audio)/', whole)
        kind = kind and (kind.group(1) or kind.group(2))
        if kind is None or kind in kept:
            return ""
        kept.add(kind)
        for extra in _REPRESENTATION.findall(whole)[1:]:
            whole = whole.replace(extra, "", 1)
        return whole
    return re.sub(r"\s*<AdaptationSet\b[^>]*?(?:/>|>.*?</AdaptationSet>)", trim_set, text, flags=re.S)


# ------------------------------------------------------------------ ffmpeg

def run_ffmpeg(url, live, seconds, timeout):
    """Decode the first video and audio track of a DASH manifest to
    framecrc. Returns a dict: streams {index: {kind, tb, rate, count, first,
    last, end (s), samples (summed durations in the time base), max_gap and
    min_gap (s between one frame's end and the next's start)}}, returncode,
    wall time, the stderr tail."""
    # -threads 1: single-threaded decoding, the least CPU per frame (see matrix.py).
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-threads", "1"]
    if live:
        cmd.append("-re")
    # -f dash: manifest_n's malformed profile defeats ffmpeg's probe.
    cmd += ["-f", "dash", "-i", url, "-map", "0:v:0", "-map", "0:a:0?"]
    if live:
        cmd += ["-t", str(seconds)]
    # passthrough: no duplicated or dropped frames hide a gap.
    cmd += ["-fps_mode", "passthrough", "-f", "framecrc", "-"]
    t0 = time.monotonic()
    try:
        run = subprocess.run(["timeout", "-k", "5", str(timeout)] + cmd, capture_output=True,
                             text=True, check=False, timeout=timeout + 20)
        stdout, stderr, rc = run.stdout, run.stderr, run.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout or b""
        stdout = out.decode(errors="replace") if isinstance(out, bytes) else out
        stderr, rc = "python-side timeout", -1
    except OSError as e:
        return {"streams": {}, "returncode": -1, "wall": 0.0,
                "stderr": [f"cannot run ffmpeg: {e}"]}
    wall = time.monotonic() - t0
    streams = {}

    def stream(i):
        return streams.setdefault(i, {"count": 0, "samples": 0, "max_gap": 0.0, "min_gap": 0.0})

    for line in stdout.splitlines():
        if line.startswith("#"):
            m = re.match(r"#(tb|media_type|sample_rate) (\d+): (.+)", line)
            if m:
                s = stream(int(m.group(2)))
                if m.group(1) == "tb":
                    n, _, d = m.group(3).partition("/")
                    s["tb"] = int(n) / int(d)
                elif m.group(1) == "media_type":
                    s["kind"] = m.group(3).strip()
                else:
                    s["rate"] = int(m.group(3))
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 6 or not parts[0].isdigit():
            continue
        s = stream(int(parts[0]))
        tb = s.get("tb", 1.0)
        pts, dur = int(parts[2]) * tb, int(parts[3]) * tb
        if s["count"]:
            s["max_gap"] = max(s["max_gap"], pts - s["end"])
            s["min_gap"] = min(s["min_gap"], pts - s["end"])
        else:
            s["first"] = pts
        s["count"] += 1
        s["samples"] += int(parts[3])
        s["last"] = pts
        s["end"] = pts + dur
    noise = ("Error when loading first fragment", "Last message repeated",
             "Invalid data found when processing input")
    lines = [l for l in stderr.splitlines() if l.strip() and not any(n in l for n in noise)]
    return {"streams": streams, "returncode": rc, "wall": wall, "stderr": lines[-6:]}


def by_kind(result, kind):
    for _, s in sorted(result["streams"].items()):
        if s.get("kind") == kind:
            return s
    return None


def judge_vod(result, want_frames, fps, want_audio_s):
    """Problems with a whole VOD/on-demand decode (empty = pass): every video
    frame the content has, the audio's full length, no gap in either."""
    problems = []
    v = by_kind(result, "video")
    a = by_kind(result, "audio")
    if not v:
        problems.append("no video decoded")
    else:
        if v["count"] != want_frames:
            problems.append(f"{v['count']} video frames, want {want_frames}")
        if v["max_gap"] > 0.5 / fps or v["min_gap"] < -0.001:
            problems.append(f"video gap of {v['max_gap']:.3f} s / overlap {-v['min_gap']:.3f} s")
    if want_audio_s is None:
        if a:
            problems.append("audio decoded, but the manifest lists none")
    elif not a:
        problems.append("no audio decoded")
    else:
        got = a["samples"] / a["rate"]
        if abs(got - want_audio_s) > 0.05:
            problems.append(f"{got:.3f} s of audio, want {want_audio_s:.3f}")
        if a["max_gap"] > 0.01 or a["min_gap"] < -0.001:
            problems.append(f"audio gap of {a['max_gap']:.3f} s / overlap {-a['min_gap']:.3f} s")
    return problems


def judge_live(result, seconds, fps, max_segment, audio_expected, audio_gap=0.01,
               late_segments=1):
    """Problems with a live run of SECONDS of output (empty = pass). ffmpeg
    picks every Representation's first segment on its own and starts its
    output clock (and -t) at the earliest of them, mapped or not, so a track
    may start up to a segment late and then gets less of the SECONDS: each
    track must start within LATE_SEGMENTS segments of the output's start
    (see start_slack), cover the rest of SECONDS without a gap, and video must
    hold a frame per 1/fps of it."""
    problems = []
    v = by_kind(result, "video")
    a = by_kind(result, "audio")
    tracks = [("video", v)] + ([("audio", a)] if audio_expected else [])
    for name, s in tracks:
        if not s or not s["count"]:
            problems.append(f"no {name} decoded")
            continue
        offset = max(0.0, s["first"])
        if offset > late_segments * max_segment + 0.25:
            problems.append(f"{name} starts {offset:.2f} s into the output "
                            f"(more than {late_segments} x {max_segment:.2f} s segments)")
        covered = s["end"] - s["first"]
        want = seconds - offset - 0.25
        if covered < want:
            problems.append(f"{name} covers {covered:.2f} s, want >= {want:.2f}")
        if name == "video":
            want_frames = int((seconds - offset) * fps) - 2
            if s["count"] < want_frames:
                problems.append(f"{s['count']} video frames, want >= {want_frames}")
            if s["max_gap"] > 0.5 / fps:
                problems.append(f"video gap of {s['max_gap']:.3f} s")
        elif s["max_gap"] > audio_gap:
            problems.append(f"audio gap of {s['max_gap']:.3f} s (allowed {audio_gap:.3f})")
        if s["min_gap"] < -0.001:
            problems.append(f"{name} goes back {-s['min_gap']:.3f} s")
    if not audio_expected and a:
        problems.append("audio decoded, but the manifest lists none")
    return problems


def start_slack(summary):
    """How many segments late a track may start in a live ffmpeg run. ffmpeg
    5.1 opens the Representations one after another, each at the live edge
    it computes then. With a suggestedPresentationDelay that edge is a
    complete segment, served at once, and every track starts within a
    segment. Without one (manifest_ef, _h, _i) it is the segment in progress,
    which the origin answers when it is complete: each Representation opened
    waits for the next segment boundary, so the last one opened starts up to
    one segment per Representation before it late. Through the DecodeProxy
    ffmpeg sees one video and at most one audio Representation."""
    if summary["spd"]:
        return 1
    return max(1, min(1, len(summary["video"])) + min(1, len(summary["audio"])))


def describe(result):
    parts = []
    for _, s in sorted(result["streams"].items()):
        if s.get("kind") == "video":
            parts.append(f"video {s['count']} frames")
        elif s.get("kind") == "audio" and s.get("rate"):
            parts.append(f"audio {s['samples'] / s['rate']:.2f} s")
        if s.get("count") and s.get("kind") in ("video", "audio"):
            parts[-1] += f" from {s['first']:.2f}"
    text = ", ".join(parts) or "no streams"
    text += f", {result['wall']:.1f} s wall"
    if result["stderr"]:
        text += "; ffmpeg: " + " | ".join(result["stderr"][-3:])
    return text


def decode_time(segment):
    """The tfdt baseMediaDecodeTime of a media segment's first fragment."""
    i = segment.find(b"tfdt")
    if i < 4 or len(segment) < i + 16:
        return None
    if segment[i + 4] == 1:
        return int.from_bytes(segment[i + 8:i + 16], "big")
    return int.from_bytes(segment[i + 8:i + 12], "big")


# -------------------------------------------------------------------- time

def iso_ms(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def ms_of(text):
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(t.timestamp() * 1000)
