#!/usr/bin/env python3
"""Load test of the live origin, against nginx serving the same static tree,
measured in one run (the machine is shared and noisy: compare the ratios, not
the absolute figures).

Usage: benches/load.py            (from anywhere; no arguments)

Environment:
  LOAD_SECONDS   wrk duration per URL (default 10)
  LOAD_STRICT=1  exit 1 when a target is missed (default: report only)
  CARGO_TARGET_DIR  where the release build goes (default ./target)

Steps:
 1. builds the release origin; runs it once normally (generates the demo and
    builds config/ into out/ if needed), then once more normally with the
    tree up to date, then with --no-build for the load: each on a free
    loopback port with RUST_LOG=warn (no access log), timing process start to
    the first 200 on /healthz;
 1b. with the BBB media present (DASHLIVE_TEST_MEDIA, default ../shared/media),
    builds a catalog of the demo stream and BBB (imported from
    upload_v2.json) into a temp dir and times its --no-build start and RSS;
 2. reads the load instance's RSS (/proc/<pid>/status VmRSS) after start and
    after the load (and VmHWM, its peak);
 3. starts nginx (daemon off, prefix in a temp dir) on another free port with
    root out/ and out/nginx.conf included;
 4. runs `wrk -t2 -c64 -d<LOAD_SECONDS>s --latency` against
      a. the live manifest, clock pinned with `now` so every response is the
         same bytes;
      b. the origin serving the pre-rendered static manifest closest in size
         to (a) (out/ is build output: nothing is written into it);
      c. a live segment on the origin (clock pinned);
      d. nginx serving the static segment file the live segment is cut from;
      e. the origin serving that same static file;
      f. nginx serving the static manifest of (b);
      g. the live segment of (c) with `vcorrupt` naming it (frames=4: the
         default), corrupted for each request, never cached;
      h. the live segment of (c) encrypted per request (drm=clearkey&enc=cenc:
         AES-CTR over every sample, senc/saiz/saio), against (d): nginx
         serving the clear bytes it is cut from;
      i. the live segment of (c) with in-band events (events=ping,scte35 with
         both intervals 100 of their 100 Hz timescale: a ping and a SCTE-35
         splice a second, emsg boxes made and inserted per request);
    around each run it reads the CPU time (utime + stime, /proc/<pid>/stat)
    of the server measured (the origin's process, or nginx's master and
    workers) and divides its growth by wrk's request count;
 5. prints requests/s, CPU µs per request, MB/s (10^6 bytes, headers
    included, as wrk counts), p50/p99 latency, the target ratios (the
    origin's static files against nginx's too), start time and RSS;
 6. stops everything it started (process groups it created, on any exit).
"""
import atexit
import datetime
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.abspath(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")))
ORIGIN = os.path.join(TARGET, "release", "dashlive-origin")
DASHLIVE = os.path.join(TARGET, "release", "dashlive")
MEDIA = os.environ.get("DASHLIVE_TEST_MEDIA", os.path.join(ROOT, "..", "shared", "media"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "10"))
STRICT = os.environ.get("LOAD_STRICT") == "1"

STREAM = "testcard"
REP = "testcard_720p"
MANIFEST = "hand_made"
# The pinned clock: 2023-11-14T22:13:20Z, 80 000 s after the pinned start.
NOW_MS = 1_700_000_000_000
START = "2023-11-14T00:00:00Z"
PINNED = f"start={START}&now={NOW_MS}"

# Targets.
MANIFEST_RATIO_MIN = 0.5  # live manifest rps / origin static file rps
SEGMENT_RATIO_MIN = 0.7   # live segment rps / nginx static segment rps
CORRUPT_RATIO_MIN = 0.3   # corrupted live segment rps / nginx static segment rps
CENC_RATIO_MIN = 0.3      # live segment with enc=cenc rps / nginx static segment rps
EMSG_RATIO_MIN = 0.3      # live segment with emsg insertion rps / nginx static segment rps
STATIC_RATIO_MIN = 0.6    # origin static file rps / nginx rps, same file
START_MS_MAX = 200.0
RSS_MB_MAX = 64.0

# ---------------------------------------------------------------- processes

STARTED = []  # Popen objects, each the leader of its own process group
TEMP_DIRS = []


def stop(p, timeout=10.0):
    """Stops a process group we started: SIGTERM, then SIGKILL."""
    if p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    except ProcessLookupError:
        pass


def cleanup():
    while STARTED:
        stop(STARTED.pop())
    while TEMP_DIRS:
        shutil.rmtree(TEMP_DIRS.pop(), ignore_errors=True)


atexit.register(cleanup)


def on_signal(signum, _frame):
    sys.exit(128 + signum)  # runs the atexit cleanup


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGHUP, on_signal)


