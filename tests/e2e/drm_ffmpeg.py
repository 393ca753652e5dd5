"""DRM through the origin, judged by ffmpeg (standard library only).

For each (stream, query) case: the hand_made manifest with that query must
signal a default_KID; the key comes from the origin's own ClearKey licence
server (POST /clearkey); then for every video and audio representation, the
init segment with each of the first media segments (one at a time: ffmpeg's
mov demuxer cannot decrypt several concatenated CENC fragments) is decrypted
with -decryption_key and must decode frame for frame as the clear copy; with
a wrong key it must not.

Usage: drm_ffmpeg.py BASE STREAM:QUERY[:CLEAR_SUFFIX] ...
  e.g. drm_ffmpeg.py http://127.0.0.1:5000 testcard:drm=clearkey&enc=cenc upload-test:drm=clearkey:_enc
"""

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

SEGMENTS = 3


def get(url):
    with urllib.request.urlopen(url, timeout=20) as r:
        return r.read()


def licence(base, kid_hex):
    kid = base64.urlsafe_b64encode(bytes.fromhex(kid_hex)).decode().rstrip("=")
    body = json.dumps({"kids": [kid], "type": "temporary"}).encode()
    req = urllib.request.Request(f"{base}/clearkey", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        keys = json.load(r)["keys"]
    if not keys:
        return None
    k = keys[0]["k"]
    return base64.urlsafe_b64decode(k + "=" * (-len(k) % 4)).hex()


def framemd5(path, key=None):
    cmd = ["ffmpeg", "-v", "error"] + (["-decryption_key", key] if key else []) + ["-i", path, "-f", "framemd5", "-"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    frames = [l.rsplit(",", 1)[-1].strip() for l in p.stdout.splitlines() if not l.startswith("#")]
    return frames, p.stderr.strip()


def main():
    base = sys.argv[1].rstrip("/")
    passed = failed = 0

    def verdict(ok, what):
        nonlocal passed, failed
        print(("PASS " if ok else "FAIL ") + what, flush=True)
        passed, failed = passed + ok, failed + (not ok)

    work = tempfile.mkdtemp(prefix="dashlive-drm-")
    for case in sys.argv[2:]:
        stream, query, *rest = case.split(":")
        suffix = rest[0] if rest else ""
        mpd = get(f"{base}/dash/vod/{stream}/hand_made.mpd?{query}").decode()
        kids = set(re.findall(r'cenc:default_KID="([0-9A-F-]+)"', mpd))
        if not kids:
            verdict(False, f"{stream}?{query}: no default_KID in the manifest")
            continue
        key = licence(base, kids.pop().replace("-", "").lower())
        verdict(key is not None, f"{stream}?{query}: /clearkey gives the key")
        if key is None:
            continue
        reps = re.findall(r'<Representation id="([^"]+)" mimeType="(video|audio)/mp4"', mpd)
        for rep, kind in reps:
            ext = "m4v" if kind == "video" else "m4a"
            clear_rep = rep[: -len(suffix)] if suffix and rep.endswith(suffix) else rep
            init = get(f"{base}/dash/vod/{stream}/{rep}/init.{ext}?{query}")
            clear_init = get(f"{base}/dash/vod/{stream}/{clear_rep}/init.{ext}")
            for n in range(1, SEGMENTS + 1):
                what = f"{stream}?{query} {rep} segment {n}"
                enc = os.path.join(work, "enc.mp4")
                clear = os.path.join(work, "clear.mp4")
                with open(enc, "wb") as f:
                    f.write(init + get(f"{base}/dash/vod/{stream}/{rep}/{n}.{ext}?{query}"))
                with open(clear, "wb") as f:
                    f.write(clear_init + get(f"{base}/dash/vod/{stream}/{clear_rep}/{n}.{ext}"))
                want, _ = framemd5(clear)
                got, errors = framemd5(enc, key)
                verdict(bool(want) and got == want and not errors,
                        f"{what}: {len(got)} frames decrypt as the clear ones {errors[:200]}")
                if n == 1:
                    bad, _ = framemd5(enc, "00" * 16)
                    verdict(bad != want, f"{what}: a wrong key does not decode to the clear frames")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
