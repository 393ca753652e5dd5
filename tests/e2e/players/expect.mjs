// What a live MPD leads each player to do, so that run.mjs can judge a live run against the
// manifest rather than against a fixed figure, and plan where in the content a run starts.
//
// - mpdFacts(xml): the MPD attributes and segment durations the players' live-delay rules read.
// - latencyBounds(player, facts): the live latency the player should settle at (its own rule,
//   applied to the MPD) and the window a run is judged against.
// - plannedStart(...): an availabilityStartTime that puts the playhead a few seconds before a
//   loop boundary of the content when the player starts.

// xs:duration (PnDTnHnMnS) in seconds; null when absent or not understood.
export function parseDuration(text) {
  if (!text) return null;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1] || 0) * 86400 + Number(m[2] || 0) * 3600 + Number(m[3] || 0) * 60 + Number(m[4] || 0);
}

const attr = (tag, name) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? m[1] : null;
};

// The longest segment (s) of each SegmentTemplate in BLOCK: @duration, or the longest S@d.
function templateSegments(block) {
  const out = [];
  for (const t of block.match(/<SegmentTemplate\b[^>]*?(?:\/>|>[\s\S]*?<\/SegmentTemplate>)/g) || []) {
    const head = /<SegmentTemplate\b[^>]*>/.exec(t)[0];
    const timescale = Number(attr(head, 'timescale') || 1);
    const duration = attr(head, 'duration');
    if (duration) out.push(Number(duration) / timescale);
    for (const s of t.match(/<S\b[^>]*>/g) || []) out.push(Number(attr(s, 'd')) / timescale);
  }
  return out.filter((x) => Number.isFinite(x) && x > 0);
}

export function mpdFacts(xml) {
  const head = (/<MPD\b[^>]*>/.exec(xml) || [''])[0];
  const seg = { av: [], all: [] };
  for (const set of xml.match(/<AdaptationSet\b[^>]*?(?:\/>|>[\s\S]*?<\/AdaptationSet>)/g) || []) {
    const kind = /contentType="(video|audio)"|mimeType="(video|audio)\//.exec(set);
    const durations = templateSegments(set);
    seg.all.push(...durations);
    if (kind) seg.av.push(...durations);
  }
  const latency = /<Latency\b[^>]*\starget="(\d+)"/.exec(xml);
  const ast = attr(head, 'availabilityStartTime');
  return {
    dynamic: attr(head, 'type') === 'dynamic',
    astMs: ast ? Date.parse(ast) : null,
    spd: parseDuration(attr(head, 'suggestedPresentationDelay')),
    minBufferTime: parseDuration(attr(head, 'minBufferTime')),
    depth: parseDuration(attr(head, 'timeShiftBufferDepth')),
    maxSegmentDuration: parseDuration(attr(head, 'maxSegmentDuration')),
    serviceLatency: latency ? Number(latency[1]) / 1000 : null,
    segAV: Math.max(0, ...seg.av),
    segAll: Math.max(0, ...seg.all),
  };
}

