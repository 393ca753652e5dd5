//! The test card: an I420 raster drawn from the media time, before encoding.
//! Everything a tester reads off a frame is large: the media time, frame and
//! segment numbers, the rung, a sweep that moves every frame (a frozen or
//! skipped frame shows), and a full-frame flash on every whole second.

use super::font::{glyph, text_width, ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH};

/// A colour as limited-range BT.709 Y'CbCr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Yuv(pub u8, pub u8, pub u8);

pub const BLACK: Yuv = Yuv(16, 128, 128);
pub const WHITE: Yuv = Yuv(235, 128, 128);
pub const BACKGROUND: Yuv = Yuv(40, 128, 128);
pub const SWEEP: Yuv = Yuv(210, 16, 146);
/// 75% colour bars, left to right: white, yellow, cyan, green, magenta, red, blue.
pub const BARS: [Yuv; 7] = [
    Yuv(180, 128, 128),
    Yuv(168, 44, 136),
    Yuv(145, 147, 44),
    Yuv(133, 63, 52),
    Yuv(63, 193, 204),
    Yuv(51, 109, 212),
    Yuv(28, 212, 120),
];

/// A picture in I420 (planar 4:2:0) with even dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub width: usize,
    pub height: usize,
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
}

impl Frame {
    pub fn new(width: usize, height: usize) -> Frame {
        let (cw, ch) = (width / 2, height / 2);
        Frame {
            width,
            height,
            y: vec![0; width * height],
            u: vec![128; cw * ch],
            v: vec![128; cw * ch],
        }
    }

    /// Fills a rectangle, clipped to the frame. Chroma is written for every
    /// 2x2 block the rectangle touches, so keep edges even for crisp colour.
    pub fn fill(&mut self, x: usize, y: usize, w: usize, h: usize, c: Yuv) {
        let x1 = (x + w).min(self.width);
        let y1 = (y + h).min(self.height);
        if x >= x1 || y >= y1 {
            return;
        }
        for row in y..y1 {
            self.y[row * self.width + x..row * self.width + x1].fill(c.0);
        }
        let cw = self.width / 2;
        for row in y / 2..y1.div_ceil(2).min(self.height / 2) {
            let (a, b) = (row * cw + x / 2, row * cw + x1.div_ceil(2).min(cw));
            self.u[a..b].fill(c.1);
            self.v[a..b].fill(c.2);
        }
    }

    /// Draws `text` with its top-left corner at (x, y), each font pixel a
    /// `scale`-sized square. Luma only, so text keeps the colour beneath it
    /// crisp at any position.
    pub fn text(&mut self, x: usize, y: usize, scale: usize, text: &str, luma: u8) {
        for (i, ch) in text.chars().enumerate() {
            let gx = x + i * ADVANCE * scale;
            for (row, bits) in glyph(ch).iter().enumerate() {
                for col in 0..GLYPH_WIDTH {
                    if bits & (0x10 >> col) != 0 {
                        self.luma_rect(gx + col * scale, y + row * scale, scale, scale, luma);
                    }
                }
            }
        }
    }

    fn luma_rect(&mut self, x: usize, y: usize, w: usize, h: usize, luma: u8) {
        let x1 = (x + w).min(self.width);
        for row in y..(y + h).min(self.height) {
            if x < x1 {
                self.y[row * self.width + x..row * self.width + x1].fill(luma);
            }
        }
    }

    /// Mean luma of a rectangle, for tests and checks of decoded frames.
    pub fn mean_luma(&self, x: usize, y: usize, w: usize, h: usize) -> f64 {
        let mut sum = 0u64;
        let mut n = 0u64;
        for row in y..(y + h).min(self.height) {
            for col in x..(x + w).min(self.width) {
                sum += u64::from(self.y[row * self.width + col]);
                n += 1;
            }
        }
        if n == 0 {
            0.0
        } else {
            sum as f64 / n as f64
        }
    }
}

/// What one test card shows.
#[derive(Debug, Clone)]
pub struct Card<'a> {
    pub frame_number: u64,
    pub fps: u32,
    pub frames_per_segment: u64,
    /// Printed as the rung: "1280X720 3000KBPS".
    pub label: &'a str,
}

/// Where the card puts things, so tests (and checks on decoded frames) can
/// look at the right pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub scale: usize,
    pub bars: (usize, usize),
    pub time_y: usize,
    pub time_scale: usize,
    pub counter_y: usize,
    pub label_y: usize,
    pub sweep_y: usize,
    pub sweep_h: usize,
    pub sweep_w: usize,
    pub progress_y: usize,
}

impl Layout {
    pub fn for_size(width: usize, height: usize) -> Layout {
        let scale = (height / 80).max(1);
        let time_scale = (scale * 3).div_ceil(2);
        Layout {
            scale,
            bars: (0, height / 10),
            time_y: height * 2 / 10,
            time_scale,
            counter_y: height * 2 / 10 + (GLYPH_HEIGHT + 3) * time_scale,
            label_y: height * 2 / 10 + (GLYPH_HEIGHT + 3) * time_scale + (GLYPH_HEIGHT + 3) * scale,
            sweep_y: (height * 3 / 4) & !1,
            sweep_h: (height / 12) & !1,
            sweep_w: (width / 40).max(2) & !1,
            progress_y: (height - height / 30) & !1,
        }
    }

