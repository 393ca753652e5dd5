//! dashlive-origin: serves the static tree and computes what depends on the
//! clock or the request (live manifests and segments, /time, manifests with
//! options). On start it makes sure the demo content exists and the tree is
//! up to date, building it when the catalog changed.

/// Per-request segment transforms allocate a few hundred KB each; see the
/// `mimalloc` line of `Cargo.toml` for why not the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod admin;
mod app;
#[cfg(test)]
mod app_tests;
mod body;
mod cors;
mod fault_cookie;
#[cfg(test)]
mod fault_tests;
mod live;
mod metrics;
mod panics;
mod play;
mod respond;
mod routes;
mod server;
mod settings;
mod state;
mod static_files;
#[cfg(test)]
mod swap_tests;
mod time;
mod trees;
mod validate_page;
#[cfg(test)]
mod validate_page_tests;
#[cfg(test)]
mod validate_tests;
mod watch;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use dashlive::media::synth::demo::{ensure, Demo};

#[derive(Parser)]
#[command(name = "dashlive-origin", version, about = "The dashlive live origin")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Port to listen on (settings: DASHLIVE_PORT; default 5000).
    #[arg(long)]
    port: Option<u16>,
    /// Address to listen on (settings: DASHLIVE_BIND).
    #[arg(long)]
    bind: Option<IpAddr>,
    /// The static tree to serve (settings: DASHLIVE_OUT; default: the catalog's output folder).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The catalog to build and serve (settings: DASHLIVE_CONFIG; default config).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The node_modules folder with dash.js and Shaka Player for the player
    /// pages (settings: DASHLIVE_PLAYERS; default origin/players/node_modules).
    #[arg(long)]
    players: Option<PathBuf>,
    /// The demo configuration; its test card is generated on first use.
    #[arg(long, default_value = "config/demo.yaml")]
    demo: PathBuf,
    /// A settings file to read instead of .env (also DASHLIVE_SETTINGS).
    #[arg(long)]
    settings: Option<PathBuf>,
    /// Serve the tree as it is, without checking the catalog or building.
    #[arg(long)]
    no_build: bool,
    /// The admin store (settings: DASHLIVE_STORE); unset, the admin pages are off.
    #[arg(long, global = true)]
    store: Option<PathBuf>,
    /// Build again whenever the catalog (config/) changes, and serve the new tree.
    #[arg(long, conflicts_with = "no_build")]
    watch: bool,
    /// The largest media upload the admin pages take, in MB (one request).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=4096))]
    max_upload_mb: u64,
    /// HTTP/1.1: seconds a client has to send a request's head, and so the
    /// longest a keep-alive connection waits for its next request
    /// (settings: DASHLIVE_HEADER_TIMEOUT; default 15).
    #[arg(long, value_name = "SECS")]
    header_timeout: Option<u64>,
    /// Seconds without a byte either way before a connection is closed
    /// (settings: DASHLIVE_IDLE_TIMEOUT; default 60).
    #[arg(long, value_name = "SECS")]
    idle_timeout: Option<u64>,
    /// Connections served at once; more wait until one closes (settings:
    /// DASHLIVE_MAX_CONNECTIONS; default: the descriptor limit less 64).
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
}

