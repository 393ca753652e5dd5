// Multi-period programmes in real players (run.mjs --mode mps): dash.js and Shaka play the
// demo's `testcard-break` and, when the origin serves BBB, `bbb-card` (BBB -> test card -> BBB:
// other codec parameters, 24 vs 25 fps, 4 s vs 3.84 s segments), VOD and live, across at least
// two period boundaries. Besides run.mjs's criteria (no error, no stall > 4 s, about a segment,
// frames decoded), a run must have fetched video segments of at least three periods in turn (two
// boundaries crossed in what it fetched) and, in VOD, its playhead must have passed two Period
// starts in continuous playback (no seek of more than a second: no content skipped). Two more
// (issue 14): no stall longer than the programme's longest segment, and the media time the player
// reports lies in a Period whose segments it fetched (its first frame's, and in VOD its last), so
// the player's timeline is the MPD's Period timeline; live, run.mjs also holds wall clock −
// availabilityStartTime − currentTime within the latency bounds. The DRM programmes
// (`testcard-drm`, the test card encrypted per request; `bbb-drm`, BBB's pre-encrypted copies)
// go clear -> encrypted -> clear with drm=clearkey, through EME ClearKey (drm.mjs's judgeDrm).

import { parseDuration } from './expect.mjs';

const PERIOD_SEGMENT = /\/mps\/(?:live|vod)\/[^/]+\/([^/]+)\/[^/]+\/(?:time\/)?\d+\.m4v(?:\?|$)/;
const MAX_SEEK_S = 1;

// The programmes, with how long a run plays: VOD from 0 past the second boundary and short of
// the end (testcard-break: 7.68 + 3.84 + 3.84 + 3.84 s; bbb-card: 8 + 7.68 + 8 s); live for
// 20 s, which crosses two boundaries wherever it starts, as no period lasts more than 8 s.
export function mpsChecks(origin, player, bbb) {
  // [name, VOD seconds, the DRM query (none: clear)]. dash.js resets its MediaSource once, on
  // purpose, when playback that began in a clear Period reaches an encrypted one (its issue
  // #4396: the MSE must first see an encrypted init segment): the playhead seeks back (to 0) and
  // returns where it was, and the decoded frame count restarts. Its DRM runs allow that one
  // reset (`mseResetOnce`, see mseReset) and are judged on the rest; Shaka plays straight on.
  const programmes = [
    ['testcard-break', 14, ''],
    ['testcard-drm', 14, 'drm=clearkey&enc=cenc&acodec=mp4a'],
    ...(bbb ? [['bbb-card', 19, '']] : []),
    ...(bbb ? [['bbb-drm', 19, 'drm=clearkey&acodec=mp4a']] : []),
  ];
  const checks = [];
  for (const [name, vodSeconds, drm] of programmes) {
    const extra = drm ? { drm: true, what: `${name} clear -> encrypted -> clear (ClearKey)`, mseResetOnce: player === 'dashjs' } : {};
    const query = (q) => [q, drm].filter(Boolean).join('&').replace(/^(.)/, '?$1');
    checks.push({ player, mode: 'mps', url: `${origin}/mps/vod/${name}/hand_made.mpd${query('')}`, seconds: vodSeconds, minPlayed: vodSeconds - 3, noEnd: true, mps: true, ...extra });
    for (const q of ['', 'timeline=1']) {
      checks.push({ player, mode: 'mps', url: `${origin}/mps/live/${name}/hand_made.mpd${query(q)}`, seconds: 20, minPlayed: 17, live: true, mps: true, ...extra });
    }
  }
  return checks;
}

// Called for every response: the period of each video segment fetched, in order.
export function countPeriods(net, resp) {
  const m = resp.status() === 200 && PERIOD_SEGMENT.exec(resp.url());
  if (!m) return;
  net.periods = net.periods || [];
  if (net.periods[net.periods.length - 1] !== m[1]) net.periods.push(m[1]);
}

// The Period starts (s) of a static MPD.
function periodStarts(xml) {
  return [...xml.matchAll(/<Period\b[^>]*\bstart="([^"]+)"/g)].map((m) => parseDuration(m[1])).filter((x) => x > 0);
}

// The longest segment of an MPD, s: SegmentTemplate@duration or SegmentTimeline S@d over the
// timescale of the SegmentTemplate they are in.
export function longestSegment(xml) {
  let timescale = 1;
  let longest = 0;
  const attr = (attrs, name) => {
    const m = new RegExp(`\\b${name}="([^"]*)"`).exec(attrs);
    return m ? Number(m[1]) : null;
  };
  for (const [, tag, attrs] of xml.matchAll(/<(SegmentTemplate|S)\b([^>]*)>/g)) {
    if (tag === 'SegmentTemplate') timescale = attr(attrs, 'timescale') || 1;
    const d = attr(attrs, tag === 'S' ? 'd' : 'duration');
    if (d) longest = Math.max(longest, d / timescale);
  }
  return longest;
}

