//! The player pages (`/play/{mode}/{stream}/{manifest}` and `/play?mpd=URL`),
//! their script, and the player libraries from `node_modules`.
//!
//! A page loads dash.js or Shaka Player from the origin when the version asked
//! for (by default the pinned one) is installed in the players folder
//! (`npm ci --prefix origin/players`), and from the player's own release URL
//! otherwise, so a page works offline once installed and online without.

use std::path::{Path, PathBuf};

use hyper::{HeaderMap, Method, Response};

use dashlive::mpd::registry::{self, Mode};
use dashlive::options::Options;
use dashlive::pages::home::PLAYERS;
use dashlive::pages::play::{
    dashjs_release_url, play_page, shaka_release_url, valid_version, PlayConfig, PLAYER_JS,
};

use crate::app::{Ctx, View};
use crate::body::Body;
use crate::respond::{bad_request, not_found, ok};
use crate::static_files::StaticFiles;
use dashlive::policy;

/// The versions `origin/players/package.json` pins (a test keeps them equal):
/// what a page loads when the query names none and nothing is installed.
pub const PINNED_DASHJS: &str = "5.2.1";
pub const PINNED_SHAKA: &str = "5.2.12";

/// Inside the players folder: the npm package and its browser bundle.
const DASHJS_PACKAGE: &str = "dashjs";
const DASHJS_BUNDLE: &str = "dashjs/dist/modern/umd/dash.all.min.js";
const SHAKA_PACKAGE: &str = "shaka-player";
const SHAKA_BUNDLE: &str = "shaka-player/dist/shaka-player.compiled.js";
/// Only the bundles' folders are served, not the whole of node_modules.
const SERVED: &[&str] = &["dashjs/dist/", "shaka-player/dist/"];

/// Query names the page itself reads; the rest is the MPD's.
const PAGE_ONLY: &[&str] = &["player", "dashjs", "shaka", "text_pref", "mpd"];

/// The player libraries installed for the origin: looked up at each request,
/// so `npm ci --prefix origin/players` takes effect without a restart.
pub struct Players {
    /// A `node_modules` folder; `None` or missing means none installed.
    dir: Option<PathBuf>,
}

impl Players {
    pub fn load(dir: &Path) -> Players {
        Players {
            dir: Some(dir.to_path_buf()),
        }
    }

    /// No players folder (the tests' origins).
    #[cfg(test)]
    pub fn none() -> Players {
        Players { dir: None }
    }

    /// The installed version of `package`, when its bundle is there too.
    fn installed(&self, package: &str, bundle: &str) -> Option<String> {
        let dir = self.dir.as_ref()?;
        if !dir.join(bundle).is_file() {
            return None;
        }
        let text = std::fs::read(dir.join(package).join("package.json")).ok()?;
        let json: serde_json::Value = serde_json::from_slice(&text).ok()?;
        json.get("version")?.as_str().map(String::from)
    }

    /// `/players/{*path}`: a file of an installed player bundle.
    pub fn serve(&self, method: &Method, rest: &str, headers: &HeaderMap) -> Response<Body> {
        let files = self
            .dir
            .as_ref()
            .filter(|_| SERVED.iter().any(|p| rest.starts_with(p)))
            .and_then(|dir| StaticFiles::new(dir).ok());
        match files {
            Some(files) => files.serve(method, &format!("/{rest}"), headers),
            None => not_found(format!("/players/{rest}: not an installed player file")),
        }
    }

    /// The library URL for `player` at `requested` (or the default) version.
    fn library(&self, player: &str, requested: Option<&str>) -> Option<String> {
        let (package, pinned, bundle, release): (_, _, _, fn(&str) -> String) = match player {
            "dashjs" => (
                DASHJS_PACKAGE,
                PINNED_DASHJS,
                DASHJS_BUNDLE,
                dashjs_release_url,
            ),
            "shaka" => (SHAKA_PACKAGE, PINNED_SHAKA, SHAKA_BUNDLE, shaka_release_url),
            _ => return None,
        };
        let installed = self.installed(package, bundle);
        let version = requested.or(installed.as_deref()).unwrap_or(pinned);
        Some(if installed.as_deref() == Some(version) {
            format!("/players/{bundle}")
        } else {
            release(version)
        })
    }
}

