#!/usr/bin/env python3
"""The combinatorial matrix: every template, mode and manifest option the
origin supports, rendered by the origin, schema-validated and played by
ffmpeg.

Usage: matrix.py BASE_URL [--out OUT_DIR] [--decode live|vod|all|none]
                 [--jobs N] [--seconds S] [--sample] [--list]
                 [--only SUBSTRING] [--schema XSD] [--quiet]

  BASE_URL  a running dashlive-origin (http://127.0.0.1:5000)
  --out     the tree it serves: expected frame and sample counts then come
            from OUT_DIR/.dashlive/index.json (exact per Representation);
            without it, from the VOD manifests (mediaPresentationDuration)
  --decode  which combinations ffmpeg plays (default all)
  --jobs    live ffmpeg runs at once (default 48: a live run is real time
            and mostly waits; VOD runs use one slot per CPU on their own)
  --seconds live decode length (default 8)
  --sample  decode a sample of the live combinations (below), not all: a
            quicker run by hand
  --list    print the combinations and exit
  --only    keep the combinations whose name contains SUBSTRING

Streams are discovered from the origin (its index.html, or --out's index):
the demo test card (three H.264 rungs, AAC, stpp, wvtt) and the BBB import
(two AVC rungs, AAC and E-AC-3, stpp) in CI.

What is combined (option values are the option table's choices and examples,
src/options/table.rs; which options a template honours and which it forces
are its features and restrictions, src/mpd/registry.rs):

* Full product ("core") of the options that change a manifest's structure,
  per template and mode: hand_made: mode (vod, live, odvod) x timeline (0, 1;
  not odvod, whose SegmentList ignores it) x abr (1, 0) x acodec (mp4a, ec-3,
  any on BBB; the test card has only AAC) x base (1, 0) x, live only, time
  (none, direct, head, http-ntp, iso, ntp, sntp, xsd). Vendor templates: their
  modes x abr x acodec (where honoured) x base x time (manifest_e and _h,
  live). These are cheap to render and validate, so all of them are.
* Pairwise ("pair") for the rest, together with the core options so each
  pair of values meets at least once (a deterministic greedy covering
  array): live start (year, today, month, epoch, now, an ISO date), depth
  (1800, 30), mup (unset, -1, 4, 30), leeway (16, 60, 0), drift (unset, 10),
  ntp_servers (unset, europe-ntp, google); and, in every mode, tcodec (unset,
  im1t, etd1), tlang (unset, eng), main_text, main_audio and ad_audio (unset
  or each clear Representation id), for the templates where they show:
  text options on hand_made only (vendor layouts list no text), ad_audio on
  hand_made, main_audio on hand_made, manifest_e and manifest_ef; events
  (unset, ping, scte35, both) with ping__inband, ping__count, ping__version,
  scte35__inband, scte35__count on hand_made and manifest_n (vod, live). Their full
  product would be 6x2x4x3x2x3x3x2x3x3x3 = 2.5 million per template and mode,
  none of which interacts beyond pairs in the manifest code.
* Edge: the test card with acodec=ec-3 (a manifest without audio).
* Fault: the test card's hand_made with the injected-fault options (merr,
  verr, aerr, terr, failures, vcorrupt, frames, statuscode, segtimelineloss;
  FAULTS), at positions the decode never meets; the players group `faults`
  and the origin's tests check the faults themselves.
* DRM (matrix_drm.py): drm x location x each stream's encryption in full
  for every template and mode, and the DRM sub-options and structural
  options pairwise beside them; rendered, schema-validated and their
  ContentProtection judged, not decoded (ffmpeg's DASH demuxer takes no
  key: the drm group decrypts and plays them); odvod's refusals as 400s.
Options left out: those with no effect on a manifest (periodDur on a single
Period, time_value, update without merr, the player-page options, event
sub-options without events, frames without vcorrupt), and those the origin
answers 400 "not supported yet": thumbnails. The
latter are asked once each: still 400 passes, a 200 prints a NOTE that the
option landed and belongs in the matrix.

Each combination is fetched from the origin (live at the pinned clock
now=2026-03-01T00:00:01Z, a second after a loop boundary of both streams):
HTTP 200, application/dash+xml, well-formed, MPD@type right for the mode;
then all are validated in one xmllint run, with the vendor templates'
deliberate schema errors allowed by message (matrixlib.EXPECTED_ERRORS) and
any other error a failure. Then ffmpeg (5.1) decodes the first video and
audio track to framecrc (-fps_mode passthrough, so no frame is invented):
* VOD/on-demand: the whole presentation; every video frame the content has
  (index count), the audio's full length (+-50 ms), no timestamp gap.
* live: -re -t S (default 8 s) from the wall-clock manifest (no now=), as a
  player would, through matrixlib.DecodeProxy, which keeps in the manifest
  only the two Representations ffmpeg decodes, the first video and the
  first audio (ffmpeg starts its clock at the earliest track, mapped or not,
  so BBB's 10 s text segments would push video and audio out of -t; and it
  opens every Representation in turn, each waiting for the live edge, while
  it decodes only the mapped ones). Where a manifest has no
  suggestedPresentationDelay (manifest_ef, _h, _i) ffmpeg asks for the
  segment in progress; the origin answers it when it is complete. ffmpeg
  picks every track's first segment on its own, so a
  track may start up to a segment late: each must start within a segment,
  cover the rest of S without a gap or a step back (beyond the audio gap a
  loop boundary has by design when audio is shorter than the loop: 15 ms
  for BBB), with a video frame per 1/fps.
  Not attempted, decided from the manifest, where ffmpeg 5.1 fails whatever
  the server does: $Number$ with availabilityStartTime at the epoch
  (start=epoch: ffmpeg takes 0 for "absent"); $Number$ with
  suggestedPresentationDelay >= timeShiftBufferDepth (depth=30 with
  a PT30S delay, which our manifests capped at half the window no longer
  write: ffmpeg takes its segment for an old
  one and re-anchors); SegmentTimeline with timeShiftBufferDepth < 60 s
  (ffmpeg starts 60 s behind the edge and skips a segment when the window
  slides). NOTE lines count them.
Decoding covers every combination: every VOD and on-demand one in full, and
every live one ffmpeg 5.1 can play for S seconds. Live runs cost real time
and little CPU, so they run --jobs at a time; ffmpeg decodes single-threaded
(-threads 1: on 2 busy cores frame threading costs more CPU than it saves
wall time). --sample decodes a deterministic sample of the live ones
instead: a greedy cover of every value of every option for every template,
mode and stream among the decodable combinations, plus every
LIVE_STRIDE-th one.

Also checked: the restrictions (a template's forced or ignored option
gives the same manifest, but for <Location>, as the forced value:
manifest_ef acodec, manifest_i time, manifest_n and _a timeline, ...), that
live-only options change nothing in vod and odvod, that a mode a template
lacks is 404, that bad values are 400, and (with --out) that live $Number$
addressing names consecutive media segments: for every Representation,
segments n and n + 1000 loops' worth of numbers must be exactly 1000 loops
apart in decode time, or the origin skips and repeats segments on the way.

Segments validated: `dashlive validate URL --segments 2 --json` (the
validator: the manifest's rules and, per Representation, the init segment
and two media segments, the first and the last) on a sample: every
VALIDATE_STRIDE-th combination plus the first of every template, in
parallel. Any error finding fails the combination (`PASS|FAIL validate
<combination>`). --dashlive BIN (default: $DASHLIVE_BIN, else `dashlive` on
PATH) names the CLI; without one the step is skipped with a NOTE.

Measured on the 2-core development machine (testcard + BBB, other work
running beside): about 5,220 combinations (3,955 of them DRM) rendered and
validated in 4 s;
about 225 VOD/on-demand and 170-250 live decodes in 2 minutes.

Prints `FAIL xmllint+ffmpeg matrix <combination>: <evidence>` per failing
combination, `PASS|FAIL xmllint+ffmpeg matrix <template> <mode> <stream>: ...`
per template, mode and stream, `PASS|FAIL http <check>: <evidence>` per
restriction, status and numbering check (the origin's answers, compared by
this script), the summary line
"matrix: X combinations rendered, Y schema-valid, Z decoded; P passed, F
failed" and last "N passed, M failed" (combinations plus checks). Exit 0
when all pass, 1 on any failure, 2 on a setup error.

By hand, against a combined catalog (testcard + BBB):
  dashlive build --config CFG --out OUT
  dashlive-origin --out OUT --config CFG --no-build --bind 127.0.0.1 --port 5077 &
  python3 tests/e2e/matrix.py http://127.0.0.1:5077 --out OUT
  python3 tests/e2e/matrix.py http://127.0.0.1:5077 --list --only manifest_e
  python3 tests/e2e/matrix.py http://127.0.0.1:5077 --only 'live/testcard/hand_made' --sample
"""