    /// Left edge of the sweep marker on frame `n`: it crosses the frame once a second.
    pub fn sweep_x(&self, width: usize, n: u64, fps: u32) -> usize {
        let fps = u64::from(fps.max(2));
        (((n % fps) * (width - self.sweep_w) as u64 / (fps - 1)) as usize) & !1
    }
}

/// `HH:MM:SS.mmm` of a media time in milliseconds.
pub fn timecode(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// Whether frame `n` is the first of a whole second: those frames flash.
pub fn is_flash(n: u64, fps: u32) -> bool {
    n % u64::from(fps.max(1)) == 0
}

/// Draws the test card for `card` into `f`.
pub fn draw(f: &mut Frame, card: &Card) {
    let (w, h) = (f.width, f.height);
    let l = Layout::for_size(w, h);
    let n = card.frame_number;
    let flash = is_flash(n, card.fps);
    let (bg, ink) = if flash {
        (WHITE, 16)
    } else {
        (BACKGROUND, 235)
    };
    f.fill(0, 0, w, h, bg);
    let bar_w = (w / BARS.len()) & !1;
    for (i, c) in BARS.iter().enumerate() {
        let x = i * bar_w;
        let bw = if i + 1 == BARS.len() { w - x } else { bar_w };
        f.fill(x, l.bars.0, bw, l.bars.1, *c);
    }
    let centre = |text: &str, scale: usize| w.saturating_sub(text_width(text, scale)) / 2;
    let ms = n * 1000 / u64::from(card.fps.max(1));
    let tc = timecode(ms);
    f.text(centre(&tc, l.time_scale), l.time_y, l.time_scale, &tc, ink);

    let counter = format!(
        "F {:06}  SEG {:05}",
        n,
        n / card.frames_per_segment.max(1) + 1
    );
    f.text(
        centre(&counter, l.scale),
        l.counter_y,
        l.scale,
        &counter,
        ink,
    );
    f.text(
        centre(card.label, l.scale),
        l.label_y,
        l.scale,
        card.label,
        ink,
    );
    // The sweep runs in a dark lane so it shows on flash frames too.
    f.fill(0, l.sweep_y, w, l.sweep_h, BLACK);
    let sx = l.sweep_x(w, n, card.fps);
    f.fill(sx, l.sweep_y, l.sweep_w, l.sweep_h, SWEEP);
    // Progress through the segment: empty at its first frame, full at its last.
    let fps_seg = card.frames_per_segment.max(1);
    let done = (n % fps_seg + 1) as usize * w / fps_seg as usize;
    f.fill(0, l.progress_y, w, h - l.progress_y, BLACK);
    f.fill(0, l.progress_y, done & !1, h - l.progress_y, BARS[1]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(n: u64) -> Frame {
        let mut f = Frame::new(320, 180);
        draw(
            &mut f,
            &Card {
                frame_number: n,
                fps: 25,
                frames_per_segment: 96,
                label: "320X180 200KBPS",
            },
        );
        f
    }

    #[test]
    fn timecodes() {
        assert_eq!(timecode(0), "00:00:00.000");
        assert_eq!(timecode(3_723_040), "01:02:03.040");
    }

    #[test]
    fn the_counter_advances_every_frame_and_nothing_else_is_random() {
        let l = Layout::for_size(320, 180);
        let line = |f: &Frame, y: usize| f.y[y * 320..(y + 7 * l.scale) * 320].to_vec();
        let (a, b) = (card(30), card(31));
        assert_ne!(
            line(&a, l.counter_y),
            line(&b, l.counter_y),
            "frame number changed"
        );
        assert_ne!(line(&a, l.time_y), line(&b, l.time_y), "time changed");
        assert_eq!(
            line(&a, l.label_y),
            line(&b, l.label_y),
            "rung label did not"
        );
        assert_eq!(card(30), a, "drawing is deterministic");
    }

    #[test]
    fn the_counter_shows_the_frame_number_in_digits() {
        // Redraw just the expected text on a blank frame and find it in the card.
        let l = Layout::for_size(320, 180);
        let f = card(1234);
        let text = "F 001234  SEG 00013";
        let x = (320 - text_width(text, l.scale)) / 2;
        let mut expected = Frame::new(320, 180);
        expected.fill(0, 0, 320, 180, BACKGROUND);
        expected.text(x, l.counter_y, l.scale, text, 235);
        let rows = l.counter_y * 320..(l.counter_y + 7 * l.scale) * 320;
        assert_eq!(f.y[rows.clone()], expected.y[rows]);
    }

    #[test]
    fn whole_seconds_flash_and_the_sweep_moves() {
        let l = Layout::for_size(320, 180);
        assert!(card(50).mean_luma(0, l.bars.1, 320, l.sweep_y - l.bars.1) > 200.0);
        assert!(card(51).mean_luma(0, l.bars.1, 320, l.sweep_y - l.bars.1) < 100.0);
        let xs: Vec<usize> = (0..25).map(|n| l.sweep_x(320, n, 25)).collect();
        assert!(xs.windows(2).all(|w| w[1] > w[0]), "{xs:?}");
        let f = card(7);
        let sx = l.sweep_x(320, 7, 25);
        assert!(f.mean_luma(sx, l.sweep_y, l.sweep_w, l.sweep_h) > 200.0);
    }
}
