//! The demo content: `config/demo.yaml` names what to generate, and
//! [`ensure`] generates it once, the first time the server starts.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{parse_ladder, parse_seconds, synth, Output, SynthError, SynthOptions};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoFile {
    synth: DemoSynth,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSynth {
    out: PathBuf,
    duration: serde_yaml::Value,
    segment: serde_yaml::Value,
    ladder: String,
    fps: u32,
    prefix: String,
}

fn seconds(file: &Path, field: &str, v: &serde_yaml::Value) -> Result<u64, SynthError> {
    let text = match v {
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::String(s) => s.clone(),
        _ => String::new(),
    };
    parse_seconds(&text)
        .map_err(|e| SynthError::Argument(format!("{}: synth.{field}: {e}", file.display())))
}

/// Reads the demo configuration into synth options, paths resolved against
/// the configuration file's folder.
pub fn load(config: &Path) -> Result<SynthOptions, SynthError> {
    let text = std::fs::read_to_string(config).map_err(|source| SynthError::Io {
        path: config.to_path_buf(),
        source,
    })?;
    let demo: DemoFile = serde_yaml::from_str(&text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(":{}:{}", l.line(), l.column()))
            .unwrap_or_default();
        SynthError::Argument(format!("{}{at}: {e}", config.display()))
    })?;
    let base = config.parent().unwrap_or(Path::new("."));
    let s = demo.synth;
    let mut o = SynthOptions::new(base.join(&s.out));
    o.duration_ms = seconds(config, "duration", &s.duration)?;
    o.segment_ms = seconds(config, "segment", &s.segment)?;
    o.ladder = parse_ladder(&s.ladder)
        .map_err(|e| SynthError::Argument(format!("{}: synth.ladder: {e}", config.display())))?;
    o.fps = s.fps;
    o.prefix = s.prefix;
    Ok(o)
}

/// What [`ensure`] found or did.
#[derive(Debug)]
pub enum Demo {
    /// Already there: the catalog entry synth wrote last.
    Present(PathBuf),
    Generated(Vec<Output>),
}

/// Generates the demo content unless its catalog entry (written after every
/// media file, so its presence means a complete run) already exists.
pub fn ensure(config: &Path) -> Result<Demo, SynthError> {
    let o = load(config)?;
    let entry = o.out.join(format!("{}.yaml", o.prefix));
    if entry.is_file() {
        return Ok(Demo::Present(entry));
    }
    synth(&o).map(Demo::Generated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_demo_config_loads_and_loops_exactly() {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.yaml");
        let o = load(&config).unwrap();
        assert!(o.out.ends_with("config/demo-media"));
        assert_eq!(o.ladder.len(), 3);
        super::super::check_timing(&o).unwrap();
    }

    #[test]
    fn unknown_fields_are_errors_with_a_location() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("demo.yaml");
        std::fs::write(&f, "synth:\n  out: x\n  duration: 1.92\n  segment: 0.96\n  ladder: 320x180@1m\n  fps: 25\n  prefix: t\n  colour: red\n").unwrap();
        let e = load(&f).unwrap_err().to_string();
        assert!(e.contains("demo.yaml:") && e.contains("colour"), "{e}");
    }

    #[test]
    fn generates_once_then_leaves_it_alone() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("demo.yaml");
        std::fs::write(&f, "synth:\n  out: media\n  duration: 1.92\n  segment: 0.96\n  ladder: 160x90@100k\n  fps: 25\n  prefix: t\n").unwrap();
        assert!(matches!(ensure(&f).unwrap(), Demo::Generated(ref v) if v.len() == 4));
        assert!(matches!(ensure(&f).unwrap(), Demo::Present(_)));
    }
}
