//! The admin store: what is the origin's own (DESIGN: the catalog stays in
//! `config/`). One redb file holds users, sessions, API tokens, login
//! throttling and the audit log. Each change is one redb write transaction
//! (the audit entry included), so a killed origin leaves the store as it
//! was before or after the change, never between.
//!
//! Secrets are never stored: passwords as argon2id hashes, session ids and
//! API tokens as their SHA-256 (they are 256 random bits, so a fast hash is
//! enough: nothing to brute-force). Time is a parameter (`now_ms`, Unix ms).

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The schema this build writes. Version 1 kept dash-live's group bit mask
/// (`groups_mask`) on users; version 2 names the groups and records the
/// last login. [`migrate`] brings an older store up to date on open.
pub const SCHEMA_VERSION: u64 = 2;

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// username → [`User`] (JSON).
const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");
/// SHA-256 of the session id → [`Session`] (JSON).
const SESSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("sessions");
/// SHA-256 of the token → [`ApiToken`] (JSON).
const TOKENS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tokens");
/// `account:<name>` or `address:<ip>` → [`Throttle`] (JSON).
const THROTTLE: TableDefinition<&str, &[u8]> = TableDefinition::new("throttle");
/// Sequence number → [`AuditEntry`] (JSON).
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
const KEY_SCHEMA: &str = "schema";
/// Test only: the number of `churn` transactions committed (see `cli`).
pub(crate) const KEY_CHURN: &str = "churn";

/// How long a session lives without a request, and at most.
pub const SESSION_IDLE_MS: i64 = 60 * 60 * 1000;
pub const SESSION_MAX_MS: i64 = 12 * 60 * 60 * 1000;
/// Sessions a user keeps at once; logging in again drops the oldest.
pub const SESSIONS_PER_USER: usize = 16;
/// Failed logins in a window before an account or an address is locked,
/// and the lock's first and longest length (it doubles per failure).
pub const ACCOUNT_FAILURES: u32 = 5;
pub const ADDRESS_FAILURES: u32 = 20;
pub const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;
pub const LOCK_FIRST_MS: i64 = 60 * 1000;
pub const LOCK_MAX_MS: i64 = 15 * 60 * 1000;
/// Audit entries kept: past this, each new entry drops the oldest (so
/// failed logins from many addresses cannot fill the disk).
pub const AUDIT_KEEP: u64 = 100_000;
/// Throttle rows kept before the ones whose window has passed are pruned
/// (so many addresses trying cannot grow the table without bound).
const THROTTLE_PRUNE_AT: u64 = 1024;
pub const MIN_PASSWORD: usize = 10;
pub const MAX_PASSWORD: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: is open in another process (a running origin?): stop it, or use the admin pages", .0.display())]
    Locked(PathBuf),
    /// Boxed: redb's error is large, and this is returned everywhere.
    #[error("the store: {0}")]
    Db(Box<redb::Error>),
    #[error("the store's {table} table, entry {key}: {error}")]
    Corrupt {
        table: &'static str,
        key: String,
        error: serde_json::Error,
    },
    #[error("the store has schema {found}, written by a newer dashlive (this one knows up to {SCHEMA_VERSION})")]
    Newer { found: u64 },
    #[error("there is already a user {0}")]
    Exists(String),
    #[error("there is no user {0}")]
    NoUser(String),
    #[error("{field}: {why}")]
    Invalid { field: &'static str, why: String },
    #[error("password hashing: {0}")]
    Hash(String),
    #[error("no random numbers from the operating system: {0}")]
    Random(getrandom::Error),
}

impl StoreError {
    /// A problem with what the request asked (400/409), not with the store.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            StoreError::Exists(_) | StoreError::NoUser(_) | StoreError::Invalid { .. }
        )
    }
}

macro_rules! db {
    ($e:expr) => {
        $e.map_err(|e| StoreError::Db(Box::new(e.into())))
    };
}

/// The groups of dash-live (§7.2): admin implies the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Admin,
    Media,
    User,
}

impl Group {
    pub const ALL: [Group; 3] = [Group::Admin, Group::Media, Group::User];

    pub fn name(self) -> &'static str {
        match self {
            Group::Admin => "admin",
            Group::Media => "media",
            Group::User => "user",
        }
    }

    pub fn parse(name: &str) -> Result<Group, StoreError> {
        Group::ALL
            .into_iter()
            .find(|g| g.name() == name)
            .ok_or_else(|| StoreError::Invalid {
                field: "groups",
                why: format!("{:?} is not a group (admin, media or user)", short(name)),
            })
    }

    /// dash-live's bit mask (schema 1).
    fn from_mask(mask: u64) -> Vec<Group> {
        let mut groups = Vec::new();
        for (bit, g) in [
            (0x4000_0000, Group::Admin),
            (0x4, Group::Media),
            (0x2, Group::User),
        ] {
            if mask & bit != 0 {
                groups.push(g);
            }
        }
        groups
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    pub username: String,
    pub email: String,
    /// argon2id, PHC string.
    pub hash: String,
    pub groups: Vec<Group>,
    pub must_change: bool,
    pub created_ms: i64,
    pub last_login_ms: Option<i64>,
}