import argparse
import concurrent.futures
import math
import itertools
import json
import os
import shutil
import subprocess
import sys
import time

import matrix_drm as mdrm
import matrixlib as ml

PINNED_NOW = ml.ms_of("2026-03-01T00:00:01+00:00")
LIVE_STRIDE = 7
# Every VALIDATE_STRIDE-th combination's segments are validated (plus every
# template once): about 120 runs of a few seconds' CPU for the whole matrix.
VALIDATE_STRIDE = 50
# Validator errors a vendor template makes on purpose, as its golden file
# does (the QUIRKS of tests/validate_oracle.rs; docs/templates.md): counted
# as expected, never as a failure.
VALIDATE_QUIRKS = {
    "manifest_h": {"mpd.dynamic-publish-time"},  # no publishTime on the live MPD
    "manifest_i": {"mpd.dynamic-publish-time"},
}



def expected_findings(c):
    """The validator rules `c` breaks on purpose: its template's quirks, and
    a request that contradicts itself. AES-CBC (enc=cbcs) needs WRMHEADER
    4.3, which PlayReady clients before 4.0 cannot read; the origin writes
    4.3 whatever playready__version says, as dash-live does, and the
    validator says so (cp.pro-version)."""
    rules = set(VALIDATE_QUIRKS.get(c.template, set()))
    try:
        pr_version = float(c.opts.get("playready__version", "99"))
    except ValueError:
        pr_version = 99.0
    if c.opts.get("enc") == "cbcs" and pr_version < 4.0:
        rules.add("cp.pro-version")
    return rules


