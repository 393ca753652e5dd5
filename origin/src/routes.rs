//! Every URL the origin answers, in one table. A path no pattern matches is
//! a file of the static tree (`out/`). Each route also says which methods
//! it answers and how large a request body it takes ([`Route::accepts`]):
//! the 405's `Allow`, the CORS preflight's `Access-Control-Allow-Methods`
//! and the 413's limit all come from there.

use dashlive::layout;
use hyper::header::HeaderValue;
use hyper::Method;
use matchit::Router;

use crate::admin::store::Group;

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
    /// `/dash/{mode}/{stream}/{rep}/{file}` and `…/time/{file}`: a vod
    /// segment, the built file unless the query asks for a transform.
    ModeSegment,
    ModeSegmentByTime,
    /// `/patch/{stream}/{manifest}/{publish}`: an MPD patch.
    Patch,
    /// `/mps/{mode}/{name}/{file}`: a multi-period programme's manifest.
    MpsManifest,
    /// `/mps/{mode}/{name}/{period}/{rep}/{file}` and `…/time/{file}`.
    MpsSegment,
    MpsSegmentByTime,
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
    /// `POST /clearkey`: the ClearKey licence (W3C EME JSON in, JWK set out).
    ClearKey,
    /// `/admin/`: who is signed in, and what they may do.
    AdminHome,
    /// `/admin/login`: the form, and logging in (a new session).
    AdminLogin,
    /// `POST /admin/logout`.
    AdminLogout,
    /// `/admin/password`: changing one's own password.
    AdminPassword,
    /// `/admin/users`: the users, and adding one.
    AdminUsers,
    /// `/admin/users/{username}`: one user's groups, reset, delete.
    AdminUser,
    /// `/admin/streams`: the catalog's streams, and adding one.
    AdminStreams,
    /// `/admin/streams/{directory}`: one stream's fields, edit, delete.
    AdminStream,
    /// `/admin/streams/{directory}/keys`: add, replace or delete a key.
    AdminStreamKeys,
    /// `POST /admin/streams/{directory}/media`: multipart upload.
    AdminStreamMedia,
    /// `/admin/streams/{directory}/media/{rep}`: a Representation and its segments.
    AdminMediaInfo,
    /// `/admin/streams/{directory}/media/{rep}/{segment}`: a segment's box tree.
    AdminMediaSegment,
    /// `/admin/upload.js`: the stream page's upload script.
    AdminUploadScript,
    /// `POST /admin/inspect`: uploaded MP4s inspected, not kept.
    AdminInspect,
    /// `/admin/programmes`: the multi-period programmes, and adding one.
    AdminProgrammes,
    /// `/admin/programmes/{name}`: one programme's fields, edit, delete.
    AdminProgramme,
    /// `/admin/programme.js`: the programme form's period rows script.
    AdminProgrammeScript,
    /// `/validate`: the validator's form, its run as server-sent events,
    /// or its report as JSON (`validate_page`).
    Validate,
    /// `/validate/validate.js`: the validator page's script.
    ValidateScript,
    /// `POST /admin/validate`: a validated stream saved into the catalog.
    AdminValidate,
    /// Anything else: a file of `out/`.
    Static,
    /// Test only: echoes a POST or PUT body (limit [`TEST_BODY_LIMIT`]),
    /// after yielding once, as an async handler of a later issue would.
    #[cfg(test)]
    TestEcho,
    /// Test only: panics, as a handler with a bug would.
    #[cfg(test)]
    TestPanic,
}

/// A set of request methods. GET implies HEAD; OPTIONS (CORS preflight and
/// `Allow`) is answered for every route and so is always in the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Methods(u8);

impl Methods {
    pub const GET: Methods = Methods(1);
    pub const POST: Methods = Methods(2);
    pub const PUT: Methods = Methods(4);
    pub const DELETE: Methods = Methods(8);

    #[cfg_attr(not(test), allow(dead_code))]
    pub const fn or(self, other: Methods) -> Methods {
        Methods(self.0 | other.0)
    }

    pub fn contains(self, other: Methods) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether a request with this method is answered by the route's
    /// handler (OPTIONS never is: the app answers it).
    pub fn allows(self, method: &Method) -> bool {
        match *method {
            Method::GET | Method::HEAD => self.contains(Methods::GET),
            Method::POST => self.contains(Methods::POST),
            Method::PUT => self.contains(Methods::PUT),
            Method::DELETE => self.contains(Methods::DELETE),
            _ => false,
        }
    }

