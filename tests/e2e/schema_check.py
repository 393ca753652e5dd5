#!/usr/bin/env python3
"""Every manifest the build wrote, and the origin's live manifests at fixed
clocks, validated against the DASH MPD schema.

Usage: schema_check.py BASE_URL OUT_DIR [--schema DASH-MPD.xsd] [--quiet]

  BASE_URL  a running dashlive-origin serving OUT_DIR (http://127.0.0.1:5000)
  OUT_DIR   the tree `dashlive build` wrote (with .dashlive/index.json)

What is checked:
- static: every *.mpd under OUT_DIR/dash, read from disk (the build's own
  output, every template in every static mode of every stream);
- live: for every stream of the index, every template with a live mode
  (hand_made, manifest_a, _e, _ef, _h, _i, _n), with $Number$ (no query) and
  with timeline=1, at fixed clocks pinned with now=: the epoch + 1 h, 2026's
  first second (the start=year "less than a day" rule), a content loop
  boundary of both demo streams (2026-03-01T00:00:00Z, a whole number of
  15.36 s and 40 s loops after the default availabilityStartTime 2026-01-01)
  1 ms before and 1 ms after it and 4.2 s after it (the new loop's first
  segments complete), and an ordinary 2026 afternoon. Each live answer must
  be HTTP 200, application/dash+xml, well-formed and type="dynamic".
Every document goes through one xmllint run (--noout --nonet --schema).
A vendor template's deliberate deviations (matrixlib.EXPECTED_ERRORS, the
list tests/mpd_templates.rs and docs/templates.md keep) are matched by
message and allowed; any other error fails its group.

Prints one `PASS|FAIL xmllint <static|live> <template> [<addressing>]: <evidence>`
line per group (static manifests per template; live per template and
addressing mode), listing each failing file with its unexpected
errors, then "N passed, M failed". Exit 0 when all pass, 1 on a failure,
2 on a setup error (origin down, no xmllint, no schema, no index).

By hand, against a combined catalog (testcard + BBB):
  dashlive build --config CFG --out OUT
  dashlive-origin --out OUT --config CFG --no-build --bind 127.0.0.1 --port 5077 &
  python3 tests/e2e/schema_check.py http://127.0.0.1:5077 OUT
"""

import argparse
import concurrent.futures
import json
import os
import sys

import matrixlib as ml

# The clocks live manifests are rendered at (Unix ms).
LOOP_BOUNDARY = ml.ms_of("2026-03-01T00:00:00+00:00")
TIMES = [
    ("epoch+1h", 3_600_000),
    ("2026-new-year", ml.ms_of("2026-01-01T00:00:00.500+00:00")),
    ("loop-boundary-1ms", LOOP_BOUNDARY - 1),
    ("loop-boundary+1ms", LOOP_BOUNDARY + 1),
    ("loop-boundary+4.2s", LOOP_BOUNDARY + 4_200),
    ("2026-07-15", ml.ms_of("2026-07-15T13:37:42.123+00:00")),
]
MODES = [("$Number$", ""), ("timeline=1", "timeline=1&")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("base_url")
    ap.add_argument("out_dir")
    ap.add_argument("--schema", default=ml.default_schema())
    ap.add_argument("--quiet", action="store_true", help="print FAIL lines and the totals only")
    args = ap.parse_args()
    base = args.base_url.rstrip("/") + "/"
    try:
        ml.require_tools(args.schema)
        ml.check_origin(base)
        index_path = os.path.join(args.out_dir, ".dashlive", "index.json")
        try:
            streams = [s["directory"] for s in json.load(open(index_path))["streams"]]
        except (OSError, ValueError, KeyError) as e:
            raise ml.SetupError(f"cannot read {index_path}: {e}") from e
        dash = os.path.join(args.out_dir, "dash")
        static = sorted(os.path.join(d, f) for d, _, files in os.walk(dash)
                        for f in files if f.endswith(".mpd"))
        if not static:
            raise ml.SetupError(f"no manifests under {dash}")
    except ml.SetupError as e:
        print(f"setup error: {e}")
        return 2

    docs, groups, failures = {}, {}, {}
    # Static manifests: the group is the template, the key its path.
    for path in static:
        rel = os.path.relpath(path, args.out_dir)
        template = os.path.basename(path)[:-4]
        with open(path, "rb") as f:
            body = f.read()
        key = ("static", template, rel)
        groups.setdefault(("static", template, ""), []).append(key)
        root, err = ml.parse(body)
        if root is None:
            failures[key] = [err]
        else:
            docs[key] = body

    # Live manifests, fetched in parallel.
    requests = []
    for stream in streams:
        for template in ml.LIVE_TEMPLATES:
            for mode, q in MODES:
                for label, now in TIMES:
                    url = f"{base}dash/live/{stream}/{template}.mpd?{q}now={now}"
                    key = ("live", template, f"{stream} {mode} {label}: {url}")
                    groups.setdefault(("live", template, mode), []).append(key)
                    requests.append((key, url))

    def get(item):
        key, url = item
        return key, ml.fetch(url)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for key, (status, body, ctype) in pool.map(get, requests):
            if status != 200:
                failures[key] = [f"HTTP {status}: {body[:200].decode(errors='replace')}"]
                continue
            problems = []
            if not ctype.startswith(ml.DASH_XML):
                problems.append(f"Content-Type {ctype!r}")
            root, err = ml.parse(body)
            if root is None:
                problems.append(err)
            elif root.get("type") != "dynamic":
                problems.append(f'MPD@type="{root.get("type")}", want dynamic')
            if problems:
                failures[key] = problems
            if root is not None:
                docs[key] = body

    try:
        verdicts = ml.validate(docs, args.schema)
    except ml.SetupError as e:
        print(f"setup error: {e}")
        return 2

    passed = failed = 0
    for (kind, template, mode), keys in sorted(groups.items()):
        seen, bad = set(), []
        for key in keys:
            problems = list(failures.get(key, []))
            quirks, unexpected = ml.classify_errors(template, verdicts.get(key, []))
            seen |= quirks
            problems += unexpected
            if problems:
                bad.append((key[2], problems))
        what = f"{kind} {template}" + (f" {mode}" if mode else "")
        scope = (f"{len(keys)} files" if kind == "static" else
                 f"{len(keys)} manifests ({len(streams)} streams x {len(TIMES)} clocks)")
        allowed = f"; expected quirks seen: {', '.join(sorted(seen))}" if seen else ""
        if bad:
            failed += 1
            print(f"FAIL xmllint {what}: {len(bad)} of {scope} invalid{allowed}")
            for name, problems in bad:
                print(f"    {name}")
                for p in problems[:8]:
                    print(f"        {p}")
                if len(problems) > 8:
                    print(f"        ... {len(problems) - 8} more")
        else:
            passed += 1
            if not args.quiet:
                print(f"PASS xmllint {what}: {scope} valid{allowed}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
