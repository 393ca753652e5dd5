//! Indexing throughput (see docs/benchmarks.md).
//!
//! * `index/bbb_v6`: `index_file` on the BBB test file `bbb_v6.mp4` (from
//!   `$DASHLIVE_TEST_MEDIA/bbb`, default `../shared/media/bbb`); skipped with a
//!   note when the media is absent.
//! * `index/synthetic_4gib`: `index_file` on a synthetic fragmented MP4 of
//!   1024 fragments with 4 MiB `mdat`s each (4 GiB in all), written as a
//!   sparse file so that building it costs neither time nor disk. Indexing
//!   reads only box headers and `moof`s, so its time grows with the number of
//!   fragments, not bytes; the throughput figure shows by how much.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dashlive::media::index_file;

#[path = "../tests/common/fmp4.rs"]
mod fmp4;

use fmp4::Spec;

/// Fragments in the synthetic file.
const FRAGMENTS: usize = 1024;
/// Samples per fragment and bytes per sample: 128 × 32 KiB = a 4 MiB mdat.
const SAMPLES: u32 = 128;
const SAMPLE_SIZE: u32 = 32 << 10;

fn media_dir() -> PathBuf {
    std::env::var_os("DASHLIVE_TEST_MEDIA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/media"))
        .join("bbb")
}

/// The `moof` of fragment `index` (as [`fmp4::fragment`] builds it) followed
/// by the header of its `mdat`, whose payload of `samples × sample_size`
/// bytes the caller leaves as a hole.
fn moof_and_mdat_header(spec: &Spec, index: usize) -> (Vec<u8>, u64) {
    let n = spec.samples_per_fragment;
    let mut out = fmp4::moof(spec, index);
    let payload = u64::from(n) * u64::from(spec.sample_size);
    let mdat_size = u32::try_from(8 + payload).expect("mdat fits a 32-bit size");
    out.extend_from_slice(&mdat_size.to_be_bytes());
    out.extend_from_slice(b"mdat");
    (out, payload)
}

/// Writes the synthetic file: real init segment and moofs, sparse mdat payloads.
fn write_synthetic(path: &Path) -> std::io::Result<u64> {
    let spec = Spec {
        fragments: FRAGMENTS,
        samples_per_fragment: SAMPLES,
        sample_size: SAMPLE_SIZE,
        ..Spec::default()
    };
    let mut w = BufWriter::new(File::create(path)?);
    w.write_all(&fmp4::init_segment(&spec))?;
    for i in 0..spec.fragments {
        let (head, hole) = moof_and_mdat_header(&spec, i);
        w.write_all(&head)?;
        w.seek(SeekFrom::Current(hole as i64))?;
    }
    let len = w.stream_position()?;
    let f = w.into_inner().map_err(|e| e.into_error())?;
    // The last mdat's payload is a hole at the end: extend the file over it.
    f.set_len(len)?;
    Ok(len)
}

fn bench_bbb(c: &mut Criterion) {
    let path = media_dir().join("bbb_v6.mp4");
    let Ok(meta) = std::fs::metadata(&path) else {
        eprintln!(
            "index/bbb_v6: skipped: no {} (set DASHLIVE_TEST_MEDIA)",
            path.display()
        );
        return;
    };
    let mut g = c.benchmark_group("index");
    g.throughput(Throughput::Bytes(meta.len()));
    g.bench_function("bbb_v6", |b| {
        b.iter(|| index_file(black_box(&path)).expect("bbb_v6.mp4 indexes"))
    });
    g.finish();
}

fn bench_synthetic(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("synthetic.mp4");
    let len = write_synthetic(&path).expect("write the synthetic file");
    let rep = index_file(&path).expect("the synthetic file indexes");
    assert_eq!(rep.media_segments().len(), FRAGMENTS);
    let mut g = c.benchmark_group("index");
    g.throughput(Throughput::Bytes(len));
    g.bench_function("synthetic_4gib", |b| {
        b.iter(|| index_file(black_box(&path)).expect("synthetic file indexes"))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_bbb, bench_synthetic
}
criterion_main!(benches);
