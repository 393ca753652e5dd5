// The players' DRM checks (run.mjs --mode drm): dash.js and Shaka play encrypted streams through
// Chromium's built-in EME ClearKey, with the key from the origin's own licence server
// (`POST /clearkey`, the URL the MPD's `clearkey:Laurl` names: neither page configures a
// licence server, both players read Laurl themselves).
//
// - drmChecks(...): the checks (pre-encrypted BBB, the test card encrypted on the fly with
//   enc=cenc and enc=cbcs; VOD and live; every system signalled; a wrong key).
// - prepareContext(context, check): before the page loads, an init script that records what the
//   page does with EME on window.__eme, and for the wrong-key check a route that hands the page
//   the origin's licence with every key's bytes inverted (the server is not changed at all).
// - judgeDrm(check, eme, net): the reasons a run did not go through EME ClearKey as it should.

export const CLEARKEY = 'org.w3.clearkey';

// The streams: what each case asks the origin for (Chromium's MSE plays AAC, not E-AC-3).
export function drmChecks(origin, player, bbb, { vod, live, negative }) {
  const tc = (mode, enc) => `${origin}/dash/${mode}/testcard/hand_made.mpd?acodec=mp4a&drm=clearkey&enc=${enc}`;
  const bb = (mode) => `${origin}/dash/${mode}/${bbb}/hand_made.mpd?acodec=mp4a&drm=clearkey`;
  const mark = (c, what) => ({ ...c, mode: 'drm', drm: true, what });
  const checks = [];
  for (const enc of ['cenc', 'cbcs']) {
    checks.push(mark(vod(player, 'drm', tc('vod', enc)), `test card encrypted on the fly (${enc})`));
    checks.push(mark(live(player, 'drm', tc('live', enc)), `test card encrypted on the fly (${enc}), live`));
  }
  // Every system signalled (PlayReady and Marlin first): the players must pick ClearKey.
  checks.push(mark(vod(player, 'drm', `${origin}/dash/vod/testcard/manifest_e.mpd?acodec=mp4a&drm=all&enc=cenc`), 'drm=all: ClearKey chosen'));
  if (bbb) {
    checks.push(mark(vod(player, 'drm', bb('vod')), 'BBB pre-encrypted'));
    checks.push(mark(live(player, 'drm', bb('live')), 'BBB pre-encrypted, live'));
  }
  // The wrong key: the licence the page receives carries the right KID with a wrong key; on
  // the fly and, when there, in the packager's encryption.
  const wrong = (what, url) => ({ ...negative(player, `wrong key: ${what}, the licence answer with every key inverted`, url, 10, true), mode: 'drm', drm: true, wrongKey: true });
  checks.push(wrong('test card cenc', tc('vod', 'cenc')));
  if (bbb) checks.push(wrong('BBB pre-encrypted', bb('vod')));
  return checks;
}

// Runs in the page before any of its scripts: wraps the EME entry points to record which key
// system was asked for and granted, licences applied and the key statuses seen.
function emeProbe() {
  const eme = window.__eme = { requested: [], granted: null, sessions: 0, updates: 0, updateErrors: [], statuses: {}, encrypted: 0 };
  const rmksa = navigator.requestMediaKeySystemAccess && navigator.requestMediaKeySystemAccess.bind(navigator);
  if (rmksa) {
    navigator.requestMediaKeySystemAccess = async (keySystem, configs) => {
      eme.requested.push(keySystem);
      return rmksa(keySystem, configs);
    };
  }
  // The key system of the MediaKeys actually made (Shaka's polyfills call the native
  // requestMediaKeySystemAccess from their own copy, past the wrapper above).
  if (window.MediaKeySystemAccess) {
    const createKeys = MediaKeySystemAccess.prototype.createMediaKeys;
    MediaKeySystemAccess.prototype.createMediaKeys = function (...args) {
      eme.granted = this.keySystem;
      return createKeys.apply(this, args);
    };
  }
  if (window.MediaKeys) {
    const create = MediaKeys.prototype.createSession;
    MediaKeys.prototype.createSession = function (...args) {
      const session = create.apply(this, args);
      eme.sessions++;
      session.addEventListener('keystatuseschange', () => {
        session.keyStatuses.forEach((status, kid) => {
          const hex = Array.from(new Uint8Array(kid.buffer || kid), (b) => b.toString(16).padStart(2, '0')).join('');
          eme.statuses[hex] = status;
        });
      });
      return session;
    };
  }
  if (window.MediaKeySession) {
    const update = MediaKeySession.prototype.update;
    MediaKeySession.prototype.update = function (...args) {
      return update.apply(this, args).then(
        (r) => { eme.updates++; return r; },
        (e) => { eme.updateErrors.push(String(e && e.message)); throw e; },
      );
    };
  }
  document.addEventListener('encrypted', () => { eme.encrypted++; }, true);
}

// A JWK set with every key's bytes inverted (base64url in, base64url out).
function invertKeys(jwks) {
  for (const k of jwks.keys || []) {
    const bytes = Buffer.from(k.k.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    for (let i = 0; i < bytes.length; i++) bytes[i] ^= 0xff;
    k.k = bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  return jwks;
}

export async function prepareContext(context, check) {
  if (!check.drm) return;
  await context.addInitScript(emeProbe);
  if (check.wrongKey) {
    await context.route(/\/clearkey(\?|$)/, async (route) => {
      const answer = await route.fetch();
      if (answer.status() !== 200) return route.fulfill({ response: answer });
      return route.fulfill({ response: answer, json: invertKeys(await answer.json()) });
    });
  }
}

// Counts the licence requests the page made and the origin answered.
export function countLicence(net, resp) {
  if (resp.request().method() === 'POST' && /\/clearkey(\?|$)/.test(resp.url())) {
    net.licences = (net.licences || 0) + 1;
    if (resp.status() === 200) net.licencesOk = (net.licencesOk || 0) + 1;
  }
}

// What a run through EME ClearKey must show, for the positive and the wrong-key checks alike
// (the wrong key must fail at decryption, not before it): ClearKey granted, a licence from
// /clearkey applied, and (positive checks) every key usable.
export function judgeDrm(check, eme, net) {
  const reasons = [];
  if (!eme) return ['no EME record from the page'];
  if (eme.granted !== CLEARKEY) reasons.push(`EME: key system granted ${eme.granted || 'none'} (asked ${eme.requested.join(', ') || 'none'}), not ${CLEARKEY}`);
  if (!net.licencesOk) reasons.push(`EME: no licence from the origin's /clearkey (${net.licences || 0} POST, none answered 200)`);
  if (!eme.updates) reasons.push(`EME: no licence applied to a session (${eme.sessions} sessions${eme.updateErrors.length ? `, update errors: ${eme.updateErrors.join('; ')}` : ''})`);
  const statuses = Object.entries(eme.statuses);
  if (!check.wrongKey && !statuses.some(([, s]) => s === 'usable')) reasons.push(`EME: no usable key (statuses ${JSON.stringify(eme.statuses)})`);
  return reasons;
}

export function emeEvidence(eme, net) {
  if (!eme) return 'EME n/a';
  const statuses = Object.entries(eme.statuses).map(([k, s]) => `${k.slice(0, 8)}…=${s}`).join(',') || 'none';
  return `EME ${eme.granted || 'none'}, ${eme.sessions} sessions, licences ${net.licencesOk || 0}/${net.licences || 0} from /clearkey, applied ${eme.updates}, keys ${statuses}`;
}
