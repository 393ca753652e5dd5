//! The `dashlive` command line: inspect and index media (build, synth and
//! the rest arrive with their issues).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use dashlive::catalog::Catalog;
use dashlive::media::synth::{self, SynthOptions};
use dashlive::media::{index_file, Representation};
use dashlive::mp4::inspect::{inspect, render_text, select, TextOptions};

/// Prints a line to stdout. A closed pipe (`dashlive options | head`) ends the
/// program quietly, as it does any Unix filter, instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($t)*) {
            stdout_failed(e)
        }
    }};
}

/// As [`out!`], without the newline.
macro_rules! out_raw {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($t)*) {
            stdout_failed(e)
        }
    }};
}

fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("dashlive: writing to stdout: {e}");
    std::process::exit(1);
}

#[derive(Parser)]
#[command(
    name = "dashlive",
    version,
    about = "MPEG-DASH test streams: build, inspect, index"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the box tree of an MP4 file with every parsed field (an `emsg` of
    /// SCTE-35 with its splice_info_section decoded); of an `.mpd`, its
    /// SCTE-35 Events decoded.
    Inspect {
        /// An MP4 file; or a pssh box or PlayReady Object, as a file or as base64.
        file: PathBuf,
        /// List the segment index (number, offset, size, decode time, duration) instead.
        #[arg(long)]
        segments: bool,
        /// Show only boxes at this path, e.g. `moov/trak/mdia/minf/stbl/stsd` or `moof[2]/traf`.
        #[arg(long = "box", value_name = "PATH")]
        box_path: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Show every entry of long lists (trun samples, senc IVs) in text output.
        #[arg(long)]
        full: bool,
    },
    /// Generate rights-free test-card content: an H.264 ladder, AAC audio with a
    /// beep every second, and TTML and WebVTT subtitles, all looping exactly.
    Synth {
        /// Folder to write the files and their catalog entry (PREFIX.yaml) into.
        #[arg(long)]
        out: PathBuf,
        /// Total length in seconds: a whole number of segments.
        #[arg(long, default_value = synth::DEFAULT_DURATION)]
        duration: String,
        /// Segment length in seconds: whole video and AAC frames (0.32 s steps at 25 fps).
        #[arg(long, default_value = synth::DEFAULT_SEGMENT)]
        segment: String,
        /// Video rungs, WIDTHxHEIGHT@BITRATE separated by commas.
        #[arg(long, default_value = synth::DEFAULT_LADDER)]
        ladder: String,
        #[arg(long, default_value_t = 25)]
        fps: u32,
        /// File name prefix, and the stream's directory name in the catalog entry.
        #[arg(long, default_value = "testcard")]
        prefix: String,
    },
    /// Build the static tree: every VOD and on-demand manifest, every segment,
    /// the on-demand files and the index the origin serves live streams from.
    Build {
        #[arg(long, default_value = "config")]
        config: PathBuf,
        /// Output folder (default: the site's `out`, normally ./out).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List every query option: names, syntax, default, where it applies, what it does.
    Options {
        #[arg(long)]
        json: bool,
    },
    /// Check or extend the catalog (config/site.yaml, config/streams/*.yaml).
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Content keys: derive PlayReady test keys, or make a random pair.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Check a DASH manifest and its segments: exit 0 without errors, 1 with
    /// errors, 2 when it could not be checked.
    Validate(ValidateArgs),
    /// Index fragmented MP4 files: the DASH Representation each one gives.
    Index {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Create or update streams on a running origin from dash-live upload
    /// files (v1 or v2): the streams, their keys, their media (beside the
    /// JSON), then their timing references.
    Upload {
        #[command(flatten)]
        server: ServerArgs,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write the catalog and media of a running dashlive origin (or a
    /// dash-live server) into DEST as a config folder `dashlive build` takes.
    Download {
        #[command(flatten)]
        server: ServerArgs,
        /// dashlive, dash-live, or auto (asks the server).
        #[arg(long, default_value = "auto")]
        from: String,
        dest: PathBuf,
    },
}

/// The server the upload and download commands talk to, and who we are there.
#[derive(clap::Args)]
struct ServerArgs {
    #[arg(long, default_value = "http://localhost:5000")]
    host: String,
    /// An API token (`dashlive-origin --store F token add USER`).
    #[arg(long, conflicts_with_all = ["username", "password"])]
    token: Option<String>,
    #[arg(long, requires = "password")]
    username: Option<String>,
    #[arg(long, requires = "username")]
    password: Option<String>,
}

impl ServerArgs {
    fn auth(&self) -> dashlive::transfer::client::Auth {
        use dashlive::transfer::client::Auth;
        match (&self.token, &self.username, &self.password) {
            (Some(t), _, _) => Auth::Token(t.clone()),
            (None, Some(u), Some(p)) => Auth::Login {
                username: u.clone(),
                password: p.clone(),
            },
            _ => Auth::Anonymous,
        }
    }
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print the key PlayReady's test server derives for each KID (hex, 32 digits).
    Compute {
        #[arg(required = true)]
        kids: Vec<String>,
    },
    /// Print a random KID and key as a stream file's `keys:` entry.
    New,
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Validate every file of the catalog and index its media, without building.
    Check {
        #[arg(long, default_value = "config")]
        config: PathBuf,
    },
    /// Write stream files from a dash-live upload file (format v2).
    Import {
        file: PathBuf,
        #[arg(long, default_value = "config")]
        config: PathBuf,
        /// Replace stream files that exist already.
        #[arg(long)]
        force: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => return cmd_validate(&args),
        Command::Inspect {
            file,
            segments,
            box_path,
            json,
            full,
        } => {
            if segments {
                cmd_segments(&file, json)
            } else {
                cmd_inspect(&file, box_path.as_deref(), json, full)
            }
        }
        Command::Index { files, json } => cmd_index(&files, json),
        Command::Build { config, out } => cmd_build(&config, out.as_deref()),
        Command::Upload { server, files } => cmd_upload(&server, &files),
        Command::Download { server, from, dest } => cmd_download(&server, &from, &dest),
        Command::Options { json } => cmd_options(json),
        Command::Keys { command } => cmd_keys(command),
        Command::Catalog { command } => match command {
            CatalogCommand::Check { config } => cmd_catalog_check(&config),
            CatalogCommand::Import {
                file,
                config,
                force,
            } => cmd_catalog_import(&file, &config, force),
        },
        Command::Synth {
            out,
            duration,
            segment,
            ladder,
            fps,
            prefix,
        } => cmd_synth(out, &duration, &segment, &ladder, fps, prefix),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("dashlive: {}", dashlive::error::report(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// Prints the key lines: explicit keys reveal themselves here, on the
/// terminal of whoever asked, never in a log.
fn cmd_keys(command: KeysCommand) -> Result<bool> {
    use dashlive::drm::keys::{hex, random_pair, ContentKey, Kid};
    match command {
        KeysCommand::Compute { kids } => {
            for text in kids {
                let kid = Kid::parse(&text).map_err(|e| anyhow::anyhow!("kid {e}"))?;
                let key = ContentKey::playready_test(&kid);
                out!("kid {} key {}", kid.hex(), hex(key.expose()));
            }
        }
        KeysCommand::New => {
            let pair = random_pair().map_err(|e| anyhow::anyhow!("no random numbers: {e}"))?;
            out!("keys:");
            out!("  - kid: {}", pair.kid.hex());
            out!("    key: {}", hex(pair.key.expose()));
        }
    }
    Ok(true)
}

/// Prints the tree; returns false when the file had errors (printed after the tree).
/// A `pssh` box or PlayReady Object (a file, or base64 given in place of
/// the file name) is decoded instead, its WRMHEADER shown.
fn cmd_inspect(file: &Path, box_path: Option<&str>, json: bool, full: bool) -> Result<bool> {
    if file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mpd"))
    {
        return cmd_inspect_mpd(file, json);
    }
    use dashlive::drm::describe::{bytes_of, describe};
    let given = match std::fs::read(file) {
        Ok(b) if b.len() < 1 << 20 => Some(b),
        Ok(_) => None,
        Err(_) => Some(file.as_os_str().as_encoded_bytes().to_vec()),
    };
    if let Some(text) = given.as_deref().map(bytes_of).as_deref().and_then(describe) {
        out_raw!("{text}");
        return Ok(true);
    }
    let f = std::fs::File::open(file).with_context(|| format!("{}", file.display()))?;
    let len = f
        .metadata()
        .with_context(|| format!("{}", file.display()))?
        .len();
    let report = inspect(std::io::BufReader::new(f), len);
    let mut shown = Vec::new();
    match box_path {
        Some(sel) => select(&report.boxes, sel, &mut shown),
        None => shown.extend(report.boxes.iter()),
    }
    if json {
        let value = serde_json::json!({
            "file": file.display().to_string(),
            "boxes": shown,
            "errors": report.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        });
        out!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        let opts = TextOptions {
            max_entries: if full { usize::MAX } else { 8 },
        };
        out_raw!("{}", render_text(&shown, opts));
    }
    if let Some(sel) = box_path {
        if shown.is_empty() && report.errors.is_empty() {
            eprintln!("dashlive: {}: no box at {sel}", file.display());
            return Ok(false);
        }
    }
    for e in &report.errors {
        eprintln!("dashlive: {}: {e}", file.display());
    }
    Ok(report.errors.is_empty())
}

/// The SCTE-35 Events of an MPD, decoded: one line each (or JSON). False
/// when one does not decode.
fn cmd_inspect_mpd(file: &Path, json: bool) -> Result<bool> {
    let xml = std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?;
    let found = dashlive::mpd::events::find_scte35(&xml)
        .with_context(|| format!("{}: not well-formed XML", file.display()))?;
    if json {
        out!("{}", serde_json::to_string_pretty(&found)?);
    } else {
        if found.is_empty() {
            out!("{}: no SCTE-35 Event", file.display());
        }
        for f in &found {
            let at = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            let section = match &f.section {
                Ok(s) => serde_json::to_string(s)?,
                Err(e) => format!("error: {e}"),
            };
            out!(
                "Event id={} presentationTime={} duration={} {}: {section}",
                at(&f.id),
                at(&f.presentation_time),
                at(&f.duration),
                f.scheme_id_uri
            );
        }
    }
    Ok(found.iter().all(|f| f.section.is_ok()))
}

/// One line of `inspect --segments`: a segment and its `$Number$` (none for
/// the init segment).
#[derive(serde::Serialize)]
struct SegmentRow<'a> {
    number: Option<u64>,
    #[serde(flatten)]
    segment: &'a dashlive::media::Segment,
}

fn cmd_segments(file: &Path, json: bool) -> Result<bool> {
    let rep = index_file(file)?;
    let rows: Vec<SegmentRow> = rep
        .segments
        .iter()
        .enumerate()
        .map(|(i, segment)| SegmentRow {
            number: (i > 0).then(|| u64::from(rep.start_number) + i as u64 - 1),
            segment,
        })
        .collect();
    if json {
        out!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(true);
    }
    out!(
        "{:>6} {:>12} {:>10} {:>14} {:>10}",
        "number",
        "offset",
        "size",
        "decode_time",
        "duration"
    );
    for r in &rows {
        let number = r.number.map_or("init".to_string(), |n| n.to_string());
        let s = r.segment;
        out!(
            "{number:>6} {:>12} {:>10} {:>14} {:>10}",
            s.offset,
            s.size,
            s.decode_time,
            s.duration
        );
    }
    Ok(true)
}

fn cmd_index(files: &[PathBuf], json: bool) -> Result<bool> {
    let mut reps = Vec::new();
    let mut ok = true;
    for f in files {
        match index_file(f) {
            Ok(r) => reps.push(r),
            Err(e) => {
                eprintln!("dashlive: {e}");
                ok = false;
            }
        }
    }
    if json {
        out!("{}", serde_json::to_string_pretty(&reps)?);
    } else {
        for r in &reps {
            out_raw!("{}", describe(r));
        }
    }
    Ok(ok)
}

fn describe(r: &Representation) -> String {
    let secs = |t: u64| t as f64 / f64::from(r.timescale.max(1));
    let mut s = format!(
        "{} ({}): {} {} track {} lang {}\n  timescale {}, {} segments of {:.3} s, {:.3} s in all, start number {}, start time {}\n  bitrate {} bit/s, max {} bit/s\n",
        r.id,
        r.filename,
        r.content_type.as_str(),
        r.codecs,
        r.track_id,
        r.language,
        r.timescale,
        r.media_segments().len(),
        secs(r.segment_duration),
        secs(r.media_duration),
        r.start_number,
        r.start_time,
        r.bitrate,
        r.max_bitrate,
    );
    if let (Some(w), Some(h)) = (r.width, r.height) {
        s += &format!(
            "  {w}x{h}, {} fps, sar {}\n",
            r.frame_rate.map(|f| f.to_string()).unwrap_or("?".into()),
            r.sar.as_deref().unwrap_or("?")
        );
    }
    if let Some(rate) = r.sample_rate {
        s += &format!("  {rate} Hz, {} channels\n", r.channels.unwrap_or(0));
    }
    if let Some(e) = &r.encryption {
        s += &format!(
            "  encrypted ({}): default KID {}, IV size {}, KIDs {}\n",
            e.scheme,
            e.default_kid,
            e.iv_size,
            e.kids.join(",")
        );
    }
    s
}

fn cmd_synth(
    out: PathBuf,
    duration: &str,
    segment: &str,
    ladder: &str,
    fps: u32,
    prefix: String,
) -> Result<bool> {
    let mut o = SynthOptions::new(out);
    o.duration_ms =
        synth::parse_seconds(duration).map_err(|e| anyhow::anyhow!("--duration {e}"))?;
    o.segment_ms = synth::parse_seconds(segment).map_err(|e| anyhow::anyhow!("--segment {e}"))?;
    o.ladder = synth::parse_ladder(ladder).map_err(|e| anyhow::anyhow!("--ladder {e}"))?;
    o.fps = fps;
    o.prefix = prefix;
    let started = std::time::Instant::now();
    let outputs = synth::synth(&o)?;
    let secs = started.elapsed().as_secs_f64();
    for x in &outputs {
        out!("{:>6} {:>10} bytes  {}", x.kind, x.bytes, x.file.display());
    }
    out!(
        "{} files, {:.2} s of media in {secs:.2} s ({:.2}x real time); catalog entry {}",
        outputs.len(),
        o.duration_ms as f64 / 1000.0,
        o.duration_ms as f64 / 1000.0 / secs.max(1e-9),
        o.out.join(format!("{}.yaml", o.prefix)).display()
    );
    Ok(true)
}

fn cmd_catalog_check(config: &Path) -> Result<bool> {
    let report = |e: dashlive::catalog::CatalogErrors| {
        for line in e.0 {
            eprintln!("dashlive: {line}");
        }
        Ok(false)
    };
    let catalog = match Catalog::load(config) {
        Ok(c) => c,
        Err(e) => return report(e),
    };
    let indexed = match catalog.index() {
        Ok(i) => i,
        Err(e) => return report(e),
    };
    for s in &indexed {
        for w in s.warnings() {
            eprintln!("dashlive: warning: {w}");
        }
        let reps: Vec<String> = s
            .representations
            .iter()
            .map(|r| format!("{} ({})", r.id, r.codecs))
            .collect();
        out!(
            "{}: {} — {} representations: {}",
            s.stream.directory,
            s.stream.title,
            reps.len(),
            reps.join(", ")
        );
    }
    let programmes = match catalog.programmes(&indexed) {
        Ok((programmes, notes)) => {
            for n in notes {
                eprintln!("dashlive: note: {n}");
            }
            programmes
        }
        Err(e) => return report(e),
    };
    for p in &programmes {
        let periods: Vec<String> = p
            .periods
            .iter()
            .map(|q| format!("{} ({})", q.id, q.stream))
            .collect();
        out!(
            "mps {}: {} — periods {}",
            p.name,
            p.title,
            periods.join(", ")
        );
    }
    out!(
        "{}: {} streams, {} multi-period programmes, site writes to {}",
        config.display(),
        indexed.len(),
        programmes.len(),
        catalog.site.out.display()
    );
    Ok(true)
}

fn cmd_catalog_import(file: &Path, config: &Path, force: bool) -> Result<bool> {
    for written in dashlive::catalog::import::import(file, config, force)? {
        out!("wrote {}", written.display());
    }
    Ok(true)
}

fn cmd_upload(server: &ServerArgs, files: &[PathBuf]) -> Result<bool> {
    use dashlive::transfer::{client::Client, upload, Stderr};
    let client = Client::connect(&server.host, &server.auth())?;
    for file in files {
        upload::upload_file(&client, file, &Stderr)?;
    }
    Ok(true)
}

fn cmd_download(server: &ServerArgs, from: &str, dest: &Path) -> Result<bool> {
    use dashlive::transfer::{client, download, Stderr};
    let source = match from {
        "dashlive" => Some(download::Source::Dashlive),
        "dash-live" => Some(download::Source::DashLive),
        "auto" => None,
        other => anyhow::bail!("--from {other:?}: dashlive, dash-live or auto"),
    };
    let source = match source {
        Some(s) => s,
        None => download::detect(&client::Client::connect(
            &server.host,
            &client::Auth::Anonymous,
        )?)?,
    };
    let c = match source {
        // dash-live's stream list is public; its key values only for its
        // media group, so a login (or an upload token) brings them too.
        download::Source::DashLive => {
            let mut c = client::Client::connect(&server.host, &client::Auth::Anonymous)?;
            c.login_dash_live(&server.auth())?;
            c
        }
        download::Source::Dashlive => client::Client::connect(&server.host, &server.auth())?,
    };
    for written in download::download(&c, source, dest, &Stderr)? {
        out!("wrote {}", written.display());
    }
    Ok(true)
}

/// A progress bar on a terminal; nothing otherwise (the summary line says it all).
struct Bar(indicatif::ProgressBar);

impl dashlive::build::Progress for Bar {
    fn start(&self, segments: u64) {
        self.0.set_length(segments);
    }
    fn segment_done(&self) {
        self.0.inc(1);
    }
    fn waiting(&self, lock: &Path) {
        // Said whether or not stderr is a terminal: a build that seems to
        // hang should say what it waits for.
        self.0.suspend(|| {
            eprintln!(
                "dashlive: another build holds {}; waiting for it to finish",
                lock.display()
            )
        });
    }
}

fn cmd_build(config: &Path, out: Option<&Path>) -> Result<bool> {
    use std::io::IsTerminal;
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "cutting {bar:40} {pos}/{len} segments {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let r = dashlive::build::build_with(config, out, &Bar(bar.clone()));
    bar.finish_and_clear();
    let r = r?;
    if r.unchanged {
        out!(
            "{}: up to date ({} streams), nothing written in {:.3} s",
            r.out.display(),
            r.streams,
            r.seconds
        );
    } else {
        out!(
            "{}: {} streams, {} files, {:.1} MB in {:.2} s",
            r.out.display(),
            r.streams,
            r.files,
            r.bytes as f64 / 1e6,
            r.seconds
        );
    }
    Ok(true)
}

fn cmd_options(json: bool) -> Result<bool> {
    let docs = dashlive::options::describe();
    if json {
        out!("{}", serde_json::to_string_pretty(&docs)?);
        return Ok(true);
    }
    for d in &docs {
        let values = if d.choices.is_empty() {
            d.syntax.to_string()
        } else {
            d.choices.join("|")
        };
        out!(
            "{} ({}, {}) = {}   [{}] {}",
            d.cgi,
            d.short,
            d.full,
            d.default,
            d.usage,
            values
        );
        out!("    {}", d.help);
    }
    out!("{} options; usage letters: M manifest, V/A/T video/audio/text segments, Ti /time, H player page", docs.len());
    Ok(true)
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// The manifest: an http(s) URL or a file (its segments resolve beside it).
    manifest: String,
    /// Media segments checked per Representation: the first, the last and
    /// spread between (default: every one; 0: the manifest only).
    #[arg(long)]
    segments: Option<usize>,
    /// The stream is meant to be encrypted: check that it is signalled so.
    #[arg(long)]
    encrypted: bool,
    /// Findings as JSON.
    #[arg(long)]
    json: bool,
    /// Folder holding DASH-MPD.xsd (checked with xmllint when installed).
    #[arg(long, default_value = "../shared/reference/schema")]
    schema: PathBuf,
    /// Segments fetched at once.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// A live MPD: refresh it for this many seconds (every
    /// minimumUpdatePeriod, through its PatchLocation when it has one) and
    /// check that its timeline moves as the clock does.
    #[arg(long, default_value_t = 0)]
    duration: u32,
    /// Write the manifest and its segments as a catalog stream here
    /// (`dashlive build --config DIR/config` takes it).
    #[arg(long)]
    save: Option<PathBuf>,
}

/// The validator's events on a terminal: a progress line, the live notes;
/// the findings kept for the report.
struct CliSink {
    terminal: bool,
    /// Why a patch was not used goes to stderr whenever the report is text.
    reloads: bool,
    findings: std::sync::Mutex<Vec<dashlive::validate::Finding>>,
}

impl dashlive::validate::run::Sink for CliSink {
    fn emit(&self, event: dashlive::validate::run::Event) -> bool {
        use dashlive::validate::run::Event;
        match event {
            Event::Finding(f) => {
                if let Ok(mut all) = self.findings.lock() {
                    all.push(f);
                }
            }
            Event::Progress {
                stage: "segments",
                done,
                total,
                ..
            } if self.terminal => eprint!("\rsegments {done}/{total}"),
            Event::Progress {
                note: Some(note), ..
            } => {
                if self.terminal {
                    eprintln!("\r\x1b[K{note}");
                } else if self.reloads && note.starts_with("full reload") {
                    eprintln!("{note}");
                }
            }
            _ => {}
        }
        true
    }
    fn stop(&self) -> Option<String> {
        None
    }
}

fn cmd_validate(a: &ValidateArgs) -> ExitCode {
    use dashlive::validate::{fetch::Web, has_errors, report, Options, Validator};
    use std::io::IsTerminal;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let options = Options {
        encrypted: a.encrypted,
        segments: a.segments,
        schema: Some(a.schema.clone()),
        now_ms: Some(now_ms),
        connections: a.connections.clamp(1, 64),
    };
    let web = Web::default();
    let v = match Validator::load(&web, &a.manifest, options) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("dashlive validate: {e}");
            return ExitCode::from(2);
        }
    };
    let terminal = std::io::stderr().is_terminal() && !a.json;
    let sink = CliSink {
        terminal,
        reloads: !a.json,
        findings: std::sync::Mutex::new(Vec::new()),
    };
    let summary = dashlive::validate::run::check(
        &v,
        &web,
        &dashlive::validate::live::SystemClock,
        i64::from(a.duration) * 1000,
        &sink,
    );
    if terminal {
        eprint!("\r\x1b[K");
    }
    let findings = sink.findings.into_inner().unwrap_or_default();
    if let Some(dir) = &a.save {
        match dashlive::validate::save::save(&v, &web, dir) {
            Ok(file) => eprintln!("saved: {}", file.display()),
            Err(e) => {
                eprintln!("dashlive validate --save: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if a.json {
        out!(
            "{}",
            report::json(&a.manifest, &findings, summary.segments_checked)
        );
    } else {
        out_raw!("{}", report::text(&a.manifest, &findings));
    }
    if has_errors(&findings) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
