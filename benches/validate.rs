//! The validator's manifest checks: how many manifests a core validates per
//! second (the issue asks for 5,000 or more), on dash-live's golden live and
//! VOD manifests of BBB (from ../shared/reference/golden).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use dashlive::validate::{Options, Validator};

fn golden(name: &str) -> Option<Vec<u8>> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/golden")
        .join(name);
    std::fs::read(p).ok()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("validate_manifest");
    g.throughput(Throughput::Elements(1));
    for name in [
        "hand_made_live.mpd",
        "hand_made_vod_enc.mpd",
        "manifest_vod_aiv_odvod.mpd",
    ] {
        let Some(xml) = golden(name) else {
            eprintln!("skipping {name}: no ../shared/reference/golden");
            continue;
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let v = Validator::new(xml.clone(), "http://unit.test/m.mpd", Options::default());
                std::hint::black_box(v.check_manifest())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
