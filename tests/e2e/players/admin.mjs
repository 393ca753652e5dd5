#!/usr/bin/env node
// The admin side in headless Chromium, as a person uses it: an origin of its own with a fresh
// store and a temporary catalog, the default admin's first login and forced password change, a
// stream added, the test card uploaded through the page's file input (its script sends each
// file), indexed, its timing reference set, its player page playing; then a user without the
// media group, whose every change is refused (403) with nothing changed on disk.
//
//   node admin.mjs --origin-bin target/release/dashlive-origin --bin target/release/dashlive \
//                  --players origin/players/node_modules [--chromium /usr/bin/chromium] [--keep] [--verbose]
//
// Prints `PASS|FAIL admin <step>: <evidence>` per step and `N passed, M failed` last; a step
// fails on any console error or page error in that step, and on an unlabelled form control.
// Exits 1 on a failure, 2 on a setup error.

import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const arg = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, '../../..');
const target = process.env.CARGO_TARGET_DIR || path.join(repo, 'target');
const originBin = arg('--origin-bin', path.join(target, 'release/dashlive-origin'));
const dashliveBin = arg('--bin', path.join(target, 'release/dashlive'));
const playersDir = arg('--players', path.join(repo, 'origin/players/node_modules'));
const chromiumPath = arg('--chromium', process.env.CHROMIUM || '/usr/bin/chromium');
const keep = args.includes('--keep');
const verbose = args.includes('--verbose');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--autoplay-policy=no-user-gesture-required', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'];
const ADMIN = 'admin';
const STREAM = 'card';

function setupError(msg) {
  console.error(`admin.mjs: ${msg}`);
  process.exit(2);
}
for (const [what, p] of [['--origin-bin', originBin], ['--bin', dashliveBin], ['--chromium', chromiumPath]]) {
  if (!fs.existsSync(p)) setupError(`${what} ${p}: no such file`);
}