    /// `GET, HEAD, OPTIONS, POST`: the value of `Allow` and of
    /// `Access-Control-Allow-Methods`.
    pub fn list(self) -> String {
        let mut names = Vec::with_capacity(6);
        if self.contains(Methods::GET) {
            names.extend(["GET", "HEAD"]);
        }
        names.push("OPTIONS");
        for (m, name) in [
            (Methods::POST, "POST"),
            (Methods::PUT, "PUT"),
            (Methods::DELETE, "DELETE"),
        ] {
            if self.contains(m) {
                names.push(name);
            }
        }
        names.join(", ")
    }

    pub fn header_value(self) -> HeaderValue {
        // Built from the fixed names above: always a valid header value.
        HeaderValue::from_str(&self.list()).unwrap_or(HeaderValue::from_static("OPTIONS"))
    }
}

/// What a route takes: its methods and the largest request body its
/// handler reads (bytes; 0 for routes that read none, whose bodies are
/// ignored as RFC 9110 allows for GET).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepts {
    pub methods: Methods,
    pub body_limit: u64,
}

const READ_ONLY: Accepts = Accepts {
    methods: Methods::GET,
    body_limit: 0,
};

#[cfg(test)]
pub const TEST_BODY_LIMIT: u64 = 16;

/// A licence request names a few KIDs (24 characters each): 4 kB is
/// plenty, and caps the JSON a client can make us parse.
pub const CLEARKEY_BODY_LIMIT: u64 = 4096;

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
            Route::ModeSegment | Route::ModeSegmentByTime => "segment",
            Route::LegacyManifest => "legacy_manifest",
            Route::Patch => "patch",
            Route::MpsManifest => "mps_manifest",
            Route::MpsSegment | Route::MpsSegmentByTime => "mps_segment",
            Route::PlayPage | Route::PlayUrl => "play",
            Route::PlayerScript => "player_script",
            Route::PlayerLibrary => "player_library",
            Route::Static => "static",
            Route::ClearKey => "clearkey",
            Route::Validate | Route::ValidateScript => "validate",
            Route::AdminHome
            | Route::AdminLogin
            | Route::AdminLogout
            | Route::AdminPassword
            | Route::AdminUsers
            | Route::AdminUser
            | Route::AdminStreams
            | Route::AdminStream
            | Route::AdminStreamKeys
            | Route::AdminStreamMedia
            | Route::AdminMediaInfo
            | Route::AdminMediaSegment
            | Route::AdminUploadScript
            | Route::AdminInspect
            | Route::AdminProgrammes
            | Route::AdminProgramme
            | Route::AdminProgrammeScript
            | Route::AdminValidate => "admin",
            #[cfg(test)]
            Route::TestEcho => "test_echo",
            #[cfg(test)]
            Route::TestPanic => "test_panic",
        }
    }

    /// The methods and body size the route accepts. Every route of today
    /// only reads; licence requests, uploads and the admin pages will add
    /// their own lines here.
    pub const fn accepts(self) -> Accepts {
        match self {
            #[cfg(test)]
            Route::TestEcho => Accepts {
                methods: Methods::POST.or(Methods::PUT),
                body_limit: TEST_BODY_LIMIT,
            },
            Route::ClearKey => Accepts {
                methods: Methods::POST,
                body_limit: CLEARKEY_BODY_LIMIT,
            },
            Route::AdminLogin | Route::AdminPassword | Route::AdminUsers => Accepts {
                methods: Methods::GET.or(Methods::POST),
                body_limit: ADMIN_FORM_LIMIT,
            },
            Route::AdminLogout => Accepts {
                methods: Methods::POST,
                body_limit: ADMIN_FORM_LIMIT,
            },
            Route::AdminUser | Route::AdminStream | Route::AdminProgramme => Accepts {
                methods: Methods::GET.or(Methods::POST).or(Methods::DELETE),
                body_limit: ADMIN_FORM_LIMIT,
            },
            Route::AdminStreams | Route::AdminProgrammes => Accepts {
                methods: Methods::GET.or(Methods::POST),
                body_limit: ADMIN_FORM_LIMIT,
            },
            Route::AdminStreamKeys | Route::AdminValidate => Accepts {
                methods: Methods::POST,
                body_limit: ADMIN_FORM_LIMIT,
            },
            Route::AdminStreamMedia | Route::AdminInspect => Accepts {
                methods: Methods::POST,
                body_limit: UPLOAD_LIMIT,
            },
            _ => READ_ONLY,
        }
    }

    /// The admin pages of the catalog: streams, keys, media
    /// (`admin::streams`).
    pub const fn is_catalog_admin(self) -> bool {
        matches!(
            self,
            Route::AdminStreams
                | Route::AdminStream
                | Route::AdminStreamKeys
                | Route::AdminStreamMedia
                | Route::AdminMediaInfo
                | Route::AdminMediaSegment
                | Route::AdminUploadScript
                | Route::AdminInspect
                | Route::AdminProgrammes
                | Route::AdminProgramme
                | Route::AdminProgrammeScript
        )
    }

    /// Who may use the route, for the routes of the admin side (`None`: a
    /// public route of the streams). The app enforces it before any
    /// handler runs (`admin::guard`): a session or an API token, the
    /// groups, a password change first, and a CSRF token on every request
    /// that is not GET or HEAD (which are what change state: a GET handler
    /// never does).
    pub const fn guard(self) -> Option<Guard> {
        let signed_in = Guard {
            who: Who::SignedIn,
            before_password_change: false,
            changes: None,
        };
        match self {
            Route::AdminLogin => Some(Guard {
                who: Who::Anyone,
                before_password_change: true,
                changes: None,
            }),
            Route::AdminHome => Some(signed_in),
            Route::AdminLogout | Route::AdminPassword => Some(Guard {
                before_password_change: true,
                ..signed_in
            }),
            Route::AdminUsers | Route::AdminUser => Some(Guard {
                who: Who::Group(Group::Admin),
                ..signed_in
            }),
            Route::AdminValidate => Some(Guard {
                who: Who::Group(Group::Media),
                ..signed_in
            }),
            // Anyone signed in sees the catalog (key values only the media
            // group); changing it is the media group's.
            r if r.is_catalog_admin() => Some(Guard {
                changes: Some(Group::Media),
                ..signed_in
            }),
            _ => None,
        }
    }
}