#[derive(Subcommand)]
enum Command {
    /// Write a settings file with fresh random secrets.
    GenSettings {
        /// Where to write it.
        #[arg(long, default_value = ".env")]
        output: PathBuf,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Manage the admin users in the store (with the origin stopped).
    #[command(subcommand)]
    User(admin::cli::UserCommand),
    /// Manage API tokens for scripts (with the origin stopped).
    #[command(subcommand)]
    Token(admin::cli::TokenCommand),
    /// Check the admin store.
    #[command(subcommand)]
    Store(admin::cli::StoreCommand),
}

fn init_logging() -> tracing_appender::non_blocking::WorkerGuard {
    use tracing_subscriber::EnvFilter;
    // The access log goes through a background writer: a request never
    // waits on the terminal.
    let (writer, guard) = tracing_appender::non_blocking(std::io::stdout());
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_target(false)
        .init();
    guard
}

fn prepare(
    cli: &Cli,
    config: &std::path::Path,
    out: Option<&std::path::Path>,
) -> anyhow::Result<PathBuf> {
    let started = Instant::now();
    if cli.demo.is_file() {
        match ensure(&cli.demo).with_context(|| format!("{}: demo content", cli.demo.display()))? {
            Demo::Present(_) => {}
            Demo::Generated(files) => println!(
                "generated the demo content ({} files) in {:.1} s",
                files.len(),
                started.elapsed().as_secs_f64()
            ),
        }
    }
    let r = dashlive::build::build(config, out)
        .with_context(|| format!("building {}", config.display()))?;
    if r.unchanged {
        println!("static tree: {} (up to date)", r.out.display());
    } else {
        println!(
            "static tree: {} built: {} streams, {} files in {:.1} s",
            r.out.display(),
            r.streams,
            r.files,
            r.seconds
        );
    }
    Ok(r.out)
}

/// Where the catalog builds to, for serving a previous tree when the build
/// failed: its site.yaml's `out`, else the default beside `config`.
fn catalog_out(config: &std::path::Path) -> PathBuf {
    dashlive::catalog::site::load(&config.join("site.yaml"))
        .map(|site| site.out)
        .unwrap_or_else(|_| dashlive::catalog::site::Site::default_for(config).out)
}

/// Descriptors left for connections: the process's limit less a margin for
/// the listener, the runtime, the files being mapped and a `--watch` build.
fn default_max_connections() -> usize {
    const MARGIN: u64 = 64;
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    limit.saturating_sub(MARGIN).clamp(16, 65_536) as usize
}

/// The admin side: the store opened (and migrated), and on first start
/// the default administrator, whose made-up password goes to stderr once
/// and nowhere else.
fn open_admin(
    path: &std::path::Path,
    settings: &settings::Settings,
) -> anyhow::Result<admin::Admin> {
    let store = admin::store::Store::open(path).with_context(|| format!("{}", path.display()))?;
    let now = time::unix_ms(std::time::SystemTime::now());
    let name = &settings.admin_username;
    if let Some(password) = store.ensure_admin(now, name, settings.admin_password.as_deref())? {
        eprintln!("created the admin user {name} with the password {password} (shown once; change it at first login)");
    }
    let mut admin = admin::Admin::new(store, settings.csrf_secret.as_deref())?;
    admin.trusted_proxies = settings.trusted_proxies.clone();
    Ok(admin)
}

fn main() -> std::process::ExitCode {
    // Errors name the file and the reason, without a backtrace (as the CLI does).
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dashlive-origin: {}", dashlive::error::report(e.as_ref()));
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::GenSettings { output, force }) = &cli.command {
        settings::generate_env_file(output, *force)?;
        println!("wrote {} with fresh secrets", output.display());
        return Ok(());
    }
    let overrides = settings::Overrides {
        port: cli.port,
        bind: cli.bind,
        out: cli.out.clone(),
        config: cli.config.clone(),
        players: cli.players.clone(),
        header_timeout: cli.header_timeout,
        idle_timeout: cli.idle_timeout,
        max_connections: cli.max_connections,
        settings_file: cli.settings.clone(),
        store: cli.store.clone(),
    };
    let settings = settings::Settings::from_process(&overrides)?;
    let store = settings.store.as_deref();
    match &cli.command {
        Some(Command::User(c)) => return admin::cli::user(store, c),
        Some(Command::Token(c)) => return admin::cli::token(store, c),
        Some(Command::Store(c)) => return admin::cli::store(store, c),
        _ => {}
    }
    let admin = match store {
        Some(path) => Some(open_admin(path, &settings)?),
        None => None,
    };
    let _log = init_logging();
    for w in &settings.warnings {
        tracing::warn!("settings: {w}");
    }
    let started = Instant::now();
    // An explicit output folder wins over the catalog's own.
    let explicit = cli.out.is_some() || std::env::var_os("DASHLIVE_OUT").is_some();
    let mut build_problem = None;
    let out = if cli.no_build {
        settings.out.clone()
    } else {
        match prepare(
            &cli,
            &settings.config,
            explicit.then_some(settings.out.as_path()),
        ) {
            Ok(out) => out,
            Err(e) => {
                // A previous tree that loads is served, and the build is
                // tried again when the catalog changes.
                let out = if explicit {
                    settings.out.clone()
                } else {
                    catalog_out(&settings.config)
                };
                let reason = dashlive::error::report(e.as_ref());
                if state::Tree::load(&out).is_err() {
                    return Err(e);
                }
                eprintln!(
                    "dashlive-origin: {reason}; serving the previous tree of {} until a build succeeds",
                    out.display()
                );
                build_problem = Some(reason);
                out
            }
        }
    };
    let watch_config = cli.watch || build_problem.is_some();
    let mut app = app::App::new(
        &out,
        settings.allowed_domains.clone(),
        play::Players::load(&settings.players),
    )
    .with_context(|| format!("{}: cannot serve", out.display()))?
    .with_fault_secret(match &settings.secret_key {
        Some(key) => fault_cookie::FaultSecret::new(key.as_bytes()),
        None => {
            tracing::warn!(
                "no secret key in the settings: failures= counts are signed with a key of \
                 this process, so other origins and a restart do not read them"
            );
            fault_cookie::FaultSecret::random()
        }
    });
    app.validation = crate::validate_page::Validation::fetching_for(&settings.validate_deny);
    app.admin = admin.map(|mut a| {
        // The stream pages edit the catalog this origin builds.
        if !cli.no_build {
            let out = explicit.then_some(settings.out.as_path());
            let cap = cli.max_upload_mb << 20;
            a.catalog = Some(admin::catalog::Catalog::new(&settings.config, out, cap));
        }
        a
    });
    let app = Arc::new(app);
    app.trees.set_build_problem(build_problem);
    let streams = app.snapshot().tree.streams.len();
    let limits = server::Limits {
        header_timeout: std::time::Duration::from_secs(settings.header_timeout),
        idle_timeout: std::time::Duration::from_secs(settings.idle_timeout),
        max_connections: settings
            .max_connections
            .unwrap_or_else(default_max_connections),
    };
    let addr = SocketAddr::new(settings.bind, settings.port);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        println!(
            "dashlive-origin {} serving {} ({streams} streams) on http://{local}/ (ready in {} ms)",
            env!("CARGO_PKG_VERSION"),
            out.display(),
            started.elapsed().as_millis()
        );
        tokio::spawn(server::watch_tree(app.clone()));
        if watch_config {
            watch::spawn(
                app.clone(),
                settings.config.clone(),
                explicit.then(|| settings.out.clone()),
            );
        }
        server::serve(app, listener, limits, server::shutdown_signal()).await?;
        anyhow::Ok(())
    })
}

#[cfg(test)]
mod cli_tests {
    use clap::CommandFactory;

    /// The README is where users learn the flags: each one the origin takes
    /// (and its subcommands take) must be named there.
    #[test]
    fn the_readme_names_every_flag() {
        let readme = include_str!("../../README.md");
        let cli = super::Cli::command();
        let mut missing = Vec::new();
        for cmd in std::iter::once(&cli).chain(cli.get_subcommands()) {
            if cmd.get_name() != cli.get_name() && !readme.contains(cmd.get_name()) {
                missing.push(cmd.get_name().to_string());
            }
            for long in cmd.get_arguments().filter_map(|a| a.get_long()) {
                if long != "help" && !readme.contains(&format!("`--{long}")) {
                    missing.push(format!("--{long}"));
                }
            }
        }
        assert!(missing.is_empty(), "not in README.md: {missing:?}");
    }
}