// ---------------------------------------------------------------------------------------------
// The world: a temporary catalog (the repository's site settings, no stream), the test card's
// files, a fresh store, an origin on a free port.

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dashlive-admin-'));
const config = path.join(work, 'config');
fs.mkdirSync(path.join(config, 'streams'), { recursive: true });
fs.copyFileSync(path.join(repo, 'config/site.yaml'), path.join(config, 'site.yaml'));
const media = path.join(work, 'media');
// 8 segments of 3.84 s and two rungs: quick to make and upload, long enough to play.
execFileSync(dashliveBin, ['synth', '--out', media, '--duration', '30.72', '--ladder', '640x360@800k,480x270@400k', '--prefix', STREAM], { stdio: verbose ? 'inherit' : 'ignore' });
const uploads = fs.readdirSync(media).filter((f) => f.endsWith('.mp4')).sort().map((f) => path.join(media, f));
if (uploads.length < 2) setupError(`dashlive synth made ${uploads.length} MP4 files in ${media}`);

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
const firstPassword = crypto.randomBytes(12).toString('base64url');
const originLog = path.join(work, 'origin.log');
const logFd = fs.openSync(originLog, 'w');
// From the work folder, so that neither the repository's .env nor its demo catalog is read.
const child = spawn(originBin, ['--store', path.join(work, 'admin.redb'), '--config', config,
  '--players', playersDir, '--bind', '127.0.0.1', '--port', String(port)], {
  cwd: work,
  stdio: ['ignore', logFd, logFd],
  env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn', FLASK_DASH__DEFAULT_ADMIN_USERNAME: ADMIN, FLASK_DASH__DEFAULT_ADMIN_PASSWORD: firstPassword },
});
let exited = null;
child.on('exit', (code, signal) => { exited = signal || code; });
function finish(code) {
  if (exited === null) child.kill('SIGTERM');
  if (code !== 0 || verbose) {
    console.log(`--- dashlive-origin log (${originLog})`);
    console.log(fs.readFileSync(originLog, 'utf8').split('\n').slice(-40).join('\n'));
  }
  if (keep) console.log(`kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
  process.exit(code);
}
for (const deadline = Date.now() + 60000; ;) {
  try { if ((await fetch(`${origin}/healthz`)).ok) break; } catch {}
  if (exited !== null) { console.error(`dashlive-origin exited (${exited})`); finish(2); }
  if (Date.now() > deadline) { console.error(`no answer from ${origin}/healthz`); finish(2); }
  await new Promise((r) => setTimeout(r, 200));
}

// What is on disk under config/ (the catalog and its media): path → SHA-256.
function snapshot(dir = config, out = new Map()) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) snapshot(p, out);
    else out.set(path.relative(config, p), crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
  }
  return out;
}
function diff(a, b) {
  const changed = [];
  for (const [k, v] of b) if (a.get(k) !== v) changed.push(a.has(k) ? `changed ${k}` : `added ${k}`);
  for (const k of a.keys()) if (!b.has(k)) changed.push(`removed ${k}`);
  return changed;
}

// ---------------------------------------------------------------------------------------------
// Steps: each one PASS or FAIL with its evidence; a failed step ends the run (the next ones
// build on it). Console errors, page errors and unlabelled controls fail the step they occur in.

let passed = 0;
let failed = 0;
const errors = [];
const pages = [];
function watch(page) {
  pages.push(page);
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text().slice(0, 300)}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message.slice(0, 300)}`));
  // Every admin page the browser loads is checked for controls without an accessible name
  // (and those on screen when a step ends: the upload's progress bars are made by its script).
  page.on('load', () => a11y(page));
}
async function a11y(page) {
  if (page.isClosed() || !page.url().includes('/admin/')) return;
  try {
    const bad = await page.evaluate(unlabelled);
    for (const b of bad) {
      const e = `${new URL(page.url()).pathname}: ${b}`;
      if (!errors.includes(e)) errors.push(e);
    }
  } catch { /* the page navigated on meanwhile: the next load checks it */ }
}
// In the page: the form controls a screen reader would announce without a name, and a page
// without a language, a title or a main heading.
function unlabelled() {
  const out = [];
  if (!document.documentElement.lang) out.push('no lang on <html>');
  if (!document.title.trim()) out.push('no <title>');
  if (!document.querySelector('h1')) out.push('no <h1>');
  for (const el of document.querySelectorAll('input, select, textarea, button, progress, meter')) {
    if (el.type === 'hidden') continue;
    const named = (el.labels && el.labels.length && Array.from(el.labels).some((l) => l.textContent.trim()))
      || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.title
      || (el.tagName === 'BUTTON' && el.textContent.trim());
    if (!named) out.push(`unlabelled <${el.tagName.toLowerCase()} name="${el.name || ''}">`);
  }
  return out;
}
// allow: console errors the step expects (the browser logs a refused request itself).
async function step(name, fn, allow = null) {
  errors.length = 0;
  let evidence;
  let problem = null;
  try {
    evidence = await fn();
  } catch (e) {
    problem = e.message.split('\n')[0];
  }
  // Let late console messages of the step arrive.
  await new Promise((r) => setTimeout(r, 100));
  for (const page of pages) await a11y(page);
  const unexpected = errors.filter((e) => !(allow && allow.test(e)));
  if (!problem && unexpected.length) problem = unexpected.slice(0, 5).join('; ');
  if (problem) {
    failed += 1;
    console.log(`FAIL admin ${name}: ${problem}`);
    return false;
  }
  passed += 1;
  console.log(`PASS admin ${name}: ${evidence}`);
  return true;
}
function expect(cond, msg) { if (!cond) throw new Error(msg); }
const text = (page, sel) => page.locator(sel).first().innerText({ timeout: 5000 });

