// Multi-period programmes in real players (run.mjs --mode mps): dash.js and Shaka play the
// demo's `testcard-break` and, when the origin serves BBB, `bbb-card` (BBB -> test card -> BBB:
// other codec parameters, 24 vs 25 fps, 4 s vs 3.84 s segments), VOD and live, across at least
// two period boundaries. Besides run.mjs's criteria (no error, no stall > 4 s, about a segment,
// frames decoded), a run must have fetched video segments of at least three periods in turn (two
// boundaries crossed in what it fetched) and, in VOD, its playhead must have passed two Period
// starts in continuous playback (no seek of more than a second: no content skipped).

import { parseDuration } from './expect.mjs';

const PERIOD_SEGMENT = /\/mps\/(?:live|vod)\/[^/]+\/([^/]+)\/[^/]+\/(?:time\/)?\d+\.m4v(?:\?|$)/;
const MAX_SEEK_S = 1;

// The programmes, with how long a run plays: VOD from 0 past the second boundary and short of
// the end (testcard-break: 7.68 + 3.84 + 3.84 + 3.84 s; bbb-card: 8 + 7.68 + 8 s); live for
// 20 s, which crosses two boundaries wherever it starts, as no period lasts more than 8 s.
export function mpsChecks(origin, player, bbb) {
  const programmes = [['testcard-break', 14], ...(bbb ? [['bbb-card', 19]] : [])];
  const checks = [];
  for (const [name, vodSeconds] of programmes) {
    checks.push({ player, mode: 'mps', url: `${origin}/mps/vod/${name}/hand_made.mpd`, seconds: vodSeconds, minPlayed: vodSeconds - 3, noEnd: true, mps: true });
    for (const q of ['', '?timeline=1']) {
      checks.push({ player, mode: 'mps', url: `${origin}/mps/live/${name}/hand_made.mpd${q}`, seconds: 20, minPlayed: 17, live: true, mps: true });
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

// Problems (empty: pass) and the evidence of a multi-period run.
export function judgeMps(check, result) {
  const { stats: s, net, mpd } = result;
  const reasons = [];
  const visited = net.periods || [];
  if (visited.length < 3) reasons.push(`video segments of ${visited.length} period(s) in turn (${visited.join(' -> ') || 'none'}): want at least 3, two boundaries crossed`);
  // The player's own seek to where it starts (a live edge) is no jump.
  const jumps = s ? s.seeks.filter((k) => Math.abs(k.to - k.from) > MAX_SEEK_S && Math.abs(k.to - s.firstTime) > 0.05) : [];
  if (jumps.length) reasons.push(`playhead jumped ${jumps.map((k) => `${k.from}->${k.to}`).join(', ')} (content skipped or replayed)`);
  let crossed = [];
  if (!check.live && s && mpd) {
    crossed = periodStarts(mpd).filter((b) => s.firstTime !== null && s.firstTime < b && b < s.currentTime);
    if (crossed.length < 2) reasons.push(`the playhead (${s.firstTime} -> ${s.currentTime} s) crossed ${crossed.length} Period start(s) of ${periodStarts(mpd).join(', ')} s: want 2`);
  }
  const evidence = `periods fetched ${visited.join(' -> ') || 'none'}${check.live ? '' : `; Period starts crossed ${crossed.join(', ') || 'none'}`}`;
  return { reasons, evidence };
}
