//! The SCTE-35 message of an event (reference §6): a `splice_insert` for
//! the ad break the event stands for, with a segmentation descriptor.

use super::{Event, Generator};
use crate::scte35::{
    BreakDuration, Segmentation, SegmentationDetail, SpliceCommand, SpliceDescriptor, SpliceDetail,
    SpliceInfoSection, SpliceInsert, SpliceMode, SpliceTime, PTS_MASK,
};

/// SCTE-35's clock.
const PTS_HZ: u128 = 90_000;
/// Segmentation types: Provider Placement Opportunity Start and End.
const PLACEMENT_START: u8 = 0x34;
const PLACEMENT_END: u8 = 0x35;

/// `ticks` of `timescale` in 90 kHz, truncated.
fn to_pts(ticks: u64, timescale: u32) -> u64 {
    (u128::from(ticks) * PTS_HZ / u128::from(timescale.max(1))) as u64
}

/// Even ids open a break (placement opportunity start, returning by
/// itself), odd ids close it; avails count in pairs.
pub fn scte35_section(g: &Generator, e: &Event) -> SpliceInfoSection {
    let even = e.id % 2 == 0;
    let duration = to_pts(u64::from(e.duration), g.timescale);
    // Without a count there is no number of avails to give: 0 and 0.
    let (avail_num, avails_expected) = match g.count {
        0 => (0, 0),
        n => (
            u8::try_from(1 + e.id / 2).unwrap_or(u8::MAX),
            u8::try_from(1 + n / 2).unwrap_or(u8::MAX),
        ),
    };
    let mut section = SpliceInfoSection::new(SpliceCommand::Insert(SpliceInsert {
        splice_event_id: e.id as u32,
        cancel: false,
        splice: Some(SpliceDetail {
            out_of_network: true,
            splice_immediate: false,
            mode: SpliceMode::Program(SpliceTime {
                pts_time: Some(to_pts(e.presentation_time, g.timescale) & PTS_MASK),
            }),
            break_duration: Some(BreakDuration {
                auto_return: even,
                duration: duration & PTS_MASK,
            }),
            unique_program_id: g.program_id,
            avail_num,
            avails_expected,
        }),
    }));
    // SAP type 1: closed GOP, no leading pictures.
    section.sap_type = 0;
    section.descriptors = vec![SpliceDescriptor::Segmentation(Segmentation {
        segmentation_event_id: e.id as u32,
        cancel: false,
        detail: Some(SegmentationDetail {
            restrictions: None,
            components: None,
            duration: Some(duration),
            upid_type: 0,
            upid: Vec::new(),
            segmentation_type_id: if even { PLACEMENT_START } else { PLACEMENT_END },
            segment_num: avail_num,
            segments_expected: avails_expected,
            sub_segment: None,
        }),
    })];
    section
}
