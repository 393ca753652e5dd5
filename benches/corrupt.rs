//! Corruption (`vcorrupt`): what the origin does to a video segment a
//! request asks to corrupt, minus HTTP. The segment is the demo test card's
//! top rung (1280x720, H.264, 3.84 s of 25 fps: 96 frames), made with the
//! test-card generator once before the benches.
//!
//! * `corrupt/frames4`: `faults::corrupt::corrupt` with `frames=4` (the
//!   default) on a copy of the segment, the copy included, as the origin
//!   runs the transform on a segment it has just joined.
//! * `corrupt/frames_all`: every non-IDR frame of the segment.
//! * `corrupt/copy_only`: the copy alone, for scale.
//!
//! Throughput is the segment's bytes per second.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dashlive::faults::corrupt::{corrupt, Corruption, NalFormat};
use dashlive::media::index_file;
use dashlive::media::synth::{parse_ladder, synth, SynthOptions};

fn segment() -> (Vec<u8>, Corruption) {
    let dir = tempfile::tempdir().unwrap();
    let mut o = SynthOptions::new(dir.path().to_path_buf());
    o.duration_ms = 7680;
    o.segment_ms = 3840;
    o.ladder = parse_ladder("1280x720@3000k").unwrap();
    o.prefix = "tc".into();
    synth(&o).unwrap();
    let file = dir.path().join("tc_720p.mp4");
    let rep = index_file(&file).unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let s = &rep.segments[2];
    let segment = bytes[s.offset as usize..(s.offset + s.size) as usize].to_vec();
    let c = Corruption {
        format: NalFormat::of_codecs(&rep.codecs).unwrap(),
        nal_length_size: rep.nal_length_size.unwrap(),
        frames: 4,
    };
    (segment, c)
}

fn benches(c: &mut Criterion) {
    let (segment, four) = segment();
    let all = Corruption {
        frames: u32::MAX,
        ..four
    };
    let mut g = c.benchmark_group("corrupt");
    g.throughput(Throughput::Bytes(segment.len() as u64));
    eprintln!("corrupt: a segment of {} bytes", segment.len());
    g.bench_function("frames4", |b| {
        b.iter(|| corrupt(black_box(segment.clone()), black_box(&four)).unwrap())
    });
    g.bench_function("frames_all", |b| {
        b.iter(|| corrupt(black_box(segment.clone()), black_box(&all)).unwrap())
    });
    g.bench_function("copy_only", |b| b.iter(|| black_box(segment.clone())));
    g.finish();
}

criterion_group!(corruption, benches);
criterion_main!(corruption);
