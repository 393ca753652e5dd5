//! The home page: every stream × manifest × mode with its MPD and player
//! links, and the URL composer built from the option table. Written by the
//! build as `out/index.html`; its links are relative, so the tree works under
//! any path of a static host (the player pages and live links need the origin).

use askama::Template;
use serde_json::{json, Map, Value};

use super::{script_json, PageError};
use crate::index::{StreamIndex, TreeIndex};
use crate::mpd::registry::{Mode, MANIFESTS};
use crate::options::{describe, OptionDoc};

/// The columns of the stream tables, in order.
pub const MODES: [Mode; 3] = [Mode::Live, Mode::Vod, Mode::Odvod];

/// The players a player page offers (the `player` option's choices).
pub const PLAYERS: [&str; 3] = ["dashjs", "shaka", "native"];

struct Links {
    mpd: String,
    dashjs: String,
    shaka: String,
    native: String,
}

struct Row {
    name: &'static str,
    title: &'static str,
    /// One per [`MODES`]: `None` where the template or the build has no such manifest.
    cells: Vec<Option<Links>>,
}

struct Section<'a> {
    directory: &'a str,
    title: &'a str,
    rows: Vec<Row>,
}

/// A multi-period programme: its live and vod manifests (`hand_made`).
struct ProgrammeRow<'a> {
    name: &'a str,
    title: &'a str,
    cells: [Links; 2],
}

/// Links of `/mps/<mode>/<name>/hand_made.mpd`: the player pages take it as
/// `mpd=` (a programme has no `/play/<mode>/<stream>/` page of its own).
fn programme_links(mode: Mode, name: &str) -> Links {
    let mpd = format!("mps/{}/{name}/hand_made.mpd", mode.as_str());
    let play = |player: &str| format!("play?player={player}&mpd=/{mpd}");
    Links {
        dashjs: play("dashjs"),
        shaka: play("shaka"),
        native: play("native"),
        mpd,
    }
}

#[derive(Template)]
#[template(path = "pages/index.html", config = "templates/askama.toml")]
struct HomePage<'a> {
    streams: Vec<Section<'a>>,
    programmes: Vec<ProgrammeRow<'a>>,
    modes: Vec<&'static str>,
    options: Vec<OptionDoc>,
    streams_json: String,
}

/// A stream's manifests and the modes each can be played in.
pub type Playable = Vec<(&'static str, Vec<Mode>)>;

/// The modes each manifest of a stream can be played in: the built vod and
/// odvod manifests, and live for every listed template that supports it.
pub fn playable(s: &StreamIndex) -> Playable {
    // A template that writes the clock even when static is never built:
    // the origin renders it for each request (it has no file on a static host).
    let built = |mode: Mode, name: &str| {
        let path = crate::layout::manifest_path(mode, &s.directory, name);
        s.manifests.contains(&path) || s.origin_manifests.contains(&path)
    };
    MANIFESTS
        .iter()
        .filter(|def| MODES.iter().any(|m| built(*m, def.name)))
        .map(|def| {
            let modes = MODES
                .iter()
                .copied()
                .filter(|m| match m {
                    Mode::Live => def.modes.contains(&Mode::Live),
                    _ => built(*m, def.name),
                })
                .collect();
            (def.name, modes)
        })
        .collect()
}

pub fn home_page(index: &TreeIndex) -> Result<String, PageError> {
    // { stream: { manifest: [modes] } }, in page order, for the composer's selects.
    let mut composer = Map::new();
    let streams = index
        .streams
        .iter()
        .map(|s| {
            let mut entry = Map::new();
            let rows = playable(s)
                .into_iter()
                .map(|(name, modes)| {
                    let names: Vec<&str> = modes.iter().map(|m| m.as_str()).collect();
                    entry.insert(name.to_string(), json!(names));
                    let title = MANIFESTS
                        .iter()
                        .find(|d| d.name == name)
                        .map_or("", |d| d.title);
                    let cells = MODES
                        .iter()
                        .map(|mode| {
                            modes.contains(mode).then(|| {
                                let path = format!("{}/{}/{name}.mpd", mode.as_str(), s.directory);
                                let play = |player: &str| format!("play/{path}?player={player}");
                                Links {
                                    mpd: format!("dash/{path}"),
                                    dashjs: play("dashjs"),
                                    shaka: play("shaka"),
                                    native: play("native"),
                                }
                            })
                        })
                        .collect();
                    Row { name, title, cells }
                })
                .collect();
            composer.insert(s.directory.clone(), Value::Object(entry));
            Section {
                directory: &s.directory,
                title: &s.title,
                rows,
            }
        })
        .collect();
    let programmes = index
        .mps
        .iter()
        .map(|p| ProgrammeRow {
            name: &p.name,
            title: &p.title,
            cells: [Mode::Live, Mode::Vod].map(|m| programme_links(m, &p.name)),
        })
        .collect();
    let page = HomePage {
        streams,
        programmes,
        modes: MODES.iter().map(|m| m.as_str()).collect(),
        // The mode is the URL's path, not a query option.
        options: describe().into_iter().filter(|o| o.cgi != "mode").collect(),
        streams_json: script_json("index.html", &composer)?,
    };
    page.render().map_err(|source| PageError::Render {
        page: "index.html",
        source,
    })
}
