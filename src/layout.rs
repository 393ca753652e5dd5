//! The URL layout, in one place: where manifests, segments, on-demand files
//! and `/time` live, as dash-live lays them out (reference §3). The build
//! writes files at these paths, manifests write templates that expand to
//! them, and the origin's route table matches them.

use crate::media::ContentType;
use crate::options::Mode;

/// Route patterns (matchit syntax) of what the resolver answers.
pub const TIME: &str = "/time/{method}";
pub const LIVE_MANIFEST: &str = "/dash/live/{stream}/{file}";
pub const LIVE_SEGMENT: &str = "/dash/live/{stream}/{rep}/{file}";
pub const LIVE_SEGMENT_BY_TIME: &str = "/dash/live/{stream}/{rep}/time/{file}";
pub const MODE_MANIFEST: &str = "/dash/{mode}/{stream}/{file}";
/// A vod segment: the built file, or (when the query asks for a transform:
/// DRM, events, faults) the built file transformed by the origin.
pub const MODE_SEGMENT: &str = "/dash/{mode}/{stream}/{rep}/{file}";
pub const MODE_SEGMENT_BY_TIME: &str = "/dash/{mode}/{stream}/{rep}/time/{file}";
/// dash-live's older manifest URLs: v1 `/dash/<manifest>.mpd`, v2
/// `/dash/<stream>/<manifest>.mpd`.
pub const LEGACY_MANIFEST: &str = "/dash/{file}";
pub const LEGACY_STREAM_MANIFEST: &str = "/dash/{stream}/{file}";
/// An MPD patch: the changes to `{manifest}` (a template name, no `.mpd`)
/// since the MPD whose publishTime is `{publish}` (Unix seconds, with
/// milliseconds as decimals when it has them).
pub const PATCH: &str = "/patch/{stream}/{manifest}/{publish}";
/// A multi-period programme's manifest, and its periods' segments: the
/// period's stream's own, by their own numbers and times.
pub const MPS_MANIFEST: &str = "/mps/{mode}/{name}/{file}";
pub const MPS_SEGMENT: &str = "/mps/{mode}/{name}/{period}/{rep}/{file}";
pub const MPS_SEGMENT_BY_TIME: &str = "/mps/{mode}/{name}/{period}/{rep}/time/{file}";

/// The manifest of programme `name` in `mode`, relative to the site root.
pub fn mps_manifest_path(mode: Mode, name: &str, manifest: &str) -> String {
    format!("mps/{}/{name}/{manifest}.mpd", mode.as_str())
}

/// The URL of [`PATCH`] on a site (`site` ends with `/`), with its query.
pub fn patch_url(site: &str, stream: &str, manifest: &str, publish: &str, query: &str) -> String {
    let mut url = format!("{site}patch/{stream}/{manifest}/{publish}");
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// The file suffix of a content type's segments.
pub fn suffix(ct: ContentType) -> &'static str {
    match ct {
        ContentType::Video => "m4v",
        ContentType::Audio => "m4a",
        ContentType::Text => "m4s",
    }
}

/// The folders of the static tree, parents first: the built modes, and the
/// origin's private area (never served: dotfiles are 404).
pub const TREE_DIRS: [&str; 5] = ["dash", "dash/vod", "dash/odvod", ".dashlive", LIVE_AREA];
/// Each stream's folders: its vod and odvod files, and its live init segments.
pub const STREAM_AREAS: [&str; 3] = ["dash/vod", "dash/odvod", LIVE_AREA];
const LIVE_AREA: &str = ".dashlive/live";

/// A live init segment (no `mehd`, durations 0): a file in the stream's
/// live folder, not a folder per representation (an inode each for one file).
pub fn live_init_path(stream: &str, rep: &str, ext: &str) -> String {
    format!("{LIVE_AREA}/{stream}/{rep}.init.{ext}")
}

/// The manifest of `name` for `stream` in `mode`, relative to the site root.
pub fn manifest_path(mode: Mode, stream: &str, name: &str) -> String {
    format!("dash/{}/{stream}/{name}.mpd", mode.as_str())
}

