//! The stream pages: the catalog's streams (list, add, edit, delete), their
//! keys, media uploads and the inspection of their media. Who may reach
//! them is the route table's business (anyone signed in reads, the media
//! group changes); what they change is `config/` ([`super::catalog`]), and
//! each change goes to the audit log.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hyper::{Method, Response, StatusCode};
use serde_json::{json, Value};

use dashlive::catalog::keys::KeyEntry;
use dashlive::catalog::rep_id;
use dashlive::catalog::stream::StreamFile;
use dashlive::pages::admin::{self as page, Frame, Nav, OptionField, StreamRow};

use super::catalog::{shown, Catalog, EditError, Entry};
use super::guard::{Admin, Authed, Fields, Input, Req};
use super::store::{Actor, Group};
use super::{html, json, refuse, see_other};
use crate::body::Body;
use crate::routes::{Matched, Route};
use crate::trees::Trees;

/// The upload script (no user data in it), and the CSP of the page that
/// runs it: only scripts and requests of this site.
const UPLOAD_JS: &str = include_str!("../../../templates/pages/admin/upload.js");
const SCRIPT_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What the handlers share: the request, the caller, the catalog.
pub struct Call<'a> {
    pub admin: &'a Admin,
    pub trees: &'a Trees,
    pub req: &'a Req<'a>,
    pub me: &'a Authed,
    pub catalog: &'a Catalog,
}

impl Call<'_> {
    fn actor(&self) -> Actor<'_> {
        Actor {
            name: &self.me.user.username,
            now_ms: self.req.now_ms,
        }
    }

    /// Records a change in the audit log (a failure there is logged: the
    /// change itself is done).
    pub fn audit(&self, action: &str, target: &str) {
        if let Err(e) = self.admin.store.record(self.actor(), action, target) {
            tracing::error!("admin audit: {e}");
        }
    }

    fn may_see_keys(&self) -> bool {
        self.me.user.has(Group::Media)
    }

    fn frame<'f>(&'f self, title: &'f str) -> Frame<'f> {
        Frame {
            title,
            nav: Some(Nav {
                username: &self.me.user.username,
                is_admin: self.me.user.has(Group::Admin),
                csrf: self.me.csrf(),
            }),
            error: None,
            notice: None,
        }
    }

    pub fn fail(&self, e: &EditError) -> Response<Body> {
        if let EditError::Io { .. } = e {
            tracing::error!("admin catalog: {e}");
        }
        refuse(self.req, e.status(), &e.to_string())
    }
}

pub async fn handle(
    admin: &Admin,
    trees: &Trees,
    m: &Matched<'_, '_>,
    req: &Req<'_>,
    me: &Authed,
    input: Input,
) -> Response<Body> {
    let Some(catalog) = admin.catalog.as_ref() else {
        return refuse(
            req,
            StatusCode::NOT_FOUND,
            "this origin serves a tree it did not build (--no-build): it has no catalog to edit",
        );
    };
    let call = Call {
        admin,
        trees,
        req,
        me,
        catalog,
    };
    let fields = input.fields();
    let directory = m.param("directory");
    let result = match m.route {
        Route::AdminStreams if *req.method == Method::POST => add(&call, fields).await,
        Route::AdminStreams => list(&call),
        Route::AdminStream => stream(&call, directory, fields).await,
        Route::AdminStreamKeys => keys(&call, directory, fields).await,
        Route::AdminStreamMedia => match input {
            Input::Raw(body) => super::upload::receive(&call, directory, body).await,
            Input::Fields(_) => Err(EditError::Invalid(
                "an upload is a multipart/form-data body of files".into(),
            )),
        },
        Route::AdminInspect => match input {
            Input::Raw(body) => super::upload::inspect_upload(&call, body).await,
            Input::Fields(_) => Err(EditError::Invalid(
                "an inspection is a multipart/form-data body of files".into(),
            )),
        },
        Route::AdminMediaInfo => super::upload::info(&call, directory, m.param("rep")),
        Route::AdminMediaSegment => {
            super::upload::segment(&call, directory, m.param("rep"), m.param("segment"))
        }
        Route::AdminUploadScript => Ok(crate::respond::ok(
            Body::from(UPLOAD_JS),
            "text/javascript; charset=utf-8",
            "no-store",
        )),
        _ => Ok(refuse(req, StatusCode::NOT_FOUND, "no such admin page")),
    };
    result.unwrap_or_else(|e| call.fail(&e))
}