/// The raw query without the page's own names, for the MPD URL.
fn mpd_query(raw: &str) -> String {
    raw.split('&')
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(n, _)| n);
            !pair.is_empty() && !PAGE_ONLY.contains(&name)
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The raw query with `player=` set to `player`.
fn with_player(raw: &str, player: &str) -> String {
    let mut pairs: Vec<String> = raw
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("player=") && *p != "player")
        .map(String::from)
        .collect();
    pairs.insert(0, format!("player={player}"));
    pairs.join("&")
}

fn decode(value: &str) -> String {
    percent_encoding::percent_decode_str(&value.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The page for a parsed request: `path` is the page's own path.
fn page(
    app: &View,
    ctx: &Ctx,
    heading: &str,
    path: &str,
    mpd: String,
    loop_seconds: f64,
    mode: Mode,
) -> Response<Body> {
    let (options, _) = match Options::parse_query(&ctx.query, mode) {
        Ok(parsed) => parsed,
        Err(e) => return bad_request(e.to_string()),
    };
    if let Some(name) = options.not_supported_yet().first() {
        return bad_request(format!("{name}: not supported yet by this server"));
    }
    let player = options.text("videoPlayer").unwrap_or("dashjs").to_string();
    let (name, full) = match player.as_str() {
        "dashjs" => ("dashjs", "dashjsVersion"),
        _ => ("shaka", "shakaVersion"),
    };
    let requested = options.text(full).filter(|_| player != "native");
    if let Some(v) = requested.filter(|v| !valid_version(v)) {
        return bad_request(format!("{name}={v}: not a release version such as 5.2.1"));
    }
    let raw = ctx.raw_query().unwrap_or("");
    let players: Vec<(&'static str, String)> = PLAYERS
        .iter()
        .map(|p| (*p, format!("{path}?{}", with_player(raw, p))))
        .collect();
    let config = PlayConfig {
        lib: app.players.library(&player, requested),
        player,
        mpd,
        time_url: Some(dashlive::layout::time_url(&ctx.site_url, "iso")),
        xsd_time_url: Some(dashlive::layout::time_url(&ctx.site_url, "xsd")),
        text_lang: options.text("textPreference").map(String::from),
        loop_seconds,
    };
    match play_page(heading, &players, &config) {
        Ok(html) => ok(Body::from(html), policy::HTML, policy::NO_STORE),
        Err(e) => {
            tracing::error!(path = %ctx.path, "{e}");
            crate::respond::text(hyper::StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
    }
}

/// `/play/{mode}/{stream}/{file}`.
pub fn stream_page(app: &View, ctx: &Ctx, mode: &str, stream: &str, file: &str) -> Response<Body> {
    let Some(mode) = Mode::from_name(mode) else {
        return not_found(format!("no mode {mode}: use live, vod or odvod"));
    };
    let Some(s) = app.tree.streams.get(stream) else {
        return not_found(format!("no stream {stream}"));
    };
    let Some(name) = file.strip_suffix(".mpd") else {
        return not_found(format!("{file}: not a manifest (<template>.mpd)"));
    };
    let Some(def) = registry::find(name) else {
        return not_found(format!("no manifest template {name}"));
    };
    if !def.supports(mode) {
        return not_found(format!("{name} has no {} mode", mode.as_str()));
    }
    let query = mpd_query(ctx.raw_query().unwrap_or(""));
    let mut mpd = format!("{}dash/{}/{stream}/{file}", ctx.site_url, mode.as_str());
    if !query.is_empty() {
        mpd.push('?');
        mpd.push_str(&query);
    }
    // The timing reference's length is the loop of a live stream.
    let loop_seconds = s
        .representations
        .iter()
        .find(|r| r.id == s.index.timing_ref)
        .filter(|r| r.timescale > 0)
        .map_or(0.0, |r| r.media_duration as f64 / r.timescale as f64);
    let heading = format!("{} · {} · {}", s.index.title, def.title, mode.as_str());
    page(app, ctx, &heading, &ctx.path, mpd, loop_seconds, mode)
}

/// `/play?mpd=URL`: any MPD, absolute (http or https) or a path of this server.
pub fn url_page(app: &View, ctx: &Ctx) -> Response<Body> {
    let raw = ctx.raw_query().unwrap_or("");
    let Some(mpd) = raw
        .split('&')
        .find_map(|p| p.strip_prefix("mpd="))
        .map(decode)
    else {
        return bad_request("mpd: the player page needs mpd=<URL of an MPD>");
    };
    let mpd = if let Some(path) = mpd.strip_prefix('/') {
        format!("{}{path}", ctx.site_url)
    } else if mpd.starts_with("http://") || mpd.starts_with("https://") {
        mpd
    } else {
        return bad_request(format!("mpd={mpd}: not an http(s) URL or a path"));
    };
    page(app, ctx, "any MPD", &ctx.path, mpd.clone(), 0.0, Mode::Vod)
}

/// `/play/player.js`.
pub fn script() -> Response<Body> {
    ok(Body::from(PLAYER_JS), policy::JAVASCRIPT, policy::SHORT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pins_are_the_package_json_ones() {
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../players/package.json")).unwrap();
        assert_eq!(json["dependencies"]["dashjs"], PINNED_DASHJS);
        assert_eq!(json["dependencies"]["shaka-player"], PINNED_SHAKA);
    }

    #[test]
    fn the_page_names_stay_out_of_the_mpd_url() {
        assert_eq!(
            mpd_query("player=shaka&abr=0&dashjs=4.7.4&timeline=1&text_pref=fra&now=5"),
            "abr=0&timeline=1&now=5"
        );
        assert_eq!(
            with_player("abr=0&player=shaka", "native"),
            "player=native&abr=0"
        );
        assert_eq!(with_player("", "dashjs"), "player=dashjs");
    }

    #[test]
    fn libraries_come_from_the_origin_only_when_installed() {
        let p = Players::none();
        assert_eq!(
            p.library("dashjs", None).unwrap(),
            dashjs_release_url(PINNED_DASHJS)
        );
        // Installed after the origin started: seen at the next page.
        let dir = tempfile::tempdir().unwrap();
        let p = Players::load(dir.path());
        assert_eq!(
            p.library("shaka", None).unwrap(),
            shaka_release_url(PINNED_SHAKA)
        );
        let bundle = dir.path().join(DASHJS_BUNDLE);
        std::fs::create_dir_all(bundle.parent().unwrap()).unwrap();
        std::fs::write(&bundle, "/* dash.js */").unwrap();
        std::fs::write(
            dir.path().join("dashjs/package.json"),
            format!(r#"{{"name": "dashjs", "version": "{PINNED_DASHJS}"}}"#),
        )
        .unwrap();
        assert_eq!(
            p.library("dashjs", None).unwrap(),
            format!("/players/{DASHJS_BUNDLE}")
        );
        assert_eq!(
            p.library("dashjs", Some("4.7.4")).unwrap(),
            dashjs_release_url("4.7.4")
        );
        assert_eq!(
            p.library("shaka", None).unwrap(),
            shaka_release_url(PINNED_SHAKA)
        );
        assert_eq!(p.library("native", None), None);
        let served = p.serve(&Method::GET, DASHJS_BUNDLE, &HeaderMap::new());
        assert_eq!(served.status(), hyper::StatusCode::OK);
        let hidden = p.serve(&Method::GET, "dashjs/package.json", &HeaderMap::new());
        assert_eq!(hidden.status(), hyper::StatusCode::NOT_FOUND);
    }
}
