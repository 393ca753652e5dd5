"""The DRM part of the option matrix (matrix.py): drm x location x template.

Combined in full, per template and mode: every DRM selection (clearkey,
marlin, playready, widevine, all, and two comma lists) x every location set
(none given = all three, pro, cenc, moov, and each pair) x each stream's
encryption (the test card encrypted on the fly with enc=cenc and enc=cbcs;
BBB's pre-encrypted copies, and its clear copies with enc=cenc and
enc=cbcs). On demand: no moov among fewer than all locations and no enc=,
which odvod refuses (src/drm/on_demand.rs; checked as 400s). Pairwise, with
those as the core: the DRM sub-options (playready__version, playready__piff,
playready__la_url, marlin__la_url, clearkey__la_url, bugs=saio) and the
structural options abr, acodec, timeline and base; their full product with
the core would be about 2,000 times as many manifests, none of which
interacts with another beyond a pair in the signalling code.

Each is rendered, schema-validated, and its ContentProtection judged
(judge): in every video and audio AdaptationSet the mp4protection scheme
(cenc, or cbcs as asked), a default_KID, each selected system's element
and no other, a cenc:pssh exactly where the cenc location is asked
(ClearKey's in the W3C common element), PlayReady's mspr:pro exactly with
pro. Templates without DRM (manifest_a, manifest_vod_aiv) and streams with
nothing encrypted on demand must carry no ContentProtection. Encrypted
manifests are not decoded here: ffmpeg's DASH demuxer takes no key; the drm
group decrypts with ffmpeg and plays with dash.js and Shaka.
"""

import re

import matrixlib as ml

NO_DRM_TEMPLATES = {"manifest_a", "manifest_vod_aiv"}
SYSTEMS = ["clearkey", "marlin", "playready", "widevine"]
SELECTIONS = SYSTEMS + ["all", "list"]
# A comma list: each system with its own locations.
LISTS = {"list": "playready-pro,clearkey-cenc,widevine-moov"}
LOCATIONS = [None, "pro", "cenc", "moov", "cenc-pro", "moov-pro", "cenc-moov"]
SYSTEM_IDS = {
    "clearkey": ["e2719d58-a985-b3c9-781a-b030af78d30e"],
    "marlin": ["5e629af5-38da-4063-8977-97ffbd9902d4"],
    # PlayReady, and its PIFF ID (playready__version=1.0).
    "playready": ["9a04f079-9840-4286-ab92-e65be0885f95", "79f0049a-4098-8642-ab92-e65be0885f95"],
    "widevine": ["edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"],
}
W3C_COMMON = "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
PAIR_DIMS = [
    ("playready__version", [None, "1.0", "2.0", "3.0", "4.0"]),
    ("playready__piff", [None, "0"]),
    ("playready__la_url", [None, "https://drm.example/{cfgs}/rightsmanager.asmx"]),
    ("marlin__la_url", [None, "https://drm.example/marlin"]),
    ("clearkey__la_url", [None, "https://drm.example/clearkey"]),
    ("bugs", [None, "saio"]),
]
# URL order of the DRM options (the option table's order, after matrix.ORDER's).
ORDER = ["bugs", "drm", "playready__la_url", "playready__piff", "playready__version",
         "marlin__la_url", "clearkey__la_url", "enc"]


def drm_value(selection, loc):
    if selection in LISTS:
        return LISTS[selection]
    return selection + (f"-{loc}" if loc else "")


def selected(drm):
    """{system: set of locations} that a drm= value selects."""
    out = {}
    for part in drm.split(","):
        name, *locs = part.split("-")
        for s in (["clearkey", "marlin", "playready"] if name == "all" else [name]):
            out[s] = set(locs) or {"pro", "cenc", "moov"}
    return out


def encryptions(pre_encrypted, mode):
    if mode == "odvod":
        return [None]
    return [None, "cenc", "cbcs"] if pre_encrypted else ["cenc", "cbcs"]


def refused_on_demand(drm):
    """Whether odvod refuses this drm= value: moov among fewer than all
    three locations of a choice."""
    return any("moov" in part.split("-")[1:] and len(part.split("-")) < 4
               for part in drm.split(","))