/// Who may use an admin route ([`Route::guard`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard {
    pub who: Who,
    /// Usable by a user who must change their password first (the password
    /// page, logout, login); every other route sends them there.
    pub before_password_change: bool,
    /// The group a request that changes state (not GET or HEAD) needs on
    /// top of `who`: a route anyone signed in may read but only a group
    /// may change.
    pub changes: Option<Group>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Signed in or not (the login page).
    Anyone,
    SignedIn,
    /// A member of the group (admin is a member of every group).
    Group(Group),
}

/// The admin forms are a few short fields: 16 kB is plenty.
pub const ADMIN_FORM_LIMIT: u64 = 16 * 1024;

/// The largest upload (all files of one request): a stream's media is a
/// few hundred MB; the origin's own cap (`--max-upload`) is at most this.
pub const UPLOAD_LIMIT: u64 = 4 << 30;

/// The table: pattern → route.
pub const TABLE: &[(&str, Route)] = &[
    ("/healthz", Route::Health),
    ("/metrics", Route::Metrics),
    (layout::TIME, Route::Time),
    (layout::LIVE_MANIFEST, Route::LiveManifest),
    (layout::LIVE_SEGMENT, Route::LiveSegment),
    (layout::LIVE_SEGMENT_BY_TIME, Route::LiveSegmentByTime),
    (layout::MODE_MANIFEST, Route::StaticModeManifest),
    (layout::MODE_SEGMENT, Route::ModeSegment),
    (layout::MODE_SEGMENT_BY_TIME, Route::ModeSegmentByTime),
    (layout::LEGACY_MANIFEST, Route::LegacyManifest),
    (layout::LEGACY_STREAM_MANIFEST, Route::LegacyManifest),
    (layout::PATCH, Route::Patch),
    (layout::MPS_MANIFEST, Route::MpsManifest),
    (layout::MPS_SEGMENT, Route::MpsSegment),
    (layout::MPS_SEGMENT_BY_TIME, Route::MpsSegmentByTime),
    ("/play", Route::PlayUrl),
    ("/play/player.js", Route::PlayerScript),
    ("/play/{mode}/{stream}/{file}", Route::PlayPage),
    ("/players/{*path}", Route::PlayerLibrary),
    ("/clearkey", Route::ClearKey),
    ("/admin/", Route::AdminHome),
    ("/admin", Route::AdminHome),
    ("/admin/login", Route::AdminLogin),
    ("/admin/logout", Route::AdminLogout),
    ("/admin/password", Route::AdminPassword),
    ("/admin/users", Route::AdminUsers),
    ("/admin/users/{username}", Route::AdminUser),
    ("/admin/streams", Route::AdminStreams),
    ("/admin/streams/{directory}", Route::AdminStream),
    ("/admin/streams/{directory}/keys", Route::AdminStreamKeys),
    ("/admin/streams/{directory}/media", Route::AdminStreamMedia),
    (
        "/admin/streams/{directory}/media/{rep}",
        Route::AdminMediaInfo,
    ),
    (
        "/admin/streams/{directory}/media/{rep}/{segment}",
        Route::AdminMediaSegment,
    ),
    ("/admin/upload.js", Route::AdminUploadScript),
    ("/admin/inspect", Route::AdminInspect),
    ("/admin/programmes", Route::AdminProgrammes),
    ("/admin/programmes/{name}", Route::AdminProgramme),
    ("/admin/programme.js", Route::AdminProgrammeScript),
    ("/validate", Route::Validate),
    ("/validate/validate.js", Route::ValidateScript),
    ("/admin/validate", Route::AdminValidate),
];

