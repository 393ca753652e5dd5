//! Server settings. Highest priority first: command-line flags, the process
//! environment, then a `.env` file: the one named by `DASHLIVE_SETTINGS`
//! (or the command line), else `.env` in the current directory if there is
//! one. dash-live's names are read, so an existing dash-live `.env` works;
//! the keys we have no use for (database URLs, log levels) are ignored.
//!
//! The `.env` is parsed with dotenvy's iterator, never loaded into the
//! process environment, so loading has no global side effects and tests
//! can run in parallel. The file is read whole first (rather than through
//! `from_path_iter`) to drop a byte-order mark and to find the line of a
//! parse error. dotenvy fills `${NAME}` in a value from the process
//! environment or earlier lines, not from the `env` given to `load`.
//!
//! An empty value counts as unset (`DASHLIVE_PORT=` in the environment does
//! not hide the `.env`'s port, and is not an error).

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use crate::admin::proxies::TrustedProxies;
use crate::cors::AllowedDomains;
use dashlive::net::Networks;

/// Every interface: this is a test server that players on phones, TVs and
/// set-top boxes must reach, as dash-live's deployments are. Use
/// `DASHLIVE_BIND=127.0.0.1` to keep it to this machine.
pub const DEFAULT_BIND: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
/// Flask's development port, which dash-live's documentation uses.
pub const DEFAULT_PORT: u16 = 5000;
pub const DEFAULT_OUT: &str = "out";
pub const DEFAULT_CONFIG: &str = "config";
/// Where `npm ci --prefix origin/players` puts the player libraries.
pub const DEFAULT_PLAYERS: &str = "origin/players/node_modules";
pub const DEFAULT_ADMIN_USERNAME: &str = "admin";
/// Read when no file is named, from the current directory.
pub const DEFAULT_SETTINGS_FILE: &str = ".env";

pub const KEY_SETTINGS: &str = "DASHLIVE_SETTINGS";
pub const KEY_PORT: &str = "DASHLIVE_PORT";
pub const KEY_BIND: &str = "DASHLIVE_BIND";
pub const KEY_OUT: &str = "DASHLIVE_OUT";
pub const KEY_CONFIG: &str = "DASHLIVE_CONFIG";
pub const KEY_PLAYERS: &str = "DASHLIVE_PLAYERS";
pub const KEY_HEADER_TIMEOUT: &str = "DASHLIVE_HEADER_TIMEOUT";
pub const KEY_IDLE_TIMEOUT: &str = "DASHLIVE_IDLE_TIMEOUT";
pub const KEY_MAX_CONNECTIONS: &str = "DASHLIVE_MAX_CONNECTIONS";
/// The admin store (a redb file); unset, the admin side is off.
pub const KEY_STORE: &str = "DASHLIVE_STORE";
/// Proxies whose `X-Forwarded-For` names the client for login throttling.
pub const KEY_TRUSTED_PROXIES: &str = "DASHLIVE_TRUSTED_PROXIES";
pub const KEY_VALIDATE_DENY: &str = "DASHLIVE_VALIDATE_DENY";
/// Seconds for a request head (HTTP/1.1), and so for a keep-alive
/// connection between requests: far more than a client on any network
/// needs for a few hundred bytes, and short enough that connections which
/// send nothing go away before they pile up.
pub const DEFAULT_HEADER_TIMEOUT: u64 = 15;
/// Seconds without a byte either way before any connection is closed: past
/// the longest a request is held for a segment in progress (30 s).
pub const DEFAULT_IDLE_TIMEOUT: u64 = 60;
pub const KEY_SECRET_KEY: &str = "FLASK_SECRET_KEY";
pub const KEY_CSRF_SECRET: &str = "FLASK_DASH__CSRF_SECRET";
pub const KEY_ADMIN_USERNAME: &str = "FLASK_DASH__DEFAULT_ADMIN_USERNAME";
pub const KEY_ADMIN_PASSWORD: &str = "FLASK_DASH__DEFAULT_ADMIN_PASSWORD";
pub const KEY_ALLOWED_DOMAINS: &str = "FLASK_DASH__ALLOWED_DOMAINS";

/// Values given on the command line; each beats the environment and the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub port: Option<u16>,
    pub bind: Option<IpAddr>,
    pub out: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub players: Option<PathBuf>,
    pub header_timeout: Option<u64>,
    pub idle_timeout: Option<u64>,
    pub max_connections: Option<usize>,
    pub store: Option<PathBuf>,
    /// Read this settings file instead of `DASHLIVE_SETTINGS` or `.env`.
    pub settings_file: Option<PathBuf>,
}

#[derive(Clone)]
pub struct Settings {
    pub bind: IpAddr,
    pub port: u16,
    /// The static tree.
    pub out: PathBuf,
    /// The catalog the static tree is built from.
    pub config: PathBuf,
    /// The `node_modules` folder holding dash.js and Shaka Player for the
    /// player pages.
    pub players: PathBuf,
    /// Seconds (see `server::Limits`).
    pub header_timeout: u64,
    pub idle_timeout: u64,
    /// `None`: derived from the descriptor limit.
    pub max_connections: Option<usize>,
    /// The admin store; `None`: no users, no admin pages (a live origin).
    pub store: Option<PathBuf>,
    pub secret_key: Option<String>,
    pub csrf_secret: Option<String>,
    pub admin_username: String,
    pub admin_password: Option<String>,
    pub allowed_domains: AllowedDomains,
    /// Default none: `X-Forwarded-For` is never read.
    pub trusted_proxies: TrustedProxies,
    /// Addresses `/validate` does not fetch from, besides link-local ones.
    pub validate_deny: Networks,
    /// The settings file that was read, if any.
    pub source: Option<PathBuf>,
    /// Lines of the settings file that were skipped, for the caller to log.
    pub warnings: Vec<String>,
}