TIME_METHODS = [None, "direct", "head", "http-ntp", "iso", "ntp", "sntp", "xsd"]
LIVE_REST = [
    ("start", [None, "today", "month", "epoch", "now", "2026-01-01T00:00:00Z"]),
    ("depth", [None, "30"]),
    ("mup", [None, "-1", "4", "30"]),
    ("leeway", [None, "60", "0"]),
    ("drift", [None, "10"]),
]
UNSUPPORTED = ["thumbnails=1"]
# Injected faults, on hand_made with the test card: rendered, validated and decoded like every
# combination, at positions the decode never reaches (past the content, before the window, an
# update count never asked for), so what is judged is the manifest they make (their segment URLs,
# a live timeline with holes, times of day written as segment numbers).
FAULTS = [
    ("vod", {"verr": "404=9999", "aerr": "503=9999", "terr": "410=9999", "failures": "1"}),
    ("vod", {"timeline": "1", "vcorrupt": "9999", "frames": "2", "statuscode": "404:30:0:none"}),
    ("live", {"merr": "503=100", "verr": "404=1", "vcorrupt": "1", "frames": "3", "failures": "2"}),
    ("live", {"verr": "404=00:00:00Z", "aerr": "410=00:00:00Z", "vcorrupt": "00:00:00Z"}),
    ("live", {"timeline": "1", "segtimelineloss": "5"}),
    ("live", {"statuscode": "503:60:0:none", "segtimelineloss": "4"}),
]
BAD_VALUES = ["abr=2", "acodec=flac", "time=sundial", "depth=x", "mup=soon", "start=yesterday",
              "tcodec=stpp", "timeline=maybe", "base=-", "leeway=1.5"]
# Option order in URLs: the table's order (src/options/table.rs).
ORDER = ["abr", "start", "failures", "leeway", "merr", "mup", "timeline", "depth", "base", "patch",
         "acodec", "ad_audio", "aerr", "main_audio", "vcorrupt", "frames", "verr", "statuscode",
         "segtimelineloss", "tcodec", "terr", "tlang", "main_text", "events", "ping__count",
         "ping__inband", "ping__version", "scte35__count", "scte35__inband", "drift", "time",
         "ntp_servers"] + mdrm.ORDER
# Events (the templates with the feature, src/mpd/registry.rs): in-band or in the MPD, with a
# count (an MPD lists none without one), emsg v1 for ping (SCTE-35 in-band is always v1).
EVENTS_TEMPLATES = ("hand_made", "manifest_n")
EVENTS_REST = [
    ("events", [None, "ping", "scte35", "ping,scte35"]),
    ("ping__inband", [None, "0"]),
    ("ping__count", [None, "8"]),
    ("ping__version", [None, "1"]),
    ("scte35__inband", [None, "0"]),
    ("scte35__count", [None, "8"]),
]


class Combo:
    def __init__(self, kind, template, mode, stream, opts, dims):
        self.kind = kind  # core, pair, edge or fault
        self.template, self.mode, self.stream = template, mode, stream
        self.opts = {k: v for k, v in opts.items() if v is not None}
        self.dims = dims  # option names varied for this template and mode
        self.query = "&".join(f"{k}={self.opts[k]}" for k in ORDER if k in self.opts)
        self.name = f"{mode}/{stream}/{template}.mpd" + (f"?{self.query}" if self.query else "")
        # filled in by the run
        self.problems = []
        self.schema_ok = None
        self.quirks = set()
        self.decode = None  # None: not decoded; "skip: why"; or a result
        self.summary = None

    def url(self, base, pinned):
        q = self.query
        if pinned and self.mode == "live":
            q = (q + "&" if q else "") + f"now={PINNED_NOW}"
        return f"{base}dash/{self.mode}/{self.stream}/{self.template}.mpd" + (f"?{q}" if q else "")

    def features(self):
        """(template, mode, stream, option, value) for every varied option,
        defaults included: what the decode sample must cover."""
        return {(self.template, self.mode, self.stream, d, self.opts.get(d, "default"))
                for d in self.dims}


def pairwise(dims):
    """A deterministic greedy covering array: rows (dicts) such that every
    pair of values of two different dimensions appears in some row."""
    names = [n for n, _ in dims]
    values = dict(dims)
    uncovered = set()
    for (i, a), (j, b) in itertools.combinations(enumerate(names), 2):
        for va in range(len(values[a])):
            for vb in range(len(values[b])):
                uncovered.add((i, va, j, vb))
    rows = []
    while uncovered:
        i, va, j, vb = min(uncovered)
        row = {i: va, j: vb}
        for k in range(len(names)):
            if k in row:
                continue
            best, best_gain = 0, -1
            for v in range(len(values[names[k]])):
                gain = sum(1 for m, vm in row.items()
                           if (min(k, m), v if k < m else vm, max(k, m), vm if k < m else v)
                           in uncovered)
                if gain > best_gain:
                    best, best_gain = v, gain
            row[k] = best
        for (m, vm), (n, vn) in itertools.combinations(sorted(row.items()), 2):
            uncovered.discard((m, vm, n, vn))
        rows.append({names[k]: values[names[k]][v] for k, v in row.items()})
    return rows


