//! In-band events: what the origin adds to a video segment request with
//! `events=ping,scte35` (reference §6), against the same segment without.
//!
//! The segment is BBB's `bbb_v6.mp4` (1080p) media segment 5, from
//! `$DASHLIVE_TEST_MEDIA/bbb` (default `../shared/media/bbb`); skipped with a
//! note when absent.
//!
//! * `emsg/plain`: the copy a live segment costs anyway (the origin copies
//!   the part it patches; here the whole segment, the upper bound).
//! * `emsg/ping_scte35`: planning (`serve::transform::plan`: the generators,
//!   the events in the segment, their `emsg` boxes and SCTE-35 sections,
//!   made once per segment) and running it (`transform::apply`: the segment
//!   copied once with the boxes before its `moof`), an event every 0.5 s of
//!   each kind, so 8 `emsg` boxes in a 2 s segment.
//! * `emsg/apply_only`: running the planned insertion alone.
//!
//! Throughput is the segment's bytes.

use std::hint::black_box;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dashlive::media::index_file;
use dashlive::options::{Mode, Options};
use dashlive::serve::transform::{apply, plan, SegmentAt};

fn emsg(c: &mut Criterion) {
    let path = std::env::var_os("DASHLIVE_TEST_MEDIA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/media"))
        .join("bbb/bbb_v6.mp4");
    let rep = match index_file(&path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "emsg: skipped: {}: {e} (set DASHLIVE_TEST_MEDIA)",
                path.display()
            );
            return;
        }
    };
    let index = 5;
    let seg = rep.segments[index];
    let mut bytes = vec![0; seg.size as usize];
    let mut f = std::fs::File::open(&path).expect("open");
    f.seek(SeekFrom::Start(seg.offset)).expect("seek");
    f.read_exact(&mut bytes).expect("read");
    let (opts, _) = Options::parse_query(
        "events=ping,scte35&ping__interval=50&scte35__interval=50&scte35__start=25",
        Mode::Live,
    )
    .expect("options");
    let at = SegmentAt::Media {
        number: index as u64,
        decode_time: seg.decode_time,
        duration: seg.duration,
    };
    let drm = dashlive::drm::signal::StreamDrm::default();
    let planned = plan(&opts, &rep, at, &drm).expect("plan");
    assert_eq!(planned.len(), 1, "one insertion");
    let mut g = c.benchmark_group("emsg");
    g.throughput(Throughput::Bytes(seg.size));
    g.bench_function("plain", |b| b.iter(|| black_box(bytes.clone())));
    g.bench_function("ping_scte35", |b| {
        b.iter(|| {
            let t = plan(black_box(&opts), &rep, at, &drm).expect("plan");
            black_box(apply(&t, bytes.clone()).expect("apply"))
        })
    });
    g.bench_function("apply_only", |b| {
        b.iter(|| black_box(apply(&planned, bytes.clone()).expect("apply")))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = emsg
}
criterion_main!(benches);
