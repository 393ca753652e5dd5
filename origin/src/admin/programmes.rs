//! The programme pages: the catalog's multi-period programmes
//! (`config/mps/<name>.yaml`): list, add, edit, delete. Who may reach them
//! is the route table's (as for streams: anyone signed in reads, the media
//! group changes). A programme is checked by the loader `dashlive build`
//! uses ([`dashlive::catalog::mps::load`], then the build's snapping): its
//! errors, each naming a field, are shown beside that field, and nothing is
//! written or served until it passes.

use std::path::{Path, PathBuf};

use hyper::{Method, Response, StatusCode};
use serde_json::{json, Value};

use dashlive::catalog::mps::{self, MpsFile, PeriodFile};
use dashlive::catalog::{stream, CatalogError};
use dashlive::mpd::mps::Track;
use dashlive::pages::admin_programmes::{
    self as page, PeriodForm, ProgrammeForm, ProgrammeRow, ProgrammeView, SnapRow,
};
use dashlive::serve::resolve::TreeView as _;

use super::catalog::{io, put, remove, shown, stage, EditError};
use super::guard::Fields;
use super::streams::{apply_defaults, option_fields, text_field, Call, SCRIPT_CSP};
use super::{html, json, see_other};
use crate::body::Body;
use crate::routes::{Matched, Route};

const PROGRAMME_JS: &str = include_str!("../../../templates/pages/admin/programme.js");

/// The most periods a form may give (the form body's limit is smaller
/// still): bounds the work of one request.
const MAX_PERIODS: usize = 64;

/// Blank period rows under a programme's own: enough to add a break
/// without the script.
const BLANK_ROWS: usize = 3;

type Answer = Result<Response<Body>, EditError>;

/// A field's errors: (field as the loader names it — `name`,
/// `periods[2].stream`, empty for the whole file — message).
type FieldErrors = Vec<(String, String)>;

/// Why a save did not happen: the programme's own errors (shown on its
/// form), or something else.
enum Refused {
    Fields(FieldErrors),
    Edit(EditError),
}

impl From<EditError> for Refused {
    fn from(e: EditError) -> Refused {
        Refused::Edit(e)
    }
}

/// A programme file of the catalog.
struct Entry {
    file: PathBuf,
    /// The file as read: a change is refused if it is no longer so.
    text: String,
    mps: MpsFile,
}

pub async fn handle(call: &Call<'_>, m: &Matched<'_, '_>, fields: &Fields) -> Answer {
    match m.route {
        Route::AdminProgrammeScript => Ok(crate::respond::ok(
            Body::from(PROGRAMME_JS),
            "text/javascript; charset=utf-8",
            "no-store",
        )),
        Route::AdminProgrammes if *call.req.method == Method::POST => add(call, fields).await,
        Route::AdminProgrammes => list(call, None),
        _ => programme(call, m.param("name"), fields).await,
    }
}

fn dir(call: &Call) -> PathBuf {
    call.catalog.config().join("mps")
}

/// Every programme file that reads, sorted by file name (one that does
/// not read is the build's to report).
fn entries(call: &Call) -> Result<Vec<Entry>, EditError> {
    let files = mps::mps_files(call.catalog.config()).map_err(|e| match e {
        CatalogError::Io { file, source } => EditError::Io { path: file, source },
        other => EditError::Invalid(other.to_string()),
    })?;
    Ok(files
        .into_iter()
        .filter_map(|file| {
            let (text, mps) = stream::read_yaml::<MpsFile>(&file).ok()?;
            Some(Entry { file, text, mps })
        })
        .collect())
}

fn find(call: &Call, name: &str) -> Result<Entry, EditError> {
    entries(call)?
        .into_iter()
        .find(|e| e.mps.name == name)
        .ok_or_else(|| EditError::NoProgramme(shown(name)))
}

/// The manifests and player pages of a programme.
fn links(name: &str) -> Vec<(&'static str, String)> {
    let mpd = |mode: &str| format!("/mps/{mode}/{name}/hand_made.mpd");
    vec![
        ("play VOD", format!("/play?mpd={}", mpd("vod"))),
        ("play live", format!("/play?mpd={}", mpd("live"))),
        ("VOD manifest", mpd("vod")),
        ("live manifest", mpd("live")),
    ]
}

