//! "Add this stream to the server" (the validator page's button): the
//! manifest at a URL and every segment it lists saved as a catalog stream
//! (the validator's `--save`), then built and swapped in as the stream
//! pages do. The route's guard admits only the media group, with a CSRF
//! token; the names given are checked as the stream pages check them.

use std::path::{Path, PathBuf};

use hyper::{Response, StatusCode};
use serde_json::json;

use dashlive::catalog::stream::{self, StreamFile};
use dashlive::validate::{Options, Validator};

use super::catalog::{shown, EditError};
use super::guard::{Admin, Authed, Fields, Req};
use super::store::Actor;
use super::streams::{play_url, text_field};
use super::{json, refuse, see_other};
use crate::body::Body;
use crate::trees::Trees;
use crate::validate_page::{Timed, Validation};

/// `POST /admin/validate`: fields `url`, `directory`, `title`.
pub async fn add(
    admin: &Admin,
    trees: &Trees,
    validation: &Validation,
    req: &Req<'_>,
    me: &Authed,
    fields: &Fields,
) -> Response<Body> {
    let Some(catalog) = admin.catalog.as_ref() else {
        return refuse(
            req,
            StatusCode::NOT_FOUND,
            "this origin serves a tree it did not build (--no-build): it has no catalog to add to",
        );
    };
    let fail = |e: EditError| {
        if let EditError::Io { .. } = e {
            tracing::error!("admin validate: {e}");
        }
        refuse(req, e.status(), &e.to_string())
    };
    let url = fields.get("url").unwrap_or("").trim().to_string();
    if let Err(e) = dashlive::validate::run::check_web_url(&url) {
        return refuse(req, StatusCode::BAD_REQUEST, &e);
    }
    let directory = match text_field(fields, "directory", 64) {
        Ok(d) => d.unwrap_or_default(),
        Err(e) => return fail(e),
    };
    // Checked before the name becomes a folder of the disk.
    if !stream::valid_directory(&directory) {
        return fail(EditError::Invalid(format!(
            "directory {:?}: one URL path segment of letters, digits, '-', '_', '.'",
            shown(&directory)
        )));
    }
    let title = match text_field(fields, "title", 200) {
        Ok(t) => t.filter(|t| !t.is_empty()),
        Err(e) => return fail(e),
    };
    if catalog.find(&directory).is_ok() {
        return fail(EditError::Exists(directory));
    }
    let media_dir = catalog.media_dir(&directory);
    if media_dir.exists() {
        return fail(EditError::Exists(format!("{directory} (its media folder)")));
    }
    let admitted = match validation.admit() {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    let (dir, at, now_ms) = (media_dir.clone(), url.clone(), req.now_ms);
    let saved = tokio::task::spawn_blocking(move || {
        let fetch = Timed {
            inner: &*admitted.fetch,
            deadline: admitted.deadline,
        };
        let options = Options {
            now_ms: Some(now_ms),
            ..Options::default()
        };
        let v = Validator::load(&fetch, &at, options).map_err(|e| e.to_string())?;
        let yaml = dashlive::validate::save::save(&v, &fetch, &dir).map_err(|e| e.to_string())?;
        stream::read_yaml::<StreamFile>(&yaml)
            .map(|(_, s)| s)
            .map_err(|errors| {
                let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
                all.join("; ")
            })
    })
    .await
    .unwrap_or_else(|e| Err(format!("the save stopped: {e}")));
    let saved = match saved {
        Ok(s) => s,
        Err(why) => {
            let _ = std::fs::remove_dir_all(&media_dir);
            return refuse(
                req,
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("url: the stream could not be saved: {why}"),
            );
        }
    };
    let new = catalog_stream(saved, &directory, title, &url, &media_dir);
    if let Err(e) = catalog.save(trees, None, new).await {
        let _ = std::fs::remove_dir_all(&media_dir);
        return fail(e);
    }
    let actor = Actor {
        name: &me.user.username,
        now_ms: req.now_ms,
    };
    if let Err(e) = admin
        .store
        .record(actor, "stream.add-validated", &directory)
    {
        tracing::error!("admin audit: {e}");
    }
    let play = play_url(&directory);
    if req.json {
        return json(
            StatusCode::CREATED,
            &json!({ "directory": directory, "play": play }),
        );
    }
    see_other(&play)
}

/// The stream `--save` wrote (its paths relative to `DIR/config/streams/`)
/// as a stream of the catalog, whose files are in `config/streams/` and
/// whose media are in `config/media/<directory>/media/`.
fn catalog_stream(
    mut s: StreamFile,
    directory: &str,
    title: Option<String>,
    url: &str,
    media_dir: &Path,
) -> StreamFile {
    s.media = s
        .media
        .iter()
        .map(|p| {
            PathBuf::from("../media")
                .join(directory)
                .join("media")
                .join(p.file_name().unwrap_or_default())
        })
        .collect();
    s.directory = directory.to_string();
    s.title = title.unwrap_or_else(|| format!("Validated from {url}"));
    // Only the media are kept: the catalog's stream file is the one written now.
    let _ = std::fs::remove_dir_all(media_dir.join("config"));
    s
}
