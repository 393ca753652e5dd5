#!/usr/bin/env bash
# The conformance harness: real clients judge what dashlive serves.
#
#   tests/e2e/run.sh [--only GROUP[,GROUP...]] [--skip GROUP[,GROUP...]] [--list]
#
# Installs the clients it needs (apt-get, npm; idempotent and quick when present), builds the
# demo test card and the BBB catalog (from $DASHLIVE_TEST_MEDIA, default ../shared/media) into
# one tree, starts dashlive-origin on a free loopback port, runs each group of checks, stops
# everything it started, and prints one PASS/FAIL line per check, a line per group and the
# summary `N passed, M failed` last. Exits 1 when a check failed, 2 on a setup error.
#
# Groups (in the order they run):
#   schema        every built manifest and live manifests at fixed times, against the DASH schema
#   vod-ffmpeg    ffmpeg decodes every VOD and odvod manifest; frame counts equal the content's
#   vod-gst       GStreamer (uridecodebin3) decodes every VOD and odvod manifest
#   live-ffmpeg   ffmpeg -re plays every live template, $Number$ and SegmentTimeline
#   live-gst      GStreamer dashdemux plays every live template, $Number$ and SegmentTimeline
#   negative      a tree with a segment deleted and one corrupted is judged FAIL by both
#   matrix        every option combination of hand_made (and the other templates' allowed ones)
#   players       dash.js and Shaka in Chromium, through the origin's player pages
#   drm           ffmpeg decrypts (key from the origin's /clearkey) and decodes frame for frame
#                 the test card encrypted on the fly (cenc) and BBB's pre-encrypted copies;
#                 dash.js and Shaka play them through EME ClearKey, VOD and live, and fail
#                 with a wrong key
#   faults        dash.js and Shaka retry past injected 404s (verr=404=2&failures=1 in vod,
#                 statuscode=404:10:0:video&failures=1 live) and play on; a permanent one
#                 (verr=404=2) ends in an error event
#   corpus        content in the shapes other packagers write (ffmpeg's dash and mp4 muxers,
#                 x264/x265/SVT-AV1, AAC/AC-3/E-AC-3), made from the synth test card and
#                 judged by index, build, schema, VOD/live decode and loop continuity, and
#                 dash.js and Shaka play the H.264/AAC ones, VOD and live
#                 (tests/corpus/corpus.py, its own catalog and origin; docs/packagers.md)
#   mps           multi-period programmes (the demo's testcard-break and testcard-drm, and bbb-card:
#                 BBB -> test card -> BBB, bbb-drm: clear -> encrypted -> clear): the schema
#                 accepts VOD and live manifests, with and without drm; ffmpeg decodes the
#                 VOD programme period by period, frame count = sum of the periods; dash.js and
#                 Shaka play VOD and live across two period boundaries (players --mode mps)
#   admin         the admin pages in Chromium (players/admin.mjs, its own origin, fresh store and
#                 temporary catalog): first login, forced password change, add a stream, upload
#                 the test card through the page, timing reference, play it; a user without the
#                 media group is refused every change (403, config/ unchanged); no console error,
#                 no unlabelled control
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ALL_GROUPS="schema vod-ffmpeg vod-gst live-ffmpeg live-gst negative matrix players drm events faults corpus mps admin"
only="" skip=""
while [ $# -gt 0 ]; do
    case "$1" in
        --only) only="${2//,/ }"; shift 2 ;;
        --skip) skip="${2//,/ }"; shift 2 ;;
        --list) echo "$ALL_GROUPS" | tr ' ' '\n'; exit 0 ;;
        -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
for g in $only $skip; do
    case " $ALL_GROUPS " in *" $g "*) ;; *) echo "run.sh: no group $g (--list)" >&2; exit 2 ;; esac
done
wanted() {
    case " $skip " in *" $1 "*) return 1 ;; esac
    [ -z "$only" ] && return 0
    case " $only " in *" $1 "*) return 0 ;; esac
    return 1
}

