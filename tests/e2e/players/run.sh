#!/usr/bin/env bash
# dash.js and Shaka Player in headless Chromium against a dashlive origin: the one command.
#
#   tests/e2e/players/run.sh [run.mjs arguments...]
#
# Installs what is missing (Chromium from apt, the npm packages of package-lock.json), builds
# and starts dashlive-origin on a free loopback port, runs run.mjs against it and exits with
# its status. Arguments go to run.mjs (--player, --mode, --only, --url, --verbose, ...).
# ORIGIN=http://127.0.0.1:PORT uses an origin that is already running instead.
# PLAYERS_INSTALL_ONLY=1 installs what is missing (Chromium, the npm packages) and exits.
# CARGO_TARGET_DIR is honoured (default: the repository's target/).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
t_start=$SECONDS
step() { printf '=== %s (%ss)\n' "$*" "$((SECONDS - t_start))"; }

origin_pid=""
origin_log=""
players_out=""
cleanup() {
    if [ -n "$origin_pid" ]; then
        kill -TERM "$origin_pid" 2> /dev/null || true
        wait "$origin_pid" 2> /dev/null || true
        origin_pid=""
    fi
    if [ -n "$origin_log" ]; then rm -f "$origin_log"; fi
    if [ -n "$players_out" ]; then rm -f "$players_out"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Chromium ------------------------------------------------------------------------------
chromium_bin="${CHROMIUM:-}"
if [ -z "$chromium_bin" ]; then
    if ! command -v chromium > /dev/null; then
        step "installing chromium (apt-get)"
        sudo=""
        if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq chromium > /dev/null
    fi
    chromium_bin="$(command -v chromium)"
fi

# --- npm packages: npm ci where node_modules is missing or was installed from another lock -----
# Here: playwright-core. origin/players: dash.js and Shaka Player, which the origin's player
# pages load from it (without them the pages would ask the players' CDNs, out of reach here).
npm_ci() {
    local dir="$1" lock_sum stamp
    lock_sum="$(cd "$dir" && sha256sum package.json package-lock.json)"
    stamp="$dir/node_modules/.dashlive-installed"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
        step "npm ci in $dir"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        printf '%s' "$lock_sum" > "$stamp"
    fi
}
npm_ci "$here"
npm_ci "$repo/origin/players"
cd "$here"
# The conformance harness installs here before it starts its origin.
if [ "${PLAYERS_INSTALL_ONLY:-}" = 1 ]; then exit 0; fi

# --- the origin --------------------------------------------------------------------------------
origin="${ORIGIN:-}"
if [ -z "$origin" ]; then
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
    step "cargo build --release -p dashlive-origin"
    (cd "$repo" && cargo build --release --quiet -p dashlive-origin)
    port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
    origin="http://127.0.0.1:$port"
    origin_log="$(mktemp "${TMPDIR:-/tmp}/dashlive-origin.XXXXXX")"
    step "starting dashlive-origin on $origin"
    (cd "$repo" && RUST_LOG="${RUST_LOG:-warn}" exec "$CARGO_TARGET_DIR/release/dashlive-origin" --bind 127.0.0.1 --port "$port") > "$origin_log" 2>&1 &
    origin_pid=$!
    # The first run builds the demo catalog into out/ before it serves.
    if ! node -e '
        const [url, pid] = process.argv.slice(1);
        const deadline = Date.now() + 300000;
        const alive = () => { try { process.kill(Number(pid), 0); return true; } catch { return false; } };
        (async () => {
          for (;;) {
            try { if ((await fetch(url)).ok) process.exit(0); } catch {}
            if (!alive()) { console.error("dashlive-origin exited"); process.exit(1); }
            if (Date.now() > deadline) { console.error("no answer from " + url); process.exit(1); }
            await new Promise((r) => setTimeout(r, 250));
          }
        })();' "$origin/healthz" "$origin_pid"; then
        echo "dashlive-origin did not become ready; its log:" >&2
        cat "$origin_log" >&2
        exit 2
    fi
fi

# --- the players -------------------------------------------------------------------------------
step "players against $origin"
players_out="$(mktemp "${TMPDIR:-/tmp}/dashlive-players.XXXXXX")"
set +e
node "$here/run.mjs" --origin "$origin" --chromium "$chromium_bin" "$@" | tee "$players_out"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" != 0 ] && [ -n "$origin_log" ] && [ -s "$origin_log" ]; then
    echo "--- dashlive-origin log (RUST_LOG=${RUST_LOG:-warn})"
    cat "$origin_log"
    # Keep the summary the last line.
    grep -E '^[0-9]+ passed, [0-9]+ failed$' "$players_out" || true
fi
rm -f "$players_out"
exit "$rc"
