//! Every URL the origin answers, in one table. A path no pattern matches is
//! a file of the static tree (`out/`).

use dashlive::serve::layout;
use matchit::Router;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    Metrics,
    /// `/time/{method}`: the server clock for UTCTiming.
    Time,
    /// `/dash/live/{stream}/{file}`: a live manifest (`{file}` = `<manifest>.mpd`).
    LiveManifest,
    /// `/dash/live/{stream}/{rep}/{file}`: `init.<ext>` or `<number>.<ext>`.
    LiveSegment,
    /// `/dash/live/{stream}/{rep}/time/{file}`: `<time>.<ext>`.
    LiveSegmentByTime,
    /// `/dash/{mode}/{stream}/{file}`: a vod or odvod manifest; rendered when
    /// the query asks for other options, else the pre-rendered file.
    StaticModeManifest,
    /// `/dash/{file}`, `/dash/{stream}/{file}`: dash-live's v1 and v2
    /// manifest URLs, redirected to today's.
    LegacyManifest,
    /// `/play/{mode}/{stream}/{file}`: the player page of a stream.
    PlayPage,
    /// `/play?mpd=URL`: the player page of any MPD.
    PlayUrl,
    /// `/play/player.js`: the player page's script.
    PlayerScript,
    /// `/players/{*path}`: dash.js and Shaka Player from `node_modules`.
    PlayerLibrary,
    /// Anything else: a file of `out/`.
    Static,
}

impl Route {
    /// The label in metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            Route::Health => "health",
            Route::Metrics => "metrics",
            Route::Time => "time",
            Route::LiveManifest => "live_manifest",
            Route::LiveSegment => "live_segment",
            Route::LiveSegmentByTime => "live_segment_by_time",
            Route::StaticModeManifest => "manifest",
            Route::LegacyManifest => "legacy_manifest",
            Route::PlayPage | Route::PlayUrl => "play",
            Route::PlayerScript => "player_script",
            Route::PlayerLibrary => "player_library",
            Route::Static => "static",
        }
    }
}

/// The table: pattern → route.
pub const TABLE: &[(&str, Route)] = &[
    ("/healthz", Route::Health),
    ("/metrics", Route::Metrics),
    (layout::TIME, Route::Time),
    (layout::LIVE_MANIFEST, Route::LiveManifest),
    (layout::LIVE_SEGMENT, Route::LiveSegment),
    (layout::LIVE_SEGMENT_BY_TIME, Route::LiveSegmentByTime),
    (layout::MODE_MANIFEST, Route::StaticModeManifest),
    (layout::LEGACY_MANIFEST, Route::LegacyManifest),
    (layout::LEGACY_STREAM_MANIFEST, Route::LegacyManifest),
    ("/play", Route::PlayUrl),
    ("/play/player.js", Route::PlayerScript),
    ("/play/{mode}/{stream}/{file}", Route::PlayPage),
    ("/players/{*path}", Route::PlayerLibrary),
];

/// A matched route and its parameters.
pub struct Matched<'r, 'p> {
    pub route: Route,
    params: Vec<(&'r str, &'p str)>,
}

impl<'p> Matched<'_, 'p> {
    pub fn param(&self, name: &str) -> &'p str {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .unwrap_or("")
    }
}

pub struct Routes {
    router: Router<Route>,
}

impl Routes {
    pub fn new() -> Routes {
        let mut router = Router::new();
        for (pattern, route) in TABLE {
            // The table is a constant checked by the tests: a conflict here
            // is a programming error, not an input.
            router
                .insert(*pattern, *route)
                .unwrap_or_else(|e| panic!("route table: {pattern}: {e}"));
        }
        Routes { router }
    }

    /// The route for a request path (still percent-encoded).
    pub fn find<'r, 'p>(&'r self, path: &'p str) -> Matched<'r, 'p> {
        match self.router.at(path) {
            Ok(m) => Matched {
                route: *m.value,
                params: m.params.iter().collect(),
            },
            Err(_) => Matched {
                route: Route::Static,
                params: Vec::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_lands_on_its_route() {
        let r = Routes::new();
        let cases = [
            ("/healthz", Route::Health),
            ("/metrics", Route::Metrics),
            ("/time/xsd", Route::Time),
            ("/dash/live/bbb/hand_made.mpd", Route::LiveManifest),
            ("/dash/live/bbb/bbb_v6/12.m4v", Route::LiveSegment),
            ("/dash/live/bbb/bbb_v6/init.m4v", Route::LiveSegment),
            (
                "/dash/live/bbb/bbb_v6/time/960.m4v",
                Route::LiveSegmentByTime,
            ),
            ("/dash/vod/bbb/hand_made.mpd", Route::StaticModeManifest),
            ("/dash/odvod/bbb/bbb_v6.mp4", Route::StaticModeManifest),
            ("/dash/vod/bbb/bbb_v6/12.m4v", Route::Static),
            ("/dash/vod/bbb/bbb_v6/time/960.m4v", Route::Static),
            ("/play", Route::PlayUrl),
            ("/play/player.js", Route::PlayerScript),
            ("/play/live/bbb/hand_made.mpd", Route::PlayPage),
            (
                "/players/dashjs/dist/modern/umd/dash.all.min.js",
                Route::PlayerLibrary,
            ),
            ("/", Route::Static),
            ("/index.html", Route::Static),
        ];
        for (path, route) in cases {
            assert_eq!(r.find(path).route, route, "{path}");
        }
        let m = r.find("/dash/live/bbb/bbb_v6/time/960.m4v");
        assert_eq!(
            (m.param("stream"), m.param("rep"), m.param("file")),
            ("bbb", "bbb_v6", "960.m4v")
        );
        assert_eq!(r.find("/dash/live/x/y.mpd").param("nothing"), "");
    }
}