type Answer = Result<Response<Body>, EditError>;

/// The player page of a stream.
pub fn play_url(directory: &str) -> String {
    format!("/play/live/{directory}/hand_made.mpd")
}

fn default_text(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    }
}

/// A stream as JSON; key values only for the media group.
fn stream_json(e: &Entry, keys: bool) -> Value {
    let s = &e.stream;
    let keys: Vec<Value> = s
        .keys
        .iter()
        .map(|k| {
            let mut v = json!({ "kid": k.kid, "computed": k.computed });
            if keys {
                v["key"] = json!(k.key);
            }
            v
        })
        .collect();
    let media: Vec<Value> = s
        .media
        .iter()
        .map(|p| json!({ "rep": rep_id(p), "file": p.file_name().map(|n| n.to_string_lossy()) }))
        .collect();
    let defaults: BTreeMap<&String, String> = s
        .defaults
        .iter()
        .map(|(k, v)| (k, default_text(v)))
        .collect();
    json!({
        "directory": s.directory,
        "title": s.title,
        "draft": e.draft,
        "media": media,
        "timingRef": s.timing_ref,
        "playreadyLaUrl": s.playready_la_url,
        "marlinLaUrl": s.marlin_la_url,
        "defaults": defaults,
        "keys": keys,
        "play": (!e.draft).then(|| play_url(&s.directory)),
    })
}

fn row(e: &Entry) -> StreamRow {
    StreamRow {
        directory: e.stream.directory.clone(),
        title: e.stream.title.clone(),
        draft: e.draft,
        media: e.stream.media.len(),
        keys: e.stream.keys.len(),
    }
}

fn list(call: &Call) -> Answer {
    let all = call.catalog.list()?;
    if call.req.json {
        let streams: Vec<Value> = all
            .iter()
            .map(|e| stream_json(e, call.may_see_keys()))
            .collect();
        return Ok(json(
            StatusCode::OK,
            &json!({ "streams": streams, "csrf": call.me.csrf() }),
        ));
    }
    let rows: Vec<StreamRow> = all.iter().map(row).collect();
    let may_change = call.may_see_keys();
    Ok(html(
        StatusCode::OK,
        page::streams(call.frame("Streams"), call.me.csrf(), &rows, may_change),
    ))
}

pub(super) fn text_field(
    fields: &Fields,
    name: &'static str,
    max: usize,
) -> Result<Option<String>, EditError> {
    match fields.get(name) {
        None => Ok(None),
        Some(v) if v.chars().count() > max => Err(EditError::Invalid(format!(
            "{name}: at most {max} characters"
        ))),
        Some(v) if v.chars().any(char::is_control) => {
            Err(EditError::Invalid(format!("{name}: no control characters")))
        }
        Some(v) => Ok(Some(v.trim().to_string())),
    }
}