impl User {
    pub fn has(&self, group: Group) -> bool {
        self.groups.contains(&Group::Admin) || self.groups.contains(&group)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Session {
    pub username: String,
    pub created_ms: i64,
    pub seen_ms: i64,
    /// The synchronizer CSRF token of this session (base64url, 256 bits).
    pub csrf: String,
}

impl Session {
    /// Whether the session is over at `now_ms`: idle too long, or too old.
    pub fn expired(&self, now_ms: i64) -> bool {
        now_ms.saturating_sub(self.seen_ms) > SESSION_IDLE_MS
            || now_ms.saturating_sub(self.created_ms) > SESSION_MAX_MS
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiToken {
    /// A public handle (not the secret): what `token list` shows and
    /// `token revoke` takes.
    pub id: String,
    pub username: String,
    pub label: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub revoked: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct Throttle {
    failures: u32,
    window_start_ms: i64,
    locked_until_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    pub at_ms: i64,
    /// The user who made the change, or `cli` / `origin`.
    pub actor: String,
    pub action: String,
    pub target: String,
}

/// Who and when, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub name: &'a str,
    pub now_ms: i64,
}

/// What a login attempt's throttle says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// Locked: seconds until the next attempt counts.
    Wait(u64),
}

pub struct Store {
    db: Database,
    path: PathBuf,
    /// [`AUDIT_KEEP`] (the tests lower it).
    audit_keep: u64,
}

/// A fresh secret: 256 random bits, base64url.
pub fn random_secret() -> Result<String, StoreError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(StoreError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

/// The key a session id or a token is stored under.
pub fn secret_key(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A random password of letters and digits (no quoting needed anywhere).
pub fn random_password() -> Result<String, StoreError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut out = String::new();
    while out.len() < 20 {
        let mut b = [0u8; 32];
        getrandom::fill(&mut b).map_err(StoreError::Random)?;
        // Bytes past the last whole multiple of the alphabet are dropped,
        // so every character is equally likely.
        let limit = 256 - 256 % ALPHABET.len();
        for byte in b {
            if usize::from(byte) < limit && out.len() < 20 {
                out.push(char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

pub fn hash_password(password: &str) -> Result<String, StoreError> {
    use argon2::password_hash::PasswordHasher as _;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Hash(e.to_string()))
}

/// Whether `password` matches `hash` (argon2's own comparison is
/// constant-time). A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier as _;
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash no password matches, verified for unknown user names so that a
/// login takes as long whether the name exists or not.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("dashlive decoy password").unwrap_or_default())
}

pub fn check_username(name: &str) -> Result<(), StoreError> {
    let ok = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field: "username",
            why: format!(
                "{:?}: 1 to 32 letters, digits, '_', '.' or '-'",
                short(name)
            ),
        })
    }
}

/// Any text with one `@`, no controls, at most 256 bytes (an address is
/// shown, never mailed to, so it is not checked further).
pub fn check_email(email: &str) -> Result<(), StoreError> {
    let ok = email.is_empty()
        || (email.len() <= 256
            && email.matches('@').count() == 1
            && !email.chars().any(char::is_control));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field: "email",
            why: "at most 256 characters with one '@', or empty".into(),
        })
    }
}

pub fn check_password(password: &str) -> Result<(), StoreError> {
    let n = password.chars().count();
    if (MIN_PASSWORD..=MAX_PASSWORD).contains(&n) {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field: "password",
            why: format!("{MIN_PASSWORD} to {MAX_PASSWORD} characters"),
        })
    }
}