fn programme_json(e: &MpsFile) -> Value {
    json!({
        "name": e.name,
        "title": e.title,
        "periods": e.periods.len(),
        "links": links(&e.name).into_iter().map(|(k, v)| (k.to_string(), Value::String(v))).collect::<serde_json::Map<_, _>>(),
    })
}

// ---- the form ----

/// The rows of a programme's periods, then blank ones.
fn period_rows(periods: &[PeriodFile]) -> Vec<PeriodForm> {
    let mut rows: Vec<PeriodForm> = periods
        .iter()
        .map(|p| PeriodForm {
            id: p.id.clone(),
            stream: p.stream.clone(),
            role: p.role.clone().unwrap_or_default(),
            start: p.start.to_string(),
            duration: p.duration.to_string(),
            tracks: tracks_text(&p.tracks),
            encrypted: p.encrypted,
            errors: Vec::new(),
        })
        .collect();
    rows.extend(std::iter::repeat_n(PeriodForm::default(), BLANK_ROWS));
    rows
}

fn tracks_text(tracks: &[Track]) -> String {
    tracks
        .iter()
        .map(|t| {
            let mut line = t.rep.clone();
            if let Some(r) = &t.role {
                line.push_str(&format!(" role={r}"));
            }
            if let Some(l) = &t.lang {
                line.push_str(&format!(" lang={l}"));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `rep role=… lang=…`, one track a line.
fn parse_tracks(text: &str) -> Result<Vec<Track>, String> {
    let mut tracks = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        let Some(rep) = words.next() else { continue };
        let mut t = Track {
            rep: rep.to_string(),
            role: None,
            lang: None,
        };
        for w in words {
            match w.split_once('=') {
                Some(("role", v)) => t.role = Some(v.to_string()),
                Some(("lang", v)) => t.lang = Some(v.to_string()),
                _ => {
                    return Err(format!(
                        "line {}: {:?}: a track is `rep role=… lang=…`",
                        n + 1,
                        shown(w)
                    ))
                }
            }
        }
        tracks.push(t);
    }
    Ok(tracks)
}

/// What a form's period rows say: the rows as typed (blank ones left out),
/// the periods they make, and what in them is no number or track list.
struct Rows {
    typed: Vec<PeriodForm>,
    periods: Vec<PeriodFile>,
    errors: FieldErrors,
}

/// `period.<n>.<field>` fields, in the order of `n`.
fn period_fields(fields: &Fields) -> Result<Option<Rows>, EditError> {
    let mut numbers = Vec::new();
    for (name, _) in fields.pairs() {
        let Some(rest) = name.strip_prefix("period.") else {
            continue;
        };
        let n = rest
            .split_once('.')
            .and_then(|(n, _)| n.parse::<usize>().ok())
            .filter(|n| *n < MAX_PERIODS)
            .ok_or_else(|| {
                EditError::Invalid(format!(
                    "{}: period.<n>.<field>, n below {MAX_PERIODS}",
                    shown(name)
                ))
            })?;
        numbers.push(n);
    }
    if numbers.is_empty() {
        return Ok(None);
    }
    numbers.sort_unstable();
    numbers.dedup();
    let mut rows = Rows {
        typed: Vec::new(),
        periods: Vec::new(),
        errors: Vec::new(),
    };
    for n in numbers {
        let get = |f: &'static str, max| -> Result<String, EditError> {
            let name = format!("period.{n}.{f}");
            match fields.get(&name) {
                Some(v) if v.chars().count() > max => Err(EditError::Invalid(format!(
                    "{name}: at most {max} characters"
                ))),
                v => Ok(v.unwrap_or("").trim().to_string()),
            }
        };
        let typed = PeriodForm {
            id: get("id", 64)?,
            stream: get("stream", 64)?,
            role: get("role", 16)?,
            start: get("start", 32)?,
            duration: get("duration", 32)?,
            tracks: get("tracks", 4096)?,
            // A checkbox: sent ("1", "on", "true") when ticked, absent when not.
            encrypted: matches!(get("encrypted", 8)?.as_str(), "1" | "on" | "true"),
            errors: Vec::new(),
        };
        if typed.id.is_empty() && typed.stream.is_empty() {
            continue;
        }
        let i = rows.typed.len();
        let mut bad = |f: &str, m: String| rows.errors.push((format!("periods[{i}].{f}"), m));
        let mut seconds = |f: &str, v: &str| {
            v.parse::<f64>().unwrap_or_else(|_| {
                bad(f, format!("{:?}: seconds, a number", shown(v)));
                0.0
            })
        };
        let start = seconds("start", &typed.start);
        let duration = seconds("duration", &typed.duration);
        let tracks = parse_tracks(&typed.tracks).unwrap_or_else(|m| {
            rows.errors.push((format!("periods[{i}].tracks"), m));
            Vec::new()
        });
        rows.periods.push(PeriodFile {
            id: typed.id.clone(),
            stream: typed.stream.clone(),
            // `content` is the default: the file says only `ad`.
            role: Some(typed.role.clone()).filter(|r| !r.is_empty() && r != "content"),
            encrypted: typed.encrypted,
            start,
            duration,
            tracks,
        });
        rows.typed.push(typed);
    }
    Ok(Some(rows))
}

fn blank() -> MpsFile {
    MpsFile {
        name: String::new(),
        title: String::new(),
        options: Default::default(),
        periods: Vec::new(),
    }
}

/// A programme from a form: the fields given change, those absent stay
/// (`base`: the programme edited). The rows as typed come back for the
/// form to show again.
fn from_form(
    fields: &Fields,
    base: Option<&MpsFile>,
) -> Result<(MpsFile, Vec<PeriodForm>, FieldErrors), EditError> {
    let mut p = base.cloned().unwrap_or_else(blank);
    if let Some(n) = text_field(fields, "name", 64)? {
        p.name = n;
    }
    if let Some(t) = text_field(fields, "title", 200)? {
        p.title = t;
    }
    apply_defaults(&mut p.options, fields)?;
    let (typed, errors) = match period_fields(fields)? {
        Some(rows) => {
            p.periods = rows.periods;
            (rows.typed, rows.errors)
        }
        None => (period_rows(&p.periods), Vec::new()),
    };
    if p.title.is_empty() {
        p.title = p.name.clone();
    }
    Ok((p, typed, errors))
}

/// The form of `p`, its rows as typed and the errors of each field.
fn form_parts(
    p: &MpsFile,
    mut typed: Vec<PeriodForm>,
    errors: &FieldErrors,
) -> (Vec<PeriodForm>, FieldErrors) {
    let mut top = Vec::new();
    for (field, message) in errors {
        let period = field
            .strip_prefix("periods[")
            .and_then(|r| r.split_once("]."))
            .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)));
        match period.and_then(|(i, f)| Some((typed.get_mut(i)?, f))) {
            Some((row, f)) => row.errors.push((f.to_string(), message.clone())),
            None => {
                let known = ["name", "title", "options", "periods"];
                let f = if known.contains(&field.as_str()) {
                    field.as_str()
                } else {
                    ""
                };
                let m = if f.is_empty() && !field.is_empty() {
                    format!("{field}: {message}")
                } else {
                    message.clone()
                };
                top.push((f.to_string(), m));
            }
        }
    }
    if typed.len() < p.periods.len() + BLANK_ROWS {
        typed.extend(std::iter::repeat_n(PeriodForm::default(), BLANK_ROWS));
    }
    (typed, top)
}