def template_dims(template, mode, info, bbb_like):
    """(core dims for the full product, extra dims for the pairwise set)."""
    audio = info["audio"]
    text = info["text"]
    acodecs = [None, "ec-3", "any"] if bbb_like else [None]
    core = []
    if template == "hand_made" and mode != "odvod":
        core.append(("timeline", [None, "1"]))
    core.append(("abr", [None, "0"]))
    if template not in ("manifest_ef", "manifest_vod_aiv"):
        core.append(("acodec", acodecs))
    core.append(("base", [None, "0"]))
    if mode == "live" and template in ("hand_made", "manifest_e", "manifest_h"):
        core.append(("time", TIME_METHODS))
    rest = []
    if mode == "live":
        rest += LIVE_REST
        if template in ("hand_made", "manifest_e", "manifest_h"):
            rest.append(("ntp_servers", [None, "europe-ntp", "google"]))
    if template == "hand_made":
        rest += [("tcodec", [None, "im1t", "etd1"]), ("tlang", [None, "eng"]),
                 ("main_text", [None] + text), ("ad_audio", [None] + audio)]
    if template in ("hand_made", "manifest_e", "manifest_ef"):
        rest.append(("main_audio", [None] + audio))
    if template == "hand_made" and mode == "live":
        rest.append(("patch", [None, "1"]))
    if template in EVENTS_TEMPLATES and mode != "odvod":
        rest += EVENTS_REST
    return core, rest


def build_combos(streams):
    combos, seen = [], set()

    def add(c):
        if c.name not in seen:
            seen.add(c.name)
            combos.append(c)

    for stream, info in sorted(streams.items()):
        bbb_like = len(info["audio"]) > 1
        for template, modes in ml.TEMPLATE_MODES.items():
            for mode in modes:
                core, rest = template_dims(template, mode, info, bbb_like)
                dims = [n for n, _ in core + rest]
                for values in itertools.product(*[v for _, v in core]):
                    add(Combo("core", template, mode, stream,
                              dict(zip([n for n, _ in core], values)), dims))
                if rest:
                    for row in pairwise(core + rest):
                        add(Combo("pair", template, mode, stream, row, dims))
        if not bbb_like:
            for mode in ("vod", "live"):
                add(Combo("edge", "hand_made", mode, stream, {"acodec": "ec-3"}, ["acodec"]))
            for mode, opts in FAULTS:
                add(Combo("fault", "hand_made", mode, stream, opts, list(opts)))
    # drm x location x template (matrix_drm.py).
    for c in mdrm.combos(streams, Combo, template_dims, pairwise):
        add(c)
    return combos


def restriction_checks(streams):
    """(label, template, mode, stream, query, reference query): the first
    must give the same manifest as the second, but for <Location>."""
    checks = []
    pairs = [
        ("manifest_ef", ["vod", "live"], "acodec=ec-3", "acodec=mp4a"),
        ("manifest_ef", ["vod", "live"], "acodec=any", "acodec=mp4a"),
        ("manifest_ef", ["live"], "timeline=1&mup=4&time=xsd", "abr=1"),
        ("manifest_i", ["live"], "time=xsd", "time=direct"),
        ("manifest_i", ["vod", "live"], "timeline=1", "abr=1"),
        ("manifest_n", ["vod", "live"], "timeline=0", "timeline=1"),
        ("manifest_a", ["vod", "live"], "timeline=0", "timeline=1"),
        ("manifest_a", ["live"], "time=xsd", "abr=1"),
        ("manifest_b", ["vod"], "timeline=1", "abr=1"),
        ("manifest_e", ["vod", "live"], "timeline=1", "abr=1"),
        ("manifest_h", ["vod", "live"], "timeline=1", "abr=1"),
        ("manifest_vod_aiv", ["odvod"], "acodec=any&timeline=1", "acodec=mp4a"),
        ("hand_made", ["odvod"], "timeline=1", "abr=1"),
        # Live-only options are reset in vod and odvod (reference 1.3 step 7).
        ("hand_made", ["vod", "odvod"],
         "start=epoch&mup=4&depth=30&time=xsd&ntp_servers=google", "abr=1"),
        ("manifest_e", ["vod"], "start=epoch&mup=4&depth=30&time=xsd", "abr=1"),
    ]
    for stream in sorted(streams):
        for template, modes, query, ref in pairs:
            for mode in modes:
                checks.append((f"restriction {mode}/{stream}/{template}.mpd?{query} == ?{ref}",
                               template, mode, stream, query, ref))
    return checks


def select_live_sample(combos):
    """Greedy cover of every (template, mode, stream, option, value), then
    every LIVE_STRIDE-th combination."""
    chosen = set()
    uncovered = set().union(*[c.features() for c in combos]) if combos else set()
    while uncovered:
        best = max(range(len(combos)), key=lambda i: (len(combos[i].features() & uncovered), -i))
        gain = combos[best].features() & uncovered
        if not gain:
            break
        chosen.add(best)
        uncovered -= gain
    chosen |= set(range(0, len(combos), LIVE_STRIDE))
    return [combos[i] for i in sorted(chosen)]


def decodability(combo):
    """Whether ffmpeg 5.1 can play a live combination: None, or why not.
    Decided from the manifest, for ffmpeg bugs no server can work around."""
    s = combo.summary
    if not s["timeline"] and (s["ast"] or "").startswith("1970-01-01T00:00:00"):
        return ("$Number$ with availabilityStartTime at the epoch (start=epoch): ffmpeg 5.1 "
                "takes an AST of 0 for absent and starts 25000 segments ahead")
    spd = ml.parse_duration(s["spd"])
    if not s["timeline"] and spd is not None and s["depth"] is not None and spd >= s["depth"]:
        return ("$Number$ with suggestedPresentationDelay >= timeShiftBufferDepth: ffmpeg 5.1 "
                "then finds its segment at the window's trailing edge, takes it for an old "
                "one and re-anchors again and again")
    if s["timeline"] and (s["depth"] or 0) < 60:
        return ("SegmentTimeline with a timeShiftBufferDepth under 60 s: ffmpeg 5.1 starts "
                "60 s before the live edge, so at the window's oldest segment, and as the "
                "window slides it re-anchors and skips a segment")
    return None