/// Where a value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Environment,
    File(PathBuf),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Environment => f.write_str("the environment"),
            Place::File(path) => write!(f, "{}", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{place}: {key}={value}: not a port number")]
    BadPort {
        place: Place,
        key: &'static str,
        value: String,
    },
    #[error("{place}: {key}={value}: not an IP address (such as 0.0.0.0 or 127.0.0.1)")]
    BadBind {
        place: Place,
        key: &'static str,
        value: String,
    },
    #[error("{place}: {key}={value}: not a whole number from 1 to {max}")]
    BadNumber {
        place: Place,
        key: &'static str,
        value: String,
        max: u64,
    },
    #[error("{place}: {key}: not \"*\", a list of host names or a regular expression: {error}")]
    BadAllowedDomains {
        place: Place,
        key: &'static str,
        error: regex::Error,
    },
    #[error("{place}: {key}: {error}")]
    BadNetworks {
        place: Place,
        key: &'static str,
        error: dashlive::net::BadNetwork,
    },
    #[error("{}: settings file not found (named by {named_by})", .path.display())]
    MissingFile {
        path: PathBuf,
        named_by: &'static str,
    },
    #[error("{}: cannot read: {error}", .path.display())]
    Unreadable { path: PathBuf, error: io::Error },
    /// `text` shows the key but not the value: the value may be a secret.
    #[error(
        "{}: cannot parse `{text}` (put a value holding spaces, `#`, `\\` or `$` in single quotes)",
        at_line(.path, *.line)
    )]
    Malformed {
        path: PathBuf,
        line: Option<usize>,
        text: String,
    },
    #[error(
        "{}:{line}: {key}: a `$` outside single quotes would be substituted (only `${{NAME}}` is); put the value in single quotes",
        .path.display()
    )]
    Dollar {
        path: PathBuf,
        line: usize,
        key: &'static str,
    },
    #[error("{}: already exists; not replacing it without --force", .path.display())]
    Exists { path: PathBuf },
    #[error("{}: cannot write: {error}", .path.display())]
    Write { path: PathBuf, error: io::Error },
    #[error("no random numbers from the operating system: {0}")]
    Random(getrandom::Error),
}

fn at_line(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(n) => format!("{}:{n}", path.display()),
        None => path.display().to_string(),
    }
}

impl Settings {
    /// `env` looks a name up in the environment (see [`Settings::from_process`]).
    pub fn load(
        o: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, SettingsError> {
        Settings::load_with_default(o, env, Path::new(DEFAULT_SETTINGS_FILE))
    }

    /// Settings from the command line, this process's environment and the
    /// settings file.
    pub fn from_process(o: &Overrides) -> Result<Settings, SettingsError> {
        // Lossy rather than skipped: a garbled value then shows in the
        // error it causes instead of silently falling back to the file.
        let env = |key: &str| std::env::var_os(key).map(|v| v.to_string_lossy().into_owned());
        Settings::load(o, &env)
    }

    /// `default_file` is read, if it exists, when no file is named: the
    /// tests point it away from the current directory.
    fn load_with_default(
        o: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
        default_file: &Path,
    ) -> Result<Settings, SettingsError> {
        let named = match &o.settings_file {
            Some(path) => Some((path.clone(), "the command line")),
            None => non_empty(env(KEY_SETTINGS)).map(|p| (PathBuf::from(p), KEY_SETTINGS)),
        };
        let (file, source) = match named {
            Some((path, named_by)) => match read_env_file(&path)? {
                Some(file) => (file, Some(path)),
                None => return Err(SettingsError::MissingFile { path, named_by }),
            },
            None => match read_env_file(default_file)? {
                Some(file) => (file, Some(default_file.to_path_buf())),
                None => (
                    EnvFile {
                        values: HashMap::new(),
                        warnings: Vec::new(),
                    },
                    None,
                ),
            },
        };
        let lookup = Lookup {
            env,
            file: &file.values,
            path: source.as_deref(),
        };

        let port = match o.port {
            Some(port) => port,
            None => match lookup.get(KEY_PORT) {
                Some((value, place)) => {
                    value
                        .trim()
                        .parse::<u16>()
                        .map_err(|_| SettingsError::BadPort {
                            place,
                            key: KEY_PORT,
                            value,
                        })?
                }
                None => DEFAULT_PORT,
            },
        };
        let bind = match o.bind {
            Some(bind) => bind,
            None => match lookup.get(KEY_BIND) {
                Some((value, place)) => parse_ip(&value).ok_or(SettingsError::BadBind {
                    place,
                    key: KEY_BIND,
                    value,
                })?,
                None => DEFAULT_BIND,
            },
        };
        let path_setting = |flag: &Option<PathBuf>, key: &str, default: &str| match flag {
            Some(path) => path.clone(),
            None => PathBuf::from(lookup.get(key).map_or(default.to_string(), |(v, _)| v)),
        };
        // Whole numbers from 1 to `max`: a timeout of 0 would close every
        // connection at once, a cap of 0 would never accept one.
        let number = |flag: Option<u64>, key: &'static str, max: u64| match flag {
            Some(n) => Ok(Some(n)),
            None => match lookup.get(key) {
                Some((value, place)) => match value.trim().parse::<u64>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
                    _ => Err(SettingsError::BadNumber {
                        place,
                        key,
                        value,
                        max,
                    }),
                },
                None => Ok(None),
            },
        };
        // A day is already far longer than any use of these.
        const DAY: u64 = 86_400;
        let header_timeout =
            number(o.header_timeout, KEY_HEADER_TIMEOUT, DAY)?.unwrap_or(DEFAULT_HEADER_TIMEOUT);
        let idle_timeout =
            number(o.idle_timeout, KEY_IDLE_TIMEOUT, DAY)?.unwrap_or(DEFAULT_IDLE_TIMEOUT);
        let max_connections = number(
            o.max_connections.map(|n| n as u64),
            KEY_MAX_CONNECTIONS,
            1_000_000,
        )?
        .map(|n| n as usize);
        let out = path_setting(&o.out, KEY_OUT, DEFAULT_OUT);
        let config = path_setting(&o.config, KEY_CONFIG, DEFAULT_CONFIG);
        let players = path_setting(&o.players, KEY_PLAYERS, DEFAULT_PLAYERS);
        let store = o
            .store
            .clone()
            .or_else(|| lookup.get(KEY_STORE).map(|(v, _)| PathBuf::from(v)));
        let allowed_domains = match lookup.get(KEY_ALLOWED_DOMAINS) {
            Some((value, place)) => {
                AllowedDomains::parse(&value).map_err(|error| SettingsError::BadAllowedDomains {
                    place,
                    key: KEY_ALLOWED_DOMAINS,
                    error,
                })?
            }
            None => AllowedDomains::default_domains(),
        };
        let networks = |key: &'static str| match lookup.get(key) {
            Some((value, place)) => Networks::parse(&value)
                .map_err(|error| SettingsError::BadNetworks { place, key, error }),
            None => Ok(Networks::default()),
        };
        let trusted_proxies = TrustedProxies::from(networks(KEY_TRUSTED_PROXIES)?);
        let validate_deny = networks(KEY_VALIDATE_DENY)?;
        Ok(Settings {
            bind,
            port,
            out,
            config,
            players,
            header_timeout,
            idle_timeout,
            max_connections,
            store,
            secret_key: lookup.get(KEY_SECRET_KEY).map(|(v, _)| v),
            csrf_secret: lookup.get(KEY_CSRF_SECRET).map(|(v, _)| v),
            admin_username: lookup
                .get(KEY_ADMIN_USERNAME)
                .map_or(DEFAULT_ADMIN_USERNAME.to_string(), |(v, _)| v),
            admin_password: lookup.get(KEY_ADMIN_PASSWORD).map(|(v, _)| v),
            allowed_domains,
            trusted_proxies,
            validate_deny,
            source,
            warnings: file.warnings,
        })
    }
}