/// A form as a page shows it: the programme's (or the refused one's)
/// fields, each error beside its field, and the status of the answer.
struct Shown {
    name: String,
    title: String,
    periods: Vec<PeriodForm>,
    top: FieldErrors,
    options: Vec<dashlive::pages::admin::OptionField>,
    streams: Vec<String>,
    status: StatusCode,
}

impl Shown {
    fn new(
        call: &Call,
        p: &MpsFile,
        typed: Vec<PeriodForm>,
        errors: &FieldErrors,
    ) -> Result<Shown, EditError> {
        let (periods, top) = form_parts(p, typed, errors);
        Ok(Shown {
            name: p.name.clone(),
            title: p.title.clone(),
            periods,
            top,
            options: option_fields(&p.options),
            streams: streams(call)?,
            status: if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::BAD_REQUEST
            },
        })
    }

    fn form<'a>(&'a self, action: &'a str) -> ProgrammeForm<'a> {
        ProgrammeForm {
            action,
            name: &self.name,
            title: &self.title,
            options: &self.options,
            periods: &self.periods,
            streams: &self.streams,
            errors: &self.top,
        }
    }
}

fn streams(call: &Call) -> Result<Vec<String>, EditError> {
    Ok(call
        .catalog
        .list()?
        .into_iter()
        .filter(|e| !e.draft)
        .map(|e| e.stream.directory)
        .collect())
}

