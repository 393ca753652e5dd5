// The player page of dashlive-origin (/play/...): plays one MPD in dash.js, Shaka Player or
// the browser's own <video>, shows what a tester needs while it plays, and keeps the same
// figures on window.__stats for automated checks (tests/e2e/players/run.mjs).
//
// The page's settings arrive as JSON in <script id="dashlive-play" type="application/json">:
// { player, mpd, lib, libVersion, timeUrl, textLang, loopSeconds }.
'use strict';
(function () {
  const config = JSON.parse(document.getElementById('dashlive-play').textContent);
  const playerName = config.player;
  const mpd = config.mpd;
  const LOOP_S = config.loopSeconds || 0;  // the content's loop, when known: boundaries are counted
  const SAMPLE_MS = 250;                    // sampling period of the statistics
  const STALL_EPISODE_MS = 1000;            // a frozen period at least this long counts as a stall
  const video = document.getElementById('video');
  video.muted = true;
  video.autoplay = true;

  const stats = window.__stats = {
    player: playerName,
    mpd,
    version: null,
    ready: false,            // the player library loaded and the MPD was given to it
    loadedAt: null,          // wall clock (ms) when the player was given the MPD
    wallMs: 0,               // ms since loadedAt
    now: Date.now(),
    currentTime: 0,
    firstTime: null,         // currentTime when playback first advanced
    played: 0,               // sum of continuous forward progress of currentTime (s)
    seeks: [],               // discontinuous jumps of currentTime: {from, to, at}
    startupMs: null,         // loadedAt -> first advance of currentTime
    paused: video.paused,
    ended: false,
    readyState: 0,
    bufferAhead: 0,
    bufferedEnd: 0,
    buffered: [],
    rep: null,               // {id, bandwidth, width, height} of the playing video representation
    heightsSeen: [],
    errors: [],              // {at, source, code, message}
    stallCount: 0,           // frozen periods >= STALL_EPISODE_MS
    maxStallMs: 0,           // longest period without progress (not paused, not ended, buffer not growing)
    curStallMs: 0,
    frozenMs: 0,             // current period with currentTime frozen after playback started (buffer may grow)
    maxFrozenMs: 0,
    isLive: null,
    latency: null,           // the player's own live latency (s)
    latencyEpoch: null,      // Date.now()/1000 - currentTime: the latency when availabilityStartTime is the epoch
    latencyMin: null,
    latencyMax: null,
    clockOffsetMs: null,     // server clock - this browser's clock, from timeUrl
    serverLatency: null,     // server clock - the wall-clock time of the playhead (s)
    loopFirst: null,         // floor(currentTime / loop) at the first advance
    loopLast: null,
    loopCrossings: [],       // media times where continuous playback crossed a loop boundary
    frames: null,            // {total, dropped}
    extra: {},               // player-specific counters
    samples: 0,
    events: [],              // DASH events dash.js gave the page (?events=): see recordEvent
  };

  // The event schemes dashlive's ?events= options write (reference §6).
  const DASH_EVENT_SCHEMES = ['urn:dash-live:pingpong:2022', 'urn:scte:scte35:2014:xml+bin'];
  function recordEvent(mode, e) {
    const ev = e.event || {};
    const stream = ev.eventStream || {};
    const data = ev.messageData;
    let message = null;
    if (typeof data === 'string') message = data;
    else if (data && data.length !== undefined) message = Array.from(data, (b) => b.toString(16).padStart(2, '0')).join('');
    if (stats.events.length < 500) {
      stats.events.push({ mode, at: Date.now(), currentTime: video.currentTime, scheme: stream.schemeIdUri || e.type, value: stream.value, timescale: stream.timescale, id: ev.id, presentationTime: ev.presentationTime, calculatedPresentationTime: ev.calculatedPresentationTime, duration: ev.duration, message, parsed: ev.parsedMessageData ? String(ev.parsedMessageData).slice(0, 200) : null });
    }
  }

  function addError(source, code, message) {
    if (stats.errors.length < 50) {
      stats.errors.push({ at: stats.loadedAt ? Date.now() - stats.loadedAt : 0, source, code: String(code), message: String(message || '').slice(0, 500) });
    }
  }
  window.addEventListener('error', (e) => addError('window', 'exception', e.message));
  window.addEventListener('unhandledrejection', (e) => addError('window', 'rejection', (e.reason && (e.reason.message || e.reason.code)) || String(e.reason)));
  video.addEventListener('error', () => {
    const err = video.error;
    addError('video', err ? 'MEDIA_ERR_' + err.code : 'unknown', err ? err.message : '');
  });

  let player = null;
  let repOf = () => null;
  let latencyOf = () => null;
  let playheadDateOf = () => null;
  let isLiveOf = () => null;
  let extraOf = () => ({});

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = src;
      s.onload = resolve;
      s.onerror = () => reject(new Error('cannot load ' + src));
      document.head.appendChild(s);
    });
  }

  // The server's clock, from the middle of one round trip to its /time/iso.
  async function measureClock() {
    if (!config.timeUrl) return;
    try {
      const sent = Date.now();
      const r = await fetch(config.timeUrl, { cache: 'no-store' });
      const server = Date.parse((await r.text()).trim());
      const back = Date.now();
      if (Number.isFinite(server)) stats.clockOffsetMs = server - (sent + back) / 2;
    } catch (e) { /* latency is then shown against this browser's clock */ }
  }

  async function startDashjs() {
    await loadScript(config.lib);
    player = dashjs.MediaPlayer().create();
    stats.version = 'dash.js ' + player.getVersion();
    // Without a UTCTiming in the manifest dash.js asks time.akamai.com for the time: ask this
    // server's clock instead, so nothing leaves the tester's network.
    const settings = { debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING } };
    if (config.xsdTimeUrl) {
      settings.streaming = { utcSynchronization: { defaultTimingSource: { scheme: 'urn:mpeg:dash:utc:http-xsdate:2014', value: config.xsdTimeUrl } } };
    }
    player.updateSettings(settings);
    player.on(dashjs.MediaPlayer.events.ERROR, (e) => {
      const err = e.error || {};
      addError('dashjs', err.code !== undefined ? err.code : e.type, err.message || JSON.stringify(err).slice(0, 300));
    });
    // DASH events (?events=ping,scte35): each one dash.js hands over, once when it is received
    // (in the MPD, or an emsg) and once when playback reaches it, with the fields it read.
    for (const scheme of DASH_EVENT_SCHEMES) {
      for (const mode of ['EVENT_MODE_ON_RECEIVE', 'EVENT_MODE_ON_START']) {
        const on = dashjs.MediaPlayer.events[mode];
        if (on) player.on(scheme, (e) => recordEvent(mode === 'EVENT_MODE_ON_START' ? 'start' : 'receive', e), null, { mode: on });
      }
    }
    if (dashjs.MediaPlayer.events.PLAYBACK_ERROR) {
      player.on(dashjs.MediaPlayer.events.PLAYBACK_ERROR, (e) => {
        addError('dashjs-playback', e.error && e.error.code, e.error && e.error.message);
      });
    }
    repOf = () => {
      if (player.getCurrentRepresentationForType) {  // dash.js 5
        const r = player.getCurrentRepresentationForType('video');
        return r ? { id: r.id, bandwidth: r.bandwidth, width: r.width, height: r.height } : null;
      }
      const list = player.getBitrateInfoListFor('video');  // dash.js 4
      const r = list && list[player.getQualityFor('video')];
      return r ? { id: String(r.qualityIndex), bandwidth: r.bitrate, width: r.width, height: r.height } : null;
    };
    latencyOf = () => {
      const l = player.getCurrentLiveLatency();
      return Number.isFinite(l) ? l : null;
    };
    playheadDateOf = () => {
      const t = player.timeAsUTC();
      return Number.isFinite(t) ? t * 1000 : null;
    };
    isLiveOf = () => player.isDynamic();
    extraOf = () => ({ dashjsBufferLength: player.getBufferLength('video') });
    if (config.textLang) {
      player.setInitialMediaSettingsFor('text', { lang: config.textLang });
    }
    stats.loadedAt = Date.now();
    stats.ready = true;
    player.initialize(video, null, true);
    player.attachTTMLRenderingDiv(document.getElementById('ttml'));
    player.attachSource(mpd);
  }

  async function startShaka() {
    await loadScript(config.lib);
    shaka.polyfill.installAll();
    if (!shaka.Player.isBrowserSupported()) {
      addError('shaka', 'unsupported', 'shaka.Player.isBrowserSupported() is false');
      return;
    }
    player = new shaka.Player();
    stats.version = 'Shaka ' + shaka.Player.version;
    player.addEventListener('error', (e) => {
      const err = e.detail || {};
      addError('shaka', err.code, 'severity ' + err.severity + ' category ' + err.category + ' data ' + JSON.stringify(err.data || []).slice(0, 400));
    });
    if (config.textLang) player.configure({ preferredTextLanguage: config.textLang });
    repOf = () => {
      const t = player.getVariantTracks().find((v) => v.active);
      return t ? { id: t.videoId, bandwidth: t.videoBandwidth || t.bandwidth, width: t.width, height: t.height } : null;
    };
    playheadDateOf = () => {
      const d = player.getPlayheadTimeAsDate();
      return d ? d.getTime() : null;
    };
    latencyOf = () => {
      if (!player.isLive()) return null;
      const d = playheadDateOf();
      return d === null ? null : (Date.now() - d) / 1000;
    };
    isLiveOf = () => player.isLive();
    extraOf = () => {
      const s = player.getStats();
      return { shakaStallsDetected: s.stallsDetected, shakaGapsJumped: s.gapsJumped, shakaLiveLatency: s.liveLatency, shakaState: player.isBuffering() ? 'buffering' : 'ok' };
    };
    await player.attach(video);
    stats.loadedAt = Date.now();
    stats.ready = true;
    try {
      await player.load(mpd);
    } catch (err) {
      // The same error is usually also an 'error' event; keep it once.
      if (!stats.errors.some((x) => x.source === 'shaka' && x.code === String(err.code))) {
        addError('shaka-load', err.code, 'severity ' + err.severity + ' category ' + err.category + ' data ' + JSON.stringify(err.data || []).slice(0, 400));
      }
    }
  }

  // The browser's own DASH support (some TVs and set-top boxes): no statistics beyond <video>.
  async function startNative() {
    stats.version = 'native <video> (' + (video.canPlayType('application/dash+xml') || 'no DASH support declared') + ')';
    stats.loadedAt = Date.now();
    stats.ready = true;
    video.src = mpd;
  }

  // Statistics, sampled every SAMPLE_MS.
  let last = null;            // {t, wall, bufEnd}
  let progressWall = null;    // wall time of the last progress (advance or buffer growth)
  let frozenSince = null;     // start of the current no-advance period after playback started

  function bufferedInfo() {
    const ranges = [];
    let ahead = 0;
    let end = 0;
    const b = video.buffered;
    for (let i = 0; i < b.length; i++) {
      const s = b.start(i);
      const e = b.end(i);
      ranges.push([+s.toFixed(3), +e.toFixed(3)]);
      if (s <= video.currentTime + 0.1 && video.currentTime < e) ahead = e - video.currentTime;
      end = Math.max(end, e);
    }
    return { ranges, ahead, end };
  }

  function sample() {
    if (!stats.ready) return;
    const wall = Date.now();
    const t = video.currentTime;
    const buf = bufferedInfo();
    stats.samples++;
    stats.now = wall;
    stats.wallMs = wall - stats.loadedAt;
    stats.currentTime = t;
    stats.paused = video.paused;
    stats.ended = video.ended;
    stats.readyState = video.readyState;
    stats.bufferAhead = buf.ahead;
    stats.bufferedEnd = buf.end;
    stats.buffered = buf.ranges.slice(0, 8);
    try {
      const r = repOf();
      if (r) {
        stats.rep = r;
        if (r.height && !stats.heightsSeen.includes(r.height)) stats.heightsSeen.push(r.height);
      }
    } catch (e) { /* not loaded yet */ }
    try { stats.extra = extraOf(); } catch (e) { /* not loaded yet */ }
    const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
    if (q) stats.frames = { total: q.totalVideoFrames, dropped: q.droppedVideoFrames };
    if (progressWall === null) progressWall = stats.loadedAt;

    let advanced = false;
    if (last) {
      const dt = t - last.t;
      const dwall = (wall - last.wall) / 1000;
      if (dt > 0 && dt <= 2 * dwall + 0.1) {
        advanced = true;
        stats.played += dt;
        if (stats.firstTime === null) {
          stats.firstTime = last.t;
          stats.startupMs = last.wall - stats.loadedAt;
          if (LOOP_S) stats.loopFirst = Math.floor(last.t / LOOP_S);
        }
        if (LOOP_S) {
          const a = Math.floor(last.t / LOOP_S);
          const b = Math.floor(t / LOOP_S);
          if (b !== a && stats.loopCrossings.length < 20) stats.loopCrossings.push(+(b * LOOP_S).toFixed(3));
          stats.loopLast = b;
        }
      } else if (dt !== 0) {
        if (stats.seeks.length < 20) stats.seeks.push({ from: +last.t.toFixed(3), to: +t.toFixed(3), at: wall - stats.loadedAt });
      }
    }
    const started = stats.firstTime !== null;
    const bufferGrew = last ? buf.end > last.bufEnd + 0.001 : buf.end > 0;
    // Before the first advance an autoplaying element may still report paused: count that as waiting too.
    const waiting = !video.ended && (!video.paused || !started);
    if (advanced || bufferGrew || !waiting) progressWall = wall;
    stats.curStallMs = wall - progressWall;
    stats.maxStallMs = Math.max(stats.maxStallMs, stats.curStallMs);

    // Stall episodes: currentTime frozen for >= STALL_EPISODE_MS after playback started.
    if (started && waiting && !advanced) {
      if (frozenSince === null) frozenSince = last ? last.wall : wall;
    } else if (frozenSince !== null) {
      if (wall - frozenSince >= STALL_EPISODE_MS) stats.stallCount++;
      frozenSince = null;
    }
    stats.frozenMs = frozenSince === null ? 0 : wall - frozenSince;
    stats.maxFrozenMs = Math.max(stats.maxFrozenMs, stats.frozenMs);

    try { stats.isLive = isLiveOf(); } catch (e) { /* not loaded yet */ }
    if (stats.isLive && started) {
      try { stats.latency = latencyOf(); } catch (e) { stats.latency = null; }
      stats.latencyEpoch = wall / 1000 - t;
      if (stats.latency !== null) {
        stats.latencyMin = stats.latencyMin === null ? stats.latency : Math.min(stats.latencyMin, stats.latency);
        stats.latencyMax = stats.latencyMax === null ? stats.latency : Math.max(stats.latencyMax, stats.latency);
      }
      try {
        const d = playheadDateOf();
        stats.serverLatency = d === null ? null : (wall + (stats.clockOffsetMs || 0) - d) / 1000;
      } catch (e) { stats.serverLatency = null; }
    }
    last = { t, wall, bufEnd: buf.end };
    show();
  }

  // What the tester sees, refreshed with every sample.
  const fmt = (x, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : Number(x).toFixed(digits));
  function set(id, text) {
    const el = document.getElementById(id);
    if (el && el.textContent !== text) el.textContent = text;
  }
  function show() {
    const s = stats;
    set('st-player', s.version || playerName);
    set('st-state', s.ended ? 'ended' : s.paused ? 'paused' : s.curStallMs > 1000 ? 'stalled' : s.firstTime === null ? 'starting' : 'playing');
    set('st-time', fmt(s.currentTime, 3) + ' s');
    set('st-live', s.isLive === null ? '–' : s.isLive ? 'live' : 'on demand');
    set('st-latency', s.isLive ? fmt(s.serverLatency) + ' s (player: ' + fmt(s.latency) + ' s)' : '–');
    set('st-clock', s.clockOffsetMs === null ? '–' : fmt(s.clockOffsetMs / 1000, 3) + ' s');
    set('st-buffer', fmt(s.bufferAhead) + ' s');
    set('st-rep', s.rep ? `${s.rep.id}: ${s.rep.width || '?'}x${s.rep.height || '?'} @ ${Math.round((s.rep.bandwidth || 0) / 1000)} kbit/s` : '–');
    set('st-frames', s.frames ? `${s.frames.total} (${s.frames.dropped} dropped)` : '–');
    set('st-stalls', `${s.stallCount} (longest ${fmt(Math.max(s.maxStallMs, s.maxFrozenMs) / 1000, 1)} s)`);
    set('st-startup', s.startupMs === null ? '–' : fmt(s.startupMs / 1000) + ' s');
    set('st-errors', s.errors.length ? s.errors.map((e) => `[${fmt(e.at / 1000, 1)} s] ${e.source} ${e.code}: ${e.message}`).join('\n') : 'none');
  }

  setInterval(sample, SAMPLE_MS);
  measureClock();
  const start = { dashjs: startDashjs, shaka: startShaka, native: startNative }[playerName] || startNative;
  start().catch((e) => addError('page', 'start', e && (e.stack || e.message || e)));
})();
