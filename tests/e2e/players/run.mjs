#!/usr/bin/env node
// Real players against a running dashlive origin: dash.js and Shaka Player in headless
// Chromium (playwright-core drives the system's Chromium): one browser, a fresh context per check.
//
//   node run.mjs --origin http://127.0.0.1:5000 [--player dashjs,shaka] [--mode pages,vod,live,patch,negative,extra,faults,drm,mps]
//                [--only SUBSTRING] [--list] [--verbose] [--jobs N] [--bbb STREAM] [--chromium /usr/bin/chromium]
//   node run.mjs --origin http://127.0.0.1:5000 --url 'http://127.0.0.1:5000/dash/live/testcard/manifest_e.mpd?acodec=mp4a&time=xsd' \
//                [--url MPD_URL ...] [--player shaka] [--seconds 20] [--plan] [--jobs N]
//
// Prints `PASS|FAIL <player> <mode> <url>: <evidence>` per check and `N passed, M failed`;
// exits 1 on any failure, 2 on a usage or setup error. See README.md for what each check asserts.

import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { mpdFacts, latencyBounds, plannedStart, videoTimelineEnd } from './expect.mjs';
import { drmChecks, prepareContext, countLicence, judgeDrm, emeEvidence } from './drm.mjs';
import { mpsChecks, countPeriods, judgeMps, framesCountedFrom } from './mps.mjs';

const FPS = 25;
const MAX_STALL_S = 4;
// A planned live run starts LEAD_S before a loop boundary; SETUP_S is the time expected from
// planning to the page giving the player its MPD.
const LEAD_S = 5;
const SETUP_S = 1.5;
// A check plays for its `seconds` from the first frame; the start-up before it (reported) may
// take this long at most on top.
const MAX_STARTUP_S = 10;
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--autoplay-policy=no-user-gesture-required', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  // Nothing but the loopback: any other host name fails to resolve (and shows as a failed request).
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

// ---------------------------------------------------------------------------------------------
// Arguments

function usage(msg) {
  if (msg) console.error(`run.mjs: ${msg}`);
  console.error('usage: node run.mjs --origin http://127.0.0.1:PORT [--player dashjs,shaka] [--mode pages,vod,live,patch,negative,extra,faults,drm,mps] [--only SUBSTRING] [--list] [--verbose] [--jobs N] [--url MPD_URL ... [--seconds N] [--plan]] [--chromium PATH] [--bbb STREAM]');
  process.exit(2);
}

function parseArgs(argv) {
  // The default modes; 'extra' runs only when asked for.
  const opts = { players: ['dashjs', 'shaka'], modes: ['pages', 'vod', 'live', 'patch', 'negative'], only: [], jobs: 2, verbose: false, list: false, urls: [], plan: false, seconds: null, chromium: process.env.CHROMIUM || '/usr/bin/chromium', bbb: 'upload-test' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--origin': opts.origin = value().replace(/\/+$/, ''); break;
      case '--player': opts.players = value().split(','); break;
      case '--mode': opts.modes = value().split(','); break;
      case '--only': opts.only.push(value()); break;
      case '--url': opts.urls.push(value()); break;
      case '--plan': opts.plan = true; break;
      case '--seconds': opts.seconds = Number(value()); break;
      case '--chromium': opts.chromium = value(); break;
      case '--jobs': opts.jobs = Number(value()); break;
      case '--bbb': opts.bbb = value(); break;
      case '--verbose': case '-v': opts.verbose = true; break;
      case '--list': opts.list = true; break;
      case '--help': case '-h': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!opts.origin) usage('--origin is required');
  for (const p of opts.players) if (!['dashjs', 'shaka'].includes(p)) usage(`unknown player ${p}`);
  for (const m of opts.modes) if (!['pages', 'vod', 'live', 'patch', 'negative', 'extra', 'faults', 'drm', 'mps'].includes(m)) usage(`unknown mode ${m}`);
  if (opts.seconds !== null && !(opts.seconds > 0)) usage('--seconds takes a positive number');
  if (!(Number.isInteger(opts.jobs) && opts.jobs > 0)) usage('--jobs takes a positive whole number');
  return opts;
}

// ---------------------------------------------------------------------------------------------
// The checks

