//! Reading a [`SpliceInfoSection`] from bytes that may come from anywhere (a
//! segment's `emsg`, an MPD's base64): every read is bounds-checked and an
//! error names the field and its byte offset in the section.

use super::encode::CRC;
use super::*;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("SCTE-35 {field} at byte {offset}: {problem}")]
pub struct Scte35Error {
    /// The field being read, as the standard names it.
    pub field: &'static str,
    /// Its offset from the start of the section.
    pub offset: usize,
    pub problem: String,
}

/// A cursor over a part of the section; offsets stay section-relative.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Where `data` starts in the section.
    base: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, field: &'static str, problem: impl Into<String>) -> Scte35Error {
        Scte35Error {
            field,
            offset: self.base + self.pos,
            problem: problem.into(),
        }
    }

    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], Scte35Error> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let Some(bytes) = rest.get(..n) else {
            return Err(self.error(
                field,
                format!("truncated: needs {n} bytes, {} left", rest.len()),
            ));
        };
        self.pos += n;
        Ok(bytes)
    }

    /// A big-endian value of `n` ≤ 8 bytes.
    fn uint(&mut self, field: &'static str, n: usize) -> Result<u64, Scte35Error> {
        Ok(self
            .take(field, n)?
            .iter()
            .fold(0, |v, &b| (v << 8) | u64::from(b)))
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, Scte35Error> {
        Ok(self.uint(field, 1)? as u8)
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, Scte35Error> {
        Ok(self.uint(field, 2)? as u16)
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, Scte35Error> {
        Ok(self.uint(field, 4)? as u32)
    }

    /// A sub-reader over the next `n` bytes.
    fn sub(&mut self, field: &'static str, n: usize) -> Result<Reader<'a>, Scte35Error> {
        let base = self.base + self.pos;
        let data = self.take(field, n)?;
        Ok(Reader { data, pos: 0, base })
    }

    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }
}

impl SpliceInfoSection {
    /// Parses one section; `bytes` beyond its `section_length` are ignored.
    pub fn decode(bytes: &[u8]) -> Result<Self, Scte35Error> {
        let mut r = Reader {
            data: bytes,
            pos: 0,
            base: 0,
        };
        let table_id = r.u8("table_id")?;
        if table_id != TABLE_ID {
            return Err(Scte35Error {
                field: "table_id",
                offset: 0,
                problem: format!("{table_id:#04x}, a splice_info_section has 0xfc"),
            });
        }
        let head = r.u16("section_length")?;
        let section_length = usize::from(head & 0xFFF);
        let sap_type = ((head >> 12) & 3) as u8;
        let total = 3 + section_length;
        if bytes.len() < total {
            return Err(r.error(
                "section_length",
                format!(
                    "{section_length} bytes declared, {} present",
                    bytes.len() - 3
                ),
            ));
        }
        let crc_at = total.checked_sub(4).filter(|&c| c >= 3 + 11 + 2);
        let Some(crc_at) = crc_at else {
            return Err(Scte35Error {
                field: "section_length",
                offset: 1,
                problem: format!("{section_length} is shorter than the smallest section"),
            });
        };
        let stored = u32::from_be_bytes([
            bytes[crc_at],
            bytes[crc_at + 1],
            bytes[crc_at + 2],
            bytes[crc_at + 3],
        ]);
        let computed = CRC.checksum(&bytes[..crc_at]);
        if stored != computed {
            return Err(Scte35Error {
                field: "CRC_32",
                offset: crc_at,
                problem: format!("{stored:#010x}, the section's bytes give {computed:#010x}"),
            });
        }
        let mut r = Reader {
            data: &bytes[..crc_at],
            pos: 3,
            base: 0,
        };
        let protocol_version = r.u8("protocol_version")?;
        let word = r.uint("pts_adjustment", 5)?;
        if word >> 39 != 0 {
            return Err(Scte35Error {
                field: "encrypted_packet",
                offset: 4,
                problem: "encrypted sections are not supported".into(),
            });
        }
        let pts_adjustment = word & PTS_MASK;
        let cw_index = r.u8("cw_index")?;
        let tier_len = r.uint("tier", 3)?;
        let tier = (tier_len >> 12) as u16;
        let command_length = (tier_len & 0xFFF) as usize;
        let command_type = r.u8("splice_command_type")?;
        let command = if command_length == 0xFFF {
            // Length "unknown" (allowed by older editions): the command
            // knows its own length, which only the parsed types do.
            let command = read_command(command_type, &mut r, None)?;
            if let SpliceCommand::Other { .. } = command {
                return Err(r.error(
                    "splice_command_length",
                    "0xfff (unknown) with a command this decoder cannot size",
                ));
            }
            command
        } else {
            let mut c = r.sub("splice_command", command_length)?;
            let command = read_command(command_type, &mut c, Some(command_length))?;
            if c.remaining() != 0 {
                return Err(c.error(
                    "splice_command_length",
                    format!("{} bytes after the command", c.remaining()),
                ));
            }
            command
        };
        let loop_length = usize::from(r.u16("descriptor_loop_length")?);
        let mut l = r.sub("descriptor_loop", loop_length)?;
        let mut descriptors = Vec::new();
        while l.remaining() > 0 {
            descriptors.push(read_descriptor(&mut l)?);
        }
        // What is left is alignment stuffing, ignored.
        Ok(SpliceInfoSection {
            sap_type,
            protocol_version,
            pts_adjustment,
            cw_index,
            tier,
            command,
            descriptors,
        })
    }
}

fn read_command(
    command_type: u8,
    r: &mut Reader<'_>,
    length: Option<usize>,
) -> Result<SpliceCommand, Scte35Error> {
    Ok(match command_type {
        0x00 => SpliceCommand::Null,
        0x05 => SpliceCommand::Insert(read_insert(r)?),
        0x06 => SpliceCommand::TimeSignal(read_splice_time(r)?),
        _ => SpliceCommand::Other {
            command_type,
            bytes: match length {
                Some(n) => r.take("splice_command", n)?.to_vec(),
                None => Vec::new(),
            },
        },
    })
}

fn read_insert(r: &mut Reader<'_>) -> Result<SpliceInsert, Scte35Error> {
    let splice_event_id = r.u32("splice_event_id")?;
    let cancel = r.u8("splice_event_cancel_indicator")? & 0x80 != 0;
    if cancel {
        return Ok(SpliceInsert {
            splice_event_id,
            cancel,
            splice: None,
        });
    }
    let flags = r.u8("out_of_network_indicator")?;
    let program = flags & 0x40 != 0;
    let has_duration = flags & 0x20 != 0;
    let splice_immediate = flags & 0x10 != 0;
    let mode = if program {
        SpliceMode::Program(if splice_immediate {
            SpliceTime::default()
        } else {
            read_splice_time(r)?
        })
    } else {
        let count = r.u8("component_count")?;
        let mut components = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let tag = r.u8("component_tag")?;
            let time = if splice_immediate {
                SpliceTime::default()
            } else {
                read_splice_time(r)?
            };
            components.push((tag, time));
        }
        SpliceMode::Components(components)
    };
    let break_duration = if has_duration {
        let v = r.uint("break_duration", 5)?;
        Some(BreakDuration {
            auto_return: v >> 39 != 0,
            duration: v & PTS_MASK,
        })
    } else {
        None
    };
    Ok(SpliceInsert {
        splice_event_id,
        cancel,
        splice: Some(SpliceDetail {
            out_of_network: flags & 0x80 != 0,
            splice_immediate,
            mode,
            break_duration,
            unique_program_id: r.u16("unique_program_id")?,
            avail_num: r.u8("avail_num")?,
            avails_expected: r.u8("avails_expected")?,
        }),
    })
}

fn read_splice_time(r: &mut Reader<'_>) -> Result<SpliceTime, Scte35Error> {
    let first = r.u8("time_specified_flag")?;
    if first & 0x80 == 0 {
        return Ok(SpliceTime { pts_time: None });
    }
    let low = r.uint("pts_time", 4)?;
    Ok(SpliceTime {
        pts_time: Some((u64::from(first & 1) << 32) | low),
    })
}

fn read_descriptor(l: &mut Reader<'_>) -> Result<SpliceDescriptor, Scte35Error> {
    let tag = l.u8("splice_descriptor_tag")?;
    let length = usize::from(l.u8("descriptor_length")?);
    let mut d = l.sub("splice_descriptor", length)?;
    let identifier = d.u32("identifier")?;
    let descriptor = match (identifier, tag) {
        (CUEI, 0) => SpliceDescriptor::Avail {
            provider_avail_id: d.u32("provider_avail_id")?,
        },
        (CUEI, 1) => {
            let preroll = d.u8("preroll")?;
            let count = usize::from(d.u8("dtmf_count")? >> 5);
            SpliceDescriptor::Dtmf {
                preroll,
                chars: d.take("DTMF_char", count)?.to_vec(),
            }
        }
        (CUEI, 2) => SpliceDescriptor::Segmentation(read_segmentation(&mut d)?),
        (CUEI, 3) => SpliceDescriptor::Time {
            tai_seconds: d.uint("TAI_seconds", 6)?,
            tai_ns: d.u32("TAI_ns")?,
            utc_offset: d.u16("UTC_offset")?,
        },
        _ => {
            let n = d.remaining();
            SpliceDescriptor::Unknown {
                tag,
                identifier,
                bytes: d.take("private_byte", n)?.to_vec(),
            }
        }
    };
    if d.remaining() != 0 {
        return Err(d.error(
            "descriptor_length",
            format!("{} bytes after the descriptor's fields", d.remaining()),
        ));
    }
    Ok(descriptor)
}

fn read_segmentation(d: &mut Reader<'_>) -> Result<Segmentation, Scte35Error> {
    let segmentation_event_id = d.u32("segmentation_event_id")?;
    let cancel = d.u8("segmentation_event_cancel_indicator")? & 0x80 != 0;
    if cancel {
        return Ok(Segmentation {
            segmentation_event_id,
            cancel,
            detail: None,
        });
    }
    let flags = d.u8("program_segmentation_flag")?;
    let restrictions = (flags & 0x20 == 0).then_some(DeliveryRestrictions {
        web_delivery_allowed: flags & 0x10 != 0,
        no_regional_blackout: flags & 0x08 != 0,
        archive_allowed: flags & 0x04 != 0,
        device_restrictions: flags & 3,
    });
    let components = if flags & 0x80 == 0 {
        let count = d.u8("component_count")?;
        let mut list = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let tag = d.u8("component_tag")?;
            list.push((tag, d.uint("pts_offset", 5)? & PTS_MASK));
        }
        Some(list)
    } else {
        None
    };
    let duration = if flags & 0x40 != 0 {
        Some(d.uint("segmentation_duration", 5)?)
    } else {
        None
    };
    let upid_type = d.u8("segmentation_upid_type")?;
    let upid_length = usize::from(d.u8("segmentation_upid_length")?);
    let upid = d.take("segmentation_upid", upid_length)?.to_vec();
    let segmentation_type_id = d.u8("segmentation_type_id")?;
    let segment_num = d.u8("segment_num")?;
    let segments_expected = d.u8("segments_expected")?;
    let sub_segment = if has_sub_segments(segmentation_type_id) && d.remaining() >= 2 {
        Some((d.u8("sub_segment_num")?, d.u8("sub_segments_expected")?))
    } else {
        None
    };
    Ok(Segmentation {
        segmentation_event_id,
        cancel,
        detail: Some(SegmentationDetail {
            restrictions,
            components,
            duration,
            upid_type,
            upid,
            segmentation_type_id,
            segment_num,
            segments_expected,
            sub_segment,
        }),
    })
}