def spawn(args, log, env=None):
    p = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                         stderr=subprocess.STDOUT, env=env, start_new_session=True)
    STARTED.append(p)
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    """GET http://127.0.0.1:port/path → (status, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def wait_ready(p, port, path, t0, log_path, timeout):
    """Polls path until 200; returns ms since t0."""
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        if p.poll() is not None:
            sys.exit(f"{p.args[0]} exited with {p.returncode}:\n{open(log_path).read()}")
        try:
            status, _ = get(port, path)
            if status == 200:
                return (time.perf_counter() - t0) * 1000
        except OSError:
            pass
        time.sleep(0.001)
    sys.exit(f"{p.args[0]}: no 200 on {path} within {timeout} s:\n{open(log_path).read()}")


def rss_kb(pid):
    """(VmRSS, VmHWM) in kB."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                fields[k] = int(v.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        # The command name may hold spaces and parentheses: split after its last ')'.
        fields = f.read().rpartition(")")[2].split()
    # Fields 14 and 15 of proc(5), counted from the state (field 3) here.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children(pid):
    """The pids whose parent is `pid` (nginx's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            found.append(int(entry))
    return found


def group_cpu(pids):
    """CPU seconds of these processes; one that has gone counts 0."""
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except (OSError, ValueError, IndexError):
            pass
    return total


def tool(name, *extra_dirs):
    found = shutil.which(name)
    if found:
        return found
    for d in extra_dirs:
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    return None


def ensure_tools():
    wrk, nginx = tool("wrk"), tool("nginx", "/usr/sbin")
    if wrk and nginx:
        return wrk, nginx
    print("installing wrk and nginx-light (apt-get)", flush=True)
    cmd = ["apt-get", "install", "-y", "-q", "wrk", "nginx-light"]
    if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL, check=True)
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    wrk, nginx = tool("wrk"), tool("nginx", "/usr/sbin")
    if not (wrk and nginx):
        sys.exit("wrk and nginx are needed (apt-get install wrk nginx-light)")
    return wrk, nginx


# ---------------------------------------------------------------- origin


def start_origin(work, name, extra, timeout):
    """Starts the origin; returns (Popen, port, ms to first /healthz, served dir)."""
    port = free_port()
    log_path = os.path.join(work, f"{name}.log")
    env = dict(os.environ, RUST_LOG="warn")
    args = [ORIGIN, "--bind", "127.0.0.1", "--port", str(port), *extra]
    with open(log_path, "w") as log:
        t0 = time.perf_counter()
        p = spawn(args, log, env)
    ms = wait_ready(p, port, "/healthz", t0, log_path, timeout)
    m = None
    # The "serving <dir>" line is printed just before the listener accepts.
    for _ in range(100):
        m = re.search(r" serving (.+) \(\d+ streams?\) on ", open(log_path).read())
        if m:
            break
        time.sleep(0.01)
    served = os.path.normpath(os.path.join(ROOT, m.group(1))) if m else os.path.join(ROOT, "out")
    return p, port, ms, served


def combined_catalog(work):
    """A catalog of the demo stream and BBB (imported from upload_v2.json), or
    None without the BBB media."""
    upload = os.path.join(MEDIA, "bbb", "upload_v2.json")
    if not os.path.isfile(upload):
        return None
    cfg = os.path.join(work, "combined")
    os.makedirs(os.path.join(cfg, "streams"))
    demo = os.path.join(ROOT, "config", "streams", "testcard.yaml")
    with open(demo) as f:
        text = f.read()
    # The demo stream's media paths are relative to its own file: make them absolute.
    text = re.sub(r"^(\s*-\s*)(\S+\.mp4)\s*$",
                  lambda m: m.group(1) + os.path.normpath(os.path.join(os.path.dirname(demo), m.group(2))),
                  text, flags=re.M)
    with open(os.path.join(cfg, "streams", "testcard.yaml"), "w") as f:
        f.write(text)
    subprocess.run([DASHLIVE, "catalog", "import", upload, "--config", cfg], check=True,
                   stdout=subprocess.DEVNULL)
    return cfg


# ---------------------------------------------------------------- nginx

NGINX_CONF = """\
worker_processes auto;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    # The tree's nginx.conf sends media URLs with a query to the origin.
    upstream dashlive_origin {{ server 127.0.0.1:{origin_port}; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        include {root}/nginx.conf;
    }}
}}
"""


def start_nginx(nginx, work, out, probe, origin_port):
    tmp = os.path.join(work, "nginx")
    os.makedirs(tmp)
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(tmp=tmp, port=port, root=out, origin_port=origin_port))
    log_path = os.path.join(work, "nginx.log")
    with open(log_path, "w") as log:
        t0 = time.perf_counter()
        p = spawn([nginx, "-p", tmp, "-c", conf, "-g", "daemon off;"], log)
    wait_ready(p, port, probe, t0, log_path, 10)
    return p, port


# ---------------------------------------------------------------- wrk

UNITS_TIME = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
UNITS_BYTES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def wrk_run(wrk, url, pids):
    """One wrk run; `pids` are the server's processes whose CPU time it costs."""
    cpu_before = group_cpu(pids)
    out = subprocess.run([wrk, "-t2", "-c64", f"-d{SECONDS}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    cpu = group_cpu(pids) - cpu_before

    def find(pattern):
        m = re.search(pattern, out, re.M)
        if not m:
            sys.exit(f"cannot read wrk's output ({pattern}):\n{out}")
        return m

    def ms(m):
        return float(m.group(1)) * UNITS_TIME[m.group(2)]

    t = find(r"^Transfer/sec:\s+([\d.]+)([KMGT]?B)")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)$", out, re.M)
    requests = int(find(r"(\d+) requests in").group(1))
    return {
        "rps": float(find(r"^Requests/sec:\s+([\d.]+)").group(1)),
        "cpu_us": cpu * 1e6 / requests if requests else float("nan"),
        "mbps": float(t.group(1)) * UNITS_BYTES[t.group(2)] / 1e6,
        "p50": ms(find(r"^\s+50%\s+([\d.]+)(us|ms|s|m|h)\s*$")),
        "p99": ms(find(r"^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$")),
        "requests": requests,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1) if errors else "",
    }