/// The first 40 characters of a value repeated in an error.
fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Our own plain structs: serialising them cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(
    table: &'static str,
    key: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt {
        table,
        key: key.to_string(),
        error,
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Store {
    /// Opens (creating it if missing) and migrates the store at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = match Database::create(path) {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(StoreError::Locked(path.to_path_buf()))
            }
            Err(e) => return Err(StoreError::Db(Box::new(e.into()))),
        };
        let store = Store {
            db,
            path: path.to_path_buf(),
            audit_keep: AUDIT_KEEP,
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the tables a new store lacks and upgrades an older schema,
    /// in one transaction.
    fn migrate(&self) -> Result<(), StoreError> {
        let tx = db!(self.db.begin_write())?;
        {
            let mut meta = db!(tx.open_table(META))?;
            let found = db!(meta.get(KEY_SCHEMA))?.map(|v| v.value());
            let found = match found {
                Some(v) if v > SCHEMA_VERSION => return Err(StoreError::Newer { found: v }),
                Some(v) => v,
                None => {
                    // An empty file: a new store, at today's schema.
                    let users = db!(tx.open_table(USERS))?;
                    if db!(users.len())? == 0 {
                        SCHEMA_VERSION
                    } else {
                        1
                    }
                }
            };
            if found < 2 {
                migrate_1_to_2(&tx)?;
            }
            db!(meta.insert(KEY_SCHEMA, SCHEMA_VERSION))?;
            for t in [USERS, THROTTLE] {
                db!(tx.open_table(t))?;
            }
            for t in [SESSIONS, TOKENS] {
                db!(tx.open_table(t))?;
            }
            db!(tx.open_table(AUDIT))?;
        }
        db!(tx.commit())
    }

    pub fn schema_version(&self) -> Result<u64, StoreError> {
        let rx = db!(self.db.begin_read())?;
        let meta = db!(rx.open_table(META))?;
        Ok(db!(meta.get(KEY_SCHEMA))?.map_or(0, |v| v.value()))
    }

    // ----- users -----

    pub fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let rx = db!(self.db.begin_read())?;
        let t = db!(rx.open_table(USERS))?;
        match db!(t.get(username))? {
            Some(v) => Ok(Some(decode("users", username, v.value())?)),
            None => Ok(None),
        }
    }

    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let rx = db!(self.db.begin_read())?;
        let t = db!(rx.open_table(USERS))?;
        let mut out = Vec::new();
        for item in db!(t.iter())? {
            let (k, v) = db!(item)?;
            out.push(decode("users", k.value(), v.value())?);
        }
        Ok(out)
    }

    pub fn user_count(&self) -> Result<u64, StoreError> {
        let rx = db!(self.db.begin_read())?;
        db!(db!(rx.open_table(USERS))?.len())
    }

    /// Adds a user; `password` is hashed here.
    pub fn add_user(
        &self,
        by: Actor,
        username: &str,
        email: &str,
        password: &str,
        groups: &[Group],
        must_change: bool,
    ) -> Result<User, StoreError> {
        check_username(username)?;
        check_email(email)?;
        check_password(password)?;
        let mut groups = groups.to_vec();
        groups.sort();
        groups.dedup();
        let user = User {
            username: username.to_string(),
            email: email.to_string(),
            hash: hash_password(password)?,
            groups,
            must_change,
            created_ms: by.now_ms,
            last_login_ms: None,
        };
        let tx = db!(self.db.begin_write())?;
        {
            let mut t = db!(tx.open_table(USERS))?;
            if db!(t.get(username))?.is_some() {
                return Err(StoreError::Exists(username.to_string()));
            }
            db!(t.insert(username, encode(&user).as_slice()))?;
        }
        audit(&tx, self.audit_keep, by, "user.add", username)?;
        db!(tx.commit())?;
        Ok(user)
    }

    /// Changes a user in one transaction; `action` names the change in the
    /// audit log, `ends` what of the user's access ends with it.
    fn update_user(
        &self,
        by: Actor,
        username: &str,
        action: &str,
        ends: Ends,
        change: impl FnOnce(&mut User) -> Result<(), StoreError>,
    ) -> Result<User, StoreError> {
        let tx = db!(self.db.begin_write())?;
        let user = {
            let mut t = db!(tx.open_table(USERS))?;
            let mut user: User = match db!(t.get(username))? {
                Some(v) => decode("users", username, v.value())?,
                None => return Err(StoreError::NoUser(username.to_string())),
            };
            change(&mut user)?;
            db!(t.insert(username, encode(&user).as_slice()))?;
            user
        };
        match ends {
            Ends::Nothing => {}
            Ends::OtherSessions(keep) => end_sessions_of(&tx, username, keep)?,
            Ends::All => {
                end_sessions_of(&tx, username, None)?;
                revoke_tokens_of(&tx, username)?;
            }
        }
        audit(&tx, self.audit_keep, by, action, username)?;
        db!(tx.commit())?;
        Ok(user)
    }

    pub fn set_groups(
        &self,
        by: Actor,
        username: &str,
        groups: &[Group],
    ) -> Result<User, StoreError> {
        let mut groups = groups.to_vec();
        groups.sort();
        groups.dedup();
        self.update_user(by, username, "user.groups", Ends::Nothing, |u| {
            u.groups = groups;
            Ok(())
        })
    }

    /// A new password chosen by an administrator: the user must change it
    /// at the next login, and their sessions end.
    pub fn reset_password(
        &self,
        by: Actor,
        username: &str,
        password: &str,
    ) -> Result<User, StoreError> {
        check_password(password)?;
        let hash = hash_password(password)?;
        self.update_user(by, username, "user.reset", Ends::All, |u| {
            u.hash = hash;
            u.must_change = true;
            Ok(())
        })
    }

    /// The user's own new password: clears must-change; the user's other
    /// sessions end (`keep` is the one making the change).
    pub fn change_password(
        &self,
        by: Actor,
        username: &str,
        password: &str,
        keep: Option<&[u8; 32]>,
    ) -> Result<User, StoreError> {
        check_password(password)?;
        let hash = hash_password(password)?;
        let ends = Ends::OtherSessions(keep);
        self.update_user(by, username, "user.password", ends, |u| {
            u.hash = hash;
            u.must_change = false;
            Ok(())
        })
    }

    /// Deletes a user with their sessions and tokens.
    pub fn delete_user(&self, by: Actor, username: &str) -> Result<(), StoreError> {
        let tx = db!(self.db.begin_write())?;
        {
            let mut t = db!(tx.open_table(USERS))?;
            if db!(t.remove(username))?.is_none() {
                return Err(StoreError::NoUser(username.to_string()));
            }
        }
        end_sessions_of(&tx, username, None)?;
        revoke_tokens_of(&tx, username)?;
        audit(&tx, self.audit_keep, by, "user.delete", username)?;
        db!(tx.commit())
    }

    /// First start: an empty store gets its administrator, who must change
    /// the password at first login. Returns the password when it was made
    /// up here (for the caller to print once), `None` otherwise.
    pub fn ensure_admin(
        &self,
        now_ms: i64,
        username: &str,
        password: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        if self.user_count()? > 0 {
            return Ok(None);
        }
        let (password, made_up) = match password {
            Some(p) => (p.to_string(), false),
            None => (random_password()?, true),
        };
        let by = Actor {
            name: "origin",
            now_ms,
        };
        self.add_user(by, username, "", &password, &[Group::Admin], true)?;
        Ok(made_up.then_some(password))
    }

    // ----- login, sessions -----

    /// Whether a login for `account` from `address` may be tried now.
    pub fn gate(&self, account: &str, address: &str, now_ms: i64) -> Result<Gate, StoreError> {
        let rx = db!(self.db.begin_read())?;
        let t = db!(rx.open_table(THROTTLE))?;
        let mut wait_ms = 0i64;
        for key in throttle_keys(account, address) {
            if let Some(v) = db!(t.get(key.as_str()))? {
                let th: Throttle = decode("throttle", &key, v.value())?;
                wait_ms = wait_ms.max(th.locked_until_ms.saturating_sub(now_ms));
            }
        }
        Ok(if wait_ms > 0 {
            Gate::Wait((wait_ms as u64).div_ceil(1000))
        } else {
            Gate::Open
        })
    }

    /// Counts a failed login against the account (when it exists) and the
    /// address; audited.
    pub fn login_failed(
        &self,
        account: Option<&str>,
        address: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let tx = db!(self.db.begin_write())?;
        {
            let mut t = db!(tx.open_table(THROTTLE))?;
            let mut keys = vec![(format!("address:{address}"), ADDRESS_FAILURES)];
            if let Some(a) = account {
                keys.push((format!("account:{a}"), ACCOUNT_FAILURES));
            }
            for (key, limit) in keys {
                let mut th: Throttle = match db!(t.get(key.as_str()))? {
                    Some(v) => decode("throttle", &key, v.value())?,
                    None => Throttle::default(),
                };
                if now_ms.saturating_sub(th.window_start_ms) > THROTTLE_WINDOW_MS
                    && th.locked_until_ms <= now_ms
                {
                    th = Throttle {
                        window_start_ms: now_ms,
                        ..Throttle::default()
                    };
                }
                th.failures = th.failures.saturating_add(1);
                if th.failures >= limit {
                    let doublings = (th.failures - limit).min(16);
                    let lock = LOCK_FIRST_MS
                        .saturating_mul(1 << doublings)
                        .min(LOCK_MAX_MS);
                    th.locked_until_ms = now_ms.saturating_add(lock);
                }
                db!(t.insert(key.as_str(), encode(&th).as_slice()))?;
            }
            if db!(t.len())? > THROTTLE_PRUNE_AT {
                db!(t.retain(|_, v| {
                    serde_json::from_slice::<Throttle>(v).is_ok_and(|th| {
                        th.locked_until_ms > now_ms
                            || now_ms.saturating_sub(th.window_start_ms) <= THROTTLE_WINDOW_MS
                    })
                }))?;
            }
        }
        let by = Actor {
            name: account.unwrap_or("-"),
            now_ms,
        };
        audit(&tx, self.audit_keep, by, "login.failed", address)?;
        db!(tx.commit())
    }

    /// A successful login: a new session (never one the client offered:
    /// no fixation), the account's failures forgotten, the last login
    /// recorded. Returns the session id (the cookie's value) and the
    /// session.
    pub fn login(&self, username: &str, now_ms: i64) -> Result<(String, Session), StoreError> {
        let id = random_secret()?;
        let session = Session {
            username: username.to_string(),
            created_ms: now_ms,
            seen_ms: now_ms,
            csrf: random_secret()?,
        };
        let tx = db!(self.db.begin_write())?;
        {
            let mut users = db!(tx.open_table(USERS))?;
            let mut user: User = match db!(users.get(username))? {
                Some(v) => decode("users", username, v.value())?,
                None => return Err(StoreError::NoUser(username.to_string())),
            };
            user.last_login_ms = Some(now_ms);
            db!(users.insert(username, encode(&user).as_slice()))?;
            let mut t = db!(tx.open_table(THROTTLE))?;
            db!(t.remove(format!("account:{username}").as_str()))?;
            let mut sessions = db!(tx.open_table(SESSIONS))?;
            // Expired sessions go; a user's oldest beyond the cap too.
            let mut mine = Vec::new();
            let mut dead = Vec::new();
            for item in db!(sessions.iter())? {
                let (k, v) = db!(item)?;
                let s: Session = decode("sessions", &hex(k.value()), v.value())?;
                if s.expired(now_ms) {
                    dead.push(k.value().to_vec());
                } else if s.username == username {
                    mine.push((s.created_ms, k.value().to_vec()));
                }
            }
            mine.sort();
            let over = (mine.len() + 1).saturating_sub(SESSIONS_PER_USER);
            dead.extend(mine.into_iter().take(over).map(|(_, k)| k));
            for k in dead {
                db!(sessions.remove(k.as_slice()))?;
            }
            db!(sessions.insert(secret_key(&id).as_slice(), encode(&session).as_slice()))?;
        }
        let by = Actor {
            name: username,
            now_ms,
        };
        audit(&tx, self.audit_keep, by, "login", username)?;
        db!(tx.commit())?;
        Ok((id, session))
    }

    /// The live session with this id and its user, its idle timer
    /// restarted; `None` for an unknown, expired or orphaned session (an
    /// expired one is removed). The idle timer is written at most once a
    /// minute, so most requests only read.
    pub fn session(&self, id: &str, now_ms: i64) -> Result<Option<(Session, User)>, StoreError> {
        let key = secret_key(id);
        let (session, user) = {
            let rx = db!(self.db.begin_read())?;
            let t = db!(rx.open_table(SESSIONS))?;
            let Some(v) = db!(t.get(key.as_slice()))? else {
                return Ok(None);
            };
            let s: Session = decode("sessions", &hex(&key), v.value())?;
            let users = db!(rx.open_table(USERS))?;
            let user: Option<User> = match db!(users.get(s.username.as_str()))? {
                Some(v) => Some(decode("users", &s.username, v.value())?),
                None => None,
            };
            (s, user)
        };
        let Some(user) = user.filter(|_| !session.expired(now_ms)) else {
            self.logout(id)?;
            return Ok(None);
        };
        let mut session = session;
        if now_ms.saturating_sub(session.seen_ms) > 60_000 {
            session.seen_ms = now_ms;
            let tx = db!(self.db.begin_write())?;
            {
                let mut t = db!(tx.open_table(SESSIONS))?;
                db!(t.insert(key.as_slice(), encode(&session).as_slice()))?;
            }
            db!(tx.commit())?;
        }
        Ok(Some((session, user)))
    }

    pub fn logout(&self, id: &str) -> Result<(), StoreError> {
        let tx = db!(self.db.begin_write())?;
        {
            let mut t = db!(tx.open_table(SESSIONS))?;
            db!(t.remove(secret_key(id).as_slice()))?;
        }
        db!(tx.commit())
    }

    #[cfg(test)]
    pub fn session_count(&self) -> Result<u64, StoreError> {
        let rx = db!(self.db.begin_read())?;
        db!(db!(rx.open_table(SESSIONS))?.len())
    }

    // ----- API tokens -----

    /// A new token for `username`, valid `days` days. Returns the secret
    /// (shown once) and the record.
    pub fn add_token(
        &self,
        by: Actor,
        username: &str,
        label: &str,
        days: u32,
    ) -> Result<(String, ApiToken), StoreError> {
        if self.user(username)?.is_none() {
            return Err(StoreError::NoUser(username.to_string()));
        }
        let secret = format!("dlt_{}", random_secret()?);
        let key = secret_key(&secret);
        let token = ApiToken {
            id: hex(&key[..6]),
            username: username.to_string(),
            label: label.chars().take(100).collect(),
            created_ms: by.now_ms,
            expires_ms: by
                .now_ms
                .saturating_add(i64::from(days).saturating_mul(86_400_000)),
            revoked: false,
        };
        let tx = db!(self.db.begin_write())?;
        {
            let mut t = db!(tx.open_table(TOKENS))?;
            db!(t.insert(key.as_slice(), encode(&token).as_slice()))?;
        }
        audit(
            &tx,
            self.audit_keep,
            by,
            "token.add",
            &format!("{username} {}", token.id),
        )?;
        db!(tx.commit())?;
        Ok((secret, token))
    }

    /// The user a bearer token stands for, if it is known, unrevoked and
    /// unexpired.
    pub fn token_user(&self, secret: &str, now_ms: i64) -> Result<Option<User>, StoreError> {
        let key = secret_key(secret);
        let rx = db!(self.db.begin_read())?;
        let t = db!(rx.open_table(TOKENS))?;
        let Some(v) = db!(t.get(key.as_slice()))? else {
            return Ok(None);
        };
        let token: ApiToken = decode("tokens", &hex(&key[..6]), v.value())?;
        if token.revoked || now_ms >= token.expires_ms {
            return Ok(None);
        }
        let users = db!(rx.open_table(USERS))?;
        let user = match db!(users.get(token.username.as_str()))? {
            Some(v) => Some(decode("users", &token.username, v.value())?),
            None => None,
        };
        Ok(user)
    }

    pub fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let rx = db!(self.db.begin_read())?;
        let t = db!(rx.open_table(TOKENS))?;
        let mut out = Vec::new();
        for item in db!(t.iter())? {
            let (k, v) = db!(item)?;
            out.push(decode("tokens", &hex(k.value()), v.value())?);
        }
        Ok(out)
    }

    /// Revokes the token with this public id; false when there is none.
    pub fn revoke_token(&self, by: Actor, id: &str) -> Result<bool, StoreError> {
        let tx = db!(self.db.begin_write())?;
        let found = {
            let mut t = db!(tx.open_table(TOKENS))?;
            let mut hit = None;
            for item in db!(t.iter())? {
                let (k, v) = db!(item)?;
                let token: ApiToken = decode("tokens", &hex(k.value()), v.value())?;
                if token.id == id {
                    hit = Some((k.value().to_vec(), token));
                }
            }
            match hit {
                Some((k, mut token)) => {
                    token.revoked = true;
                    db!(t.insert(k.as_slice(), encode(&token).as_slice()))?;
                    true
                }
                None => false,
            }
        };
        if found {
            audit(&tx, self.audit_keep, by, "token.revoke", id)?;
        }
        db!(tx.commit())?;
        Ok(found)
    }

    // ----- audit -----

    /// Records a change made outside the store (the catalog in `config/`).
    pub fn record(&self, by: Actor, action: &str, target: &str) -> Result<(), StoreError> {
        let tx = db!(self.db.begin_write())?;
        audit(&tx, self.audit_keep, by, action, target)?;
        db!(tx.commit())
    }

    /// The newest `limit` entries, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let rx = db!(self.db.begin_read())?;
        let t = db!(rx.open_table(AUDIT))?;
        let mut out = Vec::new();
        for item in db!(t.iter())?.rev().take(limit) {
            let (k, v) = db!(item)?;
            out.push(decode("audit", &k.value().to_string(), v.value())?);
        }
        Ok(out)
    }

    /// Test support (`store churn`): one transaction that adds an audit
    /// entry and counts it in `meta`, so a check can tell a half-written
    /// transaction (count and entries disagree) from a whole one.
    pub(crate) fn churn_once(&self, now_ms: i64) -> Result<(), StoreError> {
        let tx = db!(self.db.begin_write())?;
        {
            let mut meta = db!(tx.open_table(META))?;
            let n = db!(meta.get(KEY_CHURN))?.map_or(0, |v| v.value());
            db!(meta.insert(KEY_CHURN, n + 1))?;
        }
        let by = Actor {
            name: "churn",
            now_ms,
        };
        audit(&tx, self.audit_keep, by, "churn", "-")?;
        db!(tx.commit())
    }

    /// Reads every table whole and checks what ties them: each entry
    /// decodes, each session and token names a user, the churn count
    /// equals its audit entries. Returns a summary line.
    pub fn check(&self) -> Result<String, StoreError> {
        let users = self.users()?;
        let names: std::collections::HashSet<&str> =
            users.iter().map(|u| u.username.as_str()).collect();
        let rx = db!(self.db.begin_read())?;
        let sessions = db!(rx.open_table(SESSIONS))?;
        let mut n_sessions = 0;
        for item in db!(sessions.iter())? {
            let (k, v) = db!(item)?;
            let s: Session = decode("sessions", &hex(k.value()), v.value())?;
            if !names.contains(s.username.as_str()) {
                return Err(StoreError::Invalid {
                    field: "sessions",
                    why: format!("a session of {}, who is not a user", s.username),
                });
            }
            n_sessions += 1;
        }
        let tokens = self.tokens()?;
        let audit = db!(rx.open_table(AUDIT))?;
        let mut churned = 0u64;
        let mut entries = 0u64;
        for item in db!(audit.iter())? {
            let (k, v) = db!(item)?;
            let e: AuditEntry = decode("audit", &k.value().to_string(), v.value())?;
            entries += 1;
            churned += u64::from(e.action == "churn");
        }
        let meta = db!(rx.open_table(META))?;
        let counted = db!(meta.get(KEY_CHURN))?.map_or(0, |v| v.value());
        if counted != churned {
            return Err(StoreError::Invalid {
                field: "audit",
                why: format!("{counted} churn transactions counted, {churned} logged"),
            });
        }
        Ok(format!(
            "schema {}, {} users, {n_sessions} sessions, {} tokens, {entries} audit entries, {counted} churned",
            self.schema_version()?,
            users.len(),
            tokens.len()
        ))
    }
}

