//! The admin pages of the catalog (`templates/pages/admin/stream*.html`,
//! `media.html`, `report.html`): streams, one stream with its keys, media
//! and defaults form, a media file's Representation, and text reports (a
//! box tree, an upload's outcome). The origin decides who sees what; every
//! value is escaped by askama.

use askama::Template;

use super::admin::Frame;
use super::PageError;

/// A stream as the list shows it.
#[derive(Debug, Clone)]
pub struct StreamRow {
    pub directory: String,
    pub title: String,
    /// No media yet: not built.
    pub draft: bool,
    pub media: usize,
    pub keys: usize,
}

/// One option of the defaults form, from the option table.
#[derive(Debug, Clone)]
pub struct OptionField {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub syntax: String,
    pub choices: Vec<&'static str>,
    /// The stream's default, or empty.
    pub value: String,
}

/// One stream's page.
#[derive(Debug)]
pub struct StreamView<'a> {
    pub directory: &'a str,
    pub title: &'a str,
    pub draft: bool,
    pub timing_ref: &'a str,
    pub playready_la_url: &'a str,
    pub marlin_la_url: &'a str,
    /// The representation ids of its media.
    pub reps: &'a [String],
    /// (kid, computed, key: only for the media group).
    pub keys: &'a [(String, bool, Option<String>)],
    pub options: &'a [OptionField],
    /// The caller may change it (the media group): the forms are shown.
    pub may_change: bool,
    pub play: String,
}

#[derive(Template)]
#[template(path = "pages/admin/streams.html")]
struct Streams<'a> {
    f: Frame<'a>,
    csrf: &'a str,
    streams: &'a [StreamRow],
    may_change: bool,
}

#[derive(Template)]
#[template(path = "pages/admin/stream.html")]
struct Stream<'a> {
    f: Frame<'a>,
    csrf: &'a str,
    s: &'a StreamView<'a>,
}

#[derive(Template)]
#[template(path = "pages/admin/media.html")]
struct Media<'a> {
    f: Frame<'a>,
    directory: &'a str,
    rep: &'a str,
    segments: usize,
    text: &'a str,
}

#[derive(Template)]
#[template(path = "pages/admin/report.html")]
struct Report<'a> {
    f: Frame<'a>,
    text: &'a str,
}

fn done(page: &'static str, r: askama::Result<String>) -> Result<String, PageError> {
    r.map_err(|source| PageError::Render { page, source })
}

pub fn streams(
    f: Frame,
    csrf: &str,
    streams: &[StreamRow],
    may_change: bool,
) -> Result<String, PageError> {
    let page = Streams {
        f,
        csrf,
        streams,
        may_change,
    };
    done("streams", page.render())
}

pub fn stream(f: Frame, csrf: &str, s: &StreamView) -> Result<String, PageError> {
    done("stream", Stream { f, csrf, s }.render())
}

/// A media file: its Representation (as indented JSON) and links to the
/// box tree of each segment.
pub fn media(
    f: Frame,
    directory: &str,
    rep: &str,
    segments: usize,
    text: &str,
) -> Result<String, PageError> {
    let page = Media {
        f,
        directory,
        rep,
        segments,
        text,
    };
    done("media", page.render())
}

/// A preformatted text report.
pub fn report(f: Frame, text: &str) -> Result<String, PageError> {
    done("report", Report { f, text }.render())
}