# ---------------------------------------------------------------- main


def iso_ms(s):
    """xs:dateTime with a Z zone → Unix ms."""
    return int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)


def live_segment_number(mpd_xml):
    """The newest segment of REP available at NOW_MS: (number, startNumber)."""
    ns = {"d": "urn:mpeg:dash:schema:mpd:2011"}
    mpd = ET.fromstring(mpd_xml)
    ast = iso_ms(mpd.get("availabilityStartTime"))
    for aset in mpd.iterfind(".//d:AdaptationSet", ns):
        if aset.find(f"d:Representation[@id='{REP}']", ns) is None:
            continue
        st = aset.find("d:SegmentTemplate", ns)
        if st is None:
            st = aset.find(f"d:Representation[@id='{REP}']/d:SegmentTemplate", ns)
        start_number = int(st.get("startNumber", "1"))
        timescale, duration = int(st.get("timescale")), int(st.get("duration"))
        n = start_number + (NOW_MS - ast) * timescale // (duration * 1000) - 1
        return n, start_number
    sys.exit(f"the live manifest has no representation {REP}")


def main():
    wrk, nginx = ensure_tools()
    print("building the release origin …", flush=True)
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "dashlive-origin", "-p", "dashlive"],
                   cwd=ROOT, check=True, env=dict(os.environ, CARGO_TARGET_DIR=TARGET))
    work = tempfile.mkdtemp(prefix="dashlive-load-")
    TEMP_DIRS.append(work)

    # 1. A normal run builds the tree if needed; a second finds it up to date.
    p, _, ms_first, _ = start_origin(work, "origin-build", [], 900)
    stop(p)
    p, _, ms_uptodate, _ = start_origin(work, "origin-uptodate", [], 60)
    stop(p)
    # The BBB + demo catalogs: built once, then started as served.
    combined = combined_catalog(work)
    ms_combined = rss_combined = None
    if combined:
        os.chmod(work, 0o755)
        cout = os.path.join(work, "combined-out")
        p, _, _, _ = start_origin(work, "origin-combined-build", ["--config", combined, "--out", cout], 900)
        stop(p)
        p, _, ms_combined, _ = start_origin(work, "origin-combined", ["--no-build", "--out", cout], 60)
        rss_combined, _ = rss_kb(p.pid)
        stop(p)
    else:
        print(f"no BBB media in {MEDIA}: the BBB + demo start is not measured", flush=True)
    origin, oport, ms_nobuild, out = start_origin(work, "origin", ["--no-build"], 60)
    rss_start, _ = rss_kb(origin.pid)

    # The URLs.
    live_mpd = f"/dash/live/{STREAM}/{MANIFEST}.mpd?{PINNED}"
    status, mpd = get(oport, live_mpd)
    if status != 200:
        sys.exit(f"{live_mpd}: {status} {mpd[:300]!r}")
    n, start_number = live_segment_number(mpd)
    live_seg = f"/dash/live/{STREAM}/{REP}/{n}.m4v?{PINNED}"
    status, seg = get(oport, live_seg)
    if status != 200:
        sys.exit(f"{live_seg}: {status} {seg[:300]!r}")
    corrupt_seg = f"{live_seg}&vcorrupt={n}"
    status, bad = get(oport, corrupt_seg)
    if status != 200 or len(bad) != len(seg) or bad == seg:
        sys.exit(f"{corrupt_seg}: {status}, not a corrupted copy of {live_seg}")
    cenc_seg = f"{live_seg}&drm=clearkey&enc=cenc"
    status, cenc_body = get(oport, cenc_seg)
    if status != 200 or b"senc" not in cenc_body:
        sys.exit(f"{cenc_seg}: {status}, not an encrypted segment: {cenc_body[:300]!r}")
    emsg_seg = f"{live_seg}&events=ping,scte35&ping__interval=100&scte35__interval=100"
    status, emsg_body = get(oport, emsg_seg)
    if status != 200 or b"emsg" not in emsg_body[:4096]:
        sys.exit(f"{emsg_seg}: {status}, not a segment with emsg boxes: {emsg_body[:300]!r}")
    vod_rep = os.path.join(out, "dash", "vod", STREAM, REP)
    loop = sorted(int(f[:-4]) for f in os.listdir(vod_rep) if re.fullmatch(r"\d+\.m4v", f))
    k = (n - start_number) % len(loop) + loop[0]
    static_seg = f"/dash/vod/{STREAM}/{REP}/{k}.m4v"
    static_seg_size = os.path.getsize(os.path.join(out, static_seg.lstrip("/")))
    # The pre-rendered manifest closest in size to the live one.
    mpds = []
    for d, dirs, files in os.walk(os.path.join(out, "dash")):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        for f in files:
            if f.endswith(".mpd"):
                path = os.path.join(d, f)
                mpds.append((abs(os.path.getsize(path) - len(mpd)), path))
    _, static_mpd_path = min(mpds)
    static_mpd = "/" + os.path.relpath(static_mpd_path, out)
    static_mpd_size = os.path.getsize(static_mpd_path)
    for port, path, size in ((oport, static_mpd, static_mpd_size), (oport, static_seg, static_seg_size)):
        status, body = get(port, path)
        if status != 200 or len(body) != size:
            sys.exit(f"{path}: {status}, {len(body)} bytes, expected 200 and {size}")

    ngx, nport = start_nginx(nginx, work, out, static_seg, oport)
    for path in (static_seg, static_mpd):
        status, body = get(nport, path)
        with open(os.path.join(out, path.lstrip("/")), "rb") as f:
            if status != 200 or body != f.read():
                sys.exit(f"nginx {path}: {status}, not the file's bytes")

    o = f"http://127.0.0.1:{oport}"
    ng = f"http://127.0.0.1:{nport}"
    # nginx's CPU is its master's and its workers'.
    origin_pids, nginx_pids = [origin.pid], [ngx.pid, *children(ngx.pid)]
    runs = [
        ("a", "origin live manifest", o + live_mpd, len(mpd), origin_pids),
        ("b", "origin static manifest", o + static_mpd, static_mpd_size, origin_pids),
        ("f", "nginx static manifest", ng + static_mpd, static_mpd_size, nginx_pids),
        ("c", "origin live segment", o + live_seg, len(seg), origin_pids),
        ("d", "nginx static segment", ng + static_seg, static_seg_size, nginx_pids),
        ("e", "origin static segment", o + static_seg, static_seg_size, origin_pids),
        ("g", "origin corrupted segment", o + corrupt_seg, len(bad), origin_pids),
        ("h", "origin live segment cenc", o + cenc_seg, len(cenc_body), origin_pids),
        ("i", "origin live segment emsg", o + emsg_seg, len(emsg_body), origin_pids),
    ]
    print(f"origin {out} on :{oport} (RUST_LOG=warn, --no-build); nginx on :{nport}; "
          f"wrk -t2 -c64 -d{SECONDS}s --latency; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    results = {}
    for key, name, url, size, pids in runs:
        print(f"  {key}. {name}: {url} ({size} bytes) …", flush=True)
        results[key] = wrk_run(wrk, url, pids)
    rss_after, hwm = rss_kb(origin.pid)
    load_after = os.getloadavg()[0]
    cleanup()

    print()
    print(f"{'':3}{'URL':<26}{'bytes':>8}{'req/s':>11}{'CPU µs/req':>11}{'MB/s':>9}"
          f"{'p50 ms':>9}{'p99 ms':>9}  errors")
    for key, name, _, size, _ in runs:
        r = results[key]
        errs = []
        if r["non2xx"]:
            errs.append(f"{r['non2xx']} non-2xx of {r['requests']}")
        if r["errors"]:
            errs.append(f"socket {r['errors']}")
        print(f"{key}. {name:<26}{size:>8}{r['rps']:>11.0f}{r['cpu_us']:>11.1f}{r['mbps']:>9.1f}"
              f"{r['p50']:>9.3f}{r['p99']:>9.3f}  {'; '.join(errs) or '-'}")
    print(f"(load average after: {load_after:.2f})")
    print()

    checks = []

    def check(label, text, ok):
        checks.append(ok)
        print(f"{label:<58}{text:<14}{'ok' if ok else 'MISSED'}")

    mr = results["a"]["rps"] / results["b"]["rps"]
    sr = results["c"]["rps"] / results["d"]["rps"]
    check("live manifest / origin static manifest (req/s)", f"{mr:.2f} ≥ {MANIFEST_RATIO_MIN}",
          mr >= MANIFEST_RATIO_MIN)
    check("live segment / nginx static segment (req/s)", f"{sr:.2f} ≥ {SEGMENT_RATIO_MIN}",
          sr >= SEGMENT_RATIO_MIN)
    cr = results["g"]["rps"] / results["d"]["rps"]
    check("corrupted live segment / nginx static segment (req/s)",
          f"{cr:.2f} ≥ {CORRUPT_RATIO_MIN}", cr >= CORRUPT_RATIO_MIN)
    hr = results["h"]["rps"] / results["d"]["rps"]
    check("live segment enc=cenc / nginx static segment (req/s)", f"{hr:.2f} ≥ {CENC_RATIO_MIN}",
          hr >= CENC_RATIO_MIN)
    print(f"{'  (CPU per request, cenc live / clear live)':<58}"
          f"{results['h']['cpu_us'] / results['c']['cpu_us']:.2f}  "
          f"({results['h']['cpu_us']:.1f} / {results['c']['cpu_us']:.1f} µs)")
    er = results["i"]["rps"] / results["d"]["rps"]
    check("live segment with emsg / nginx static segment (req/s)", f"{er:.2f} ≥ {EMSG_RATIO_MIN}",
          er >= EMSG_RATIO_MIN)
    for label, origin_key, nginx_key in (("manifest", "b", "f"), ("segment", "e", "d")):
        o_r, n_r = results[origin_key], results[nginx_key]
        ratio = o_r["rps"] / n_r["rps"]
        check(f"origin static {label} / nginx static {label} (req/s)",
              f"{ratio:.2f} ≥ {STATIC_RATIO_MIN}", ratio >= STATIC_RATIO_MIN)
        print(f"{'  (CPU per request, origin / nginx)':<58}"
              f"{o_r['cpu_us'] / n_r['cpu_us']:.2f}  ({o_r['cpu_us']:.1f} / {n_r['cpu_us']:.1f} µs)")
    check("start to first /healthz, --no-build (ms)", f"{ms_nobuild:.1f} < {START_MS_MAX:.0f}",
          ms_nobuild < START_MS_MAX)
    check("start to first /healthz, tree up to date (ms)",
          f"{ms_uptodate:.1f} < {START_MS_MAX:.0f}", ms_uptodate < START_MS_MAX)
    print(f"{'(first run, building if needed (ms))':<58}{ms_first:.1f}")
    if ms_combined is not None:
        check("BBB + demo catalogs: start to first /healthz (ms)",
              f"{ms_combined:.1f} < {START_MS_MAX:.0f}", ms_combined < START_MS_MAX)
        check("BBB + demo catalogs: RSS after start (MB)",
              f"{rss_combined / 1024:.1f} < {RSS_MB_MAX:.0f}", rss_combined / 1024 < RSS_MB_MAX)
    check("RSS after start (MB)", f"{rss_start / 1024:.1f} < {RSS_MB_MAX:.0f}",
          rss_start / 1024 < RSS_MB_MAX)
    check("RSS after the load (MB)", f"{rss_after / 1024:.1f} < {RSS_MB_MAX:.0f}",
          rss_after / 1024 < RSS_MB_MAX)
    print(f"{'(peak RSS, VmHWM (MB))':<58}{hwm / 1024:.1f}")
    if STRICT and not all(checks):
        sys.exit(1)


if __name__ == "__main__":
    main()