/// Routes that exist only in the origin's own tests, to exercise the
/// handler contract before a real route uses it.
#[cfg(test)]
const TEST_TABLE: &[(&str, Route)] = &[
    ("/_test/echo", Route::TestEcho),
    ("/_test/panic", Route::TestPanic),
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
        #[cfg(test)]
        let table = TABLE.iter().chain(TEST_TABLE);
        #[cfg(not(test))]
        let table = TABLE.iter();
        for (pattern, route) in table {
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
            ("/dash/vod/bbb/bbb_v6/12.m4v", Route::ModeSegment),
            (
                "/dash/vod/bbb/bbb_v6/time/960.m4v",
                Route::ModeSegmentByTime,
            ),
            ("/patch/bbb/hand_made/1662477000", Route::Patch),
            ("/mps/live/prog/hand_made.mpd", Route::MpsManifest),
            ("/mps/vod/prog/p1/v1/3.m4v", Route::MpsSegment),
            ("/mps/vod/prog/p1/v1/time/960.m4v", Route::MpsSegmentByTime),
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

    #[test]
    fn allow_lists_come_from_the_table() {
        assert_eq!(
            Route::LiveSegment.accepts().methods.list(),
            "GET, HEAD, OPTIONS"
        );
        assert_eq!(Route::Static.accepts().body_limit, 0);
        let echo = Route::TestEcho.accepts();
        assert_eq!(echo.methods.list(), "OPTIONS, POST, PUT");
        assert_eq!(echo.body_limit, TEST_BODY_LIMIT);
        assert!(echo.methods.allows(&Method::PUT));
        assert!(!echo.methods.allows(&Method::GET));
        assert!(!echo.methods.allows(&Method::DELETE));
        let all = Methods::GET
            .or(Methods::POST)
            .or(Methods::PUT)
            .or(Methods::DELETE);
        assert_eq!(all.list(), "GET, HEAD, OPTIONS, POST, PUT, DELETE");
        assert!(all.allows(&Method::HEAD));
        assert!(!all.allows(&Method::OPTIONS));
        assert!(!all.allows(&Method::PATCH));
        assert!(!all.allows(&Method::from_bytes(b"BREW").unwrap()));
        // Every table route is read-only but the licence server's and the
        // admin side's, which are all guarded.
        for (_, route) in TABLE
            .iter()
            .filter(|(_, r)| *r != Route::ClearKey && r.guard().is_none())
        {
            assert_eq!(route.accepts(), READ_ONLY, "{route:?}");
        }
        assert_eq!(Route::ClearKey.accepts().methods.list(), "OPTIONS, POST");
    }

    /// One mechanism: every admin URL has a guard, and every route that
    /// takes a body but the licence server's is an admin one.
    #[test]
    fn every_admin_route_is_guarded() {
        for (pattern, route) in TABLE {
            let admin = pattern.starts_with("/admin");
            assert_eq!(route.guard().is_some(), admin, "{pattern}");
            if route.accepts().body_limit > 0 && *route != Route::ClearKey {
                assert!(admin, "{pattern} takes a body without a guard");
            }
        }
        let r = Routes::new();
        assert_eq!(r.find("/admin/users/ann").route, Route::AdminUser);
        assert_eq!(r.find("/admin/users/ann").param("username"), "ann");
        assert_eq!(
            Route::AdminUsers.guard().map(|g| g.who),
            Some(Who::Group(Group::Admin))
        );
        assert_eq!(Route::AdminLogin.guard().map(|g| g.who), Some(Who::Anyone));
        let m = r.find("/admin/streams/card/media/card_720p/init");
        assert_eq!(m.route, Route::AdminMediaSegment);
        assert_eq!((m.param("rep"), m.param("segment")), ("card_720p", "init"));
        assert_eq!(
            r.find("/admin/streams/card/keys").route,
            Route::AdminStreamKeys
        );
        assert_eq!(r.find("/admin/upload.js").route, Route::AdminUploadScript);
        assert_eq!(
            Route::AdminStream.guard().and_then(|g| g.changes),
            Some(Group::Media)
        );
    }
}