// The Periods of an MPD: id (a live one's loop suffix `_<n>` taken off: segment URLs name the
// catalog's period), start and end (s; Infinity for the open last one of a live MPD).
export function periodsOf(xml) {
  const periods = [...xml.matchAll(/<Period\b([^>]*)>/g)].map(([, attrs]) => {
    const get = (n) => (new RegExp(`\\b${n}="([^"]*)"`).exec(attrs) || [])[1];
    const start = parseDuration(get('start') || 'PT0S');
    const duration = get('duration');
    return { id: (get('id') || '').replace(/_\d+$/, ''), start, end: duration ? start + parseDuration(duration) : Infinity };
  });
  // A Period without a duration ends where the next starts.
  for (let i = 0; i + 1 < periods.length; i++) periods[i].end = Math.min(periods[i].end, periods[i + 1].start);
  return periods;
}

// The one MediaSource reset a check allows (mseResetOnce): a seek back of more than MAX_SEEK_S
// followed at once by a seek to where the playhead was; null when none (or not allowed).
export function mseReset(check, s) {
  if (!check.mseResetOnce || !s) return null;
  for (let i = 0; i + 1 < s.seeks.length; i++) {
    const [back, forth] = [s.seeks[i], s.seeks[i + 1]];
    if (back.to < back.from - MAX_SEEK_S && Math.abs(forth.to - back.from) <= MAX_SEEK_S) return { back, forth };
  }
  return null;
}

// The media time from which the video frame counter counts: where the allowed MediaSource reset
// returned the playhead, or, when the reset showed no seek (VOD, between two samples), the start
// of the first protected Period the playhead entered from a clear one; null: from the start.
export function framesCountedFrom(check, s, mpd) {
  const reset = mseReset(check, s);
  if (reset) return reset.forth.to;
  if (!check.mseResetOnce || !s || !mpd || s.firstTime === null) return null;
  const bodies = [...mpd.matchAll(/<Period\b([^>]*)>([\s\S]*?)<\/Period>/g)];
  const starts = periodsOf(mpd);
  for (let i = 1; i < bodies.length && i < starts.length; i++) {
    const protectedNow = bodies[i][2].includes('<ContentProtection');
    const protectedBefore = bodies[i - 1][2].includes('<ContentProtection');
    const t = starts[i].start;
    if (protectedNow && !protectedBefore && s.firstTime < t && t < s.currentTime) return t;
  }
  return null;
}

// Problems (empty: pass) and the evidence of a multi-period run.
export function judgeMps(check, result) {
  const { stats: s, net, mpd } = result;
  const reasons = [];
  const visited = net.periods || [];
  if (visited.length < 3) reasons.push(`video segments of ${visited.length} period(s) in turn (${visited.join(' -> ') || 'none'}): want at least 3, two boundaries crossed`);
  // The player's own seeks before playback first advanced (dash.js may go to the window's start,
  // then to the live edge) and its seek to where it starts are no jump.
  const reset = mseReset(check, s);
  const startup = (k) => s.startupMs !== null && k.at <= s.startupMs;
  const jumps = s ? s.seeks.filter((k) => Math.abs(k.to - k.from) > MAX_SEEK_S && !startup(k) && Math.abs(k.to - s.firstTime) > 0.05 && !(reset && (k === reset.back || k === reset.forth))) : [];
  if (jumps.length) reasons.push(`playhead jumped ${jumps.map((k) => `${k.from}->${k.to}`).join(', ')} (content skipped or replayed)`);
  let crossed = [];
  if (!check.live && s && mpd) {
    crossed = periodStarts(mpd).filter((b) => s.firstTime !== null && s.firstTime < b && b < s.currentTime);
    if (crossed.length < 2) reasons.push(`the playhead (${s.firstTime} -> ${s.currentTime} s) crossed ${crossed.length} Period start(s) of ${periodStarts(mpd).join(', ')} s: want 2`);
  }
  if (s && mpd) {
    // No stall longer than a segment of the programme.
    const longest = longestSegment(mpd);
    const stalled = Math.max(s.maxStallMs, s.maxFrozenMs) / 1000;
    if (longest > 0 && stalled > longest) reasons.push(`stalled ${stalled.toFixed(2)} s, longer than a segment (${longest.toFixed(2)} s)`);
    // The player's media time lies in a Period whose segments it fetched: the Period timeline
    // it plays is the MPD's. The MPD is the first one fetched: live, it lists the first frame's.
    const periods = periodsOf(mpd);
    const times = check.live ? [['first frame', s.firstTime]] : [['first frame', s.firstTime], ['last', s.currentTime]];
    for (const [what, t] of times) {
      if (t === null || t === undefined) continue;
      const p = periods.find((q) => q.start <= t && t < q.end);
      if (!p) reasons.push(`media time ${t} s (${what}) is in no Period of the MPD (${periods.map((q) => `${q.id} ${q.start}..${q.end}`).join(', ')})`);
      else if (!visited.includes(p.id)) reasons.push(`media time ${t} s (${what}) is in Period ${p.id}, whose video segments were not fetched (${visited.join(' -> ') || 'none'})`);
    }
  }
  const evidence = `periods fetched ${visited.join(' -> ') || 'none'}${check.live ? '' : `; Period starts crossed ${crossed.join(', ') || 'none'}`}${reset ? `; one MediaSource reset at ${reset.back.from} s (dash.js, clear -> encrypted)` : ''}`;
  return { reasons, evidence };
}