/// A representation's segment folder in the static tree.
pub fn segment_dir(mode: Mode, stream: &str, rep: &str) -> String {
    format!("dash/{}/{stream}/{rep}", mode.as_str())
}

/// The on-demand file of a representation.
pub fn on_demand_path(stream: &str, rep: &str) -> String {
    format!("dash/odvod/{stream}/{rep}.mp4")
}

/// SegmentTemplate URLs, relative to the stream's folder, up to the suffix:
/// they expand to the files below.
pub const INIT_TEMPLATE: &str = "$RepresentationID$/init.";
pub const NUMBER_TEMPLATE: &str = "$RepresentationID$/$Number$.";
pub const TIME_TEMPLATE: &str = "$RepresentationID$/time/$Time$.";

/// A representation's init segment in its folder `dir`.
pub fn init_file(dir: &str, ext: &str) -> String {
    format!("{dir}/init.{ext}")
}

/// Its media segment by `$Number$`.
pub fn number_file(dir: &str, number: u64, ext: &str) -> String {
    format!("{dir}/{number}.{ext}")
}

/// The same bytes by `$Time$` (the decode time).
pub fn time_file(dir: &str, decode_time: u64, ext: &str) -> String {
    format!("{dir}/time/{decode_time}.{ext}")
}

/// The folder of the `$Time$` names.
pub fn time_dir(dir: &str) -> String {
    format!("{dir}/time")
}

/// `/time/<method>` on a site (`site` ends with `/`).
pub fn time_url(site: &str, method: &str) -> String {
    format!("{site}time/{method}")
}

/// What the last part of a segment URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentName {
    Init,
    /// A `$Number$` or, under `time/`, a `$Time$`.
    Media(u64),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error(
        "{file}: not a segment name: <number>.{ext} or init.{ext} for this {kind} representation"
    )]
    Shape {
        file: String,
        ext: &'static str,
        kind: &'static str,
    },
    #[error("{file}: not a segment number (0 to {max})", max = u64::MAX)]
    Number { file: String },
}

/// Parses a segment file name of a `ct` representation: `init.m4v`,
/// `12.m4v`. Another track type's extension names nothing (a video
/// representation has no `12.m4a`), as in the static tree.
pub fn parse_segment_name(
    file: &str,
    ct: ContentType,
    by_time: bool,
) -> Result<SegmentName, NameError> {
    let ext = suffix(ct);
    let shape = || NameError::Shape {
        file: file.to_string(),
        ext,
        kind: ct.as_str(),
    };
    let stem = file
        .strip_suffix(ext)
        .and_then(|s| s.strip_suffix('.'))
        .ok_or_else(shape)?;
    if stem == "init" && !by_time {
        return Ok(SegmentName::Init);
    }
    if stem.is_empty() || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return Err(shape());
    }
    stem.parse::<u64>()
        .map(SegmentName::Media)
        .map_err(|_| NameError::Number {
            file: file.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_follow_the_track_type() {
        use SegmentName::*;
        let v = ContentType::Video;
        assert_eq!(parse_segment_name("init.m4v", v, false), Ok(Init));
        assert_eq!(parse_segment_name("12.m4v", v, false), Ok(Media(12)));
        assert_eq!(
            parse_segment_name("18446744073709551615.m4v", v, false),
            Ok(Media(u64::MAX))
        );
        assert!(parse_segment_name("18446744073709551616.m4v", v, false)
            .unwrap_err()
            .to_string()
            .contains("not a segment number"));
        for bad in [
            "init.m4a", "12.m4a", "12.mp4", "+1.m4v", "-1.m4v", ".m4v", "1 .m4v", "init",
        ] {
            assert!(
                parse_segment_name(bad, v, false).is_err(),
                "{bad} names nothing"
            );
        }
        assert!(parse_segment_name("init.m4v", v, true).is_err());
        assert_eq!(
            parse_segment_name("init.m4a", ContentType::Audio, false),
            Ok(Init)
        );
        assert_eq!(
            parse_segment_name("3.m4s", ContentType::Text, false),
            Ok(Media(3))
        );
    }
}