t0=$SECONDS
step() { printf '\n=== %s (%ss)\n' "$*" "$((SECONDS - t0))"; }
die() { echo "run.sh: $*" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/dashlive-e2e.XXXXXX")"
chmod 755 "$work"  # nginx's workers read the tree
origin_pid=""
cleanup() {
    if [ -n "$origin_pid" ]; then
        kill -TERM "$origin_pid" 2> /dev/null || true
        wait "$origin_pid" 2> /dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the clients ---------------------------------------------------------------------------------
step "clients"
missing=()
command -v ffmpeg > /dev/null || missing+=(ffmpeg)
command -v xmllint > /dev/null || missing+=(libxml2-utils)
command -v nginx > /dev/null || missing+=(nginx-light)
command -v curl > /dev/null || missing+=(curl)
if ! command -v gst-launch-1.0 > /dev/null || ! gst-inspect-1.0 dashdemux > /dev/null 2>&1 \
    || ! gst-inspect-1.0 avdec_h264 > /dev/null 2>&1 || ! gst-inspect-1.0 uridecodebin3 > /dev/null 2>&1; then
    missing+=(gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "apt-get install ${missing[*]}"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq || die "apt-get update failed"
    $sudo apt-get install -y -qq "${missing[@]}" > /dev/null || die "apt-get install ${missing[*]} failed"
fi
# Chromium and the npm packages: playwright-core, and dash.js and Shaka for the origin's player
# pages, which must be there before the origin serves a page.
PLAYERS_INSTALL_ONLY=1 "$here/players/run.sh" || die "installing Chromium and the npm packages failed"
ffmpeg -version | sed -n 1p
gst-launch-1.0 --version | sed -n 2p
xmllint --version 2>&1 | sed -n 1p
chromium --version 2> /dev/null || true

# --- the tree: the demo test card and BBB in one catalog ------------------------------------------
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
step "cargo build --release"
(cd "$repo" && cargo build --release --quiet --bin dashlive && cargo build --release --quiet -p dashlive-origin) \
    || die "cargo build failed"
bin="$CARGO_TARGET_DIR/release/dashlive"
media="${DASHLIVE_TEST_MEDIA:-$repo/../shared/media}"

step "catalog: the demo test card and BBB"
# The demo catalog's build generates the test card's media on first use.
(cd "$repo" && "$bin" build --config config > /dev/null) || die "dashlive build --config config failed"
config="$work/config"
mkdir -p "$config/streams" "$config/mps"
cp "$repo/config/mps/"*.yaml "$config/mps/"
printf 'out: ../out\ndefaults: {}\n' > "$config/site.yaml"
sed "s#\.\./demo-media/#$repo/config/demo-media/#" "$repo/config/streams/testcard.yaml" > "$config/streams/testcard.yaml"
if [ -f "$media/bbb/upload_v2.json" ]; then
    "$bin" catalog import "$media/bbb/upload_v2.json" --config "$config" > /dev/null || die "catalog import failed"
    cp "$here/mps/bbb-card.yaml" "$here/mps/bbb-drm.yaml" "$config/mps/"
elif [ "${DASHLIVE_REQUIRE_TEST_MEDIA:-}" = 1 ]; then
    die "no BBB media at $media/bbb (DASHLIVE_TEST_MEDIA) and DASHLIVE_REQUIRE_TEST_MEDIA=1"
else
    echo "skipping BBB: no $media/bbb/upload_v2.json (set DASHLIVE_TEST_MEDIA)"
fi
"$bin" catalog check --config "$config" || die "catalog check failed"
"$bin" build --config "$config" --out "$work/out" || die "dashlive build failed"
out="$work/out"

# --- the origin ----------------------------------------------------------------------------------
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
step "dashlive-origin on $base"
# From the repository root: the player pages find dash.js and Shaka in origin/players/node_modules
# (players/run.sh installs them).
(cd "$repo" && RUST_LOG="${RUST_LOG:-warn}" exec "$CARGO_TARGET_DIR/release/dashlive-origin" \
    --config "$config" --out "$out" --no-build --bind 127.0.0.1 --port "$port") > "$work/origin.log" 2>&1 &
origin_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "$base/healthz" > /dev/null 2>&1 && break
    kill -0 "$origin_pid" 2> /dev/null || { cat "$work/origin.log"; die "dashlive-origin exited"; }
    sleep 0.1
done
curl -fsS "$base/healthz" > /dev/null || { cat "$work/origin.log"; die "dashlive-origin did not answer"; }

# --- the checks ----------------------------------------------------------------------------------
total_pass=0 total_fail=0 group_lines=()
# Runs one group: its output is shown as it comes, and its last `N passed, M failed` line is
# added to the totals. A group that ends without that line counts as one failure.
run_group() {
    local name="$1"; shift
    wanted "$name" || return 0
    step "$name: $*"
    local log="$work/$name.log" start=$SECONDS
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    local summary
    summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)"
    local p=0 f=1
    if [ -n "$summary" ]; then
        p="${summary%% passed*}"
        f="${summary#*passed, }"; f="${f%% failed}"
    fi
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    local verdict=PASS
    [ "$f" = 0 ] || verdict=FAIL
    group_lines+=("$verdict group $name: ${summary:-no summary (exit $rc)} in $((SECONDS - start)) s")
}

run_group schema python3 "$here/schema_check.py" "$base" "$out"
run_group vod-ffmpeg python3 "$here/static_ffmpeg.py" "$out"
run_group vod-gst python3 "$here/gst.py" "$base" "$out" --vod
run_group live-ffmpeg python3 "$here/live_ffmpeg.py" "$base" 16
run_group live-gst python3 "$here/gst.py" "$base" "$out" --live
run_group negative python3 "$here/negative_tree.py" "$out" --config "$config" \
    --origin-bin "$CARGO_TARGET_DIR/release/dashlive-origin"
run_group matrix python3 "$here/matrix.py" "$base" --out "$out" --dashlive "$bin"
# Three at a time: Chromium takes about a fifth of a core for two playbacks.
run_group players env ORIGIN="$base" "$here/players/run.sh" --mode pages,vod,live,patch,negative,extra --jobs 3
drm_cases=("testcard:drm=clearkey&enc=cenc" "testcard:drm=clearkey&enc=cbcs" "testcard:drm=playready&enc=cenc")
[ -d "$out/dash/vod/upload-test" ] && drm_cases+=("upload-test:drm=clearkey:_enc" "upload-test:drm=all-moov:_enc")
# Runs each command (a name, then the words up to `--`), prints its output, and sums
# their `N passed, M failed` lines into one (a command without one counts as a failure).
parts() {
    local p=0 f=0 name summary cmd
    while [ $# -gt 0 ]; do
        name="$1"; shift; cmd=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do cmd+=("$1"); shift; done
        shift || true
        "${cmd[@]}" > "$work/part-$name.log" 2>&1
        cat "$work/part-$name.log"
        summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/part-$name.log" | tail -n 1)"
        if [ -z "$summary" ]; then f=$((f + 1)); continue; fi
        p=$((p + ${summary%% passed*})); summary="${summary#*passed, }"; f=$((f + ${summary%% failed}))
    done
    echo "$p passed, $f failed"
}
# ffmpeg decrypts, then dash.js and Shaka play through EME ClearKey (players/run.sh --mode drm).
run_group drm parts drm-ffmpeg python3 "$here/drm_ffmpeg.py" "$base" "${drm_cases[@]}" -- \
    drm-players env ORIGIN="$base" "$here/players/run.sh" --mode drm --jobs 3
run_group events node "$here/players/events.mjs" --origin "$base"
run_group faults env ORIGIN="$base" "$here/players/run.sh" --mode faults --jobs 2
# Its own catalog, tree and origin (on another free port), made in $work.
run_group corpus python3 "$repo/tests/corpus/corpus.py" --work "$work/corpus" \
    --bin "$bin" --origin-bin "$CARGO_TARGET_DIR/release/dashlive-origin"
# Schema and ffmpeg, then the players.
run_group mps parts mps-check python3 "$here/mps_check.py" "$base" "$out" -- \
    mps-players env ORIGIN="$base" "$here/players/run.sh" --mode mps --jobs 3
# Its own origin (fresh store, temporary catalog, another free port), made in a temporary folder.
run_group admin node "$here/players/admin.mjs" --origin-bin "$CARGO_TARGET_DIR/release/dashlive-origin" \
    --bin "$bin" --players "$repo/origin/players/node_modules" --chromium "$(command -v chromium)"

step "summary"
if [ "$total_fail" != 0 ] && [ -s "$work/origin.log" ]; then
    echo "--- dashlive-origin log (RUST_LOG=${RUST_LOG:-warn}), last 50 lines"
    tail -n 50 "$work/origin.log"
fi
for l in "${group_lines[@]}"; do echo "$l"; done
echo "harness: $((SECONDS - t0)) s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
