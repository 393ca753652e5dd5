//! A session with an origin's admin API, as a script holds one: JSON
//! answers (`Accept: application/json`), authenticated by an API token
//! (`Authorization: Bearer`, no CSRF token needed) or by logging in as a
//! browser does (the login form's token with its nonce cookie, then the
//! session cookie and the session's CSRF token in `X-CSRF-Token`).

use std::io::Read;
use std::time::Duration;

use serde_json::Value;

use super::TransferError;

/// How the CLI proves who it is. Its `Debug` shows no secret.
#[derive(Clone)]
pub enum Auth {
    /// An API token (`dashlive-origin --store F token add …`).
    Token(String),
    Login {
        username: String,
        password: String,
    },
    /// Nobody: only public routes (a dash-live server's stream list).
    Anonymous,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Token(_) => f.write_str("Token(…)"),
            Auth::Login { username, .. } => {
                write!(f, "Login {{ username: {username:?}, password: … }}")
            }
            Auth::Anonymous => f.write_str("Anonymous"),
        }
    }
}

/// An answer: its status and its body as JSON (`Value::Null` when the
/// body is not JSON; `text` keeps it for the error message).
pub struct Answer {
    pub status: u16,
    pub json: Value,
    pub text: String,
}

impl Answer {
    /// The server's reason for a refusal: its `error` field, else its text.
    pub fn reason(&self) -> String {
        match self.json.get("error").and_then(Value::as_str) {
            Some(e) => e.to_string(),
            None => {
                let t = self.text.trim();
                let short: String = t.chars().take(300).collect();
                if short.is_empty() {
                    "(no reason given)".into()
                } else {
                    short
                }
            }
        }
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Itself when 2xx, else a refusal of `what`.
    pub fn expect(self, what: impl Into<String>) -> Result<Answer, TransferError> {
        if self.ok() {
            return Ok(self);
        }
        Err(TransferError::Refused {
            what: what.into(),
            status: self.status,
            reason: self.reason(),
        })
    }
}

/// The largest JSON answer read (a catalog of many streams is well under).
const MAX_JSON: u64 = 64 << 20;

pub struct Client {
    agent: ureq::Agent,
    /// `http://host:port`, without a trailing slash.
    host: String,
    bearer: Option<String>,
    /// `dashlive_session=…` after a login.
    cookie: Option<String>,
    csrf: Option<String>,
}

fn cookie_value(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| n.trim() == name)
        .map(|(_, v)| v.trim().to_string())
}

