//! The admin routes' handlers. Each receives the caller the guard admitted
//! (`Some` on every route that needs one) and re-checks nothing: who may
//! reach a handler is the route table's business.

use hyper::header::{HeaderValue, RETRY_AFTER, SET_COOKIE};
use hyper::{Method, Response, StatusCode};
use serde_json::json;

use dashlive::pages::admin::{self as page, Frame, Nav, UserRow};

use super::guard::{Admin, Authed, Fields, Input, Req, LOGIN_COOKIE, SESSION_COOKIE};
use super::store::{self, Actor, Gate, Group, StoreError, User, MIN_PASSWORD};
use super::{html, json, refuse, see_other};
use crate::body::Body;
use crate::routes::{Matched, Route};

pub async fn handle(
    admin: &Admin,
    trees: &crate::trees::Trees,
    m: &Matched<'_, '_>,
    req: &Req<'_>,
    caller: Option<Authed>,
    input: Input,
) -> Response<Body> {
    if let (true, Some(me)) = (m.route.is_catalog_admin(), &caller) {
        return super::streams::handle(admin, trees, m, req, me, input).await;
    }
    let fields = input.fields();
    let result = match (m.route, caller) {
        (Route::AdminLogin, caller) if *req.method == Method::POST => {
            login(admin, req, caller, fields).await
        }
        (Route::AdminLogin, _) => {
            let next = query_param(req, "next").unwrap_or_default();
            Ok(login_form(admin, req, None, "", &next))
        }
        (_, None) => Ok(refuse(req, StatusCode::UNAUTHORIZED, "log in first")),
        (Route::AdminHome, Some(me)) => Ok(home(req, &me)),
        (Route::AdminLogout, Some(me)) => logout(admin, req, &me),
        (Route::AdminPassword, Some(me)) => password(admin, req, &me, fields).await,
        (Route::AdminUsers, Some(me)) => users(admin, req, &me, fields),
        (Route::AdminUser, Some(me)) => user(admin, req, &me, m.param("username"), fields),
        (_, Some(_)) => Ok(refuse(req, StatusCode::NOT_FOUND, "no such admin page")),
    };
    result.unwrap_or_else(|e| {
        if e.is_input() {
            let status = match e {
                StoreError::NoUser(_) => StatusCode::NOT_FOUND,
                StoreError::Exists(_) => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            };
            refuse(req, status, &e.to_string())
        } else {
            tracing::error!("admin store: {e}");
            refuse(
                req,
                StatusCode::SERVICE_UNAVAILABLE,
                "the admin store failed (logged by the origin)",
            )
        }
    })
}

type Answer = Result<Response<Body>, StoreError>;

fn nav(me: &Authed) -> Nav<'_> {
    Nav {
        username: &me.user.username,
        is_admin: me.user.has(Group::Admin),
        csrf: me.csrf(),
    }
}

fn frame<'a>(title: &'a str, me: Option<&'a Authed>) -> Frame<'a> {
    Frame {
        title,
        nav: me.map(nav),
        error: None,
        notice: None,
    }
}

fn group_names(u: &User) -> Vec<&'static str> {
    u.groups.iter().map(|g| g.name()).collect()
}

