//! SCTE-35 `splice_info_section`s (ANSI/SCTE 35, "Digital Program Insertion
//! Cueing Message"): the types, an encoder ([`SpliceInfoSection::encode`])
//! and a decoder ([`SpliceInfoSection::decode`]) that checks the CRC-32.
//!
//! What is modelled: the section header, the commands `splice_null`,
//! `splice_insert` and `time_signal` (any other command is kept as its
//! bytes), `splice_time`, `break_duration`, and the descriptors avail, DTMF,
//! segmentation (with its UPID) and time, any other descriptor kept as its
//! bytes. Reserved bits are written as 1s, as the standard asks, and ignored
//! when read. Encrypted sections are refused: nothing here holds their keys.
//!
//! Times are 90 kHz ticks, 33 bits. The module is a leaf: it knows nothing of
//! DASH or of the server (the event generators, `events`, use it).

mod decode;
mod encode;

pub use decode::Scte35Error;

/// `table_id` of every splice_info_section.
pub const TABLE_ID: u8 = 0xFC;
/// The identifier SCTE-35 descriptors carry: ASCII "CUEI".
pub const CUEI: u32 = 0x4355_4549;
/// 2^33 - 1: PTS fields hold 33 bits.
pub const PTS_MASK: u64 = 0x1_FFFF_FFFF;

/// One splice_info_section.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SpliceInfoSection {
    /// 2 bits: 0 = SAP type 1 (closed GOP, no leading pictures), 1 = type 2,
    /// 2 = type 3, 3 = not specified.
    pub sap_type: u8,
    pub protocol_version: u8,
    /// 33 bits, added to every PTS in the section.
    pub pts_adjustment: u64,
    /// Which control word would decrypt the section (unused when clear;
    /// encoders commonly write 0xFF).
    pub cw_index: u8,
    /// 12 bits; 0xFFF = no tier.
    pub tier: u16,
    pub command: SpliceCommand,
    pub descriptors: Vec<SpliceDescriptor>,
}

