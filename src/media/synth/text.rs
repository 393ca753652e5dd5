//! Subtitle samples: a cue every second showing the media time, as TTML
//! (stpp, IMSC1 text profile) and as WebVTT in ISO BMFF (wvtt). Timescale
//! 1000 (milliseconds). TTML times are media times of the track, as
//! ISO/IEC 14496-30 places them.

use crate::mp4::mux::bx;

use super::raster::timecode;

pub const TIMESCALE: u32 = 1000;
pub const TTML_MIME: &str = "application/ttml+xml;codecs=im1t";

/// The one-second cues that overlap [start, end) ms, clipped to it.
fn cues(start: u64, end: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut t = start - start % 1000;
    while t < end {
        out.push((t.max(start), (t + 1000).min(end)));
        t += 1000;
    }
    out
}

fn ttml_time(ms: u64) -> String {
    timecode(ms)
}

/// One TTML document covering a segment [start, end) in milliseconds.
pub fn ttml_sample(start: u64, end: u64) -> Vec<u8> {
    let mut body = String::new();
    for (a, b) in cues(start, end) {
        let second = a - a % 1000;
        body.push_str(&format!(
            "      <p begin=\"{}\" end=\"{}\">{}</p>\n",
            ttml_time(a),
            ttml_time(b),
            timecode(second)
        ));
    }
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<tt xmlns=\"http://www.w3.org/ns/ttml\" ",
            "xmlns:ttp=\"http://www.w3.org/ns/ttml#parameter\" ",
            "xmlns:tts=\"http://www.w3.org/ns/ttml#styling\" ",
            "xmlns:ittp=\"http://www.w3.org/ns/ttml/profile/imsc1#parameter\" ",
            "ttp:profile=\"http://www.w3.org/ns/ttml/profile/imsc1/text\" ",
            "ttp:timeBase=\"media\" xml:lang=\"en\">\n",
            "  <head>\n    <styling>\n",
            "      <style xml:id=\"s1\" tts:color=\"white\" tts:backgroundColor=\"black\" ",
            "tts:fontSize=\"100%\" tts:textAlign=\"center\"/>\n",
            "    </styling>\n    <layout>\n",
            "      <region xml:id=\"r1\" tts:origin=\"10% 80%\" tts:extent=\"80% 15%\" ",
            "tts:displayAlign=\"after\"/>\n",
            "    </layout>\n  </head>\n",
            "  <body style=\"s1\" region=\"r1\">\n    <div>\n{}    </div>\n  </body>\n</tt>\n"
        ),
        body
    )
    .into_bytes()
}

/// WebVTT samples for a segment [start, end): one `vttc` cue box per
/// (clipped) second, each with its duration in milliseconds.
pub fn vtt_samples(start: u64, end: u64) -> Vec<(Vec<u8>, u32)> {
    cues(start, end)
        .into_iter()
        .map(|(a, b)| {
            let payload = bx(b"payl", timecode(a - a % 1000).as_bytes());
            let settings = bx(b"sttg", b"line:85% align:center");
            (bx(b"vttc", &[settings, payload].concat()), (b - a) as u32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_are_clipped_to_the_segment() {
        assert_eq!(
            cues(3840, 7680),
            vec![
                (3840, 4000),
                (4000, 5000),
                (5000, 6000),
                (6000, 7000),
                (7000, 7680)
            ]
        );
        let durations: u32 = vtt_samples(3840, 7680).iter().map(|s| s.1).sum();
        assert_eq!(durations, 3840);
    }

    #[test]
    fn ttml_is_well_formed_and_shows_the_time() {
        let doc = String::from_utf8(ttml_sample(3840, 7680)).unwrap();
        assert!(doc.contains("<p begin=\"00:00:04.000\" end=\"00:00:05.000\">00:00:04.000</p>"));
        let mut reader = quick_xml::Reader::from_str(&doc);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed: {e}"),
            }
        }
    }
}