def patch_checks(base, streams, schema):
    """Every stream's live hand_made with patch=1 (at the pinned clock, with
    and without every audio codec) names a PatchLocation whose patch, one
    update period later, is application/dash-patch+xml and valid against
    the DASH patch schema; the same URL from before that MPD was published
    is a 400. Returns (ok, label, detail) tuples."""
    import re
    import tempfile
    results, docs, labels = [], {}, {}
    for stream in sorted(streams):
        for query in ("patch=1", "patch=1&acodec=any"):
            label = f"patch live/{stream}/hand_made.mpd?{query}"
            status, body, _ = ml.fetch(
                f"{base}dash/live/{stream}/hand_made.mpd?{query}&now={PINNED_NOW}")
            m = re.search(rb"<PatchLocation ttl=\"\d+\">([^<]+)</PatchLocation>", body)
            if status != 200 or not m:
                results.append((False, label, f"HTTP {status}, PatchLocation {bool(m)}"))
                continue
            url = m.group(1).decode().replace("&amp;", "&")
            sep = "&" if "?" in url else "?"
            status, patch, ctype = ml.fetch(f"{url}{sep}now={PINNED_NOW + 8000}")
            if status != 200 or ctype != "application/dash-patch+xml":
                results.append((False, label, f"patch HTTP {status} {ctype!r}"))
                continue
            docs[label], labels[label] = patch, url
            early, body, _ = ml.fetch(f"{url}{sep}now={PINNED_NOW - 60000}")
            results.append((early == 400, f"{label}: a patch from the future is 400",
                            f"HTTP {early}: {body[:120]!r}"))
    with tempfile.TemporaryDirectory(prefix="dashlive-patch-") as tmp:
        patch_xsd, env = ml.patch_schema_env(schema, tmp)
        verdicts = ml.validate(docs, patch_xsd, env=env)
    for label, errors in sorted(verdicts.items()):
        results.append((not errors, f"{label}: the patch validates",
                        "; ".join(errors[:3]) or f"valid ({labels[label]})"))
    return results


def numbering_checks(base, streams):
    """Live $Number$ addressing names consecutive media segments: segment
    n + 1000 x (segments per loop) must start exactly 1000 loops after
    segment n (to the tick each loop start rounds to). A template duration
    that differs from the loop's average segment makes the number grid drift
    against the content, and the origin then skips and repeats segments.
    Needs the index (--out). Returns (ok, label, detail) tuples."""
    results = []
    loops = 1000
    for stream, info in sorted(streams.items()):
        url = f"{base}dash/live/{stream}/hand_made.mpd?acodec=any&now={PINNED_NOW}"
        status, body, _ = ml.fetch(url)
        root, err = ml.parse(body) if status == 200 else (None, f"HTTP {status}")
        if root is None:
            results.append((False, f"numbering {stream}", f"{url}: {err}"))
            continue
        ast = root.get("availabilityStartTime")
        ast_ms = ml.ms_of(ast)
        for aset in root.iter(ml.NS + "AdaptationSet"):
            tmpl = aset.find(ml.NS + "SegmentTemplate")
            for rep in aset.iter(ml.NS + "Representation"):
                rid = rep.get("id")
                e = info["reps"].get(rid)
                t = rep.find(ml.NS + "SegmentTemplate")
                t = tmpl if t is None else t
                if e is None or t is None or not t.get("duration"):
                    continue
                ts, dur = int(t.get("timescale", "1")), int(t.get("duration"))
                start_no = int(t.get("startNumber", "1"))
                ext = {"video": "m4v", "audio": "m4a"}.get(e["kind"], "m4s")
                n0 = start_no + (PINNED_NOW - ast_ms) * ts // (dur * 1000) - 3
                n1 = n0 + loops * e["count"]
                got = []
                for n in (n0, n1):
                    now = ast_ms + (n - start_no + 3) * dur * 1000 // ts
                    seg_url = f"{base}dash/live/{stream}/{rid}/{n}.{ext}?start={ast}&now={now}"
                    st, seg, _ = ml.fetch(seg_url)
                    got.append((seg_url, st, ml.decode_time(seg) if st == 200 else None))
                label = (f"numbering live/{stream}/{rid}: $Number$ {n0} and {n1} are "
                         f"{loops} loops apart")
                if any(g[2] is None for g in got):
                    bad = next(g for g in got if g[2] is None)
                    results.append((False, label, f"HTTP {bad[1]} for {bad[0]}"))
                    continue
                k0 = e["loop_num"] // e["loop_den"]  # loop length, rounded down
                want = loops * e["loop_num"] // e["loop_den"]
                diff = got[1][2] - got[0][2]
                if abs(diff - want) <= 1:
                    results.append((True, label, f"tfdt {got[0][2]} -> {got[1][2]}"))
                else:
                    off = (diff - want) / ts
                    how = "repeated" if diff < want else "skipped"
                    results.append((False, label,
                                    f"tfdt {got[0][2]} -> {got[1][2]}: {diff} ticks apart, want "
                                    f"{want} ({loops} x {k0}): {abs(off):.3f} s, "
                                    f"{abs(diff - want) / dur:.2f} segments {how} on the way "
                                    f"(SegmentTemplate@duration {dur} x {e['count']} segments "
                                    f"= {dur * e['count']} per loop of {k0}) [{got[1][0]}]"))
    return results