// ---- saving ----

/// The loader's errors of `file`, by field; those of other files whole.
fn field_errors(errors: &[CatalogError], file: &Path) -> FieldErrors {
    errors
        .iter()
        .map(|e| match e {
            CatalogError::Invalid {
                file: f,
                field,
                message,
                ..
            } if f == file => (field.clone(), message.clone()),
            CatalogError::Syntax {
                file: f, message, ..
            } if f == file => (String::new(), message.clone()),
            other => (
                String::new(),
                other
                    .to_string()
                    .replace(&file.display().to_string(), "the programme"),
            ),
        })
        .collect()
}

/// Streams as the build's loader sees them: every stream file's, or none
/// when one fails (then the loader does not check the names).
fn catalog_streams(config: &Path) -> Option<Vec<dashlive::catalog::Stream>> {
    let files = dashlive::catalog::stream_files(config).ok()?;
    files.iter().map(|f| stream::load(f).ok()).collect()
}

/// `new` written where the build does not read it (`*.tmp`) and checked
/// there by the build's loader: the user's name reaches the file system
/// only once the loader has found it one plain URL segment.
fn checked(
    call: &Call,
    old: Option<&Entry>,
    new: &MpsFile,
) -> Result<tempfile::NamedTempFile, Refused> {
    let text = serde_yaml::to_string(new)
        .map_err(|e| EditError::Invalid(format!("the programme as YAML: {e}")))?;
    let tmp = stage(&dir(call), &text, old.map(|o| o.text.as_str()))?;
    let streams = catalog_streams(call.catalog.config());
    match mps::load(tmp.path(), streams.as_deref()) {
        Ok(_) => Ok(tmp),
        Err(errors) => Err(Refused::Fields(field_errors(&errors, tmp.path()))),
    }
}

/// Checks `new` with the loader, writes it in place of `old` (a new file
/// when `None`), builds and swaps; on any error the catalog is as before.
async fn save(call: &Call<'_>, old: Option<&Entry>, new: &MpsFile) -> Result<(), Refused> {
    let catalog = call.catalog;
    let _one = catalog.one_change().await;
    if let Some(o) = old {
        if std::fs::read_to_string(&o.file).ok().as_deref() != Some(o.text.as_str()) {
            return Err(EditError::Changed(o.mps.name.clone()).into());
        }
    }
    let tmp = checked(call, old, new)?;
    let dir = dir(call);
    let target = match old {
        Some(o) if o.mps.name == new.name => o.file.clone(),
        _ => dir.join(format!("{}.yaml", new.name)),
    };
    let others = entries(call)?;
    let taken = others
        .iter()
        .any(|e| e.mps.name == new.name && old.is_none_or(|o| o.file != e.file));
    if taken || (old.is_none_or(|o| o.file != target) && target.exists()) {
        return Err(Refused::Fields(vec![(
            "name".into(),
            format!("{:?} is already the name of another programme", new.name),
        )]));
    }
    let undo = put(tmp, &target, old.map(|o| o.file.as_path()))?;
    if let Err(failed) = catalog.build_checked(call.trees).await {
        // The catalog goes back to what the origin serves.
        undo.run();
        let ours: Vec<CatalogError> = failed
            .catalog
            .into_iter()
            .filter(|e| e.file() == target)
            .collect();
        return Err(if ours.is_empty() {
            Refused::Edit(EditError::Build(failed.report))
        } else {
            Refused::Fields(field_errors(&ours, &target))
        });
    }
    Ok(())
}