/// Secrets stay out of logs.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |s: &Option<String>| s.as_ref().map(|_| "<hidden>");
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("port", &self.port)
            .field("out", &self.out)
            .field("config", &self.config)
            .field("players", &self.players)
            .field("header_timeout", &self.header_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("store", &self.store)
            .field("secret_key", &hidden(&self.secret_key))
            .field("csrf_secret", &hidden(&self.csrf_secret))
            .field("admin_username", &self.admin_username)
            .field("admin_password", &hidden(&self.admin_password))
            .field("allowed_domains", &self.allowed_domains.as_str())
            .field("trusted_proxies", &self.trusted_proxies)
            .field("validate_deny", &self.validate_deny.to_string())
            .field("source", &self.source)
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// The environment, then the file.
struct Lookup<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    file: &'a HashMap<String, String>,
    path: Option<&'a Path>,
}

impl Lookup<'_> {
    fn get(&self, key: &str) -> Option<(String, Place)> {
        if let Some(v) = non_empty((self.env)(key)) {
            return Some((v, Place::Environment));
        }
        let v = non_empty(self.file.get(key).cloned())?;
        let path = self.path.map(Path::to_path_buf).unwrap_or_default();
        Some((v, Place::File(path)))
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|v| !v.trim().is_empty())
}

/// An IP address, IPv6 with or without brackets.
fn parse_ip(value: &str) -> Option<IpAddr> {
    let v = value.trim();
    let v = v
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .unwrap_or(v);
    v.parse().ok()
}

/// The keys this server reads from a settings file.
const OUR_KEYS: [&str; 13] = [
    KEY_PORT,
    KEY_STORE,
    KEY_TRUSTED_PROXIES,
    KEY_VALIDATE_DENY,
    KEY_BIND,
    KEY_OUT,
    KEY_CONFIG,
    KEY_PLAYERS,
    KEY_SECRET_KEY,
    KEY_CSRF_SECRET,
    KEY_ADMIN_USERNAME,
    KEY_ADMIN_PASSWORD,
    KEY_ALLOWED_DOMAINS,
];

struct EnvFile {
    values: HashMap<String, String>,
    warnings: Vec<String>,
}

/// The file's keys and values, or None when there is no such file. A
/// repeated key: the last wins, as in python-dotenv (dash-live's parser).
///
/// python-dotenv skips, with a warning, lines it cannot parse, and
/// dotenvy's parser is stricter (an unquoted value with a space, a
/// backslash escape other than `\\ \' \" \$ \n`): a line that fails for
/// a key we do not read, such as an unquoted JSON `DB_SSL`, is skipped
/// with a warning, so the rest of dash-live's file still counts. A line
/// for one of our keys, or an open quote that swallows the rest of the
/// file, is an error.
fn read_env_file(path: &Path) -> Result<Option<EnvFile>, SettingsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(SettingsError::Unreadable {
                path: path.to_path_buf(),
                error,
            })
        }
    };
    // dotenvy's iterator leaves a byte-order mark (Windows editors write
    // one) in the first key; only its `load` strips it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let lines: Vec<&str> = text.lines().collect();
    let mut values = HashMap::new();
    let mut warnings = Vec::new();
    // Errors come in file order: search for each after the previous one.
    let mut from = 0;
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((key, value)) => {
                values.insert(key, value);
            }
            Err(dotenvy::Error::LineParse(fragment, _)) => {
                let found = locate(&lines, from, &fragment);
                let raw = found.map_or(fragment.as_str(), |i| lines[i]);
                let ours = key_of(raw).is_some_and(|k| OUR_KEYS.contains(&k));
                let swallowed = fragment.trim_end().contains('\n');
                let line = found.map(|i| i + 1);
                if ours || swallowed || found.is_none() {
                    return Err(SettingsError::Malformed {
                        path: path.to_path_buf(),
                        line,
                        text: without_value(raw),
                    });
                }
                warnings.push(format!(
                    "{}: skipped a line dashlive cannot parse: `{}`",
                    at_line(path, line),
                    without_value(raw)
                ));
                from = found.map_or(from, |i| i + 1);
            }
            Err(other) => {
                return Err(SettingsError::Unreadable {
                    path: path.to_path_buf(),
                    error: io::Error::other(other.to_string()),
                })
            }
        }
    }
    // dotenvy substitutes `$NAME` (letters and digits only) and drops a
    // bare `$`, where python-dotenv substitutes only `${NAME}`: a regex's
    // `$` anchor would vanish without a word.
    for key in OUR_KEYS {
        if !values.contains_key(key) {
            continue;
        }
        let defined = lines.iter().rposition(|l| key_of(l) == Some(key));
        if let Some(i) = defined {
            if has_bare_dollar(value_part(lines[i]).unwrap_or("")) {
                return Err(SettingsError::Dollar {
                    path: path.to_path_buf(),
                    line: i + 1,
                    key,
                });
            }
        }
    }
    Ok(Some(EnvFile { values, warnings }))
}

