//! The player page: one MPD in dash.js, Shaka Player or the browser's own
//! `<video>`, with live statistics (`templates/pages/play.html`, whose script
//! is `templates/pages/player.js`). The origin decides what to play and which
//! library to load; this module lays the page out.

use askama::Template;
use serde::Serialize;

use super::{script_json, PageError};

/// The page's script, served by the origin as `/play/player.js`.
pub const PLAYER_JS: &str = include_str!("../../templates/pages/player.js");

/// What the page's script reads (the `dashlive-play` JSON element).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlayConfig {
    /// `dashjs`, `shaka` or `native`.
    pub player: String,
    /// The MPD, absolute.
    pub mpd: String,
    /// The player library's URL (none for `native`).
    pub lib: Option<String>,
    /// `/time/iso` of the server: the page's clock offset for live latency.
    pub time_url: Option<String>,
    /// `/time/xsd` of the server: dash.js's timing source when the MPD has
    /// no UTCTiming (its default asks time.akamai.com).
    pub xsd_time_url: Option<String>,
    /// Preferred subtitle language (`text_pref`).
    pub text_lang: Option<String>,
    /// The content's loop length in seconds (0: unknown): the page counts
    /// crossed loop boundaries.
    pub loop_seconds: f64,
}

#[derive(Template)]
#[template(path = "pages/play.html", config = "templates/askama.toml")]
struct PlayPage<'a> {
    heading: &'a str,
    mpd: &'a str,
    player: &'a str,
    /// (player, URL of this page with that player).
    players: &'a [(&'static str, String)],
    config_json: String,
}

/// `players`: the links that switch player, (name, URL).
pub fn play_page(
    heading: &str,
    players: &[(&'static str, String)],
    config: &PlayConfig,
) -> Result<String, PageError> {
    PlayPage {
        heading,
        mpd: &config.mpd,
        player: &config.player,
        players,
        config_json: script_json("play", config)?,
    }
    .render()
    .map_err(|source| PageError::Render {
        page: "play",
        source,
    })
}

/// A library version a page may load: digits and dots with an optional
/// pre-release suffix (`5.2.1`, `4.7.4`, `5.0.0-beta.1`). Anything else could
/// put a path into the CDN URL.
pub fn valid_version(v: &str) -> bool {
    let (core, pre) = v.split_once('-').unwrap_or((v, ""));
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
        && pre.len() <= 32
        && pre.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
}

/// dash.js's own release URL for a version (5.x moved the bundle to `modern/umd/`).
pub fn dashjs_release_url(version: &str) -> String {
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major >= 5 {
        format!("https://cdn.dashjs.org/v{version}/modern/umd/dash.all.min.js")
    } else {
        format!("https://cdn.dashjs.org/v{version}/dash.all.min.js")
    }
}

/// Shaka Player's release URL (Google's hosted libraries).
pub fn shaka_release_url(version: &str) -> String {
    format!("https://ajax.googleapis.com/ajax/libs/shaka-player/{version}/shaka-player.compiled.js")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_that_may_go_into_a_url() {
        for ok in ["5.2.1", "4.7.4", "2.5.10", "5.0.0-beta.1"] {
            assert!(valid_version(ok), "{ok}");
        }
        for bad in [
            "",
            "5",
            "5.2",
            "5.2.1.0",
            "../x",
            "5.2.1/../../a",
            "5.2.x",
            "5.2.1-a/b",
            "5..1",
        ] {
            assert!(!valid_version(bad), "{bad}");
        }
    }

    #[test]
    fn release_urls() {
        assert_eq!(
            dashjs_release_url("5.2.1"),
            "https://cdn.dashjs.org/v5.2.1/modern/umd/dash.all.min.js"
        );
        assert_eq!(
            dashjs_release_url("4.7.4"),
            "https://cdn.dashjs.org/v4.7.4/dash.all.min.js"
        );
        assert_eq!(
            shaka_release_url("4.11.2"),
            "https://ajax.googleapis.com/ajax/libs/shaka-player/4.11.2/shaka-player.compiled.js"
        );
    }

    #[test]
    fn the_page_carries_its_settings_escaped() {
        let config = PlayConfig {
            player: "shaka".into(),
            mpd: "http://h/dash/live/s/hand_made.mpd?a=1&b=</script>".into(),
            lib: Some("/players/x.js".into()),
            time_url: None,
            xsd_time_url: None,
            text_lang: None,
            loop_seconds: 15.36,
        };
        let html = play_page(
            "s",
            &[("dashjs", "/play/x?player=dashjs&a=1".into())],
            &config,
        )
        .unwrap();
        assert_eq!(html.matches("</script>").count(), 2, "{html}");
        assert!(
            html.contains("href=\"/play/x?player=dashjs&#38;a=1\""),
            "{html}"
        );
        let start = html.find("application/json\">").unwrap() + "application/json\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        let back: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
        assert_eq!(back["mpd"], config.mpd);
        assert_eq!(back["loopSeconds"], 15.36);
    }
}