async fn delete(call: &Call<'_>, entry: &Entry) -> Result<(), EditError> {
    let _one = call.catalog.one_change().await;
    let bytes = std::fs::read(&entry.file).map_err(io(&entry.file))?;
    if bytes != entry.text.as_bytes() {
        return Err(EditError::Changed(entry.mps.name.clone()));
    }
    let undo = remove(&entry.file)?;
    if let Err(failed) = call.catalog.build_checked(call.trees).await {
        undo.run();
        return Err(EditError::Build(failed.report));
    }
    Ok(())
}

// ---- the pages ----

fn list(call: &Call, refused: Option<(&MpsFile, Vec<PeriodForm>, &FieldErrors)>) -> Answer {
    let all = entries(call)?;
    if call.req.json {
        let programmes: Vec<Value> = all.iter().map(|e| programme_json(&e.mps)).collect();
        return Ok(json(
            StatusCode::OK,
            &json!({ "programmes": programmes, "csrf": call.me.csrf() }),
        ));
    }
    let rows: Vec<ProgrammeRow> = all
        .iter()
        .map(|e| ProgrammeRow {
            name: e.mps.name.clone(),
            title: e.mps.title.clone(),
            periods: e.mps.periods.len(),
        })
        .collect();
    let blank = blank();
    let shown = match refused {
        Some((p, typed, errors)) => Shown::new(call, p, typed, errors)?,
        None => Shown::new(call, &blank, period_rows(&[]), &Vec::new())?,
    };
    let form = shown.form("/admin/programmes");
    let may_change = call.may_see_keys();
    let f = dashlive::pages::admin::Frame {
        error: refused_note(&shown),
        ..call.frame("Programmes")
    };
    let page = page::programmes(f, call.me.csrf(), &rows, may_change.then_some(&form));
    Ok(with_script(html(shown.status, page), may_change))
}

/// The page's own line when the form it shows was refused.
fn refused_note(shown: &Shown) -> Option<&'static str> {
    (shown.status != StatusCode::OK).then_some("not saved: see the errors beside the fields")
}

/// A page that runs the period rows' script gets the CSP allowing it.
fn with_script(mut r: Response<Body>, script: bool) -> Response<Body> {
    if script {
        r.headers_mut().insert(
            hyper::header::CONTENT_SECURITY_POLICY,
            hyper::header::HeaderValue::from_static(SCRIPT_CSP),
        );
    }
    r
}

/// The loader's refusal: JSON lists each field's error; a page shows the
/// form again with each beside its field.
fn refused_json(errors: &FieldErrors) -> Response<Body> {
    let list: Vec<Value> = errors
        .iter()
        .map(|(f, m)| json!({ "field": f, "message": m }))
        .collect();
    let summary: Vec<String> = errors
        .iter()
        .map(|(f, m)| {
            if f.is_empty() {
                m.clone()
            } else {
                format!("{f}: {m}")
            }
        })
        .collect();
    json(
        StatusCode::BAD_REQUEST,
        &json!({ "error": summary.join("; "), "errors": list }),
    )
}

/// A form's programme in place of `old`'s (a new one when `None`): the
/// programme saved, or the form as typed with the errors that refused it.
async fn save_form(
    call: &Call<'_>,
    old: Option<&Entry>,
    fields: &Fields,
) -> Result<Result<MpsFile, (MpsFile, Vec<PeriodForm>, FieldErrors)>, EditError> {
    let (new, typed, mut errors) = from_form(fields, old.map(|o| &o.mps))?;
    let outcome = if errors.is_empty() {
        save(call, old, &new).await
    } else {
        // The form's own errors, and the loader's on the rest of it.
        if let Err(Refused::Fields(more)) = checked(call, old, &new) {
            errors.extend(more);
        }
        Err(Refused::Fields(errors))
    };
    match outcome {
        Ok(()) => Ok(Ok(new)),
        Err(Refused::Edit(e)) => Err(e),
        Err(Refused::Fields(errors)) => Ok(Err((new, typed, errors))),
    }
}