def validate_sample(combos):
    """Every VALIDATE_STRIDE-th combination, plus the first of each template."""
    chosen = set(range(0, len(combos), VALIDATE_STRIDE))
    seen = set()
    for i, c in enumerate(combos):
        if c.template not in seen:
            seen.add(c.template)
            chosen.add(i)
    return [combos[i] for i in sorted(chosen)]


def validate_segments(base, combos, dashlive, jobs=4):
    """(ok, combination, detail) per sampled combination: the validator's
    error findings on its manifest and two media segments per Representation.
    Live ones are asked at the origin's clock (no pinned now): their
    segments must be available now."""
    def one(c):
        url = c.url(base, pinned=False)
        # The schema is the matrix's own step (with its known quirks): off here.
        cmd = [dashlive, "validate", url, "--segments", "2", "--json",
               "--schema", os.devnull, "--connections", "4"]
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=120)
        except subprocess.TimeoutExpired:
            return False, c.name, "no answer in 120 s"
        try:
            report = json.loads(p.stdout)
        except ValueError:
            err = p.stderr.decode(errors="replace").strip()[:300]
            return False, c.name, f"exit {p.returncode}, no JSON report: {err}"
        quirks = expected_findings(c)
        errors = [f for f in report["findings"] if f["severity"] == "error"]
        expected = [f for f in errors if f["rule"] in quirks]
        errors = [f for f in errors if f["rule"] not in quirks]
        detail = (f"{report['segments_checked']} segments, {len(errors)} errors, "
                  f"{report['warnings']} warnings")
        if expected:
            detail += f", expected quirks: {', '.join(sorted({f['rule'] for f in expected}))}"

        if errors:
            shown = "; ".join(f"{f['rule']} {f['path']} {f.get('segment', '')}: expected "
                              f"{f['expected']}, seen {f['seen']}" for f in errors[:3])
            return False, c.name, f"{detail}: {shown} [{url}]"
        return True, c.name, detail

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(one, combos))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("base_url")
    ap.add_argument("--out", help="the served tree, for exact expected counts")
    ap.add_argument("--decode", choices=["live", "vod", "all", "none"], default="all")
    ap.add_argument("--jobs", type=int, default=48)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--sample", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--only")
    ap.add_argument("--schema", default=ml.default_schema())
    ap.add_argument("--quiet", action="store_true", help="print FAIL lines and the totals only")
    ap.add_argument("--dashlive", default=os.environ.get("DASHLIVE_BIN") or shutil.which("dashlive"),
                    help="the dashlive CLI, whose validator checks a sample's segments")
    args = ap.parse_args()
    base = args.base_url.rstrip("/") + "/"
    t_start = time.monotonic()

    try:
        if not args.list:
            ml.require_tools(args.schema, ffmpeg=args.decode != "none")
        ml.check_origin(base)
        streams = ml.discover_streams(base, args.out)
    except ml.SetupError as e:
        print(f"setup error: {e}")
        return 2

    combos = build_combos(streams)
    checks = restriction_checks(streams)
    if args.only:
        combos = [c for c in combos if args.only in c.name]
        checks = [c for c in checks if args.only in c[0]]
    if not combos and not checks:
        print(f"setup error: no combination matches {args.only!r}")
        return 2

    live = [c for c in combos if c.mode == "live"]
    if args.list:
        for c in combos:
            print(f"{c.kind:4} {c.name}")
        for c in checks:
            print(f"chk  {c[0]}")
        print(f"{len(combos)} combinations ({len(live)} live), {len(checks)} restriction checks")
        return 0

    # 1. Render.
    def get(c):
        return c, ml.fetch(c.url(base, pinned=True))

    docs = {}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for c, (status, body, ctype) in pool.map(get, combos):
            if status != 200:
                c.problems.append(f"render: HTTP {status}: {body[:160].decode(errors='replace')}")
                continue
            if not ctype.startswith(ml.DASH_XML):
                c.problems.append(f"render: Content-Type {ctype!r}")
            root, err = ml.parse(body)
            if root is None:
                c.problems.append(f"render: {err}")
                continue
            want = "dynamic" if c.mode == "live" else "static"
            if root.get("type", "static") != want:
                c.problems.append(f'render: MPD@type="{root.get("type")}", want {want}')
            c.summary = ml.manifest_summary(root)
            docs[c.name] = body
            if hasattr(c, "drm_expect"):
                c.problems += [f"drm: {p}" for p in mdrm.judge(c, body)]
    rendered = [c for c in combos if c.summary is not None and not c.problems]
    t_render = time.monotonic() - t_start

    # 2. Validate, one xmllint run.
    try:
        verdicts = ml.validate(docs, args.schema)
    except ml.SetupError as e:
        print(f"setup error: {e}")
        return 2
    for c in combos:
        if c.name not in verdicts:
            continue
        c.quirks, unexpected = ml.classify_errors(c.template, verdicts[c.name])
        c.schema_ok = not unexpected
        for e in unexpected[:4]:
            c.problems.append(f"schema: {e}")
        if len(unexpected) > 4:
            c.problems.append(f"schema: ... {len(unexpected) - 4} more errors")
    t_validate = time.monotonic() - t_start - t_render

    # 3. Decode.
    vod_jobs, live_jobs, not_decodable = [], [], []
    for c in rendered:
        if c.mode == "live":
            why = decodability(c)
            if why:
                c.decode = f"skip: {why}"
                not_decodable.append(c)
    if args.decode in ("vod", "all"):
        vod_jobs = [c for c in rendered if c.mode != "live" and c.decode is None]
    if args.decode in ("live", "all"):
        candidates = [c for c in rendered if c.mode == "live" and c.decode is None]
        live_jobs = select_live_sample(candidates) if args.sample else candidates
    live_candidates = len([c for c in rendered if c.mode == "live" and c.decode is None])

    def decode_vod(c):
        c.decode = ml.run_ffmpeg(c.url(base, pinned=False), live=False, seconds=0, timeout=180)
        info = streams[c.stream]
        v = c.summary["video"][0] if c.summary["video"] else None
        a = c.summary["audio"][0] if c.summary["audio"] else None
        vrep = info["reps"].get(v, {})
        arep = info["reps"].get(a, {}) if a else None
        if not vrep.get("frames"):
            c.decode_problems = [f"no expected frame count for video {v}"]
            return
        c.decode_problems = ml.judge_vod(c.decode, vrep["frames"], vrep["fps"],
                                         arep["seconds"] if arep else None)

    def decode_live(c):
        # Through the DecodeProxy: the first video and audio Representation only.
        url = proxy.base + c.url(base, pinned=False)[len(base):]
        info = streams[c.stream]
        v = c.summary["video"][0] if c.summary["video"] else None
        fps = info["reps"].get(v, {}).get("fps", 25)
        # A real-time run on a shared 2-core machine can stall on CPU it
        # does not get: one retry, reported (a time-dependent server fault
        # that a retry hides is what the numbering check is for).
        # Tracks that may start late (ml.start_slack) get the time to show it.
        slack = ml.start_slack(c.summary)
        seconds = args.seconds + (slack - 1) * math.ceil(info["max_segment"])
        for attempt in (1, 2):
            c.decode = ml.run_ffmpeg(url, live=True, seconds=seconds, timeout=3 * seconds + 30)
            c.decode_problems = ml.judge_live(c.decode, seconds, fps, info["max_segment"],
                                              bool(c.summary["audio"]), info["audio_loop_gap"],
                                              slack)
            if not c.decode_problems or attempt == 2:
                break
            c.retried = "; ".join(c.decode_problems) + " -- " + ml.describe(c.decode)

    t_decode0 = time.monotonic()
    cpu = max(1, os.cpu_count() or 1)
    proxy = ml.DecodeProxy(base) if live_jobs else None
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as live_pool, \
                concurrent.futures.ThreadPoolExecutor(cpu) as vod_pool:
            def guarded(job, c):
                try:
                    job(c)
                except Exception as e:  # a harness bug must not hide the other results
                    c.decode = {"streams": {}, "returncode": -1, "wall": 0.0, "stderr": []}
                    c.decode_problems = [f"harness error: {type(e).__name__}: {e}"]

            futures = [live_pool.submit(guarded, decode_live, c) for c in live_jobs]
            futures += [vod_pool.submit(guarded, decode_vod, c) for c in vod_jobs]
            for f in futures:
                f.result()
    finally:
        if proxy:
            proxy.close()
    t_decode = time.monotonic() - t_decode0

    # 4. Checks beside the matrix.
    check_results = []  # (ok, label, detail)
    notes = []

    def compare(item):
        label, template, mode, stream, query, ref = item
        now = f"&now={PINNED_NOW}"  # publishTime and UTCTiming follow the clock
        a = ml.fetch(f"{base}dash/{mode}/{stream}/{template}.mpd?{query}{now}")
        b = ml.fetch(f"{base}dash/{mode}/{stream}/{template}.mpd?{ref}{now}")
        if a[0] != 200 or b[0] != 200:
            return False, label, f"HTTP {a[0]} and {b[0]}"
        ta, tb = (ml.strip_location(x[1].decode()) for x in (a, b))
        if ta == tb:
            return True, label, "same manifest"
        diff = next((f"{x.strip()!r} vs {y.strip()!r}" for x, y in
                     zip(ta.splitlines(), tb.splitlines()) if x != y), "lengths differ")
        return False, label, f"manifests differ: {diff[:300]}"

    def status_check(item):
        label, url, want, text = item
        status, body, _ = ml.fetch(url)
        body = body.decode(errors="replace")
        if status == want and (text is None or text in body):
            return True, label, f"HTTP {status}"
        return False, label, f"HTTP {status}, want {want}: {body[:160]!r}"

    status_items = []
    first = sorted(streams)[0]
    for template, modes in ml.TEMPLATE_MODES.items():
        for mode in {"vod", "live", "odvod"} - set(modes):
            url = f"{base}dash/{mode}/{first}/{template}.mpd?abr=0"
            status_items.append((f"mode {mode}/{first}/{template}.mpd is 404", url, 404, None))
    live_url = f"{base}dash/live/{first}/hand_made.mpd?now={PINNED_NOW}&"
    for q in BAD_VALUES:
        status_items.append((f"bad value {q} is 400", live_url + q, 400, None))
    status_items += mdrm.refusals(base, streams)
    if args.only:
        status_items = []  # --only narrows to the matching combinations and checks
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        check_results += list(pool.map(compare, checks))
        check_results += list(pool.map(status_check, status_items))
        if not args.only:
            for q in UNSUPPORTED:
                status, body, _ = ml.fetch(live_url + q)
                text = body.decode(errors="replace")
                if status == 400 and "not supported yet" in text:
                    check_results.append((True, f"unsupported {q} is 400 not supported yet",
                                          "HTTP 400"))
                elif status == 200:
                    notes.append(f"NOTE: {q} is now supported (HTTP 200): add it to the matrix")
                else:
                    check_results.append((False, f"unsupported {q}",
                                          f"HTTP {status}: {text[:160]!r}"))

    if not args.only:
        check_results += patch_checks(base, streams, args.schema)
    if args.out and not args.only:
        check_results += numbering_checks(base, streams)
    elif not args.only:
        notes.append("NOTE: the live $Number$ numbering check needs --out OUT_DIR (the index)")

    # 4b. Segments, through the validator, for a sample.
    t_seg0 = time.monotonic()
    validated = []
    if args.dashlive:
        sample_v = validate_sample(rendered)
        validated = validate_segments(base, sample_v, args.dashlive)
    else:
        notes.append("NOTE: segments not validated: no dashlive CLI (--dashlive BIN or DASHLIVE_BIN)")
    t_segments = time.monotonic() - t_seg0

    # 5. Report.
    for c in combos:
        d = c.decode
        if isinstance(d, dict) and getattr(c, "decode_problems", None):
            c.problems.append("decode: " + "; ".join(c.decode_problems) + " -- " + ml.describe(d))
            if getattr(c, "retried", None):
                c.problems.append(f"first run: {c.retried}")
    groups = {}
    for c in combos:
        drm = " drm" if hasattr(c, "drm_expect") else ""
        groups.setdefault((c.template, c.mode, c.stream + drm), []).append(c)
    failed_combos = [c for c in combos if c.problems]
    decoded = [c for c in combos if isinstance(c.decode, dict)]
    for c in failed_combos:
        print(f"FAIL xmllint+ffmpeg matrix {c.name}: " + " | ".join(c.problems) + f" [{c.url(base, True)}]")
    if not args.quiet:
        for (template, mode, stream), cs in sorted(groups.items()):
            bad = sum(1 for c in cs if c.problems)
            dec = sum(1 for c in cs if isinstance(c.decode, dict))
            skip = sum(1 for c in cs if isinstance(c.decode, str))
            quirks = sorted(set().union(*[c.quirks for c in cs]))
            detail = f"{len(cs)} combinations rendered and schema-checked, {dec} decoded"
            if stream.endswith(" drm"):
                detail = (f"{len(cs)} DRM combinations rendered, schema-checked and their "
                          "ContentProtection judged (encrypted: decoded by the drm group)")
            elif skip:
                detail += f", {skip} not decodable by ffmpeg 5.1"
            if quirks:
                detail += f"; expected quirks: {', '.join(quirks)}"
            print(f"{'FAIL' if bad else 'PASS'} xmllint+ffmpeg matrix {template} {mode} {stream}: {detail}"
                  + (f" ({bad} failed)" if bad else ""))
    reasons = {}
    for c in not_decodable:
        reasons.setdefault(c.decode[6:], set()).add(c.template)
    for why, templates in sorted(reasons.items()):
        n = sum(1 for c in not_decodable if c.decode[6:] == why)
        print(f"NOTE: {n} live combinations not decoded ({', '.join(sorted(templates))}): {why}")
    for c in live_jobs:
        if getattr(c, "retried", None) and not c.decode_problems:
            print(f"NOTE: {c.name} passed on a second run; the first: {c.retried}")
    for note in notes:
        print(note)
    for ok, label, detail in check_results:
        if not ok or not args.quiet:
            print(f"{'PASS' if ok else 'FAIL'} http {label}: {detail}")

    for ok, name, detail in validated:
        if not ok or not args.quiet:
            print(f"{'PASS' if ok else 'FAIL'} validate {name}: {detail}")
    check_results += validated
    if validated:
        bad = sum(1 for ok, _, _ in validated if not ok)
        print(f"segments: {len(validated)} of {len(rendered)} combinations validated by dashlive "
              f"validate --segments 2 (every {VALIDATE_STRIDE}th plus every template once), "
              f"{bad} with errors, in {t_segments:.1f} s")

    schema_valid = sum(1 for c in combos if c.schema_ok)
    p, f = len(combos) - len(failed_combos), len(failed_combos)
    cp = sum(1 for ok, _, _ in check_results if ok)
    cf = len(check_results) - cp
    sample = ""
    if live_jobs and args.sample:
        sample = (f" (live: a sample of {len(live_jobs)} of {live_candidates} decodable, "
                  f"covering every option value plus every {LIVE_STRIDE}th)")
    wall = time.monotonic() - t_start
    print(f"timing: render {t_render:.1f} s, validate {t_validate:.1f} s, decode {t_decode:.1f} s "
          f"({len(live_jobs)} live with {args.jobs} jobs, {len(vod_jobs)} vod/odvod), "
          f"total {wall:.1f} s")
    print(f"matrix: {len(rendered)} combinations rendered, {schema_valid} schema-valid, "
          f"{len(decoded)} decoded{sample}; {p} passed, {f} failed")
    print(f"{p + cp} passed, {f + cf} failed")
    return 1 if f + cf else 0


if __name__ == "__main__":
    sys.exit(main())