fn throttle_keys(account: &str, address: &str) -> [String; 2] {
    [format!("account:{account}"), format!("address:{address}")]
}

/// What of a user's access ends with a change to the user.
enum Ends<'a> {
    Nothing,
    /// Their sessions but this one (the one changing the password).
    OtherSessions(Option<&'a [u8; 32]>),
    /// Their sessions and API tokens.
    All,
}

/// Ends the sessions of `username` but `keep`.
fn end_sessions_of(
    tx: &redb::WriteTransaction,
    username: &str,
    keep: Option<&[u8; 32]>,
) -> Result<(), StoreError> {
    let mut sessions = db!(tx.open_table(SESSIONS))?;
    db!(sessions.retain(|k, v| {
        keep.is_some_and(|keep| k == keep.as_slice())
            || serde_json::from_slice::<Session>(v).is_ok_and(|s| s.username != username)
    }))?;
    Ok(())
}

/// Removes the API tokens of `username` (a deleted or reset user).
fn revoke_tokens_of(tx: &redb::WriteTransaction, username: &str) -> Result<(), StoreError> {
    let mut tokens = db!(tx.open_table(TOKENS))?;
    db!(tokens.retain(|_, v| {
        serde_json::from_slice::<ApiToken>(v).is_ok_and(|t| t.username != username)
    }))?;
    Ok(())
}