async function login(page, username, password) {
  await page.goto(`${origin}/admin/`);
  expect(new URL(page.url()).pathname === '/admin/login', `/admin/ did not lead to the login page (${page.url()})`);
  await page.getByLabel('user name').fill(username);
  await page.getByLabel('password').fill(password);
  await page.getByRole('button', { name: 'log in' }).click();
  await page.waitForLoadState();
}
async function changePassword(page, current, next) {
  expect(new URL(page.url()).pathname === '/admin/password', `the first login led to ${page.url()}, not the password page`);
  await page.getByLabel('current password').fill(current);
  await page.getByLabel(/^new password \(/).fill(next);
  await page.getByLabel('new password again').fill(next);
  await page.getByRole('button', { name: 'change', exact: true }).click();
  await page.waitForLoadState();
  expect(new URL(page.url()).pathname === '/admin/', `changing the password led to ${page.url()}`);
}

const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
const run = async () => {
  const adminPassword = crypto.randomBytes(12).toString('base64url');
  const ctx = await browser.newContext({ viewport: { width: 800, height: 700 } });
  const page = await ctx.newPage();
  watch(page);

  if (!await step('first login as the default admin and forced password change', async () => {
    await login(page, ADMIN, firstPassword);
    await changePassword(page, firstPassword, adminPassword);
    // The old password no longer works; the session goes on.
    await page.goto(`${origin}/admin/streams`);
    expect(new URL(page.url()).pathname === '/admin/streams', `the streams page led to ${page.url()}`);
    return `logged in as ${ADMIN}, the password page came first, then /admin/`;
  })) return;

  if (!await step('add a stream', async () => {
    await page.getByLabel('directory (its URL name)').fill(STREAM);
    await page.getByLabel('title').fill('The <b>card</b>');
    await page.getByRole('button', { name: 'add', exact: true }).click();
    await page.waitForLoadState();
    const body = await text(page, 'main');
    expect(body.includes('draft'), `the stream page does not say it is a draft: ${body.slice(0, 200)}`);
    expect(fs.existsSync(path.join(config, 'drafts')), 'no config/drafts/ on disk');
    return `${new URL(page.url()).pathname} (a draft until its media arrives; the title shown as text)`;
  })) return;

  if (!await step('upload the test card through the file input', async () => {
    await page.goto(`${origin}/admin/streams/${STREAM}`);
    await page.getByLabel(/^Upload media/).setInputFiles(uploads);
    await page.getByRole('button', { name: 'upload', exact: true }).click();
    const rows = page.locator('#upload-list li');
    await page.waitForFunction((n) => {
      const spans = document.querySelectorAll('#upload-list li span[role=status]');
      return spans.length === n && Array.from(spans).every((s) => s.textContent.trim());
    }, uploads.length, { timeout: 60000 });
    const outcomes = await rows.allInnerTexts();
    const bad = outcomes.filter((o) => !/indexed: /.test(o));
    expect(!bad.length, `not indexed: ${bad.join(' | ')}`);
    const onDisk = fs.readdirSync(path.join(config, 'media', STREAM));
    expect(uploads.every((u) => onDisk.includes(path.basename(u))), `config/media/${STREAM} holds ${onDisk.join(', ')}`);
    return `${uploads.length} files, each indexed: ${outcomes.map((o) => o.replace(/\s+/g, ' ').trim()).join(' | ')}`;
  })) return;

  if (!await step('drop a file that is not an MP4 on the page: its reason shown, nothing kept', async () => {
    await page.goto(`${origin}/admin/streams/${STREAM}`);
    const before = snapshot();
    // The drop zone's own path: a DataTransfer holding a File, as a desktop drag gives it.
    const dt = await page.evaluateHandle(() => {
      const d = new DataTransfer();
      d.items.add(new File(['this is no MP4 file, only text'], 'broken.mp4', { type: 'video/mp4' }));
      return d;
    });
    await page.dispatchEvent('#upload-drop', 'dragover', { dataTransfer: dt });
    await page.dispatchEvent('#upload-drop', 'drop', { dataTransfer: dt });
    const status = page.locator('#upload-list li', { hasText: 'broken.mp4' }).locator('[role=status]');
    await status.filter({ hasText: /\S/ }).waitFor({ timeout: 30000 });
    const shown = (await status.innerText()).trim();
    const cls = await status.getAttribute('class');
    expect(cls === 'error' && shown.length > 5, `the row says "${shown}" (class ${cls})`);
    const changed = diff(before, snapshot());
    expect(!changed.length, `on disk: ${changed.join(', ')}`);
    return `broken.mp4: "${shown}"; config/ unchanged`;
  }, /status of 4\d\d/)) return;

  let reps = [];
  if (!await step('see the media indexed on the stream page', async () => {
    await page.goto(`${origin}/admin/streams/${STREAM}`);
    reps = await page.locator('main ul li a[href*="/media/"]').allInnerTexts();
    expect(reps.length === uploads.length, `the page lists ${reps.length} media (${reps.join(', ')}), ${uploads.length} uploaded`);
    // A Representation's page: its segments and the box tree of one.
    await page.getByRole('link', { name: reps[0], exact: true }).click();
    await page.waitForLoadState();
    await page.getByRole('link', { name: 'init', exact: true }).click();
    await page.waitForLoadState();
    const tree = await text(page, 'pre');
    expect(/moov/.test(tree), `the init segment's box tree has no moov: ${tree.slice(0, 120)}`);
    return `media ${reps.join(', ')}; ${reps[0]}'s init segment shows its box tree`;
  })) return;

  if (!await step('set the timing reference', async () => {
    await page.goto(`${origin}/admin/streams/${STREAM}`);
    const select = page.getByLabel('timing reference');
    const current = await select.inputValue();
    const video = reps.filter((r) => !/aac|audio|mp4a/i.test(r));
    const choice = video.find((r) => r !== current) || current;
    await select.selectOption(choice);
    await page.getByRole('button', { name: 'save', exact: true }).click();
    await page.waitForLoadState();
    await page.goto(`${origin}/admin/streams/${STREAM}`);
    const marked = await page.locator('main ul li', { hasText: '(timing reference)' }).innerText();
    expect(marked.startsWith(choice), `the timing reference shown is ${marked}, not ${choice}`);
    const yaml = fs.readFileSync(path.join(config, 'streams', `${STREAM}.yaml`), 'utf8');
    expect(yaml.includes(choice), `config/streams/${STREAM}.yaml does not name ${choice}`);
    return `${current} -> ${choice}, in config/streams/${STREAM}.yaml`;
  })) return;

  if (!await step('open the player page from the stream page and see it play', async () => {
    await page.goto(`${origin}/admin/streams/${STREAM}`);
    const link = page.getByRole('link', { name: 'Play it' });
    const href = await link.getAttribute('href');
    await link.click();
    await page.waitForLoadState();
    await page.waitForFunction(() => {
      const v = document.querySelector('video');
      return v && v.currentTime > 0.5;
    }, null, { timeout: 30000 });
    // A live start may seek once (from the window's start to its live edge): judge after it.
    await new Promise((r) => setTimeout(r, 1500));
    const now = () => page.evaluate(() => document.querySelector('video').currentTime);
    const samples = [await now()];
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 500));
      samples.push(await now());
    }
    const steps = samples.slice(1).map((t, i) => t - samples[i]);
    const t0 = samples[0];
    const t1 = samples[samples.length - 1];
    expect(steps.every((d) => d > 0 && d < 1.5), `currentTime in 0.5 s steps: ${samples.map((x) => x.toFixed(2)).join(' ')}`);
    expect(t1 - t0 > 2.5, `currentTime went ${t0.toFixed(1)} -> ${t1.toFixed(1)} s in 4 s`);
    return `${href}: currentTime ${t0.toFixed(1)} -> ${t1.toFixed(1)} s in 4 s`;
  })) return;

  const kid = crypto.randomBytes(16).toString('hex');
  const key = crypto.randomBytes(16).toString('hex');
  if (!await step('add a key on the stream page', async () => {
    await page.goto(`${origin}/admin/streams/${STREAM}`);
    await page.getByLabel(/^KID/).fill(kid);
    await page.getByLabel(/^key \(/).fill(key);
    await page.getByRole('button', { name: 'add or replace the key' }).click();
    await page.waitForLoadState();
    await page.goto(`${origin}/admin/streams/${STREAM}`);
    const row = (await page.locator('tr', { hasText: kid }).innerText()).replace(/\s+/g, ' ');
    expect(row.includes(key), `the media group sees the key row as: ${row}`);
    const yaml = fs.readFileSync(path.join(config, 'streams', `${STREAM}.yaml`), 'utf8');
    expect(yaml.includes(kid), `config/streams/${STREAM}.yaml does not hold the KID`);
    return `KID ${kid} listed with its key, in config/streams/${STREAM}.yaml`;
  })) return;

  const userPassword = crypto.randomBytes(12).toString('base64url');
  const user = 'viewer';
  if (!await step('add a user without the media group', async () => {
    await page.goto(`${origin}/admin/users`);
    const form = page.locator('form[action="/admin/users"]');
    await form.getByLabel('user name').fill(user);
    await form.getByLabel(/^password/).fill(userPassword);
    await form.getByRole('checkbox', { name: 'user', exact: true }).check();
    await form.getByRole('button', { name: 'add', exact: true }).click();
    await page.waitForLoadState();
    const row = await page.locator('tr', { hasText: user }).first().innerText();
    expect(/\buser\b/.test(row) && !/media|admin/.test(row.replace(user, '')), `the users page shows ${row}`);
    return `users page: ${row.replace(/\s+/g, ' ')}`;
  })) return;

  // The user, in a browser context of their own.
  const uctx = await browser.newContext({ viewport: { width: 400, height: 700 } });
  const upage = await uctx.newPage();
  watch(upage);
  if (!await step(`log in as ${user} (forced password change)`, async () => {
    await login(upage, user, userPassword);
    await changePassword(upage, userPassword, `${userPassword}-2`);
    await upage.goto(`${origin}/admin/streams/${STREAM}`);
    const forms = await upage.locator('main form').count();
    expect(forms === 0, `the stream page offers ${user} ${forms} forms`);
    const row = (await upage.locator('tr', { hasText: kid }).innerText()).replace(/\s+/g, ' ');
    expect(row.includes('(hidden)') && !(await upage.content()).includes(key), `${user} sees the key row as: ${row}`);
    return `the stream page shows ${user} no form to change it, and the key as ${row}`;
  })) return;

  // Every change, as this user's browser would send it: a form posted with the session's own
  // CSRF token (from the log-out form), the upload through fetch as the page's script does.
  const before = snapshot();
  const csrf = await upage.locator('nav input[name=csrf]').inputValue();
  const attempts = [
    ['add a stream', 'POST', '/admin/streams', { directory: 'sneaky', title: 'x' }],
    ['edit the stream', 'POST', `/admin/streams/${STREAM}`, { action: 'save', title: 'changed', directory: STREAM, timing_ref: reps[0] }],
    ['set a key', 'POST', `/admin/streams/${STREAM}/keys`, { action: 'set', kid: '0123456789abcdef0123456789abcdef', key: 'fedcba9876543210fedcba9876543210' }],
    ['delete the stream', 'POST', `/admin/streams/${STREAM}`, { action: 'delete' }],
    ['upload media', 'UPLOAD', `/admin/streams/${STREAM}/media`, null],
    ['add a user', 'POST', '/admin/users', { username: 'mallory', groups: 'admin' }],
  ];
  for (const [what, method, url, fields] of attempts) {
    await step(`${user} may not ${what}`, async () => {
      let status;
      let shown;
      if (method === 'UPLOAD') {
        // With the context's cookies (the admin pages' CSP lets no page script send it).
        const r = await upage.request.post(`${origin}${url}`, {
          headers: { 'X-CSRF-Token': csrf, Accept: 'application/json' },
          multipart: { file: { name: path.basename(uploads[0]), mimeType: 'video/mp4', buffer: fs.readFileSync(uploads[0]) } },
        });
        status = r.status();
        shown = `${status} ${(await r.text()).slice(0, 120)}`;
      } else {
        await upage.goto(`${origin}/admin/streams`);
        const answer = upage.waitForResponse((r) => r.url() === `${origin}${url}` && r.request().method() === 'POST');
        await upage.evaluate(([url, csrf, fields]) => {
          const f = document.createElement('form');
          f.method = 'post';
          f.action = url;
          for (const [k, v] of Object.entries({ csrf, ...fields })) {
            const i = document.createElement('input');
            i.type = 'hidden'; i.name = k; i.value = v;
            f.append(i);
          }
          document.body.append(f);
          f.submit();
        }, [url, csrf, fields]);
        status = (await answer).status();
        await upage.waitForLoadState();
        shown = `${status} page: ${(await text(upage, 'main')).replace(/\s+/g, ' ').slice(0, 120)}`;
      }
      expect(status === 403, `answered ${status}, not 403 (${shown})`);
      const changed = diff(before, snapshot());
      expect(!changed.length, `on disk: ${changed.join(', ')}`);
      return `${shown}; config/ unchanged`;
    }, /status of 403/);
  }
  await uctx.close();
  await ctx.close();
};

const started = Date.now();
try {
  await run();
} catch (e) {
  failed += 1;
  console.log(`FAIL admin setup: ${e.stack || e}`);
}
await browser.close();
console.log(`admin: ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed`);
finish(failed ? 1 : 0);
