//! On-the-fly encryption throughput (see docs/benchmarks.md).
//!
//! * `encrypt/cenc_720p` and `encrypt/cbcs_720p`: `protect_media` on one
//!   3.84 s segment of a 1280x720 3 Mb/s synth test card (generated here,
//!   once), throughput in bytes of segment. Each iteration copies the
//!   segment, encrypts every sample and adds senc/saiz/saio: what a request
//!   for an encrypted live segment costs beyond the clear one.
//! * `drm_signal/cached` and `drm_signal/built`: the signalling of one
//!   adaptation set with every system (PlayReady PRO and PSSH, W3C and
//!   Widevine PSSH, Marlin): as every manifest and init segment after the first asks
//!   for it (the same inputs: from the cache), and made anew (each iteration
//!   another PlayReady LA_URL, so the cache misses): what the cache saves
//!   per (stream, option set).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dashlive::drm::signal::{DrmOptions, Signal, StreamDrm, TEST_KID};
use dashlive::media::index_file;
use dashlive::media::synth::{parse_ladder, synth, SynthOptions};
use dashlive::mp4::encrypt::{protect_media, MediaOptions, Protection, Scheme, TrackKind};
use dashlive::options::{Mode, Options};

/// The first 3.84 s segment of the 720p test card.
fn segment_720p() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut o = SynthOptions::new(dir.path().to_path_buf());
    o.duration_ms = 7680; // the least synth makes: two segments
    o.segment_ms = 3840;
    o.ladder = parse_ladder("1280x720@3000k").expect("ladder");
    o.prefix = "tc".into();
    synth(&o).expect("synth");
    let file = dir.path().join("tc_720p.mp4");
    let rep = index_file(&file).expect("index");
    let data = std::fs::read(&file).expect("read");
    let s = rep.media_segments()[0];
    data[s.offset as usize..(s.offset + s.size) as usize].to_vec()
}

fn bench(c: &mut Criterion) {
    let seg = segment_720p();
    let mut g = c.benchmark_group("encrypt");
    g.throughput(Throughput::Bytes(seg.len() as u64));
    for (name, scheme, iv_size) in [
        ("cenc_720p", Scheme::Cenc, 8),
        ("cbcs_720p", Scheme::Cbcs, 0),
    ] {
        let p = Protection {
            scheme,
            kid: [1; 16],
            key: [2; 16],
            iv_size,
        };
        let kind = TrackKind::Avc { nal_length_size: 4 };
        g.bench_function(name, |b| {
            b.iter(|| {
                protect_media(black_box(&seg), &p, kind, 7, MediaOptions::default())
                    .expect("protect")
            })
        });
    }
    g.finish();
}

fn drm_options(query: &str) -> DrmOptions {
    let (o, _) = Options::parse_query(query, Mode::Vod).expect("options");
    DrmOptions::from_options(&o)
}

fn signal(c: &mut Criterion) {
    let keys = StreamDrm::default();
    let kids = [TEST_KID];
    let signal = |opts: &DrmOptions| {
        Signal {
            kids: &kids,
            keys: &keys,
            opts,
            clearkey_url: "http://127.0.0.1:5000/clearkey",
            cbc: false,
        }
        .protection()
    };
    let mut g = c.benchmark_group("drm_signal");
    let same = drm_options("drm=clearkey,marlin,playready,widevine-cenc");
    g.bench_function("cached", |b| b.iter(|| signal(black_box(&same))));
    let mut n = 0u64;
    g.bench_function("built", |b| {
        b.iter_batched(
            || {
                n += 1;
                let mut o = same.clone();
                o.playready_la_url = Some(format!("https://pr.example/{n}"));
                o
            },
            |o| signal(black_box(&o)),
            criterion::BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench, signal);
criterion_main!(benches);