/// The index of the physical line, from `from` on, where the text dotenvy
/// could not parse starts: the whole (logical) line, or just its value.
fn locate(lines: &[&str], from: usize, fragment: &str) -> Option<usize> {
    let want = fragment.lines().next().unwrap_or("").trim();
    if want.is_empty() {
        return None;
    }
    (from..lines.len()).find(|&i| {
        let l = lines[i].trim_start();
        l.starts_with(want) || value_part(l).is_some_and(|v| v.starts_with(want))
    })
}

/// The key a line defines: the text before `=`, less any `export`.
fn key_of(line: &str) -> Option<&str> {
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    Some(key.strip_prefix("export ").map_or(key, str::trim_start))
}

/// The raw text after a line's first `=`.
fn value_part(line: &str) -> Option<&str> {
    line.split_once('=').map(|(_, v)| v.trim_start())
}

/// A `$` that dotenvy would treat differently from python-dotenv: outside
/// single quotes, not escaped, not starting `${`.
fn has_bare_dollar(raw: &str) -> bool {
    let (mut single, mut double) = (false, false);
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if single {
            single = c != '\'';
            continue;
        }
        match c {
            '\\' => {
                chars.next();
            }
            '\'' if !double => single = true,
            '"' => double = !double,
            // A comment: what follows is not the value.
            c if c.is_whitespace() && !double && chars.peek() == Some(&'#') => return false,
            '$' if chars.peek() != Some(&'{') => return true,
            _ => {}
        }
    }
    false
}

/// The line up to its `=`, so a malformed secret is not printed.
fn without_value(line: &str) -> String {
    let first = line.lines().next().unwrap_or("");
    match first.split_once('=') {
        Some((key, _)) => format!("{}=…", key.trim()),
        None => {
            let mut shown: String = first.trim().chars().take(40).collect();
            if shown.len() < first.trim().len() {
                shown.push('…');
            }
            shown
        }
    }
}

/// Writes a fresh settings file: new random secrets and admin password,
/// and the other keys documented in comments. The file is private (0600)
/// and appears whole or not at all.
pub fn generate_env_file(path: &Path, force: bool) -> Result<(), SettingsError> {
    let exists = |path: &Path| SettingsError::Exists {
        path: path.to_path_buf(),
    };
    let write_error = |error: io::Error| SettingsError::Write {
        path: path.to_path_buf(),
        error,
    };
    // symlink_metadata: a dangling link is still something not to replace.
    if !force && path.symlink_metadata().is_ok() {
        return Err(exists(path));
    }
    let text = env_file_text(
        &hex(&random_bytes::<32>()?),
        &hex(&random_bytes::<32>()?),
        &random_password(20)?,
    );
    // The temporary file must be in the same directory for the rename to
    // be atomic.
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o600))
            .map_err(write_error)?;
    }
    tmp.write_all(text.as_bytes()).map_err(write_error)?;
    tmp.as_file().sync_all().map_err(write_error)?;
    let persisted = if force {
        tmp.persist(path)
    } else {
        // Without force, a file created since the check above still wins.
        tmp.persist_noclobber(path)
    };
    match persisted {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Err(exists(path)),
        Err(e) => Err(write_error(e.error)),
    }
}

fn env_file_text(secret_key: &str, csrf_secret: &str, password: &str) -> String {
    format!(
        "\
# dashlive settings, written by `dashlive-origin gen-settings`.
# The FLASK_ names are dash-live's, which reads this file too.
# Keep this file private: its secrets sign cookies and CSRF tokens.

{KEY_SECRET_KEY}={secret_key}
{KEY_CSRF_SECRET}={csrf_secret}
{KEY_ADMIN_USERNAME}={DEFAULT_ADMIN_USERNAME}
{KEY_ADMIN_PASSWORD}={password}

# Which web pages may fetch the streams (CORS): \"*\" for any, a list of
# host names (\"*.example.com\" for any subdomain), or a regular expression
# searched for in the Origin's host and in the whole origin. Unset: the
# dashif.org sites, shaka-player-demo.appspot.com, mediapm.edgesuite.net,
# localhost and 127.0.0.1.
#{KEY_ALLOWED_DOMAINS}=*

# The address and port to listen on. 0.0.0.0 (every interface) lets
# players on other devices reach the server; 127.0.0.1 keeps it local.
#{KEY_BIND}={DEFAULT_BIND}
#{KEY_PORT}={DEFAULT_PORT}

# The static tree, and the catalog it is built from.
#{KEY_OUT}={DEFAULT_OUT}
#{KEY_CONFIG}={DEFAULT_CONFIG}

# dash.js and Shaka Player for the player pages (`npm ci --prefix
# origin/players`); without them the pages load the players' releases.
#{KEY_PLAYERS}={DEFAULT_PLAYERS}

# The admin store (users, sessions, tokens, audit log): set it on the one
# origin that serves the admin pages; unset, they answer 404.
#{KEY_STORE}=admin.redb

# Reverse proxies (addresses, networks) whose X-Forwarded-For names the
# client for login throttling; unset, the header is never believed.
#{KEY_TRUSTED_PROXIES}=127.0.0.1, 10.0.0.0/8

# Addresses (networks) the validator page /validate does not fetch from,
# besides link-local ones (cloud metadata), which it never does. On an
# origin open to the internet, name your own networks.
#{KEY_VALIDATE_DENY}=127.0.0.0/8, ::1, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7

# {KEY_SETTINGS}, set in the environment, names a settings file to read
# instead of .env in the current directory.
"
    )
}