async fn add(call: &Call<'_>, fields: &Fields) -> Answer {
    let new = match save_form(call, None, fields).await? {
        Ok(new) => new,
        Err(r) if call.req.json => return Ok(refused_json(&r.2)),
        Err((new, typed, errors)) => return list(call, Some((&new, typed, &errors))),
    };
    call.audit("programme.add", &new.name);
    if call.req.json {
        let mut r = show(call, &new, None, None)?;
        *r.status_mut() = StatusCode::CREATED;
        return Ok(r);
    }
    Ok(see_other(&format!("/admin/programmes/{}", new.name)))
}

async fn programme(call: &Call<'_>, name: &str, fields: &Fields) -> Answer {
    let entry = find(call, name)?;
    let action = match *call.req.method {
        Method::DELETE => "delete",
        Method::POST => fields.get("action").unwrap_or("save"),
        _ => "",
    };
    match action {
        "" => show(call, &entry.mps, None, None),
        "delete" => {
            delete(call, &entry).await?;
            call.audit("programme.delete", name);
            Ok(if call.req.json {
                json(StatusCode::OK, &json!({ "deleted": name }))
            } else {
                see_other("/admin/programmes")
            })
        }
        "save" => {
            let new = match save_form(call, Some(&entry), fields).await? {
                Ok(new) => new,
                Err(r) if call.req.json => return Ok(refused_json(&r.2)),
                // The programme as served, the form as typed.
                Err((new, typed, errors)) => {
                    return show(call, &entry.mps, None, Some((&new, typed, &errors)))
                }
            };
            call.audit("programme.edit", &new.name);
            if !call.req.json && new.name != name {
                return Ok(see_other(&format!("/admin/programmes/{}", new.name)));
            }
            show(call, &new, Some("saved"), None)
        }
        other => Err(EditError::Invalid(format!(
            "action {:?}: save or delete",
            shown(other)
        ))),
    }
}

/// Where each period's span snapped: the file's seconds against the
/// served tree's ticks.
fn snapped(call: &Call, p: &MpsFile) -> Vec<SnapRow> {
    let snapshot = call.trees.current();
    let Some(built) = snapshot.tree.programme(&p.name) else {
        return Vec::new();
    };
    p.periods
        .iter()
        .filter_map(|asked| {
            let got = built.periods.iter().find(|b| b.id == asked.id)?;
            let ts = f64::from(got.timescale.max(1));
            let start = got.start as f64 / ts;
            Some(SnapRow {
                id: asked.id.clone(),
                stream: asked.stream.clone(),
                asked: (asked.start, asked.start + asked.duration),
                snapped: (start, start + got.duration as f64 / ts),
            })
        })
        .collect()
}

fn show(
    call: &Call,
    p: &MpsFile,
    notice: Option<&str>,
    refused: Option<(&MpsFile, Vec<PeriodForm>, &FieldErrors)>,
) -> Answer {
    let rows = snapped(call, p);
    if call.req.json {
        let served: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "stream": r.stream,
                    "asked": [r.asked.0, r.asked.1],
                    "served": [r.snapped.0, r.snapped.1],
                    "moved": r.moved(),
                })
            })
            .collect();
        return Ok(json(
            StatusCode::OK,
            &json!({
                "programme": p,
                "served": served,
                "links": programme_json(p)["links"],
                "csrf": call.me.csrf(),
            }),
        ));
    }
    let shown = match refused {
        Some((f, typed, errors)) => Shown::new(call, f, typed, errors)?,
        None => Shown::new(call, p, period_rows(&p.periods), &Vec::new())?,
    };
    let action = format!("/admin/programmes/{}", p.name);
    let form = shown.form(&action);
    let links = links(&p.name);
    let view = ProgrammeView {
        name: &p.name,
        snapped: &rows,
        links: &links,
    };
    let f = dashlive::pages::admin::Frame {
        notice,
        error: refused_note(&shown),
        ..call.frame(&p.title)
    };
    let may_change = call.may_see_keys();
    let page = page::programme(f, call.me.csrf(), &view, may_change.then_some(&form));
    Ok(with_script(html(shown.status, page), may_change))
}