// Where the first video SegmentTimeline of an MPD ends, in its ticks ($Time$ of the segment
// after its last): a player that fetches a video segment from there on has taken it from a
// later timeline (for a patched stream, from a patch). Null without one.
export function videoTimelineEnd(xml) {
  for (const set of xml.match(/<AdaptationSet\b[^>]*?(?:\/>|>[\s\S]*?<\/AdaptationSet>)/g) || []) {
    if (!/contentType="video"|mimeType="video\//.test(set)) continue;
    const t = /<SegmentTimeline>([\s\S]*?)<\/SegmentTimeline>/.exec(set);
    if (!t) return null;
    let end = null;
    for (const s of t[1].match(/<S\b[^>]*>/g) || []) {
      const start = attr(s, 't');
      if (start !== null) end = Number(start);
      end += Number(attr(s, 'd')) * (Number(attr(s, 'r') || 0) + 1);
    }
    return end;
  }
  return null;
}

const fmt = (x) => `${+x.toFixed(2)} s`;

// The live latency each player aims for, by its own rule (dash.js 5.2
// PlaybackController.computeAndSetLiveDelay; Shaka 5.2 DashParser and
// PresentationTimeline.getSeekRangeEnd):
// - dash.js: ServiceDescription Latency@target, else suggestedPresentationDelay, else 4 x
//   MPD@maxSegmentDuration, else 4 x minBufferTime; never more than timeShiftBufferDepth.
// - Shaka: suggestedPresentationDelay, else 1.5 x minBufferTime, at most
//   timeShiftBufferDepth; counted back from a live edge one maximum segment duration behind
//   the wall clock (MPD@maxSegmentDuration or the longest video or audio segment: Shaka's
//   SegmentTemplate leaves text out, so BBB's 10 s subtitle segments do not count).
export function targetLatency(player, f) {
  const depth = f.depth || Infinity;
  if (player === 'dashjs') {
    let t;
    let rule;
    if (f.serviceLatency) [t, rule] = [f.serviceLatency, `ServiceDescription latency ${fmt(f.serviceLatency)}`];
    else if (f.spd) [t, rule] = [f.spd, `suggestedPresentationDelay ${fmt(f.spd)}`];
    else if (f.maxSegmentDuration) [t, rule] = [4 * f.maxSegmentDuration, `4 x maxSegmentDuration ${fmt(f.maxSegmentDuration)}`];
    else [t, rule] = [4 * (f.minBufferTime || 0), `4 x minBufferTime ${fmt(f.minBufferTime || 0)}`];
    if (t > depth) [t, rule] = [depth, `timeShiftBufferDepth ${fmt(depth)} (below ${rule})`];
    return { target: t, rule };
  }
  const delay = f.spd !== null ? f.spd : 1.5 * (f.minBufferTime || 0);
  let rule = f.spd !== null ? `suggestedPresentationDelay ${fmt(f.spd)}` : `1.5 x minBufferTime ${fmt(f.minBufferTime || 0)}`;
  if (delay > depth) rule = `timeShiftBufferDepth ${fmt(depth)} (below ${rule})`;
  const edge = Math.max(f.maxSegmentDuration || 1, f.segAV);
  return { target: Math.min(delay, depth) + edge, rule: `${rule} + longest segment ${fmt(edge)}` };
}

// The window a live run's latency must stay in: the player's target, minus one segment and
// 1 s (a player starts on a segment boundary near its target, either side of it), plus one
// segment and the stall limit (time lost to rebuffering that the stall check still allows);
// and never past the end of the time-shift window.
export function latencyBounds(player, f, maxStallS) {
  const { target, rule } = targetLatency(player, f);
  const seg = f.segAV || f.segAll;
  const lo = Math.max(0, target - seg - 1);
  const hi = Math.min(target + seg + maxStallS, (f.depth || Infinity) + seg);
  return { target, rule, lo, hi, text: `${fmt(lo)}..${fmt(hi)} (target ${fmt(target)}: ${rule}; -${fmt(seg + 1)}/+${fmt(seg + maxStallS)})` };
}

// An availabilityStartTime (ms) for a live run that starts now: the content loops every LOOP_S
// from the availabilityStartTime, so the player, LATENCY_S behind the live edge, starts at
// media time (load time - AST - LATENCY_S); choose AST so that this is LEAD_S before a loop
// boundary about an hour into the stream. SETUP_S: the expected time from now until the page
// gives the player the MPD.
export function plannedStart({ nowMs, loopS, latencyS, leadS, setupS }) {
  const boundary = Math.ceil(3600 / loopS) * loopS;
  const astMs = Math.round(nowMs + setupS * 1000 - latencyS * 1000 - (boundary - leadS) * 1000);
  return { astMs, boundary: +boundary.toFixed(3), iso: new Date(astMs).toISOString() };
}