fn random_bytes<const N: usize>() -> Result<[u8; N], SettingsError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(SettingsError::Random)?;
    Ok(buf)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Letters and digits only, so the password needs no quoting anywhere.
fn random_password(len: usize) -> Result<String, SettingsError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    // 248 = 4 × 62: bytes at or above it are dropped so that every
    // character is equally likely.
    const LIMIT: u8 = 248;
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes::<64>()? {
            if b < LIMIT && out.len() < len {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// An environment holding exactly these pairs.
    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn no_env() -> impl Fn(&str) -> Option<String> {
        env_of(&[])
    }

    /// Loads with `dir/.env` standing in for the current directory's `.env`.
    fn load_in(
        dir: &Path,
        o: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, SettingsError> {
        Settings::load_with_default(o, env, &dir.join(".env"))
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        path
    }

    fn load_err(dir: &Path, o: &Overrides, env: &dyn Fn(&str) -> Option<String>) -> String {
        load_in(dir, o, env).unwrap_err().to_string()
    }

    #[test]
    fn connection_limits_from_flags_environment_or_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let s = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap();
        assert_eq!(
            (s.header_timeout, s.idle_timeout, s.max_connections),
            (DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, None)
        );
        let env = env_of(&[
            ("DASHLIVE_HEADER_TIMEOUT", "5"),
            ("DASHLIVE_IDLE_TIMEOUT", "120"),
            ("DASHLIVE_MAX_CONNECTIONS", "200"),
        ]);
        let s = load_in(dir.path(), &Overrides::default(), &env).unwrap();
        assert_eq!(
            (s.header_timeout, s.idle_timeout, s.max_connections),
            (5, 120, Some(200))
        );
        let flags = Overrides {
            idle_timeout: Some(9),
            ..Overrides::default()
        };
        assert_eq!(load_in(dir.path(), &flags, &env).unwrap().idle_timeout, 9);
        for (key, value) in [
            ("DASHLIVE_HEADER_TIMEOUT", "0"),
            ("DASHLIVE_IDLE_TIMEOUT", "soon"),
            ("DASHLIVE_MAX_CONNECTIONS", "-1"),
        ] {
            let e = load_err(dir.path(), &Overrides::default(), &env_of(&[(key, value)]));
            assert!(
                e.contains(&format!("{key}={value}: not a whole number from 1 to")),
                "{e}"
            );
        }
    }

    #[test]
    fn defaults_without_any_settings() {
        let dir = tempfile::tempdir().unwrap();
        let s = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap();
        assert_eq!(s.bind, IpAddr::V4(Ipv4Addr::new(0, 0, 0, 0)));
        assert_eq!(s.port, 5000);
        assert_eq!(s.out, PathBuf::from("out"));
        assert_eq!(s.config, PathBuf::from("config"));
        assert_eq!(s.secret_key, None);
        assert_eq!(s.csrf_secret, None);
        assert_eq!(s.admin_username, "admin");
        assert_eq!(s.admin_password, None);
        assert_eq!(
            s.allowed_domains.as_str(),
            AllowedDomains::default_domains().as_str()
        );
        assert_eq!(s.source, None);
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn a_dash_live_env_file_is_read_and_unknown_keys_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            ".env",
            r#"
FLASK_SECRET_KEY="s3cr#t=1"
FLASK_DASH__CSRF_COOKIE="csrf-abcd"
FLASK_DASH__CSRF_SECRET='csrf secret'
FLASK_DASH__DEFAULT_ADMIN_USERNAME="root"
FLASK_DASH__DEFAULT_ADMIN_PASSWORD="pa ss"
FLASK_DASH__ALLOWED_DOMAINS="*"
FLASK_DASH__STRICT_CSRF_ORIGIN="False"
FLASK_DASH__PROXY_DEPTH="0"
JWT_SECRET_KEY="jwt"
# a comment
export SQLALCHEMY_DATABASE_URI=postgresql://u:p@db/dash
DB_SSL={"sslmode": "require"}
"#,
        );
        let s = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap();
        assert_eq!(s.secret_key.as_deref(), Some("s3cr#t=1"));
        assert_eq!(s.csrf_secret.as_deref(), Some("csrf secret"));
        assert_eq!(s.admin_username, "root");
        assert_eq!(s.admin_password.as_deref(), Some("pa ss"));
        assert!(matches!(s.allowed_domains, AllowedDomains::Any));
        assert_eq!(s.source, Some(path.clone()));
        assert_eq!(s.port, 5000);
        // python-dotenv takes the unquoted JSON; dotenvy cannot, and the
        // key is not ours.
        assert_eq!(
            s.warnings,
            vec![format!(
                "{}:13: skipped a line dashlive cannot parse: `DB_SSL=…`",
                path.display()
            )]
        );
    }

    #[test]
    fn flags_beat_the_environment_which_beats_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            ".env",
            "DASHLIVE_PORT=6000\nDASHLIVE_BIND=10.0.0.1\nDASHLIVE_OUT=file-out\n\
             DASHLIVE_CONFIG=file-config\nFLASK_SECRET_KEY=file-secret\n\
             FLASK_DASH__ALLOWED_DOMAINS=file.example\n",
        );
        let env = env_of(&[
            ("DASHLIVE_PORT", "7000"),
            ("DASHLIVE_BIND", "10.0.0.2"),
            ("DASHLIVE_OUT", "env-out"),
            ("DASHLIVE_CONFIG", "env-config"),
            ("FLASK_SECRET_KEY", "env-secret"),
            ("FLASK_DASH__ALLOWED_DOMAINS", "env.example"),
        ]);
        let flags = Overrides {
            port: Some(8000),
            bind: Some("10.0.0.3".parse().unwrap()),
            out: Some(PathBuf::from("flag-out")),
            config: Some(PathBuf::from("flag-config")),
            players: None,
            settings_file: None,
            ..Overrides::default()
        };

        let s = load_in(dir.path(), &flags, &env).unwrap();
        assert_eq!(s.port, 8000);
        assert_eq!(s.bind.to_string(), "10.0.0.3");
        assert_eq!(s.out, PathBuf::from("flag-out"));
        assert_eq!(s.config, PathBuf::from("flag-config"));

        let s = load_in(dir.path(), &Overrides::default(), &env).unwrap();
        assert_eq!(s.port, 7000);
        assert_eq!(s.bind.to_string(), "10.0.0.2");
        assert_eq!(s.out, PathBuf::from("env-out"));
        assert_eq!(s.config, PathBuf::from("env-config"));
        assert_eq!(s.secret_key.as_deref(), Some("env-secret"));
        assert_eq!(s.allowed_domains.as_str(), r"^(?:env\.example)$");

        let s = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap();
        assert_eq!(s.port, 6000);
        assert_eq!(s.bind.to_string(), "10.0.0.1");
        assert_eq!(s.out, PathBuf::from("file-out"));
        assert_eq!(s.config, PathBuf::from("file-config"));
        assert_eq!(s.secret_key.as_deref(), Some("file-secret"));
        assert_eq!(s.allowed_domains.as_str(), r"^(?:file\.example)$");
    }

    #[test]
    fn a_flag_makes_a_bad_environment_value_irrelevant() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[("DASHLIVE_PORT", "abc"), ("DASHLIVE_BIND", "nowhere")]);
        let flags = Overrides {
            port: Some(8000),
            bind: Some("127.0.0.1".parse().unwrap()),
            ..Overrides::default()
        };
        let s = load_in(dir.path(), &flags, &env).unwrap();
        assert_eq!(s.port, 8000);
        assert_eq!(s.bind.to_string(), "127.0.0.1");
    }

    #[test]
    fn empty_values_count_as_unset() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            ".env",
            "DASHLIVE_PORT=6000\nFLASK_SECRET_KEY=\nFLASK_DASH__ALLOWED_DOMAINS=\n",
        );
        let env = env_of(&[("DASHLIVE_PORT", ""), ("DASHLIVE_SETTINGS", " ")]);
        let s = load_in(dir.path(), &Overrides::default(), &env).unwrap();
        assert_eq!(s.port, 6000);
        assert_eq!(s.secret_key, None);
        assert_eq!(
            s.allowed_domains.as_str(),
            AllowedDomains::default_domains().as_str()
        );
    }

    #[test]
    fn dashlive_settings_names_the_file_instead_of_dot_env() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".env", "DASHLIVE_PORT=1111\n");
        let named = write(dir.path(), "prod.env", "FLASK_SECRET_KEY=prod\n");
        let env = env_of(&[("DASHLIVE_SETTINGS", named.to_str().unwrap())]);
        let s = load_in(dir.path(), &Overrides::default(), &env).unwrap();
        assert_eq!(s.source, Some(named));
        assert_eq!(s.secret_key.as_deref(), Some("prod"));
        // .env is not read as well.
        assert_eq!(s.port, 5000);
    }

    #[test]
    fn the_command_line_file_beats_dashlive_settings() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a.env", "FLASK_SECRET_KEY=a\n");
        let b = write(dir.path(), "b.env", "FLASK_SECRET_KEY=b\n");
        let env = env_of(&[("DASHLIVE_SETTINGS", a.to_str().unwrap())]);
        let o = Overrides {
            settings_file: Some(b.clone()),
            ..Overrides::default()
        };
        let s = load_in(dir.path(), &o, &env).unwrap();
        assert_eq!(s.source, Some(b));
        assert_eq!(s.secret_key.as_deref(), Some("b"));
    }

    #[test]
    fn dashlive_settings_inside_the_file_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let other = write(dir.path(), "other.env", "DASHLIVE_PORT=2222\n");
        let dot_env = write(
            dir.path(),
            ".env",
            &format!("DASHLIVE_SETTINGS={}\n", other.display()),
        );
        let s = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap();
        assert_eq!(s.source, Some(dot_env));
        assert_eq!(s.port, 5000);
    }

    #[test]
    fn a_missing_named_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.env");
        let env = env_of(&[("DASHLIVE_SETTINGS", missing.to_str().unwrap())]);
        assert_eq!(
            load_err(dir.path(), &Overrides::default(), &env),
            format!(
                "{}: settings file not found (named by DASHLIVE_SETTINGS)",
                missing.display()
            )
        );
        let o = Overrides {
            settings_file: Some(missing.clone()),
            ..Overrides::default()
        };
        assert_eq!(
            load_err(dir.path(), &o, &no_env()),
            format!(
                "{}: settings file not found (named by the command line)",
                missing.display()
            )
        );
    }

    #[test]
    fn an_unreadable_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be.
        fs::create_dir(dir.path().join(".env")).unwrap();
        let err = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap_err();
        assert!(matches!(err, SettingsError::Unreadable { .. }));
        let prefix = format!("{}: cannot read: ", dir.path().join(".env").display());
        assert!(err.to_string().starts_with(&prefix), "{err}");
    }

    #[test]
    fn bad_ports_name_the_key_value_and_place() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[("DASHLIVE_PORT", "abc")]);
        assert_eq!(
            load_err(dir.path(), &Overrides::default(), &env),
            "the environment: DASHLIVE_PORT=abc: not a port number"
        );
        let env = env_of(&[("DASHLIVE_PORT", "70000")]);
        assert_eq!(
            load_err(dir.path(), &Overrides::default(), &env),
            "the environment: DASHLIVE_PORT=70000: not a port number"
        );
        let path = write(dir.path(), ".env", "DASHLIVE_PORT=-1\n");
        assert_eq!(
            load_err(dir.path(), &Overrides::default(), &no_env()),
            format!("{}: DASHLIVE_PORT=-1: not a port number", path.display())
        );
    }

    #[test]
    fn port_values_are_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[("DASHLIVE_PORT", " 8080 ")]);
        let s = load_in(dir.path(), &Overrides::default(), &env).unwrap();
        assert_eq!(s.port, 8080);
    }

    #[test]
    fn bind_addresses() {
        let dir = tempfile::tempdir().unwrap();
        for (value, expected) in [
            ("127.0.0.1", "127.0.0.1"),
            ("::", "::"),
            ("[::1]", "::1"),
            (" 0.0.0.0 ", "0.0.0.0"),
        ] {
            let env = env_of(&[("DASHLIVE_BIND", value)]);
            let s = load_in(dir.path(), &Overrides::default(), &env).unwrap();
            assert_eq!(s.bind.to_string(), expected);
        }
        let env = env_of(&[("DASHLIVE_BIND", "localhost")]);
        assert_eq!(
            load_err(dir.path(), &Overrides::default(), &env),
            "the environment: DASHLIVE_BIND=localhost: not an IP address (such as 0.0.0.0 or 127.0.0.1)"
        );
    }

    #[test]
    fn a_bad_allowed_domains_regex_names_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            ".env",
            "FLASK_DASH__ALLOWED_DOMAINS=(unclosed\n",
        );
        let err = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap_err();
        let regex_error = AllowedDomains::parse("(unclosed").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: FLASK_DASH__ALLOWED_DOMAINS: not \"*\", a list of host names or a regular expression: {regex_error}",
                path.display()
            )
        );
    }

    const QUOTE_HINT: &str = "(put a value holding spaces, `#`, `\\` or `$` in single quotes)";

    #[test]
    fn a_malformed_line_for_our_key_is_an_error_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            ".env",
            "# comment\nFLASK_SECRET_KEY=ok\nDASHLIVE_PORT=80 80 # two\n",
        );
        assert_eq!(
            load_err(dir.path(), &Overrides::default(), &no_env()),
            format!(
                "{}:3: cannot parse `DASHLIVE_PORT=…` {QUOTE_HINT}",
                path.display()
            )
        );
    }

    #[test]
    fn malformed_lines_for_other_keys_are_skipped_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            ".env",
            "BAD KEY=1\nDB_SSL={\"sslmode\": \"require\"}\nDASHLIVE_PORT=6000\nnonsense\n",
        );
        let s = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap();
        assert_eq!(s.port, 6000);
        let p = path.display();
        assert_eq!(
            s.warnings,
            vec![
                format!("{p}:1: skipped a line dashlive cannot parse: `BAD KEY=…`"),
                format!("{p}:2: skipped a line dashlive cannot parse: `DB_SSL=…`"),
                format!("{p}:4: skipped a line dashlive cannot parse: `nonsense`"),
            ]
        );
    }

    #[test]
    fn an_open_quote_is_an_error_and_its_secret_is_not_printed() {
        let dir = tempfile::tempdir().unwrap();
        // The open quote would swallow FLASK_SECRET_KEY.
        let path = write(
            dir.path(),
            ".env",
            "DASHLIVE_PORT=1\nJWT_SECRET_KEY=\"hunter2\nFLASK_SECRET_KEY=x\n",
        );
        let err = load_err(dir.path(), &Overrides::default(), &no_env());
        assert_eq!(
            err,
            format!(
                "{}:2: cannot parse `JWT_SECRET_KEY=…` {QUOTE_HINT}",
                path.display()
            )
        );
        assert!(!err.contains("hunter2"));
    }

    #[test]
    fn a_bare_dollar_in_our_value_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            ".env",
            // dotenvy would read `^(localhost|127.0.0.1)`, unanchored.
            "OTHER=a$b\nFLASK_DASH__ALLOWED_DOMAINS=^(localhost|127.0.0.1)$\n",
        );
        assert_eq!(
            load_err(dir.path(), &Overrides::default(), &no_env()),
            format!(
                "{}:2: FLASK_DASH__ALLOWED_DOMAINS: a `$` outside single quotes would be \
                 substituted (only `${{NAME}}` is); put the value in single quotes",
                path.display()
            )
        );
        // In double quotes dotenvy fails outright.
        let path = write(
            dir.path(),
            ".env",
            "FLASK_DASH__ALLOWED_DOMAINS=\"^(a|b)$\"\n",
        );
        assert_eq!(
            load_err(dir.path(), &Overrides::default(), &no_env()),
            format!(
                "{}:1: cannot parse `FLASK_DASH__ALLOWED_DOMAINS=…` {QUOTE_HINT}",
                path.display()
            )
        );
        let path = write(dir.path(), ".env", "FLASK_SECRET_KEY=pa$word\n");
        assert_eq!(
            load_err(dir.path(), &Overrides::default(), &no_env()),
            format!(
                "{}:1: FLASK_SECRET_KEY: a `$` outside single quotes would be \
                 substituted (only `${{NAME}}` is); put the value in single quotes",
                path.display()
            )
        );
    }

    #[test]
    fn quoting_that_keeps_dollars_and_backslashes() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            ".env",
            concat!(
                "FLASK_DASH__ALLOWED_DOMAINS='^https?://(.+\\.)?example\\.com$'\n",
                "FLASK_SECRET_KEY=\"a\\$b\\\\c\"\n",
                "FLASK_DASH__CSRF_SECRET=plain # costs $5\n",
                "DASHLIVE_OUT=${DASHLIVE_TEST_SURELY_UNSET}out\n",
            ),
        );
        let s = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap();
        assert_eq!(
            s.allowed_domains.as_str(),
            r"^https?://(.+\.)?example\.com$"
        );
        assert_eq!(s.secret_key.as_deref(), Some(r"a$b\c"));
        assert_eq!(s.csrf_secret.as_deref(), Some("plain"));
        assert_eq!(s.out, PathBuf::from("out"));
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".env", "\u{feff}DASHLIVE_PORT=6001\r\n");
        let s = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap();
        assert_eq!(s.port, 6001);
    }

    #[test]
    fn a_repeated_key_takes_the_last_value() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            ".env",
            "DASHLIVE_PORT=6001\nDASHLIVE_PORT=6002\n",
        );
        let s = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap();
        assert_eq!(s.port, 6002);
    }

    #[test]
    fn debug_output_hides_the_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[
            ("FLASK_SECRET_KEY", "topsecret1"),
            ("FLASK_DASH__CSRF_SECRET", "topsecret2"),
            ("FLASK_DASH__DEFAULT_ADMIN_PASSWORD", "topsecret3"),
        ]);
        let s = load_in(dir.path(), &Overrides::default(), &env).unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("topsecret"), "{shown}");
        assert_eq!(shown.matches("<hidden>").count(), 3, "{shown}");
    }

    fn is_hex64(s: &str) -> bool {
        s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    #[test]
    fn a_generated_file_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gen.env");
        generate_env_file(&path, false).unwrap();
        let o = Overrides {
            settings_file: Some(path.clone()),
            ..Overrides::default()
        };
        let s = load_in(dir.path(), &o, &no_env()).unwrap();
        let secret = s.secret_key.clone().unwrap();
        let csrf = s.csrf_secret.clone().unwrap();
        let password = s.admin_password.clone().unwrap();
        assert!(is_hex64(&secret), "{secret}");
        assert!(is_hex64(&csrf), "{csrf}");
        assert_ne!(secret, csrf);
        assert_eq!(password.len(), 20);
        assert!(password.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(s.admin_username, "admin");
        // The documented keys are comments: the defaults apply.
        assert_eq!(s.port, 5000);
        assert_eq!(s.bind.to_string(), "0.0.0.0");
        assert_eq!(s.out, PathBuf::from("out"));
        assert_eq!(s.config, PathBuf::from("config"));
        assert_eq!(
            s.allowed_domains.as_str(),
            AllowedDomains::default_domains().as_str()
        );
        assert_eq!(s.source, Some(path.clone()));
        // And the whole text is the template with these values.
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            env_file_text(&secret, &csrf, &password)
        );
    }

    #[test]
    fn the_generated_text() {
        let text = env_file_text("S", "C", "P");
        let settings: Vec<&str> = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("# ") && *l != "#")
            .collect();
        assert_eq!(
            settings,
            [
                "FLASK_SECRET_KEY=S",
                "FLASK_DASH__CSRF_SECRET=C",
                "FLASK_DASH__DEFAULT_ADMIN_USERNAME=admin",
                "FLASK_DASH__DEFAULT_ADMIN_PASSWORD=P",
                "#FLASK_DASH__ALLOWED_DOMAINS=*",
                "#DASHLIVE_BIND=0.0.0.0",
                "#DASHLIVE_PORT=5000",
                "#DASHLIVE_OUT=out",
                "#DASHLIVE_CONFIG=config",
                "#DASHLIVE_PLAYERS=origin/players/node_modules",
                "#DASHLIVE_STORE=admin.redb",
                "#DASHLIVE_TRUSTED_PROXIES=127.0.0.1, 10.0.0.0/8",
                "#DASHLIVE_VALIDATE_DENY=127.0.0.0/8, ::1, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7",
            ]
        );
    }

    #[test]
    fn the_admin_store_is_off_unless_named() {
        let dir = tempfile::tempdir().unwrap();
        let none = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap();
        assert_eq!(none.store, None);
        let env = env_of(&[(KEY_STORE, "/var/lib/dashlive/admin.redb")]);
        let s = load_in(dir.path(), &Overrides::default(), &env).unwrap();
        assert_eq!(s.store, Some(PathBuf::from("/var/lib/dashlive/admin.redb")));
        let o = Overrides {
            store: Some("flag.redb".into()),
            ..Overrides::default()
        };
        assert_eq!(
            load_in(dir.path(), &o, &env).unwrap().store,
            Some("flag.redb".into())
        );
    }

    #[test]
    fn trusted_proxies_are_none_unless_named_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let none = load_in(dir.path(), &Overrides::default(), &no_env()).unwrap();
        assert_eq!(none.trusted_proxies, TrustedProxies::default());
        let env = env_of(&[(KEY_TRUSTED_PROXIES, "10.0.0.0/8, ::1")]);
        let s = load_in(dir.path(), &Overrides::default(), &env).unwrap();
        assert_eq!(
            s.trusted_proxies,
            TrustedProxies::parse("10.0.0.0/8 ::1").unwrap()
        );
        let env = env_of(&[(KEY_TRUSTED_PROXIES, "10.0.0.0/8, proxy.example")]);
        let e = load_in(dir.path(), &Overrides::default(), &env)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(KEY_TRUSTED_PROXIES) && e.contains("proxy.example"),
            "{e}"
        );
        // The validator's denied networks are read the same way.
        assert_eq!(none.validate_deny, Networks::default());
        let env = env_of(&[(KEY_VALIDATE_DENY, "127.0.0.0/8 ::1")]);
        let s = load_in(dir.path(), &Overrides::default(), &env).unwrap();
        assert_eq!(s.validate_deny.to_string(), "127.0.0.0/8, ::1/128");
        let env = env_of(&[(KEY_VALIDATE_DENY, "localhost")]);
        let e = load_in(dir.path(), &Overrides::default(), &env)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(KEY_VALIDATE_DENY) && e.contains("localhost"),
            "{e}"
        );
    }

    #[test]
    fn two_generated_files_differ() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.env");
        let b = dir.path().join("b.env");
        generate_env_file(&a, false).unwrap();
        generate_env_file(&b, false).unwrap();
        assert_ne!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn a_generated_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        generate_env_file(&path, false).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn an_existing_file_is_kept_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), ".env", "KEEP=1\n");
        let err = generate_env_file(&path, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: already exists; not replacing it without --force",
                path.display()
            )
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "KEEP=1\n");

        generate_env_file(&path, true).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("FLASK_SECRET_KEY="));
        assert!(!text.contains("KEEP"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn writing_into_a_missing_directory_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-dir").join(".env");
        let err = generate_env_file(&path, false).unwrap_err();
        assert!(matches!(err, SettingsError::Write { .. }));
        let prefix = format!("{}: cannot write: ", path.display());
        assert!(err.to_string().starts_with(&prefix), "{err}");
    }

    #[test]
    fn hex_and_password_helpers() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        let p = random_password(100).unwrap();
        assert_eq!(p.len(), 100);
        assert!(p.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
