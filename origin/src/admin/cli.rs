//! `dashlive-origin user|token|store …`: the store from the command line,
//! while the origin is stopped (redb lets one process open the file; a
//! running origin's users are managed on its pages).

use std::io::BufRead as _;
use std::path::Path;

use anyhow::Context as _;
use clap::Subcommand;

use super::store::{self, Actor, Group, Store};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from stdin with --password-stdin,
    /// else made up and printed once. The user changes it at first login.
    Add {
        username: String,
        #[arg(long, default_value = "")]
        email: String,
        /// Comma-separated: admin, media, user.
        #[arg(long, value_delimiter = ',')]
        groups: Vec<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the users.
    List,
    /// Give a user a new random password (printed once); their sessions
    /// and API tokens end.
    Reset { username: String },
    /// Delete a user, with their sessions and tokens.
    Delete { username: String },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Issue an API token (`Authorization: Bearer …`) for a user, printed once.
    Add {
        username: String,
        #[arg(long, default_value_t = 30)]
        days: u32,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List the tokens (their ids, never the secrets).
    List,
    /// Revoke a token by its id.
    Revoke { id: String },
}

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Open (migrating it if older), read every table and check it.
    Check,
    /// Print the newest entries of the audit log (who changed what, when).
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Test support: N small write transactions, for the kill test.
    #[command(hide = true)]
    Churn { count: u64 },
}

fn now_ms() -> i64 {
    crate::time::unix_ms(std::time::SystemTime::now())
}

fn cli_actor() -> Actor<'static> {
    Actor {
        name: "cli",
        now_ms: now_ms(),
    }
}

fn open(path: Option<&Path>) -> anyhow::Result<Store> {
    let path = path.context(
        "no store: set DASHLIVE_STORE (or --store) to the admin store's file, such as admin.redb",
    )?;
    Store::open(path).with_context(|| format!("{}", path.display()))
}

pub fn user(path: Option<&Path>, cmd: &UserCommand) -> anyhow::Result<()> {
    let s = open(path)?;
    match cmd {
        UserCommand::Add {
            username,
            email,
            groups,
            password_stdin,
        } => {
            let groups = groups
                .iter()
                .map(|g| Group::parse(g.trim()))
                .collect::<Result<Vec<_>, _>>()?;
            let (password, made) = if *password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (store::random_password()?, true)
            };
            s.add_user(cli_actor(), username, email, &password, &groups, true)?;
            if made {
                println!(
                    "added {username}; password (shown once, to change at first login): {password}"
                );
            } else {
                println!("added {username} (to change the password at first login)");
            }
        }
        UserCommand::List => {
            for u in s.users()? {
                let groups: Vec<&str> = u.groups.iter().map(|g| g.name()).collect();
                println!(
                    "{}\t{}\t{}\t{}",
                    u.username,
                    if u.email.is_empty() { "-" } else { &u.email },
                    if groups.is_empty() {
                        "-".to_string()
                    } else {
                        groups.join(",")
                    },
                    if u.must_change { "must-change" } else { "" }
                );
            }
        }
        UserCommand::Reset { username } => {
            let password = store::random_password()?;
            s.reset_password(cli_actor(), username, &password)?;
            println!("{username}: new password (shown once, to change at next login): {password}");
        }
        UserCommand::Delete { username } => {
            s.delete_user(cli_actor(), username)?;
            println!("deleted {username}");
        }
    }
    Ok(())
}

pub fn token(path: Option<&Path>, cmd: &TokenCommand) -> anyhow::Result<()> {
    let s = open(path)?;
    match cmd {
        TokenCommand::Add {
            username,
            days,
            label,
        } => {
            let (secret, t) = s.add_token(cli_actor(), username, label, *days)?;
            println!(
                "token {} for {username}, {days} days (shown once):\n{secret}",
                t.id
            );
        }
        TokenCommand::List => {
            let now = now_ms();
            for t in s.tokens()? {
                let state = if t.revoked {
                    "revoked"
                } else if now >= t.expires_ms {
                    "expired"
                } else {
                    "valid"
                };
                println!("{}\t{}\t{state}\t{}", t.id, t.username, t.label);
            }
        }
        TokenCommand::Revoke { id } => {
            anyhow::ensure!(s.revoke_token(cli_actor(), id)?, "no token {id}");
            println!("revoked {id}");
        }
    }
    Ok(())
}

pub fn store(path: Option<&Path>, cmd: &StoreCommand) -> anyhow::Result<()> {
    let s = open(path)?;
    match cmd {
        StoreCommand::Check => println!("{}: {}", s.path().display(), s.check()?),
        StoreCommand::Audit { limit } => {
            for e in s.audit_log(*limit)? {
                let at = chrono::DateTime::from_timestamp_millis(e.at_ms)
                    .map_or_else(|| e.at_ms.to_string(), |t| t.to_rfc3339());
                println!("{at}\t{}\t{}\t{}", e.actor, e.action, e.target);
            }
        }
        StoreCommand::Churn { count } => {
            for _ in 0..*count {
                s.churn_once(now_ms())?;
            }
        }
    }
    Ok(())
}
