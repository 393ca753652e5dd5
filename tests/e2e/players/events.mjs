#!/usr/bin/env node
// DASH events in dash.js: the player page plays a live test card with ?events= across a loop
// boundary, and dash.js must hand the page (its event API, per scheme: window.__stats.events)
// the ping and SCTE-35 events the server meant, in-band (emsg) and in the MPD, with their ids
// and presentation times (reference §6: event k at start + k × interval, id k).
//
//   node events.mjs --origin http://127.0.0.1:PORT [--chromium /usr/bin/chromium] [--seconds 20]
//
// Prints `PASS|FAIL dashjs events <url>: <evidence>` per check and `N passed, M failed`.

import { chromium } from 'playwright-core';
import { mpdFacts, latencyBounds, plannedStart } from './expect.mjs';

const args = process.argv.slice(2);
const arg = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const origin = arg('--origin');
const chromiumPath = arg('--chromium', process.env.CHROMIUM || '/usr/bin/chromium');
const SECONDS = Number(arg('--seconds', '20'));
if (!origin) { console.error('usage: node events.mjs --origin http://127.0.0.1:PORT'); process.exit(2); }

const PING = 'urn:dash-live:pingpong:2022';
const SCTE35 = 'urn:scte:scte35:2014:xml+bin';
const LEAD_S = 6;
// Ping every second, SCTE-35 every 4 s from 2 s (event timescale 100).
const OPTIONS = 'acodec=mp4a&depth=60&events=ping,scte35&ping__interval=100&scte35__interval=400&scte35__start=200';
const CHECKS = [
  { what: 'inband (emsg v0 ping, v1 SCTE-35)', query: OPTIONS },
  { what: 'inband (emsg v1 ping)', query: `${OPTIONS}&ping__version=1` },
  { what: 'in the MPD', query: `${OPTIONS}&ping__inband=0&scte35__inband=0&ping__count=3700&scte35__count=930` },
];

function expected(scheme) {
  return scheme === PING ? { start: 0, interval: 100, timescale: 100 } : { start: 200, interval: 400, timescale: 100 };
}

// What is wrong with one event record (null when nothing is).
function problemWith(e) {
  const x = expected(e.scheme);
  if (!Number.isInteger(e.id)) return `no id`;
  const want = (x.start + e.id * x.interval) / x.timescale;
  if (Math.abs(e.calculatedPresentationTime - want) > 0.011) return `id ${e.id} at ${e.calculatedPresentationTime} s, not ${want} s`;
  if (e.scheme === PING) {
    const text = e.message && /^[0-9a-f]+$/.test(e.message) ? Buffer.from(e.message, 'hex').toString() : e.message;
    if (text !== (e.id % 2 ? 'pong' : 'ping')) return `ping id ${e.id} says ${JSON.stringify(text)}`;
  } else if (e.message && /^fc/.test(e.message)) {
    // splice_info_section: splice_insert's splice_event_id at byte 14.
    const id = parseInt(e.message.slice(28, 36), 16);
    if (id !== e.id) return `SCTE-35 id ${e.id} carries splice_event_id ${id}`;
  } else if (!(e.message || '').includes('Binary') && !(e.parsed || '').length) {
    return `SCTE-35 id ${e.id} has no splice_info_section (${String(e.message).slice(0, 60)})`;
  }
  return null;
}

async function plan(query) {
  const mpdUrl = `${origin}/dash/live/testcard/hand_made.mpd?${query}`;
  const xml = await (await fetch(mpdUrl)).text();
  const { target } = latencyBounds('dashjs', mpdFacts(xml), 4);
  const page = `${origin}/play/live/testcard/hand_made.mpd?${query}&player=dashjs`;
  const html = await (await fetch(page)).text();
  const loopS = JSON.parse(/<script id="dashlive-play" type="application\/json">([\s\S]*?)<\/script>/.exec(html)[1]).loopSeconds;
  const p = plannedStart({ nowMs: Date.now(), loopS, latencyS: target, leadS: LEAD_S, setupS: 1.5 });
  return { ...p, loopS, page: `${page}&start=${p.iso}` };
}

async function run(browser, check) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const p = await plan(check.query);
    await page.goto(p.page, { waitUntil: 'load', timeout: 20000 });
    let stats = null;
    const t0 = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      stats = await page.evaluate(() => (window.__stats ? JSON.parse(JSON.stringify(window.__stats)) : null));
      const playing = stats && stats.startupMs !== null ? stats.wallMs - stats.startupMs : 0;
      if (playing >= SECONDS * 1000 || Date.now() - t0 > (SECONDS + 15) * 1000) break;
    }
    return judge(check, p, stats);
  } finally {
    await context.close().catch(() => {});
  }
}

function judge(check, p, stats) {
  if (!stats || stats.firstTime === null) return [false, `did not play (${JSON.stringify(stats && stats.errors)})`];
  const problems = [];
  if (stats.errors.length) problems.push(`errors: ${JSON.stringify(stats.errors).slice(0, 300)}`);
  const played = [stats.firstTime, stats.currentTime];
  const parts = [`played ${played[0].toFixed(1)}..${played[1].toFixed(1)} s, loop boundary at ${p.boundary} s`];
  if (!(played[0] < p.boundary && played[1] > p.boundary)) problems.push('playback did not cross the loop boundary');
  for (const scheme of [PING, SCTE35]) {
    const all = stats.events.filter((e) => e.scheme === scheme);
    for (const e of all) { const bad = problemWith(e); if (bad) { problems.push(bad); break; } }
    // Events playback reached (ON_START): every id whose time it played through, once each.
    const started = [...new Set(all.filter((e) => e.mode === 'start').map((e) => e.id))].sort((a, b) => a - b);
    const x = expected(scheme);
    const should = [];
    for (let k = 0; (x.start + k * x.interval) / x.timescale < played[1] - 0.5; k++) {
      if ((x.start + k * x.interval) / x.timescale > played[0] + 0.5) should.push(k);
    }
    const missing = should.filter((k) => !started.includes(k));
    if (!should.length || missing.length) problems.push(`${scheme}: started ids ${started.join(',')}; missing ${missing.join(',')}`);
    const received = new Set(all.filter((e) => e.mode === 'receive').map((e) => e.id)).size;
    const after = started.filter((k) => (x.start + k * x.interval) / x.timescale > p.boundary);
    parts.push(`${scheme === PING ? 'ping' : 'scte35'}: ${received} received, ${started.length} started (ids ${started[0]}..${started[started.length - 1]}, ${after.length} after the boundary)`);
    if (!after.length) problems.push(`${scheme}: no event after the loop boundary`);
  }
  return [problems.length === 0, [...parts, ...problems].join('; ')];
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'],
});
let passed = 0;
let failed = 0;
try {
  const results = await Promise.all(CHECKS.map((c) => run(browser, c).catch((e) => [false, `setup: ${e.message.split('\n')[0]}`])));
  CHECKS.forEach((c, i) => {
    const [ok, evidence] = results[i];
    if (ok) passed++; else failed++;
    console.log(`${ok ? 'PASS' : 'FAIL'} dashjs events ${c.what} /dash/live/testcard/hand_made.mpd?${c.query}: ${evidence}`);
  });
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