/// Appends to the audit log, in the change's own transaction; at `keep`
/// entries the oldest goes.
fn audit(
    tx: &redb::WriteTransaction,
    keep: u64,
    by: Actor,
    action: &str,
    target: &str,
) -> Result<(), StoreError> {
    let mut t = db!(tx.open_table(AUDIT))?;
    let next = db!(t.last())?.map_or(0, |(k, _)| k.value() + 1);
    if db!(t.len())? >= keep {
        db!(t.pop_first())?;
    }
    let entry = AuditEntry {
        at_ms: by.now_ms,
        actor: by.name.to_string(),
        action: action.to_string(),
        target: target.to_string(),
    };
    db!(t.insert(next, encode(&entry).as_slice()))?;
    Ok(())
}

/// Schema 1 → 2: users' `groups_mask` (dash-live's bits) becomes a list of
/// group names; `last_login_ms` starts unknown.
fn migrate_1_to_2(tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    let mut t = db!(tx.open_table(USERS))?;
    let mut rewritten = Vec::new();
    for item in db!(t.iter())? {
        let (k, v) = db!(item)?;
        let mut json: serde_json::Value = decode("users", k.value(), v.value())?;
        if let Some(obj) = json.as_object_mut() {
            let mask = obj
                .remove("groups_mask")
                .and_then(|m| m.as_u64())
                .unwrap_or(0);
            let groups = Group::from_mask(mask);
            obj.insert(
                "groups".into(),
                serde_json::to_value(groups).unwrap_or_default(),
            );
            obj.entry("last_login_ms")
                .or_insert(serde_json::Value::Null);
        }
        let user: User = decode("users", k.value(), &encode(&json))?;
        rewritten.push(user);
    }
    for user in rewritten {
        db!(t.insert(user.username.as_str(), encode(&user).as_slice()))?;
    }
    Ok(())
}