// static: the static server's base URL, known once it listens; bbb: the BBB stream's name on
// the origin, or null when it has none.
function buildChecks(opts, staticBase, bbb) {
  const o = opts.origin;
  const checks = [];
  // Live runs are planned (plan: a start= computed when the run begins, a few seconds before a
  // loop boundary), VOD runs start at 0.
  const vod = (player, mode, url) => ({ player, mode, url, seconds: 8, minPlayed: 6, noEnd: true });
  const live = (player, mode, url) => ({ player, mode, url, seconds: 20, minPlayed: 15, live: true, plan: true });
  const negative = (player, what, url, seconds, stallOrError) => ({ player, mode: 'negative', what, url, seconds, minPlayed: 6, negative: true, noEnd: true, stallOrError });
  for (const player of opts.players) {
    if (opts.urls.length) {
      // --plan: a live URL starts LEAD_S before a loop boundary (the origin's own streams: the
      // player page gives the loop length), which it must cross.
      for (const url of opts.urls) {
        const isLive = /\/dash\/live\//.test(url);
        const seconds = opts.seconds || (isLive ? 20 : 8);
        checks.push({ player, mode: isLive ? 'live' : 'vod', url, seconds, minPlayed: seconds * 0.75, live: isLive, plan: isLive && opts.plan });
      }
      continue;
    }
    for (const m of ['hand_made', 'manifest_a']) checks.push(vod(player, 'vod', `${o}/dash/vod/testcard/${m}.mpd?acodec=mp4a`));
    if (bbb) checks.push(vod(player, 'vod', `${o}/dash/vod/${bbb}/hand_made.mpd?acodec=mp4a`));
    for (const q of ['', '&timeline=1']) checks.push(live(player, 'live', `${o}/dash/live/testcard/hand_made.mpd?acodec=mp4a${q}`));
    checks.push(live(player, 'live', `${o}/dash/live/testcard/manifest_a.mpd?acodec=mp4a`));
    // MPD patches: after the first MPD, every update must be a patch (/patch/...), not the MPD again.
    // Both players: the patches edit timelines with the operations both apply (docs/patch-players.md).
    // The test card's timelines are one run each (every patch replaces S[1]); BBB's AAC segments
    // vary, so its patches remove, replace and add runs, and its loop's last segment is cut.
    for (const stream of ['testcard', ...(bbb ? [bbb] : [])]) {
      checks.push({ ...live(player, 'patch', `${o}/dash/live/${stream}/hand_made.mpd?acodec=mp4a&patch=1`), seconds: 24, minPlayed: 18, patches: true });
    }
    if (bbb) checks.push(live(player, 'live', `${o}/dash/live/${bbb}/hand_made.mpd?acodec=mp4a`));
    // The pages: the home page's link and its URL composer lead to a player page that plays and
    // shows its statistics.
    if (player === 'dashjs') checks.push({ player, mode: 'pages', url: `${o}/dash/vod/testcard/hand_made.mpd`, fromHome: 'link', seconds: 8, minPlayed: 6, noEnd: true });
    if (player === 'shaka') checks.push({ player, mode: 'pages', url: `${o}/dash/live/testcard/hand_made.mpd?timeline=1&depth=60`, fromHome: 'form', seconds: 12, minPlayed: 9, live: true });
    // Negative checks: the player run must be judged FAIL.
    checks.push(negative(player, 'manifest 404', `${o}/dash/vod/no-such-stream/hand_made.mpd?acodec=mp4a`, 8));
    checks[checks.length - 1].anyMpd = true;
    checks.push(negative(player, 'segments 404 (BaseURL to a missing folder)', `${staticBase}/neg/segments-404/hand_made.mpd`, 8));
    checks.push(negative(player, 'stale segments (every segment is segment 1, so the media ends at 3.84 s)', `${staticBase}/neg/stale/hand_made.mpd`, 8));
    checks.push(negative(player, 'deleted and corrupted segments, as in the negative tree (video segment 2 of every rung 404, segment 3 with a random mdat payload of the same size)', `${staticBase}/neg/broken/hand_made.mpd`, 10, true));
    checks.push(negative(player, 'corrupted segment (video segment 2 of every rung with a random mdat payload of the same size, boxes intact)', `${staticBase}/neg/corrupt/hand_made.mpd`, 10, true));
    // Opt-in (--mode extra): the other templates, same criteria as vod and live.
    for (const m of ['manifest_b', 'manifest_e', 'manifest_ef', 'manifest_h', 'manifest_i', 'manifest_n']) {
      checks.push(vod(player, 'extra', `${o}/dash/vod/testcard/${m}.mpd?acodec=mp4a`));
    }
    for (const m of ['hand_made', 'manifest_vod_aiv']) {
      checks.push(vod(player, 'extra', `${o}/dash/odvod/testcard/${m}.mpd?acodec=mp4a`));
    }
    for (const m of ['manifest_e.mpd?acodec=mp4a&time=xsd', 'manifest_ef.mpd?acodec=mp4a', 'manifest_h.mpd?acodec=mp4a', 'manifest_i.mpd?acodec=mp4a', 'manifest_n.mpd?acodec=mp4a']) {
      checks.push(live(player, 'extra', `${o}/dash/live/testcard/${m}`));
    }
    checks.push(negative(player, 'hung segments (no answer after segment 1: a stall, no error event)', `${staticBase}/neg/hang/hand_made.mpd`, 10, true));
    // Opt-in (--mode faults): injected errors. Video segment 2 answers 404 once per client (the
    // origin's signed cookie counts it): the player retries and plays on, and the 404 must have
    // been seen. Answered 404 every time, the player must report an error event.
    const segment2 = /^404 GET .*\/2\.m4v\?/;
    checks.push({ ...vod(player, 'faults', `${o}/dash/vod/testcard/hand_made.mpd?acodec=mp4a&verr=404=2&failures=1`), mustSee: segment2, seconds: 10, minPlayed: 8 });
    // Live: livesim2's periodic statuses, the first video segment of every 10 s answering 404
    // once per client; the player plays on across the loop boundary as `live` requires.
    checks.push({ ...live(player, 'faults', `${o}/dash/live/testcard/hand_made.mpd?acodec=mp4a&statuscode=404:10:0:video&failures=1`), mustSee: /^404 GET .*\.m4v\?/ });
    checks.push({ ...negative(player, 'permanent 404 of video segment 2 (verr=404=2)', `${o}/dash/vod/testcard/hand_made.mpd?acodec=mp4a&verr=404=2`, 12), mode: 'faults', errorEvent: true, mustSee: segment2 });
    // Opt-in (--mode drm): EME ClearKey through the origin's licence server (drm.mjs).
    checks.push(...drmChecks(o, player, bbb, { vod, live, negative }));
    // Opt-in (--mode mps): multi-period programmes across at least two period boundaries (mps.mjs).
    checks.push(...mpsChecks(o, player, bbb));
  }
  const order = ['pages', 'vod', 'live', 'patch', 'negative', 'extra', 'faults', 'drm', 'mps'];
  checks.sort((a, b) => opts.players.indexOf(a.player) - opts.players.indexOf(b.player) || order.indexOf(a.mode) - order.indexOf(b.mode));
  return checks.filter((c) => (opts.urls.length || opts.modes.includes(c.mode)) && opts.only.every((s) => `${c.player} ${c.mode} ${c.url}`.includes(s)));
}