impl Client {
    /// A client of `host` (`http://localhost:5000`), logged in if `auth`
    /// says so. Uploads of large files take long: the timeout is per
    /// request, generous, and only on receiving the answer's head.
    pub fn connect(host: &str, auth: &Auth) -> Result<Client, TransferError> {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(600)))
            .build();
        let mut client = Client {
            agent: config.into(),
            host: host.trim_end_matches('/').to_string(),
            bearer: None,
            cookie: None,
            csrf: None,
        };
        match auth {
            Auth::Token(t) => client.bearer = Some(t.clone()),
            Auth::Login { username, password } => client.login(username, password)?,
            Auth::Anonymous => {}
        }
        Ok(client)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.host)
    }

    fn http(&self, url: &str, e: impl std::fmt::Display) -> TransferError {
        TransferError::Http {
            url: url.to_string(),
            message: e.to_string(),
        }
    }

    /// Logs in: the login form's token and nonce cookie first, then the
    /// form; keeps the session cookie and its CSRF token.
    fn login(&mut self, username: &str, password: &str) -> Result<(), TransferError> {
        let url = self.url("/admin/login");
        let resp = self
            .agent
            .get(&url)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| self.http(&url, e))?;
        let nonce = cookie_value(&resp, "dashlive_login");
        let form = self.read(&url, resp)?.expect("the login form")?;
        let token = form.json["csrf"].as_str().unwrap_or_default().to_string();
        let nonce = nonce.ok_or_else(|| TransferError::Unexpected {
            url: url.clone(),
            message: "the login form set no dashlive_login cookie (is this a dashlive origin with a store?)".into(),
        })?;
        let body = encode(&[
            ("csrf", &token),
            ("username", username),
            ("password", password),
        ]);
        let resp = self
            .agent
            .post(&url)
            .header("Accept", "application/json")
            .header("Cookie", format!("dashlive_login={nonce}"))
            .content_type("application/x-www-form-urlencoded")
            .send(body.as_bytes())
            .map_err(|e| self.http(&url, e))?;
        let session = cookie_value(&resp, "dashlive_session");
        let answer = self
            .read(&url, resp)?
            .expect(format!("login as {username}"))?;
        self.cookie = session.map(|s| format!("dashlive_session={s}"));
        self.csrf = answer.json["csrf"].as_str().map(String::from);
        if self.cookie.is_none() || self.csrf.is_none() {
            return Err(TransferError::Unexpected {
                url,
                message: "the login gave no session cookie or CSRF token".into(),
            });
        }
        Ok(())
    }

    /// Logs in to a dash-live server (`POST /api/login`, its JSON API):
    /// with a username and password, or an upload token. It answers with
    /// an access token (a JWT) and may set a session cookie; both are kept
    /// and sent with every request after, whichever the server reads.
    pub fn login_dash_live(&mut self, auth: &Auth) -> Result<(), TransferError> {
        let body = match auth {
            Auth::Login { username, password } => serde_json::json!({
                "username": username, "password": password, "rememberme": false,
            }),
            Auth::Token(token) => serde_json::json!({ "token": token }),
            Auth::Anonymous => return Ok(()),
        };
        let url = self.url("/api/login");
        let resp = self
            .agent
            .post(&url)
            .header("Accept", "application/json")
            .content_type("application/json")
            .send(body.to_string().as_bytes())
            .map_err(|e| self.http(&url, e))?;
        let cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next())
            .filter(|pair| pair.contains('='))
            .map(|pair| pair.trim().to_string())
            .collect();
        let answer = self.read(&url, resp)?.expect("logging in to dash-live")?;
        if let Some(error) = answer.json["error"].as_str().filter(|e| !e.is_empty()) {
            return Err(TransferError::Refused {
                what: "logging in to dash-live".into(),
                status: answer.status,
                reason: error.to_string(),
            });
        }
        self.bearer = answer.json["accessToken"]["jwt"].as_str().map(String::from);
        self.cookie = (!cookies.is_empty()).then(|| cookies.join("; "));
        if self.bearer.is_none() && self.cookie.is_none() {
            return Err(TransferError::Unexpected {
                url,
                message: "the login gave no access token and no session cookie".into(),
            });
        }
        Ok(())
    }

    fn read(
        &self,
        url: &str,
        mut resp: ureq::http::Response<ureq::Body>,
    ) -> Result<Answer, TransferError> {
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_JSON)
            .read_to_string()
            .map_err(|e| self.http(url, e))?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Answer { status, json, text })
    }

    /// The headers every admin request carries: JSON, and who we are.
    fn admin_headers<B>(
        &self,
        mut req: ureq::RequestBuilder<B>,
        changes: bool,
    ) -> ureq::RequestBuilder<B> {
        req = req.header("Accept", "application/json");
        if let Some(t) = &self.bearer {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", c);
        }
        if let (true, Some(csrf)) = (changes, &self.csrf) {
            req = req.header("X-CSRF-Token", csrf);
        }
        req
    }

    /// GET a JSON page.
    pub fn get(&self, path: &str) -> Result<Answer, TransferError> {
        let url = self.url(path);
        let req = self.admin_headers(self.agent.get(&url), false);
        let resp = req.call().map_err(|e| self.http(&url, e))?;
        self.read(&url, resp)
    }

    /// POST a form.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Result<Answer, TransferError> {
        let url = self.url(path);
        let req = self
            .admin_headers(self.agent.post(&url), true)
            .content_type("application/x-www-form-urlencoded");
        let resp = req
            .send(encode(fields).as_bytes())
            .map_err(|e| self.http(&url, e))?;
        self.read(&url, resp)
    }

    /// POST a body of `len` bytes read from `body` as it is sent.
    pub fn post_stream(
        &self,
        path: &str,
        content_type: &str,
        len: u64,
        body: impl Read + 'static,
    ) -> Result<Answer, TransferError> {
        let url = self.url(path);
        let req = self
            .admin_headers(self.agent.post(&url), true)
            .content_type(content_type)
            .header("Content-Length", len.to_string());
        let resp = req
            .send(ureq::SendBody::from_owned_reader(body))
            .map_err(|e| self.http(&url, e))?;
        self.read(&url, resp)
    }

    /// GET a file with `Range: bytes=0-` (dash-live's on-demand route
    /// wants a range), written to `out` as it arrives; its length.
    pub fn download(&self, path: &str, out: &mut dyn std::io::Write) -> Result<u64, TransferError> {
        let url = self.url(path);
        let mut resp = self
            .agent
            .get(&url)
            .header("Range", "bytes=0-")
            .call()
            .map_err(|e| self.http(&url, e))?;
        let status = resp.status().as_u16();
        if !matches!(status, 200 | 206) {
            let answer = self.read(&url, resp)?;
            return Err(TransferError::Refused {
                what: format!("GET {url}"),
                status,
                reason: answer.reason(),
            });
        }
        let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
        std::io::copy(&mut reader, out).map_err(|e| self.http(&url, e))
    }
}

/// `application/x-www-form-urlencoded`.
pub fn encode(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let login = Auth::Login {
            username: "mia".into(),
            password: "hunter2".into(),
        };
        let shown = format!("{login:?} {:?}", Auth::Token("dlt_secret".into()));
        assert!(shown.contains("mia"), "{shown}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("dlt_secret"),
            "{shown}"
        );
    }
}