def combos(streams, Combo, template_dims, pairwise):
    """The DRM combinations (kind "drm" for the full product, "drmp" for
    the pairwise ones), each with .drm_expect for judge()."""
    out = []
    for stream, info in sorted(streams.items()):
        pre = any(e.get("encrypted") for e in info["reps"].values()) or len(info["audio"]) > 1
        for template, modes in ml.TEMPLATE_MODES.items():
            for mode in modes:
                encs = encryptions(pre, mode)
                sels = [s for s in SELECTIONS if not (mode == "odvod" and s in LISTS)]
                locs = [loc for loc in LOCATIONS
                        if not (mode == "odvod" and refused_on_demand(drm_value("all", loc)))]
                drms = [drm_value(s, loc) for s in sels for loc in (locs if s not in LISTS else [None])]
                structural, _ = template_dims(template, mode, info, len(info["audio"]) > 1)
                # The UTCTiming method does not meet DRM in the manifest code.
                structural = [d for d in structural if d[0] != "time"]
                dims = ["drm", "enc"] + [n for n, _ in structural + PAIR_DIMS]
                for d in drms:
                    for e in encs:
                        out.append(_combo(Combo, "drm", template, mode, stream,
                                          {"drm": d, "enc": e}, dims, pre))
                for row in pairwise([("drm_sel", sels), ("loc", locs), ("enc", encs)]
                                    + structural + PAIR_DIMS):
                    row["drm"] = drm_value(row.pop("drm_sel"), row.pop("loc"))
                    out.append(_combo(Combo, "drmp", template, mode, stream, row, dims, pre))
    return out


def _combo(Combo, kind, template, mode, stream, row, dims, pre):
    c = Combo(kind, template, mode, stream, row, dims)
    c.drm_expect = {"template": template not in NO_DRM_TEMPLATES,
                    "encrypted": pre or bool(row.get("enc")),
                    "scheme": row.get("enc") or "cenc",
                    "systems": selected(row["drm"]),
                    "pr_version": row.get("playready__version")}
    # ffmpeg's DASH demuxer takes no key: the drm group decrypts these.
    c.decode = "skip: encrypted (the drm group decrypts and plays them)"
    return c


def refusals(base, streams):
    """(label, url, status, text) checks: what odvod refuses."""
    items = []
    for stream in sorted(streams):
        for q, param in [("drm=clearkey-moov", "drm=clearkey-moov"),
                         ("drm=playready-pro-moov", "drm=playready-moov-pro"),
                         ("drm=all-cenc-moov", "drm=clearkey-cenc-moov"),
                         ("drm=clearkey&enc=cenc", "enc=cenc")]:
            items.append((f"odvod/{stream}/hand_made.mpd?{q} is 400 (the on-demand files are served as built)",
                          f"{base}dash/odvod/{stream}/hand_made.mpd?{q}", 400, param))
    return items


def _sets(xml):
    """(contentType, the AdaptationSet's text) of each set."""
    for m in re.finditer(r"<AdaptationSet\b[^>]*>.*?</AdaptationSet>", xml, re.S):
        head = m.group(0)[:m.group(0).index(">")]
        kind = re.search(r'contentType="(\w+)"', head) or re.search(r'mimeType="(\w+)/', head)
        yield (kind.group(1) if kind else "?"), m.group(0)


def _elements(aset):
    """The ContentProtection elements of a set: (schemeIdUri, text)."""
    for m in re.finditer(r"<ContentProtection\b[^>]*?(?:/>|>.*?</ContentProtection>)", aset, re.S):
        scheme = re.search(r'schemeIdUri="([^"]+)"', m.group(0))
        yield (scheme.group(1).lower() if scheme else ""), m.group(0)


def judge(c, body):
    """What is wrong with a rendered DRM manifest (an empty list: nothing)."""
    x = c.drm_expect
    xml = body.decode(errors="replace")
    if not x["template"] or not x["encrypted"]:
        return ["ContentProtection where nothing is encrypted"] if "<ContentProtection" in xml else []
    problems = []
    for kind, aset in _sets(xml):
        if kind not in ("video", "audio"):
            continue
        els = list(_elements(aset))
        where = f"{kind} set"
        mp4 = [t for s, t in els if s == "urn:mpeg:dash:mp4protection:2011"]
        if not mp4 or f'value="{x["scheme"]}"' not in mp4[0] or "cenc:default_KID" not in mp4[0]:
            problems.append(f"{where}: no mp4protection {x['scheme']} with a default_KID")
        for system, ids in SYSTEM_IDS.items():
            mine = [t for s, t in els if s in {f"urn:uuid:{i}" for i in ids}]
            locs = x["systems"].get(system)
            if locs is None:
                if mine:
                    problems.append(f"{where}: {system} signalled but not selected")
                continue
            if not mine:
                problems.append(f"{where}: no {system} ContentProtection")
                continue
            pssh_in = {"clearkey": [t for s, t in els if s == f"urn:uuid:{W3C_COMMON}"],
                       "marlin": []}.get(system, mine)
            has_pssh = any("<cenc:pssh>" in t for t in pssh_in)
            wants_pssh = "cenc" in locs and system != "marlin" and not (
                system == "playready" and x["pr_version"] == "1.0")
            if has_pssh != wants_pssh:
                problems.append(f"{where}: {system} cenc:pssh {'present' if has_pssh else 'absent'}"
                                f" with locations {'-'.join(sorted(locs))}")
            if system == "playready":
                has_pro = any("<mspr:pro>" in t for t in mine)
                if has_pro != ("pro" in locs):
                    problems.append(f"{where}: mspr:pro {'present' if has_pro else 'absent'}"
                                    f" with locations {'-'.join(sorted(locs))}")
    return problems