/// Test support: a store as schema 1 wrote it (users with dash-live's bit
/// mask), for the migration test.
#[cfg(test)]
pub(crate) fn write_schema_1(path: &Path, users: &[(&str, u64)]) {
    let db = Database::create(path).unwrap();
    let tx = db.begin_write().unwrap();
    {
        let mut meta = tx.open_table(META).unwrap();
        meta.insert(KEY_SCHEMA, 1).unwrap();
        let mut t = tx.open_table(USERS).unwrap();
        for (name, mask) in users {
            let v = serde_json::json!({
                "username": name,
                "email": format!("{name}@example.com"),
                "hash": hash_password("old password 1").unwrap(),
                "groups_mask": mask,
                "must_change": false,
                "created_ms": 1,
            });
            t.insert(*name, serde_json::to_vec(&v).unwrap().as_slice())
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn by() -> Actor<'static> {
        Actor {
            name: "test",
            now_ms: NOW,
        }
    }

    fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("admin.redb")).unwrap();
        (dir, store)
    }

    #[test]
    fn a_schema_1_store_is_migrated_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.redb");
        write_schema_1(
            &path,
            &[("ann", 0x4000_0000), ("bob", 0x4 | 0x2), ("cy", 0)],
        );
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let ann = store.user("ann").unwrap().unwrap();
        assert_eq!(ann.groups, vec![Group::Admin]);
        assert!(ann.has(Group::Media));
        let bob = store.user("bob").unwrap().unwrap();
        assert_eq!(bob.groups, vec![Group::Media, Group::User]);
        assert!(!bob.has(Group::Admin));
        assert!(store.user("cy").unwrap().unwrap().groups.is_empty());
        assert!(verify_password("old password 1", &bob.hash));
        // Opening again finds nothing more to do.
        drop(store);
        let again = Store::open(&path).unwrap();
        assert_eq!(again.user("bob").unwrap().unwrap(), bob);
    }

    #[test]
    fn a_store_from_a_newer_dashlive_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.redb");
        drop(Store::open(&path).unwrap());
        {
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(META)
                .unwrap()
                .insert(KEY_SCHEMA, SCHEMA_VERSION + 1)
                .unwrap();
            tx.commit().unwrap();
        }
        let e = Store::open(&path).err().unwrap();
        assert!(e.to_string().contains("newer dashlive"), "{e}");
    }

    #[test]
    fn first_start_makes_one_admin_who_must_change_the_password() {
        let (_d, store) = open();
        let made = store.ensure_admin(NOW, "root", None).unwrap().unwrap();
        assert_eq!(made.len(), 20);
        let root = store.user("root").unwrap().unwrap();
        assert!(root.must_change && root.has(Group::Admin));
        assert!(verify_password(&made, &root.hash));
        assert!(!root.hash.contains(&made));
        // Not again once there are users.
        assert_eq!(store.ensure_admin(NOW, "other", Some("x")).unwrap(), None);
        assert_eq!(store.user_count().unwrap(), 1);
        let log = store.audit_log(10).unwrap();
        assert_eq!(
            (log[0].action.as_str(), log[0].actor.as_str()),
            ("user.add", "origin")
        );
    }

    #[test]
    fn sessions_expire_when_idle_or_old_and_are_stored_hashed() {
        let (_d, store) = open();
        store
            .add_user(by(), "ann", "", "password 123", &[Group::User], false)
            .unwrap();
        let (id, s) = store.login("ann", NOW).unwrap();
        assert!(store.session(&id, NOW + 1000).unwrap().is_some());
        assert!(store.session("forged", NOW).unwrap().is_none());
        // Idle: the timer restarts at each request (written once a minute).
        let mut t = NOW;
        for _ in 0..12 {
            t += SESSION_IDLE_MS - 1;
            assert!(store.session(&id, t).unwrap().is_some(), "at {t}");
        }
        // Absolute: over 12 h after login even though never idle.
        t += SESSION_IDLE_MS - 1;
        assert!(t - NOW > SESSION_MAX_MS);
        assert!(store.session(&id, t).unwrap().is_none());
        assert_eq!(
            store.session_count().unwrap(),
            0,
            "expired sessions are removed"
        );
        let (id2, _) = store.login("ann", NOW).unwrap();
        assert!(store
            .session(&id2, NOW + SESSION_IDLE_MS + 1)
            .unwrap()
            .is_none());
        assert_ne!(id, s.csrf);
    }

    #[test]
    fn throttling_locks_an_account_then_an_address_and_doubles() {
        let (_d, store) = open();
        store
            .add_user(by(), "ann", "", "password 123", &[], false)
            .unwrap();
        for i in 0..ACCOUNT_FAILURES {
            assert_eq!(
                store.gate("ann", "10.0.0.1", NOW).unwrap(),
                Gate::Open,
                "{i}"
            );
            store.login_failed(Some("ann"), "10.0.0.1", NOW).unwrap();
        }
        assert_eq!(store.gate("ann", "10.0.0.9", NOW).unwrap(), Gate::Wait(60));
        assert_eq!(
            store.gate("ann", "10.0.0.9", NOW + 60_000).unwrap(),
            Gate::Open
        );
        store
            .login_failed(Some("ann"), "10.0.0.1", NOW + 60_000)
            .unwrap();
        assert_eq!(
            store.gate("ann", "x", NOW + 60_000).unwrap(),
            Gate::Wait(120)
        );
        // An address trying many names is locked on its own count.
        for _ in 0..ADDRESS_FAILURES {
            store.login_failed(None, "10.0.0.2", NOW).unwrap();
        }
        assert!(matches!(
            store.gate("bob", "10.0.0.2", NOW).unwrap(),
            Gate::Wait(_)
        ));
        assert_eq!(store.gate("bob", "10.0.0.3", NOW).unwrap(), Gate::Open);
        // A success forgets the account's failures.
        store.login("ann", NOW + 200_000).unwrap();
        assert_eq!(
            store.gate("ann", "10.0.0.3", NOW + 200_000).unwrap(),
            Gate::Open
        );
    }

    #[test]
    fn the_audit_log_keeps_its_newest_entries() {
        let (_d, mut store) = open();
        store.audit_keep = 3;
        for i in 0..5 {
            store
                .login_failed(None, &format!("10.0.0.{i}"), NOW)
                .unwrap();
        }
        let log = store.audit_log(10).unwrap();
        let targets: Vec<&str> = log.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(targets, ["10.0.0.4", "10.0.0.3", "10.0.0.2"]);
    }

    #[test]
    fn tokens_are_hashed_revocable_and_expire() {
        let (_d, store) = open();
        store
            .add_user(by(), "ann", "", "password 123", &[Group::Media], false)
            .unwrap();
        let (secret, token) = store.add_token(by(), "ann", "ci", 1).unwrap();
        assert!(secret.starts_with("dlt_"));
        assert_eq!(
            store.token_user(&secret, NOW).unwrap().unwrap().username,
            "ann"
        );
        assert!(store
            .token_user(&secret, NOW + 86_400_000)
            .unwrap()
            .is_none());
        assert!(store.token_user("dlt_forged", NOW).unwrap().is_none());
        assert!(store.revoke_token(by(), &token.id).unwrap());
        assert!(store.token_user(&secret, NOW).unwrap().is_none());
        assert!(!store.revoke_token(by(), "nothing").unwrap());
    }

    #[test]
    fn a_reset_ends_sessions_and_a_delete_leaves_nothing_of_the_user() {
        let (_d, store) = open();
        store
            .add_user(by(), "ann", "", "password 123", &[], false)
            .unwrap();
        let (id, _) = store.login("ann", NOW).unwrap();
        let (secret, _) = store.add_token(by(), "ann", "", 30).unwrap();
        store.reset_password(by(), "ann", "new password 1").unwrap();
        assert!(store.session(&id, NOW).unwrap().is_none());
        assert!(store.token_user(&secret, NOW).unwrap().is_none());
        assert!(store.user("ann").unwrap().unwrap().must_change);
        let (id, _) = store.login("ann", NOW).unwrap();
        store.delete_user(by(), "ann").unwrap();
        assert!(store.session(&id, NOW).unwrap().is_none());
        assert!(matches!(
            store.delete_user(by(), "ann"),
            Err(StoreError::NoUser(_))
        ));
        store.check().unwrap();
    }
}
