"""Shared helpers for the end-to-end scripts in tests/e2e (standard library only).

- the content a built tree promises (from OUT/.dashlive/index.json),
- a free loopback port,
- starting and stopping a dashlive-origin on a tree, and finding its binary,
- running a command under a hard time limit and stopping it cleanly.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Every live-capable template the origin serves at /dash/live/<stream>/<template>.mpd.
LIVE_TEMPLATES = ["hand_made", "manifest_a", "manifest_e", "manifest_ef", "manifest_h", "manifest_i", "manifest_n"]


def live_paths(stream):
    """The live manifests of one stream: each template with $Number$ and with ?timeline=1."""
    return [f"dash/live/{stream}/{t}.mpd{q}" for t in LIVE_TEMPLATES for q in ("", "?timeline=1")]


def load_index(out):
    with open(os.path.join(out, ".dashlive", "index.json")) as f:
        return json.load(f)


def stream_expectations(stream):
    """What decoding any manifest of one stream must give.

    video_frames: the frame counts of its video representations (media_duration / timescale x
    frame rate); audio_seconds: the durations of its audio representations.
    """
    video, audio = set(), set()
    for r in stream["representations"]:
        rep = r["representation"]
        secs = rep["media_duration"] / rep["timescale"]
        if rep["content_type"] == "video" and rep.get("frame_rate"):
            fr = rep["frame_rate"]
            video.add(round(secs * fr["num"] / fr["den"]))
        elif rep["content_type"] == "audio":
            audio.add(secs)
    return sorted(video), sorted(audio)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def find_origin_bin(explicit=None):
    """dashlive-origin: --origin-bin, $DASHLIVE_ORIGIN_BIN, the cargo target folders, then PATH."""
    candidates = [explicit, os.environ.get("DASHLIVE_ORIGIN_BIN")]
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        candidates.append(os.path.join(target, "release", "dashlive-origin"))
    candidates += [
        os.path.join(REPO, "target", "release", "dashlive-origin"),
        os.path.expanduser("~/.cache/dashlive/target/release/dashlive-origin"),
        shutil.which("dashlive-origin"),
    ]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    raise SystemExit("dashlive-origin not found: pass --origin-bin or set DASHLIVE_ORIGIN_BIN")


class Origin:
    """A dashlive-origin serving OUT (--no-build) with the catalog CONFIG on a free port."""

    def __init__(self, binary, out, config, log_path, port=None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = open(log_path, "w")
        env = dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
        # Run from the repository so the origin's relative defaults (config/demo.yaml) resolve.
        self.proc = subprocess.Popen(
            [binary, "--out", os.path.abspath(out), "--config", os.path.abspath(config), "--no-build",
             "--bind", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                self.log.close()
                raise RuntimeError(f"dashlive-origin exited {self.proc.returncode}: {open(log_path).read()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dashlive-origin did not answer /healthz in 30 s: {open(log_path).read()[-2000:]}")
            time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def fetch(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def start_limited(cmd, limit, **kwargs):
    """Starts CMD under `timeout -k 5 LIMIT` in its own process group."""
    return subprocess.Popen(["timeout", "-k", "5", str(int(limit))] + cmd, start_new_session=True, **kwargs)


def stop_limited(proc, grace=10):
    """SIGINT (timeout passes it on: gst-launch stops its pipeline, ffmpeg finishes its output),
    then SIGKILL to the process group if it has not exited after GRACE seconds."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    return proc.returncode