/// Applies a form's fields to a stream: those given change, those absent
/// stay. Defaults: `opt.<name>` sets one (empty removes it); with
/// `defaults=form` (the page's form, which sends every option) the
/// defaults are replaced by the non-empty ones.
fn apply(s: &mut StreamFile, fields: &Fields) -> Result<(), EditError> {
    if let Some(t) = text_field(fields, "title", 200)? {
        s.title = t;
    }
    if let Some(d) = text_field(fields, "directory", 64)? {
        s.directory = d;
    }
    if let Some(t) = text_field(fields, "timing_ref", 200)? {
        s.timing_ref = t;
    }
    for (name, slot) in [
        ("playready_la_url", &mut s.playready_la_url),
        ("marlin_la_url", &mut s.marlin_la_url),
    ] {
        if let Some(u) = text_field(fields, name, 2048)? {
            *slot = (!u.is_empty()).then_some(u);
        }
    }
    if fields.get("defaults") == Some("form") {
        s.defaults.clear();
    }
    for (name, value) in fields.pairs() {
        let Some(option) = name.strip_prefix("opt.") else {
            continue;
        };
        if dashlive::options::table::index_of_any(option).is_none() {
            return Err(EditError::Invalid(format!(
                "{}: no such option (see dashlive options)",
                shown(name)
            )));
        }
        let value = value.trim();
        if value.is_empty() {
            s.defaults.remove(option);
        } else {
            s.defaults
                .insert(option.to_string(), serde_yaml::Value::String(value.into()));
        }
    }
    Ok(())
}

async fn add(call: &Call<'_>, fields: &Fields) -> Answer {
    let mut s = StreamFile {
        directory: String::new(),
        title: String::new(),
        media: Vec::new(),
        timing_ref: String::new(),
        keys: Vec::new(),
        playready_la_url: None,
        marlin_la_url: None,
        defaults: BTreeMap::new(),
    };
    apply(&mut s, fields)?;
    if s.title.is_empty() {
        s.title = s.directory.clone();
    }
    call.catalog.save(call.trees, None, s.clone()).await?;
    call.audit("stream.add", &s.directory);
    let entry = call.catalog.find(&s.directory)?;
    if call.req.json {
        return Ok(json(
            StatusCode::CREATED,
            &json!({ "stream": stream_json(&entry, call.may_see_keys()) }),
        ));
    }
    Ok(see_other(&format!("/admin/streams/{}", s.directory)))
}

async fn stream(call: &Call<'_>, directory: &str, fields: &Fields) -> Answer {
    let entry = call.catalog.find(directory)?;
    let action = match *call.req.method {
        Method::DELETE => "delete",
        Method::POST => fields.get("action").unwrap_or("save"),
        _ => "",
    };
    let mut notice = None;
    let entry = match action {
        "" => entry,
        "delete" => {
            call.catalog.delete(call.trees, &entry).await?;
            call.audit("stream.delete", directory);
            return Ok(if call.req.json {
                json(StatusCode::OK, &json!({ "deleted": directory }))
            } else {
                see_other("/admin/streams")
            });
        }
        "save" => {
            let mut s = entry.stream.clone();
            apply(&mut s, fields)?;
            call.catalog
                .save(call.trees, Some(&entry), s.clone())
                .await?;
            call.audit("stream.edit", &s.directory);
            if !call.req.json && s.directory != directory {
                return Ok(see_other(&format!("/admin/streams/{}", s.directory)));
            }
            notice = Some("saved");
            call.catalog.find(&s.directory)?
        }
        other => {
            return Err(EditError::Invalid(format!(
                "action {:?}: save or delete",
                shown(other)
            )))
        }
    };
    show(call, &entry, notice)
}