// ---------------------------------------------------------------------------------------------
// The static server of the negative checks: broken copies of a manifest and broken segments.
// Every page is the origin's own player page (/play/...), which loads the MPD from here
// cross-origin, hence the CORS header.

function sendFile(res, file) {
  fs.readFile(file, (err, data) => {
    if (err) {
      res.writeHead(404, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/dash+xml', 'cache-control': 'no-store', 'access-control-allow-origin': '*' });
    res.end(data);
  });
}

// The mdat payload of a media segment overwritten with pseudo-random bytes (seeded by SEED),
// every box and size intact: what negative_tree.py does to its copy of the tree.
function corruptMdat(buf, seed) {
  const out = Buffer.from(buf);
  let off = 0;
  while (off + 8 <= out.length) {
    let size = out.readUInt32BE(off);
    let header = 8;
    if (size === 1) {
      size = Number(out.readBigUInt64BE(off + 8));
      header = 16;
    } else if (size === 0) {
      size = out.length - off;
    }
    if (size < header) break;
    if (out.toString('latin1', off + 4, off + 8) === 'mdat') {
      let x = 2166136261;
      for (const c of seed) x = Math.imul(x ^ c.charCodeAt(0), 16777619) >>> 0;
      for (let i = off + header; i < Math.min(off + size, out.length); i++) {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        out[i] = x & 0xff;
      }
      return out;
    }
    off += size;
  }
  throw new Error('no mdat in the segment');
}

// What the broken folders do to the video segments (.m4v) of every rung, by number.
const BREAKS = {
  broken: { gone: '2', garbage: '3' },
  corrupt: { garbage: '2' },
};

async function startStaticServer(origin, negDir) {
  const hung = new Set();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = decodeURIComponent(url.pathname);
    if (p.includes('..') || p.includes('\0')) {
      res.writeHead(400);
      res.end();
      return;
    }
    if (p.startsWith('/neg/') && p.endsWith('.mpd')) return sendFile(res, path.join(negDir, p.slice('/neg/'.length)));
    // /stale/<rep>/<n>.<ext>: the origin's VOD segment 1 whatever n is (init segments as they are).
    // /hang/<rep>/<n>.<ext>: the init segment and segment 1 from the origin; no answer for n >= 2.
    // /broken/, /corrupt/: the origin's segments, but for the video segments BREAKS names.
    const m = /^\/(stale|hang|broken|corrupt)\/([A-Za-z0-9_]+)\/(init|\d+)\.(m4v|m4a|m4s)$/.exec(p);
    if (m) {
      if (m[1] === 'hang' && m[3] !== 'init' && m[3] !== '1') {
        hung.add(res);
        res.on('close', () => hung.delete(res));
        return;
      }
      const breaks = (m[4] === 'm4v' && BREAKS[m[1]]) || {};
      if (m[3] === breaks.gone) {
        res.writeHead(404, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
        res.end('deleted\n');
        return;
      }
      const name = m[1] === 'stale' && m[3] !== 'init' ? '1' : m[3];
      try {
        const r = await fetch(`${origin}/dash/vod/testcard/${m[2]}/${name}.${m[4]}`);
        let body = Buffer.from(await r.arrayBuffer());
        if (m[3] === breaks.garbage && r.status === 200) body = corruptMdat(body, m[2]);
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'video/mp4', 'cache-control': 'no-store', 'access-control-allow-origin': '*' });
        res.end(body);
      } catch (e) {
        res.writeHead(502);
        res.end(String(e));
      }
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
    res.end('not found\n');
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.releaseHung = () => {
    for (const res of hung) res.destroy();
    hung.clear();
  };
  return server;
}

// The negative manifests: the origin's VOD hand_made.mpd with its BaseURL pointed elsewhere.
async function writeNegativeManifests(origin, staticBase, negDir) {
  const src = `${origin}/dash/vod/testcard/hand_made.mpd?acodec=mp4a`;
  const r = await fetch(src);
  if (r.status !== 200) throw new Error(`${src} answered ${r.status}`);
  const mpd = await r.text();
  const rebase = (base) => {
    let out = mpd.replace(/\s*<BaseURL>[^<]*<\/BaseURL>/g, '').replace(/\s*<Location>[^<]*<\/Location>/g, '');
    out = out.replace(/(<Period\b[^>]*>)/, `$1\n    <BaseURL>${base}</BaseURL>`);
    if (!out.includes(base)) throw new Error('no <Period> in the VOD manifest');
    return out;
  };
  const folders = [['segments-404', `${origin}/dash/vod/no-such-stream/`]];
  for (const dir of ['stale', 'hang', ...Object.keys(BREAKS)]) folders.push([dir, `${staticBase}/${dir}/`]);
  for (const [dir, base] of folders) {
    fs.mkdirSync(path.join(negDir, dir), { recursive: true });
    fs.writeFileSync(path.join(negDir, dir, 'hand_made.mpd'), rebase(base));
  }
}

// ---------------------------------------------------------------------------------------------
// One check: a fresh browser context (no cache, no storage) in the shared Chromium, the page,
// the statistics after `seconds` of playback.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let browser = null;
let launching = null;
// One browser for every check; concurrent checks share one launch.
async function getBrowser(opts) {
  if (browser && browser.isConnected()) return browser;
  if (!launching) {
    // playwright-core gives the browser a fresh temporary --user-data-dir and removes it on close.
    launching = chromium.launch({ executablePath: opts.chromium, headless: true, args: CHROMIUM_ARGS })
      .then((b) => { browser = b; return b; })
      .finally(() => { launching = null; });
  }
  return launching;
}

// For a 404 on a live test-card segment, when the segment became available: testcard segments
// are 3.84 s long, startNumber 1, and the segment URLs carry the availabilityStartTime (start=),
// so segment n (or the segment at $Time$ t) is complete at AST + n * 3840 ms (or AST + t /
// timescale + 3.84 s).
function availabilityNote(url, atMs) {
  const m = /\/dash\/live\/testcard\/[A-Za-z0-9_]+\/(?:(\d+)|time\/(\d+))\.(m4v|m4a|m4s)\?(?:[^#]*&)?start=([^&#]+)/.exec(url);
  const ast = m ? Date.parse(decodeURIComponent(m[4])) : NaN;
  if (!Number.isFinite(ast)) return '';
  const end = m[1] !== undefined ? ast + Number(m[1]) * 3840 : ast + (Number(m[2]) / { m4v: 25000, m4a: 48000, m4s: 1000 }[m[3]]) * 1000 + 3840;
  const d = Math.round(atMs - end);
  return ` (asked at ${atMs.toFixed(0)} ms, segment complete at ${end.toFixed(0)} ms: ${Math.abs(d)} ms ${d < 0 ? 'early' : 'after'})`;
}

// The home page as a tester uses it: its table links to the player pages, and its form composes
// a player page URL from the options. Returns the URL to play; problems go to `problems`.
async function composeOnHomePage(page, origin, check, problems) {
  const home = await page.goto(`${origin}/`, { waitUntil: 'load', timeout: 20000 });
  if (!home || home.status() !== 200) problems.push(`home page answered ${home && home.status()}`);
  const links = await page.$$eval('a[href^="play/"]', (as) => as.map((a) => a.getAttribute('href')));
  for (const want of ['play/live/testcard/hand_made.mpd?player=dashjs', 'play/vod/testcard/manifest_a.mpd?player=shaka', 'play/odvod/testcard/manifest_vod_aiv.mpd?player=native']) {
    if (!links.includes(want)) problems.push(`the home page has no link ${want}`);
  }
  if (check.fromHome === 'link') {
    const href = `play/${check.url.slice(`${origin}/dash/`.length)}?player=${check.player}`;
    if (!links.includes(href)) problems.push(`the home page has no link ${href}`);
    return new URL(href, `${origin}/`).href;
  }
  // The composer: what to play, then options from the option table's form.
  await page.selectOption('#f-stream', 'testcard');
  await page.selectOption('#f-manifest', 'hand_made');
  await page.selectOption('#f-mode', 'live');
  await page.selectOption('select[name=timeline]', '1');
  await page.fill('input[name=depth]', '60');
  await page.selectOption('select[name=player]', check.player);
  const mpd = await page.getAttribute('#out-mpd', 'href');
  const play = await page.getAttribute('#out-play', 'href');
  const wantMpd = '/dash/live/testcard/hand_made.mpd?timeline=1&depth=60';
  const wantPlay = `/play/live/testcard/hand_made.mpd?timeline=1&depth=60&player=${check.player}`;
  if (mpd !== wantMpd) problems.push(`the form composed the MPD URL ${mpd}, not ${wantMpd}`);
  if (play !== wantPlay) problems.push(`the form composed the player URL ${play}, not ${wantPlay}`);
  return new URL(play || wantPlay, `${origin}/`).href;
}

// What the player page shows a tester (its statistics table).
async function readPanel(page) {
  return page.evaluate(() => {
    const out = {};
    for (const el of document.querySelectorAll('#stats td[id^="st-"]')) out[el.id.slice(3)] = el.textContent;
    return out;
  });
}

// The origin's player page for an MPD: /play/<mode>/<stream>/<manifest>?<options>&player=
// for the origin's own streams, /play?mpd=<URL> for any other.
function playPage(origin, player, mpd, anyMpd) {
  const own = `${origin}/dash/`;
  if (mpd.startsWith(own) && !anyMpd) {
    const [pathPart, query] = mpd.slice(own.length).split(/\?(.*)/s);
    return `${origin}/play/${pathPart}?${query ? query + '&' : ''}player=${player}`;
  }
  return `${origin}/play?player=${player}&mpd=${encodeURIComponent(mpd)}`;
}

// The player page's settings (its JSON block); loopSeconds is the content's loop length.
async function pageConfig(url) {
  const html = await (await fetch(url)).text();
  const m = /<script id="dashlive-play" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  return m ? JSON.parse(m[1]) : {};
}

// A planned live run: the URL with a start= (availabilityStartTime) that puts the player's
// first frame LEAD_S before a loop boundary, given the latency the player will aim for with
// this MPD (expect.mjs).
async function planStart(check, opts) {
  const r = await fetch(check.url);
  if (r.status !== 200) throw new Error(`${check.url} answered ${r.status}`);
  const { target } = latencyBounds(check.player, mpdFacts(await r.text()), MAX_STALL_S);
  const loopS = (await pageConfig(playPage(opts.origin, check.player, check.url))).loopSeconds;
  if (!(loopS > 0)) throw new Error(`the player page of ${check.url} gives no loop length`);
  const plan = plannedStart({ nowMs: Date.now(), loopS, latencyS: target, leadS: LEAD_S, setupS: SETUP_S });
  return { ...plan, loopS, url: `${check.url}${check.url.includes('?') ? '&' : '?'}start=${plan.iso}` };
}

async function runCheck(check, opts) {
  // manifests/patches: 200 answers of /dash/live/.../*.mpd and /patch/... (MPD patch checks).
  const net = { bad: [], failed: [], aborted: 0, requests: 0, manifests: 0, patches: 0, videoTimes: [] };
  const consoleErrors = [];
  let crashed = null;
  let context;
  let plan = null;
  let mpd = null;
  try {
    context = await (await getBrowser(opts)).newContext({ viewport: { width: 800, height: 450 } });
    await prepareContext(context, check);
    const page = await context.newPage();
    const sentAt = new Map();
    page.on('request', (req) => { net.requests++; sentAt.set(req, Date.now()); });
    page.on('response', (resp) => {
      // The first MPD the player loaded: what its live latency is judged against.
      if (!mpd && resp.status() === 200 && /dash\+xml/.test(resp.headers()['content-type'] || '')) mpd = resp.text().catch(() => null);
      if (resp.status() === 200 && /\/dash\/live\/[^?]*\.mpd(\?|$)/.test(resp.url())) net.manifests++;
      if (resp.status() === 200 && /\/patch\//.test(resp.url())) net.patches++;
      // $Time$ of the video segments fetched (patch checks: were the patched timelines used?).
      const vt = resp.status() === 200 && /\/dash\/live\/[^?]*\/time\/(\d+)\.m4v(\?|$)/.exec(resp.url());
      if (vt) net.videoTimes.push(Number(vt[1]));
      if (check.drm) countLicence(net, resp);
      if (check.mps) countPeriods(net, resp);
      if (resp.status() >= 400) {
        const req = resp.request();
        net.bad.push(`${resp.status()} ${req.method()} ${resp.url()}${availabilityNote(resp.url(), sentAt.get(req) || Date.now())}`);
      }
    });
    page.on('requestfailed', (req) => {
      const text = (req.failure() && req.failure().errorText) || 'failed';
      if (text === 'net::ERR_ABORTED') net.aborted++;
      else net.failed.push(`${text} ${req.method()} ${req.url()}`);
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error' && consoleErrors.length < 20) consoleErrors.push(msg.text().slice(0, 300));
    });
    page.on('pageerror', (err) => { if (consoleErrors.length < 20) consoleErrors.push(`pageerror: ${err.message}`.slice(0, 300)); });
    page.on('crash', () => { crashed = 'page crashed'; });

    // Planned once the browser context and page exist (which takes seconds when several checks
    // start at once), so that only the page's own load lies between the plan and the player.
    if (check.plan) plan = await planStart(check, opts);
    const url = plan ? plan.url : check.url;
    let pageUrl = playPage(opts.origin, check.player, url, check.anyMpd);
    const pageProblems = [];
    if (check.fromHome) pageUrl = await composeOnHomePage(page, opts.origin, check, pageProblems);
    const answer = await page.goto(pageUrl, { waitUntil: 'load', timeout: 20000 });
    if (check.fromHome && (!answer || answer.status() !== 200)) pageProblems.push(`player page ${pageUrl} answered ${answer && answer.status()}`);
    const readStats = () => page.evaluate(() => (window.__stats ? JSON.parse(JSON.stringify(window.__stats)) : null));
    const t0 = Date.now();
    let stats = null;
    for (;;) {
      await sleep(250);
      if (crashed) break;
      stats = await readStats();
      if (!stats || !stats.ready) {
        if (Date.now() - t0 > 15000) break; // the library did not load
        if (stats && stats.errors.length) break;
        continue;
      }
      const playing = stats.startupMs === null ? 0 : stats.wallMs - stats.startupMs;
      if (playing >= check.seconds * 1000 || stats.wallMs >= (check.seconds + MAX_STARTUP_S) * 1000) break;
      // A run that has already failed stops early: an error event (after 1.5 s more, to gather
      // the requests and errors that follow it), a stall past the limit, or the end of a VOD
      // presentation that should still be playing.
      if (stats.errors.length && stats.wallMs - stats.errors[0].at > 1500) break;
      if (Math.max(stats.curStallMs, stats.frozenMs) > (MAX_STALL_S + 0.5) * 1000) break;
      if (stats.ended) break;
    }
    const panel = check.fromHome ? await readPanel(page) : null;
    const eme = check.drm ? await page.evaluate(() => window.__eme || null) : null;
    return { stats, net, consoleErrors, crashed, pageProblems, panel, plan, url, mpd: await mpd, eme };
  } catch (e) {
    return { stats: null, net, consoleErrors, crashed, plan, url: plan ? plan.url : check.url, setupError: e.message.split('\n')[0] };
  } finally {
    if (context) await context.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Judging

const f1 = (x) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : Number(x).toFixed(1));

function judge(check, result) {
  const { stats: s, net } = result;
  const reasons = [];
  if (result.setupError) reasons.push(`harness: ${result.setupError}`);
  if (result.crashed) reasons.push(result.crashed);
  if (!s) {
    reasons.push('no statistics from the page');
    return { ok: false, reasons, drmReasons: [], evidence: '' };
  }
  if (!s.ready) reasons.push('the player never started (library not loaded)');
  for (const p of result.pageProblems || []) reasons.push(p);
  // Live: the latency window the MPD the player loaded sets for this player (expect.mjs).
  const facts = check.live && result.mpd ? mpdFacts(result.mpd) : null;
  const bounds = facts ? latencyBounds(check.player, facts, MAX_STALL_S) : null;
  const within = (x) => bounds !== null && x !== null && Number.isFinite(x) && x >= bounds.lo && x <= bounds.hi;
  if (check.live && !facts) reasons.push('no MPD seen among the responses (the latency cannot be judged)');
  if (result.panel) {
    const p = result.panel;
    const num = (text) => parseFloat(String(text || '').replace(/[^0-9.-].*$/s, ''));
    const shown = num(p.time);
    if (!(Math.abs(shown - s.currentTime) <= 1)) reasons.push(`the page shows current time "${p.time}", the video is at ${f1(s.currentTime)} s`);
    if (!String(p.player).includes(s.version || '?')) reasons.push(`the page shows player "${p.player}", not ${s.version}`);
    if (!/\d+x\d+ @ \d+ kbit\/s/.test(p.rep || '')) reasons.push(`the page shows no playing representation ("${p.rep}")`);
    if (!(num(p.buffer) >= 0)) reasons.push(`the page shows no buffer level ("${p.buffer}")`);
    if (bounds && !within(num(p.latency))) reasons.push(`the page shows live latency "${p.latency}", not within ${bounds.text}`);
    if (check.live && p.live !== 'live') reasons.push(`the page shows the stream as "${p.live}"`);
    if (p.errors !== 'none') reasons.push(`the page shows errors: ${p.errors}`);
  }
  // An injected fault the run must have met (else it proves nothing).
  if (check.mustSee && !net.bad.some((b) => check.mustSee.test(b))) reasons.push(`harness: no response matching ${check.mustSee} (the injected fault was not met)`);
  for (const e of s.errors.slice(0, 3)) reasons.push(`error event ${e.source} ${e.code}: ${e.message.length > 240 ? e.message.slice(0, 240) + '...' : e.message}`);
  if (s.errors.length > 3) reasons.push(`${s.errors.length - 3} more error events`);
  if (s.played < check.minPlayed) reasons.push(`currentTime advanced ${f1(s.played)} s < ${check.minPlayed} s`);
  if (check.noEnd && s.ended) reasons.push(`playback ended at ${f1(s.currentTime)} s before the end of the ${check.seconds} s window`);
  if (s.startupMs === null || s.startupMs > MAX_STARTUP_S * 1000) reasons.push(`no first frame within ${MAX_STARTUP_S} s`);
  const stallS = s.maxStallMs / 1000;
  const frozenS = s.maxFrozenMs / 1000;
  if (stallS > MAX_STALL_S) reasons.push(`stalled ${f1(stallS)} s (no progress, buffer not growing) > ${MAX_STALL_S} s`);
  if (frozenS > MAX_STALL_S) reasons.push(`currentTime frozen ${f1(frozenS)} s while playing > ${MAX_STALL_S} s`);
  // An MPD without video (an audio-only stream) decodes no frames.
  const audioOnly = result.mpd ? !/contentType="video"|mimeType="video\//.test(result.mpd) : false;
  // After the one MediaSource reset a check allows, the frame counter starts again.
  const countedFrom = check.mps ? framesCountedFrom(check, s, result.mpd) : null;
  const expectFrames = 0.5 * FPS * (countedFrom === null ? s.played : Math.max(0, s.currentTime - countedFrom));
  if (s.played > 0 && !audioOnly && (!s.frames || s.frames.total < expectFrames)) reasons.push(`${s.frames ? s.frames.total : 0} video frames decoded < ${expectFrames.toFixed(0)} (half of ${FPS} fps)`);
  if (check.live) {
    if (s.isLive === false) reasons.push('the player took the stream as static');
    if (bounds && !(within(s.latencyMin) && within(s.latencyMax))) reasons.push(`live latency ${f1(s.latencyMin)}..${f1(s.latencyMax)} s not within ${bounds.text}`);
    // The same latency by the wall clock, for both players alike: the playhead's media time is
    // counted from the availabilityStartTime (every live Period here starts at 0).
    const byClock = facts && facts.astMs !== null && s.latencyEpoch !== null ? s.latencyEpoch - facts.astMs / 1000 : null;
    if (bounds && !within(byClock)) reasons.push(`wall clock - availabilityStartTime - currentTime = ${f1(byClock)} s, not within ${bounds.text}`);
    const p = result.plan;
    if (p && !s.loopCrossings.some((t) => Math.abs(t - p.boundary) < 0.01)) {
      reasons.push(`the loop boundary at media time ${p.boundary} s was not crossed in continuous playback (media time ${f1(s.firstTime)} .. ${f1(s.currentTime)}${s.loopCrossings.length ? `; crossed ${s.loopCrossings.join(', ')}` : ''})`);
    }
  }
  // DRM: the run went through EME ClearKey with a licence from the origin (drm.mjs); a
  // wrong-key run that fails for want of these fails the wrong way (drmReasons).
  const drmReasons = check.drm ? judgeDrm(check, result.eme, net) : [];
  if (!check.negative) reasons.push(...drmReasons);
  // Patched live: the MPD once, then patches only (one per update period of 8 s, so at least 2).
  if (check.patches && !(net.manifests === 1 && net.patches >= 2)) reasons.push(`fetched the MPD ${net.manifests} times and ${net.patches} patches: want the MPD once, then patches (at least 2)`);
  // ... and the player used them: it fetched video segments that only a patch listed.
  const firstEnd = check.patches && result.mpd ? videoTimelineEnd(result.mpd) : null;
  const patchedOnly = firstEnd === null ? 0 : net.videoTimes.filter((t) => t >= firstEnd).length;
  if (check.patches && patchedOnly === 0) reasons.push(`no video segment past the first MPD's timeline (its end: t=${firstEnd}) was fetched: the patched timelines were not used`);
  const rep = s.rep ? `${s.rep.height ? `${s.rep.height}p@` : ''}${Math.round(s.rep.bandwidth / 1000)}kbps` : 'none';
  const parts = [
    `advanced ${f1(s.played)} s in ${f1(s.wallMs / 1000)} s (t ${f1(s.firstTime)}->${f1(s.currentTime)})`,
    `startup ${s.startupMs === null ? 'n/a' : f1(s.startupMs / 1000) + ' s'}`,
    `errors ${s.errors.length}`,
    `stalls ${s.stallCount + (s.frozenMs >= 1000 ? 1 : 0)} (max no-progress ${f1(stallS)} s, max frozen ${f1(frozenS)} s)`,
    `buffer ahead ${f1(s.bufferAhead)} s`,
    `rep ${rep} (heights seen ${s.heightsSeen.join('/') || 'none'})`,
    `frames ${s.frames ? `${s.frames.total} (${s.frames.dropped} dropped)` : 'n/a'}${audioOnly ? ' (audio only: not judged)' : ''}`,
    ...(s.ended ? [`ended at ${f1(s.currentTime)} s`] : []),
  ];
  if (result.panel) parts.push(`page shows: time ${result.panel.time}, latency ${result.panel.latency}, buffer ${result.panel.buffer}, video ${result.panel.rep}, stalls ${result.panel.stalls}`);
  if (check.live) {
    const byClock = facts && facts.astMs !== null && s.latencyEpoch !== null ? s.latencyEpoch - facts.astMs / 1000 : null;
    parts.push(`latency ${f1(s.latency)} s (min ${f1(s.latencyMin)}, max ${f1(s.latencyMax)}; by the clock ${f1(byClock)} s; expected ${bounds ? bounds.text : 'n/a'})`);
    const p = result.plan;
    const planned = p ? `planned: start=${p.iso}, ${LEAD_S} s before the boundary at ${p.boundary} s (loop ${p.loopS} s); ` : '';
    parts.push(`${planned}loop boundaries crossed at ${s.loopCrossings.length ? s.loopCrossings.map((t) => t.toFixed(2)).join(', ') : 'none'}`);
  }
  if (s.seeks.length) parts.push(`seeks ${s.seeks.map((k) => `${f1(k.from)}->${f1(k.to)}`).join(', ')}`);
  parts.push(`requests ${net.requests}, http>=400 ${net.bad.length}, failed ${net.failed.length}`);
  if (check.patches) parts.push(`MPD fetched ${net.manifests}, patches ${net.patches}, video segments listed only by patches ${patchedOnly}`);
  if (check.drm) parts.push(emeEvidence(result.eme, net));
  if (check.mps) {
    const mps = judgeMps(check, result);
    reasons.push(...mps.reasons);
    parts.push(mps.evidence);
  }
  parts.push(s.version || 'player not loaded');
  return { ok: reasons.length === 0, reasons, drmReasons, evidence: parts.join('; ') };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.list && !fs.existsSync(opts.chromium)) usage(`no Chromium at ${opts.chromium} (apt-get install chromium, or --chromium PATH)`);
  const negDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashlive-e2e-neg-'));
  const server = await startStaticServer(opts.origin, negDir);
  const staticBase = `http://127.0.0.1:${server.address().port}`;
  let failed = 0;
  let passed = 0;
  const started = Date.now();
  try {
    // BBB (imported by the conformance harness) is played when the origin serves it.
    let bbb = opts.urls.length ? null : opts.bbb;
    // (Not asked for when playing given URLs.)
    const probe = bbb === null ? 200 : await fetch(`${opts.origin}/dash/vod/${bbb}/hand_made.mpd`).then((r) => r.status, (e) => e.message);
    if (probe !== 200) {
      const required = process.env.DASHLIVE_REQUIRE_TEST_MEDIA === '1';
      console.log(`${required ? 'FAIL players setup' : 'NOTE'}: no stream ${bbb} on the origin (/dash/vod/${bbb}/hand_made.mpd: ${probe}): its checks are left out${required ? ' and DASHLIVE_REQUIRE_TEST_MEDIA=1' : ''}`);
      if (required) failed++;
      bbb = null;
    }
    const checks = buildChecks(opts, staticBase, bbb);
    if (opts.list) {
      for (const c of checks) console.log(`${c.player} ${c.mode} ${c.url}${c.plan ? '&start=<planned>' : ''}${c.what ? ` (${c.what})` : ''}`);
      return 0;
    }
    if (!checks.length) usage('no check matches the filters');
    if (checks.some((c) => c.negative)) await writeNegativeManifests(opts.origin, staticBase, negDir);
    // Checks run `opts.jobs` at a time (each in its own browser context); a check's lines are
    // printed together when it ends.
    const runOne = async (check) => {
      const t = Date.now();
      const result = await runCheck(check, opts);
      const verdict = judge(check, result);
      const took = `${((Date.now() - t) / 1000).toFixed(1)} s`;
      let ok;
      let line;
      if (check.negative) {
        // stallOrError: only the error-event or stall detection may be what caught it.
        // errorEvent: only an error event may be what caught it. A harness problem never counts.
        // A DRM negative must fail with the wrong key, after the licence, not before decryption.
        const by = check.errorEvent ? /^error event/ : check.stallOrError ? /^(error event|stalled|currentTime frozen)/ : /./;
        const caught = verdict.reasons.some((r) => by.test(r)) && !(check.mustSee && verdict.reasons.some((r) => r.startsWith('harness:')));
        const drmReasons = verdict.drmReasons || [];
        ok = !verdict.ok && caught && !drmReasons.length;
        if (drmReasons.length) line = `${check.what}: failed before decryption, not with the wrong key: ${drmReasons.join('; ')} | ${verdict.reasons.join('; ')} | ${verdict.evidence}`;
        else if (ok) line = `${check.what}: expected failure detected: ${verdict.reasons.join('; ')} | ${verdict.evidence}`;
        else if (verdict.ok) line = `${check.what}: the harness judged this broken stream as playing: ${verdict.evidence}`;
        else line = `${check.what}: judged FAIL, but not by ${check.errorEvent ? 'an error event' : 'an error event or the stall detection'}: ${verdict.reasons.join('; ')} | ${verdict.evidence}`;
      } else {
        line = verdict.ok ? verdict.evidence : `${verdict.reasons.join('; ')} | ${verdict.evidence}`;
        ok = verdict.ok;
      }
      const out = [`${ok ? 'PASS' : 'FAIL'} ${check.player} ${check.mode} ${result.url}: ${line} [${took}]`];
      const { net } = result;
      const showNet = !ok || check.negative || opts.verbose || net.bad.length || net.failed.length;
      if (showNet) {
        for (const b of net.bad.slice(0, 5)) out.push(`    http ${b}`);
        if (net.bad.length > 5) out.push(`    ... ${net.bad.length - 5} more responses >= 400`);
        for (const b of net.failed.slice(0, 5)) out.push(`    request failed ${b}`);
        if (net.failed.length > 5) out.push(`    ... ${net.failed.length - 5} more failed requests`);
      }
      if (!ok || opts.verbose) {
        for (const c of result.consoleErrors.slice(0, 5)) out.push(`    console ${c}`);
      }
      if (opts.verbose && result.stats) out.push(`    stats ${JSON.stringify(result.stats)}`);
      console.log(out.join('\n'));
      // The hung segments of the negative check are its own: let them go when it ends.
      if (check.url.includes('/neg/hang/')) server.releaseHung();
      if (ok) passed++;
      else failed++;
    };
    const queue = [...checks];
    const worker = async () => {
      while (queue.length) await runOne(queue.shift());
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.jobs) }, worker));
  } finally {
    if (browser) await browser.close().catch(() => {});
    server.closeAllConnections();
    server.close();
    fs.rmSync(negDir, { recursive: true, force: true });
  }
  console.log(`players: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(`run.mjs: ${e.stack || e}`);
  process.exit(2);
});
