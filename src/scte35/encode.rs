//! Writing a [`SpliceInfoSection`]. Values wider than their field are cut to
//! the field (PTS to 33 bits, tier to 12): the encoder never fails.

use super::*;

pub(super) const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_MPEG_2);

/// Big-endian `bytes`-byte value.
fn put(out: &mut Vec<u8>, value: u64, bytes: usize) {
    for i in (0..bytes).rev() {
        out.push((value >> (8 * i)) as u8);
    }
}

impl SpliceInfoSection {
    /// The section's bytes, CRC-32 included.
    pub fn encode(&self) -> Vec<u8> {
        let mut command = Vec::new();
        write_command(&self.command, &mut command);
        let mut descriptors = Vec::new();
        for d in &self.descriptors {
            write_descriptor(d, &mut descriptors);
        }
        // From protocol_version to the CRC: 11 header bytes, the command,
        // the descriptor loop with its length, and the CRC.
        let section_length = 11 + command.len() + 2 + descriptors.len() + 4;
        let mut out = Vec::with_capacity(3 + section_length);
        out.push(TABLE_ID);
        // section_syntax_indicator 0, private_indicator 0, sap_type, 12-bit length.
        put(
            &mut out,
            (u64::from(self.sap_type & 3) << 12) | (section_length as u64 & 0xFFF),
            2,
        );
        out.push(self.protocol_version);
        // encrypted_packet 0, encryption_algorithm 0, pts_adjustment.
        put(&mut out, self.pts_adjustment & PTS_MASK, 5);
        out.push(self.cw_index);
        put(
            &mut out,
            (u64::from(self.tier & 0xFFF) << 12) | (command.len() as u64 & 0xFFF),
            3,
        );
        out.push(self.command.command_type());
        out.extend_from_slice(&command);
        put(&mut out, descriptors.len() as u64, 2);
        out.extend_from_slice(&descriptors);
        let crc = CRC.checksum(&out);
        put(&mut out, u64::from(crc), 4);
        out
    }
}

fn write_command(command: &SpliceCommand, out: &mut Vec<u8>) {
    match command {
        SpliceCommand::Null => {}
        SpliceCommand::TimeSignal(t) => write_splice_time(*t, out),
        SpliceCommand::Other { bytes, .. } => out.extend_from_slice(bytes),
        SpliceCommand::Insert(insert) => write_insert(insert, out),
    }
}

fn write_insert(insert: &SpliceInsert, out: &mut Vec<u8>) {
    put(out, u64::from(insert.splice_event_id), 4);
    out.push(if insert.cancel { 0xFF } else { 0x7F });
    let Some(d) = insert.splice.as_ref().filter(|_| !insert.cancel) else {
        return;
    };
    let program = matches!(d.mode, SpliceMode::Program(_));
    out.push(
        u8::from(d.out_of_network) << 7
            | u8::from(program) << 6
            | u8::from(d.break_duration.is_some()) << 5
            | u8::from(d.splice_immediate) << 4
            | 0x0F,
    );
    match &d.mode {
        SpliceMode::Program(t) if !d.splice_immediate => write_splice_time(*t, out),
        SpliceMode::Program(_) => {}
        SpliceMode::Components(components) => {
            out.push(components.len() as u8);
            for (tag, t) in components.iter().take(255) {
                out.push(*tag);
                if !d.splice_immediate {
                    write_splice_time(*t, out);
                }
            }
        }
    }
    if let Some(b) = d.break_duration {
        write_break_duration(b, out);
    }
    put(out, u64::from(d.unique_program_id), 2);
    out.push(d.avail_num);
    out.push(d.avails_expected);
}

fn write_splice_time(t: SpliceTime, out: &mut Vec<u8>) {
    match t.pts_time {
        // time_specified_flag 1, 6 reserved bits, 33 bits of PTS.
        Some(pts) => put(out, (0xFE << 32) | (pts & PTS_MASK), 5),
        None => out.push(0x7F),
    }
}

fn write_break_duration(b: BreakDuration, out: &mut Vec<u8>) {
    let flag = if b.auto_return { 0xFE } else { 0x7E };
    put(out, (flag << 32) | (b.duration & PTS_MASK), 5);
}

fn write_descriptor(d: &SpliceDescriptor, out: &mut Vec<u8>) {
    let mut body = Vec::new();
    let identifier = match d {
        SpliceDescriptor::Unknown { identifier, .. } => *identifier,
        _ => CUEI,
    };
    put(&mut body, u64::from(identifier), 4);
    match d {
        SpliceDescriptor::Avail { provider_avail_id } => {
            put(&mut body, u64::from(*provider_avail_id), 4)
        }
        SpliceDescriptor::Dtmf { preroll, chars } => {
            let chars = &chars[..chars.len().min(7)];
            body.push(*preroll);
            body.push((chars.len() as u8) << 5 | 0x1F);
            body.extend_from_slice(chars);
        }
        SpliceDescriptor::Segmentation(s) => write_segmentation(s, &mut body),
        SpliceDescriptor::Time {
            tai_seconds,
            tai_ns,
            utc_offset,
        } => {
            put(&mut body, *tai_seconds, 6);
            put(&mut body, u64::from(*tai_ns), 4);
            put(&mut body, u64::from(*utc_offset), 2);
        }
        SpliceDescriptor::Unknown { bytes, .. } => body.extend_from_slice(bytes),
    }
    // descriptor_length is one byte: a longer body cannot be written whole.
    body.truncate(255);
    out.push(d.tag());
    out.push(body.len() as u8);
    out.extend_from_slice(&body);
}

fn write_segmentation(s: &Segmentation, out: &mut Vec<u8>) {
    put(out, u64::from(s.segmentation_event_id), 4);
    out.push(if s.cancel { 0xFF } else { 0x7F });
    let Some(d) = s.detail.as_ref().filter(|_| !s.cancel) else {
        return;
    };
    let flags = u8::from(d.components.is_none()) << 7
        | u8::from(d.duration.is_some()) << 6
        | u8::from(d.restrictions.is_none()) << 5;
    out.push(match d.restrictions {
        None => flags | 0x1F,
        Some(r) => {
            flags
                | u8::from(r.web_delivery_allowed) << 4
                | u8::from(r.no_regional_blackout) << 3
                | u8::from(r.archive_allowed) << 2
                | (r.device_restrictions & 3)
        }
    });
    if let Some(components) = &d.components {
        out.push(components.len().min(255) as u8);
        for (tag, offset) in components.iter().take(255) {
            out.push(*tag);
            put(out, (0xFE << 32) | (offset & PTS_MASK), 5);
        }
    }
    if let Some(duration) = d.duration {
        put(out, duration & 0xFF_FFFF_FFFF, 5);
    }
    let upid = &d.upid[..d.upid.len().min(255)];
    out.push(d.upid_type);
    out.push(upid.len() as u8);
    out.extend_from_slice(upid);
    out.push(d.segmentation_type_id);
    out.push(d.segment_num);
    out.push(d.segments_expected);
    if let Some((num, expected)) = d.sub_segment {
        out.push(num);
        out.push(expected);
    }
}