fn show(call: &Call, entry: &Entry, notice: Option<&str>) -> Answer {
    let show_keys = call.may_see_keys();
    if call.req.json {
        return Ok(json(
            StatusCode::OK,
            &json!({ "stream": stream_json(entry, show_keys), "csrf": call.me.csrf() }),
        ));
    }
    let s = &entry.stream;
    let options = option_fields(&s.defaults);
    let reps: Vec<String> = s.media.iter().map(|p| rep_id(p)).collect();
    let keys: Vec<(String, bool, Option<String>)> = s
        .keys
        .iter()
        .map(|k| {
            (
                k.kid.clone(),
                k.computed,
                k.key.clone().filter(|_| show_keys),
            )
        })
        .collect();
    let f = Frame {
        notice,
        ..call.frame(&s.title)
    };
    let view = page::StreamView {
        directory: &s.directory,
        title: &s.title,
        draft: entry.draft,
        timing_ref: &s.timing_ref,
        playready_la_url: s.playready_la_url.as_deref().unwrap_or(""),
        marlin_la_url: s.marlin_la_url.as_deref().unwrap_or(""),
        reps: &reps,
        keys: &keys,
        options: &options,
        may_change: show_keys,
        play: play_url(&s.directory),
    };
    let mut r = html(StatusCode::OK, page::stream(f, call.me.csrf(), &view));
    if show_keys {
        r.headers_mut().insert(
            hyper::header::CONTENT_SECURITY_POLICY,
            hyper::header::HeaderValue::from_static(SCRIPT_CSP),
        );
    }
    Ok(r)
}

/// The defaults form, one field per option of the table.
fn option_fields(defaults: &BTreeMap<String, serde_yaml::Value>) -> Vec<OptionField> {
    dashlive::options::describe()
        .into_iter()
        .map(|d| {
            let value = [d.cgi, d.short, d.full]
                .iter()
                .find_map(|n| defaults.get(*n))
                .map(default_text)
                .unwrap_or_default();
            OptionField {
                name: d.cgi,
                label: d.full,
                help: d.help,
                syntax: d.syntax,
                choices: d.choices,
                value,
            }
        })
        .collect()
}

async fn keys(call: &Call<'_>, directory: &str, fields: &Fields) -> Answer {
    let entry = call.catalog.find(directory)?;
    let kid = fields
        .get("kid")
        .filter(|k| !k.is_empty())
        .ok_or_else(|| EditError::Invalid("kid: required (32 hex digits)".into()))?;
    let kid = dashlive::drm::Kid::parse(kid)
        .map_err(|e| EditError::Invalid(format!("kid: {e}")))?
        .hex();
    let same = |k: &KeyEntry| dashlive::drm::Kid::parse(&k.kid).is_ok_and(|x| x.hex() == kid);
    let mut s = entry.stream.clone();
    let action = fields.get("action").unwrap_or("set");
    match action {
        "delete" => {
            if !s.keys.iter().any(same) {
                return Err(EditError::Invalid(format!(
                    "kid {kid}: not a key of this stream"
                )));
            }
            s.keys.retain(|k| !same(k));
        }
        "set" => {
            let computed = matches!(fields.get("computed"), Some("1" | "on" | "true"));
            let key = fields.get("key").map(str::trim).filter(|k| !k.is_empty());
            let new = KeyEntry {
                kid: kid.clone(),
                key: key.map(String::from),
                computed,
            };
            // The catalog's own rule for a key entry, with its message.
            new.resolve().map_err(EditError::Invalid)?;
            match s.keys.iter_mut().find(|k| same(k)) {
                Some(k) => *k = new,
                None => s.keys.push(new),
            }
        }
        other => {
            return Err(EditError::Invalid(format!(
                "action {:?}: set or delete",
                shown(other)
            )))
        }
    }
    call.catalog.save(call.trees, Some(&entry), s).await?;
    call.audit(&format!("key.{action}"), &format!("{directory} {kid}"));
    let entry = call.catalog.find(directory)?;
    if call.req.json {
        return show(call, &entry, None);
    }
    Ok(see_other(&format!("/admin/streams/{directory}")))
}

/// A media file of a stream, by its representation id.
pub fn media_of(entry: &Entry, rep: &str) -> Result<PathBuf, EditError> {
    let base = entry.file.parent().unwrap_or(Path::new("."));
    entry
        .stream
        .media
        .iter()
        .find(|p| rep_id(p) == rep)
        .map(|p| base.join(p))
        .ok_or_else(|| EditError::NoStream(format!("{}/{}", entry.stream.directory, shown(rep))))
}