fn when(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || "never".into(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
}

fn row(u: &User) -> UserRow {
    UserRow {
        username: u.username.clone(),
        email: u.email.clone(),
        groups: group_names(u),
        must_change: u.must_change,
        last_login: when(u.last_login_ms),
    }
}

/// A user as JSON: never the hash.
fn user_json(u: &User) -> serde_json::Value {
    json!({
        "username": u.username,
        "email": u.email,
        "groups": group_names(u),
        "mustChange": u.must_change,
        "lastLogin": u.last_login_ms.and_then(chrono::DateTime::from_timestamp_millis).map(|t| t.to_rfc3339()),
    })
}

/// A cookie for the admin side: `HttpOnly`, `SameSite=Strict`, `Secure`
/// over https; `max_age` 0 removes it.
fn cookie_header(req: &Req, name: &str, value: &str, max_age_s: Option<i64>) -> HeaderValue {
    let mut c = cookie::Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(req.https);
    if let Some(s) = max_age_s {
        c = c.max_age(cookie::time::Duration::seconds(s));
    }
    HeaderValue::from_str(&c.build().to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// A path of this site to go to after login: anything else (another
/// site, `//host`) goes to the admin home.
fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 512
        && !next.chars().any(char::is_control);
    if local {
        next
    } else {
        "/admin/"
    }
}

fn query_param(req: &Req, name: &str) -> Option<String> {
    form_urlencoded::parse(req.query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The login form with a fresh signed-double-submit token.
/// `next`: where to go after logging in (checked by [`safe_next`]).
fn login_form(
    admin: &Admin,
    req: &Req,
    error: Option<&str>,
    username: &str,
    next: &str,
) -> Response<Body> {
    let nonce = match store::random_secret() {
        Ok(n) => n,
        Err(e) => return refuse(req, StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    };
    let token = admin.login_token(&nonce);
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let mut r = if req.json {
        let mut body = json!({ "csrf": token });
        if let Some(e) = error {
            body["error"] = json!(e);
        }
        json(status, &body)
    } else {
        let f = Frame {
            error,
            ..frame("Log in", None)
        };
        html(status, page::login(f, username, &token, safe_next(next)))
    };
    r.headers_mut()
        .append(SET_COOKIE, cookie_header(req, LOGIN_COOKIE, &nonce, None));
    r
}

fn too_many(req: &Req, seconds: u64) -> Response<Body> {
    let mut r = refuse(
        req,
        StatusCode::TOO_MANY_REQUESTS,
        &format!("too many failed logins: try again in {seconds} s"),
    );
    r.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    r
}

fn required<'a>(fields: &'a Fields, name: &'static str) -> Result<&'a str, StoreError> {
    fields
        .get(name)
        .filter(|v| !v.is_empty())
        .ok_or(StoreError::Invalid {
            field: name,
            why: "required".into(),
        })
}

/// Checks a password off the async threads (argon2 takes tens of ms).
async fn verify(password: &str, hash: &str) -> bool {
    let (p, h) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || store::verify_password(&p, &h))
        .await
        .unwrap_or(false)
}

async fn login(admin: &Admin, req: &Req<'_>, caller: Option<Authed>, fields: &Fields) -> Answer {
    let username = required(fields, "username")?;
    let password = required(fields, "password")?;
    let s = &admin.store;
    if let Gate::Wait(seconds) = s.gate(username, &req.client, req.now_ms)? {
        return Ok(too_many(req, seconds));
    }
    let user = s.user(username)?;
    // An unknown name costs the same hashing as a known one.
    let hash = user
        .as_ref()
        .map_or_else(|| store::decoy_hash().to_string(), |u| u.hash.clone());
    let matches = verify(password, &hash).await;
    let user = match user {
        Some(u) if matches => u,
        known => {
            s.login_failed(
                known.as_ref().map(|u| u.username.as_str()),
                &req.client,
                req.now_ms,
            )?;
            let next = fields.get("next").unwrap_or("");
            let e = Some("wrong user name or password");
            return Ok(login_form(admin, req, e, username, next));
        }
    };
    // The session the client came with (if any) ends: the new one gets a
    // new id, so no id chosen before login survives it.
    if let Some(id) = caller.as_ref().and_then(Authed::session_id) {
        s.logout(id)?;
    }
    let (id, session) = s.login(&user.username, req.now_ms)?;
    let mut r = if req.json {
        json(
            StatusCode::OK,
            &json!({ "user": user_json(&user), "csrf": session.csrf }),
        )
    } else if user.must_change {
        see_other("/admin/password")
    } else {
        see_other(safe_next(fields.get("next").unwrap_or("")))
    };
    let h = r.headers_mut();
    h.append(SET_COOKIE, cookie_header(req, SESSION_COOKIE, &id, None));
    h.append(SET_COOKIE, cookie_header(req, LOGIN_COOKIE, "", Some(0)));
    Ok(r)
}

fn logout(admin: &Admin, req: &Req, me: &Authed) -> Answer {
    if let Some(id) = me.session_id() {
        admin.store.logout(id)?;
    }
    let mut r = if req.json {
        json(StatusCode::OK, &json!({ "loggedOut": true }))
    } else {
        see_other("/admin/login")
    };
    r.headers_mut()
        .append(SET_COOKIE, cookie_header(req, SESSION_COOKIE, "", Some(0)));
    Ok(r)
}

fn home(req: &Req, me: &Authed) -> Response<Body> {
    if req.json {
        return json(
            StatusCode::OK,
            &json!({ "user": user_json(&me.user), "csrf": me.csrf() }),
        );
    }
    html(
        StatusCode::OK,
        page::home(frame("Admin", Some(me)), &group_names(&me.user)),
    )
}

async fn password(admin: &Admin, req: &Req<'_>, me: &Authed, fields: &Fields) -> Answer {
    let form = |error: Option<&str>, status| {
        if req.json {
            return json(status, &json!({ "error": error, "csrf": me.csrf() }));
        }
        let f = Frame {
            error,
            ..frame("Change your password", Some(me))
        };
        html(
            status,
            page::password(f, me.csrf(), me.user.must_change, MIN_PASSWORD),
        )
    };
    if *req.method != Method::POST {
        return Ok(form(None, StatusCode::OK));
    }
    let current = required(fields, "current")?;
    let new = required(fields, "password")?;
    if fields.get("confirm").is_some_and(|c| c != new) {
        return Err(StoreError::Invalid {
            field: "confirm",
            why: "the two new passwords differ".into(),
        });
    }
    store::check_password(new)?;
    let s = &admin.store;
    let name = me.user.username.as_str();
    // Guessing the current password is throttled as a login is.
    if let Gate::Wait(seconds) = s.gate(name, &req.client, req.now_ms)? {
        return Ok(too_many(req, seconds));
    }
    if !verify(current, &me.user.hash).await {
        s.login_failed(Some(name), &req.client, req.now_ms)?;
        let e = "the current password is wrong";
        return Ok(form(Some(e), StatusCode::FORBIDDEN));
    }
    let by = Actor {
        name,
        now_ms: req.now_ms,
    };
    let keep = me.session_id().map(store::secret_key);
    s.change_password(by, name, new, keep.as_ref())?;
    Ok(if req.json {
        json(StatusCode::OK, &json!({ "changed": true }))
    } else {
        see_other("/admin/")
    })
}

fn parse_groups(fields: &Fields) -> Result<Vec<Group>, StoreError> {
    fields.all("groups").map(Group::parse).collect()
}

fn users(admin: &Admin, req: &Req, me: &Authed, fields: &Fields) -> Answer {
    let s = &admin.store;
    // A user just added: (name, the password made up for them, if any).
    let mut added: Option<(String, Option<String>)> = None;
    if *req.method == Method::POST {
        let username = required(fields, "username")?;
        let groups = parse_groups(fields)?;
        let given = fields.get("password").filter(|p| !p.is_empty());
        let made = match given {
            Some(_) => None,
            None => Some(store::random_password()?),
        };
        let password = given.or(made.as_deref()).unwrap_or_default();
        // Whoever chose the password, its owner changes it, unless a
        // script says otherwise.
        let must_change = fields.get("must_change") != Some("0");
        let by = Actor {
            name: &me.user.username,
            now_ms: req.now_ms,
        };
        let email = fields.get("email").unwrap_or("");
        let user = s.add_user(by, username, email, password, &groups, must_change)?;
        if req.json {
            let body = json!({ "user": user_json(&user), "password": made });
            return Ok(json(StatusCode::CREATED, &body));
        }
        added = Some((user.username, made));
    }
    let all = s.users()?;
    if req.json {
        let list: Vec<_> = all.iter().map(user_json).collect();
        return Ok(json(
            StatusCode::OK,
            &json!({ "users": list, "csrf": me.csrf() }),
        ));
    }
    let rows: Vec<UserRow> = all.iter().map(row).collect();
    let shown = added
        .as_ref()
        .and_then(|(name, made)| Some((name.as_str(), made.as_deref()?)));
    let f = Frame {
        notice: added.is_some().then_some("user added"),
        ..frame("Users", Some(me))
    };
    let status = match added {
        Some(_) => StatusCode::CREATED,
        None => StatusCode::OK,
    };
    Ok(html(status, page::users(f, me.csrf(), &rows, shown)))
}

fn user(admin: &Admin, req: &Req, me: &Authed, name: &str, fields: &Fields) -> Answer {
    let s = &admin.store;
    let by = Actor {
        name: &me.user.username,
        now_ms: req.now_ms,
    };
    let is_self = me.user.username == name;
    let action = match *req.method {
        Method::DELETE => "delete",
        Method::POST => required(fields, "action")?,
        _ => "",
    };
    let mut made = None;
    let mut notice = None;
    match action {
        "" => {}
        "delete" if is_self => {
            return Ok(refuse(
                req,
                StatusCode::FORBIDDEN,
                "nobody deletes themselves",
            ));
        }
        "delete" => {
            s.delete_user(by, name)?;
            return Ok(if req.json {
                json(StatusCode::OK, &json!({ "deleted": name }))
            } else {
                see_other("/admin/users")
            });
        }
        "groups" => {
            let groups = parse_groups(fields)?;
            if is_self && !groups.contains(&Group::Admin) {
                let e = "you cannot take your own admin group (another admin can)";
                return Ok(refuse(req, StatusCode::FORBIDDEN, e));
            }
            s.set_groups(by, name, &groups)?;
            notice = Some("groups saved");
        }
        "reset" => {
            let p = store::random_password()?;
            s.reset_password(by, name, &p)?;
            made = Some(p);
            notice = Some("password reset");
        }
        other => {
            return Err(StoreError::Invalid {
                field: "action",
                why: format!(
                    "{:?}: groups, reset or delete",
                    other.chars().take(40).collect::<String>()
                ),
            })
        }
    }
    let Some(user) = s.user(name)? else {
        return Err(StoreError::NoUser(name.chars().take(40).collect()));
    };
    if req.json {
        return Ok(json(
            StatusCode::OK,
            &json!({ "user": user_json(&user), "password": made, "csrf": me.csrf() }),
        ));
    }
    let f = Frame {
        notice,
        ..frame(&user.username, Some(me))
    };
    let r = row(&user);
    Ok(html(
        StatusCode::OK,
        page::user(f, me.csrf(), &r, is_self, made.as_deref()),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_paths_of_this_site_are_gone_to_after_login() {
        for (next, to) in [
            ("/admin/users", "/admin/users"),
            ("//evil.example/", "/admin/"),
            ("/\\evil.example", "/admin/"),
            ("https://evil.example/", "/admin/"),
            ("", "/admin/"),
            ("/a\r\nSet-Cookie: x", "/admin/"),
        ] {
            assert_eq!(super::safe_next(next), to, "{next}");
        }
    }
}