impl SpliceInfoSection {
    /// A section around `command` with the usual header: SAP type not
    /// specified, protocol 0, no PTS adjustment, no tier, no descriptors.
    pub fn new(command: SpliceCommand) -> Self {
        SpliceInfoSection {
            sap_type: 3,
            protocol_version: 0,
            pts_adjustment: 0,
            cw_index: 0xFF,
            tier: 0xFFF,
            command,
            descriptors: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum SpliceCommand {
    /// `splice_null` (type 0x00), a heartbeat.
    Null,
    /// `splice_insert` (type 0x05).
    Insert(SpliceInsert),
    /// `time_signal` (type 0x06).
    TimeSignal(SpliceTime),
    /// Any other command (`splice_schedule`, `bandwidth_reservation`,
    /// `private_command` …): its type and bytes, kept as they are.
    Other { command_type: u8, bytes: Vec<u8> },
}

impl SpliceCommand {
    pub fn command_type(&self) -> u8 {
        match self {
            SpliceCommand::Null => 0x00,
            SpliceCommand::Insert(_) => 0x05,
            SpliceCommand::TimeSignal(_) => 0x06,
            SpliceCommand::Other { command_type, .. } => *command_type,
        }
    }

    pub fn name(&self) -> &'static str {
        match self.command_type() {
            0x00 => "splice_null",
            0x04 => "splice_schedule",
            0x05 => "splice_insert",
            0x06 => "time_signal",
            0x07 => "bandwidth_reservation",
            0xFF => "private_command",
            _ => "reserved",
        }
    }
}

/// `splice_time()`: a PTS, or none (the splice happens "immediately").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct SpliceTime {
    /// 90 kHz, 33 bits.
    pub pts_time: Option<u64>,
}

/// `break_duration()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct BreakDuration {
    /// The splice back into the network happens by itself at the end.
    pub auto_return: bool,
    /// 90 kHz, 33 bits.
    pub duration: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SpliceInsert {
    pub splice_event_id: u32,
    /// `splice_event_cancel_indicator`: the event is withdrawn, and none of
    /// `splice` is written.
    pub cancel: bool,
    pub splice: Option<SpliceDetail>,
}

/// The fields of a `splice_insert` that is not a cancellation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SpliceDetail {
    pub out_of_network: bool,
    /// `splice_immediate_flag`: no times are given.
    pub splice_immediate: bool,
    /// Program splice (`program_splice_flag` = 1) or component splices.
    pub mode: SpliceMode,
    pub break_duration: Option<BreakDuration>,
    pub unique_program_id: u16,
    pub avail_num: u8,
    pub avails_expected: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum SpliceMode {
    /// The whole program splices, at `splice_time` (none when immediate).
    Program(SpliceTime),
    /// Each listed component (`component_tag`, time) splices.
    Components(Vec<(u8, SpliceTime)>),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum SpliceDescriptor {
    /// `avail_descriptor` (tag 0).
    Avail { provider_avail_id: u32 },
    /// `DTMF_descriptor` (tag 1): preroll in tenths of a second, and the
    /// characters (at most 7).
    Dtmf { preroll: u8, chars: Vec<u8> },
    /// `segmentation_descriptor` (tag 2).
    Segmentation(Segmentation),
    /// `time_descriptor` (tag 3).
    Time {
        tai_seconds: u64,
        tai_ns: u32,
        utc_offset: u16,
    },
    /// Any other tag, or a descriptor of another identifier than CUEI: its
    /// bytes after the identifier, as they are.
    Unknown {
        tag: u8,
        identifier: u32,
        bytes: Vec<u8>,
    },
}

impl SpliceDescriptor {
    pub fn tag(&self) -> u8 {
        match self {
            SpliceDescriptor::Avail { .. } => 0,
            SpliceDescriptor::Dtmf { .. } => 1,
            SpliceDescriptor::Segmentation(_) => 2,
            SpliceDescriptor::Time { .. } => 3,
            SpliceDescriptor::Unknown { tag, .. } => *tag,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Segmentation {
    pub segmentation_event_id: u32,
    /// `segmentation_event_cancel_indicator`: nothing else is written.
    pub cancel: bool,
    pub detail: Option<SegmentationDetail>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentationDetail {
    /// `None` = `delivery_not_restricted_flag` set; else the restrictions.
    pub restrictions: Option<DeliveryRestrictions>,
    /// `None` = program segmentation; else (`component_tag`, 33-bit
    /// `pts_offset`) per component.
    pub components: Option<Vec<(u8, u64)>>,
    /// 90 kHz, 40 bits.
    pub duration: Option<u64>,
    pub upid_type: u8,
    pub upid: Vec<u8>,
    pub segmentation_type_id: u8,
    pub segment_num: u8,
    pub segments_expected: u8,
    /// (`sub_segment_num`, `sub_segments_expected`), written for the
    /// placement-opportunity types when present (older encoders omit them).
    pub sub_segment: Option<(u8, u8)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryRestrictions {
    pub web_delivery_allowed: bool,
    pub no_regional_blackout: bool,
    pub archive_allowed: bool,
    /// 2 bits.
    pub device_restrictions: u8,
}

/// Whether an event scheme carries binary splice_info_sections (in `emsg`
/// message data; in an MPD, base64 in `<scte35:Binary>`).
pub fn is_scte35_scheme(scheme_id_uri: &str) -> bool {
    matches!(
        scheme_id_uri,
        "urn:scte:scte35:2013:bin" | "urn:scte:scte35:2014:bin" | "urn:scte:scte35:2014:xml+bin"
    )
}

/// The segmentation types after which `sub_segment_num` and
/// `sub_segments_expected` may follow (SCTE 35 table 23).
pub fn has_sub_segments(segmentation_type_id: u8) -> bool {
    matches!(
        segmentation_type_id,
        0x30 | 0x32 | 0x34 | 0x36 | 0x38 | 0x3A | 0x44 | 0x46
    )
}

#[cfg(test)]
mod tests;
