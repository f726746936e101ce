// patchstorm's simulation thread: a dedicated module worker that holds one
// Playground and runs it, so that the page's main thread only draws and
// answers the controls. One worker holds one run; the page starts a new
// worker for a new run and terminates the old one, which gives its memory
// back to the browser at once (a WebAssembly memory never shrinks).
//
// Messages from the page: {type: 'open', module, query, speed},
// {type: 'play', speed}, {type: 'speed', speed}, {type: 'pause'},
// {type: 'step'}, {type: 'extend', hours, id}, {type: 'get', what, id},
// {type: 'rewind', t} (scrub to a moment already simulated),
// {type: 'intervene', changes, id} (an operator action at the moment shown).
// To the page: 'opened', 'frame', 'reply', 'failed' (see post* below).
//
// Rules this file keeps:
// - The run advances only by `runUntil(t)` to whole simulated milliseconds,
//   so the fingerprint is a function of the simulated time alone, however
//   the slices fell.
// - A slice of work is at most SLICE_MS of wall time, then the worker looks
//   at its messages: Pause and Step take effect within a slice.
// - What crosses to the page is flat Float64Arrays, transferred, and a few
//   numbers: no per-peer messages.

import init, * as wasm from './pkg/patchstorm.js';

const HOUR = 3_600_000;
/** Wall-clock milliseconds of simulation between looks at the messages. */
const SLICE_MS = 20;
/** Wall-clock milliseconds one runUntil call should take, roughly. */
const CHUNK_MS = 8;
/** The page gets the clock, the fingerprint and the view this often while the run goes (ms). */
const FRAME_EVERY_MS = 50;
/** ... and the published-record comparison this often (ms). */
const VALIDATION_EVERY_MS = 250;
/** The rates shown (events/s, simulated h/s) are measured over this much wall time (ms). */
const RATE_WINDOW_MS = 1000;

let pg = null;
let memory = null;
let playing = false;
/** Simulated hours per wall second; Infinity: as fast as it goes. */
let speed = 2;
/** Simulated ms Step runs to, or null. */
let target = null;
let lastSlice = 0;
let scheduled = false;
let sent = 0;
let lastFrame = 0;
let lastValidation = 0;
let evPerSimMs = 0.05;
let evPerWallMs = 500;
const rate = { t: 0, sim: 0, events: 0, hPerS: 0, eventsPerS: 0 };
let lastPanic = '';
/** The number of the last command read (the page numbers them), sent back in every frame. */
let command = 0;

const consoleError = console.error.bind(console);
console.error = (...args) => {
  const text = args.map(String).join(' ');
  if (/panicked at/.test(text)) lastPanic = text;
  consoleError(...args);
};

/** The worker failed: the page shows its banner with what is known here. */
function fail(err) {
  pg = null;
  playing = false;
  target = null;
  let failed = 0;
  try {
    failed = wasm.allocationFailure();
  } catch {
    // The module cannot answer: not known to be memory.
  }
  self.postMessage({
    type: 'failed',
    name: (err && err.constructor && err.constructor.name) || 'Error',
    message: String((err && err.message) ?? err),
    stack: String((err && err.stack) || ''),
    panic: lastPanic,
    allocationFailure: failed,
    memoryBytes: memory ? memory.buffer.byteLength : 0,
  });
}

self.addEventListener('error', (e) => fail(e.error || e.message));
self.addEventListener('unhandledrejection', (e) => fail(e.reason));

const tick = new MessageChannel();
tick.port1.onmessage = () => {
  scheduled = false;
  slice();
};

/** Runs the next slice as soon as the messages waiting have been seen. */
function schedule(delayMs = 0) {
  if (scheduled) return;
  scheduled = true;
  if (delayMs > 0) setTimeout(() => tick.port2.postMessage(0), delayMs);
  else tick.port2.postMessage(0);
}

function busy() {
  return pg !== null && !pg.done() && (playing || target !== null);
}

/**
 * Runs toward `goal` (simulated ms) until `deadline` (performance.now() ms),
 * in runUntil steps sized from the recent event density.
 */
function advance(goal, deadline) {
  let now = pg.nowMs();
  while (now < goal && performance.now() < deadline) {
    const wantEvents = Math.max(200, evPerWallMs * CHUNK_MS);
    const dt = Math.max(1, Math.min(goal - now, Math.round(wantEvents / Math.max(evPerSimMs, 1e-9))));
    const e0 = pg.events();
    const w0 = performance.now();
    pg.runUntil(now + dt);
    const wall = performance.now() - w0;
    const ran = pg.events() - e0;
    evPerSimMs = ran > 0 ? 0.5 * evPerSimMs + 0.5 * (ran / dt) : evPerSimMs * 0.5;
    if (ran > 500 && wall > 0.2) evPerWallMs = 0.7 * evPerWallMs + 0.3 * (ran / wall);
    now = pg.nowMs();
    if (pg.done()) break;
  }
  return now;
}

function slice() {
  if (!busy()) return;
  try {
    const t0 = performance.now();
    const end = pg.endMs();
    let goal;
    if (target !== null) {
      goal = target;
    } else if (speed === Infinity) {
      goal = end;
    } else {
      // The simulated time the speed allows for the wall time since the last
      // slice; after a stall (a hidden tab) it does not try to catch up.
      const dt = Math.min(0.1, (t0 - lastSlice) / 1000);
      goal = Math.min(end, pg.nowMs() + speed * HOUR * dt);
    }
    lastSlice = t0;
    const now = advance(goal, t0 + SLICE_MS);
    if (target !== null && now >= target) target = null;
    if (pg.done()) {
      playing = false;
      target = null;
    }
    measure(t0);
    const stopped = !busy();
    if (stopped || t0 - lastFrame >= FRAME_EVERY_MS) postFrame(stopped);
    if (!stopped) schedule(speed === Infinity || target !== null || now < goal ? 0 : 8);
  } catch (e) {
    fail(e);
  }
}

/** Keeps the events/s and simulated h/s of the last second. */
function measure(t) {
  if (rate.t === 0) {
    Object.assign(rate, { t, sim: pg.nowMs(), events: pg.events() });
    return;
  }
  const wall = t - rate.t;
  if (wall < RATE_WINDOW_MS) return;
  rate.hPerS = (pg.nowMs() - rate.sim) / HOUR / (wall / 1000);
  rate.eventsPerS = (pg.events() - rate.events) / (wall / 1000);
  Object.assign(rate, { t, sim: pg.nowMs(), events: pg.events() });
}

/** The clock, the fingerprint, the new samples and the network view, to the page. */
function postFrame(force = false, extra = {}) {
  const t = performance.now();
  lastFrame = t;
  pg.capture();
  const sn = pg.supernodes();
  const totals = pg.totals();
  const login = pg.login();
  const samples = pg.samples(sent);
  sent = pg.sampleCount();
  const message = {
    type: 'frame',
    command,
    now: pg.nowMs(),
    end: pg.endMs(),
    done: pg.done(),
    events: pg.events(),
    digest: pg.digest(),
    playing,
    stepping: target !== null,
    hPerS: busy() ? rate.hPerS : 0,
    eventsPerS: busy() ? rate.eventsPerS : 0,
    memoryBytes: memory.buffer.byteLength,
    sn,
    totals,
    login,
    samples,
    sampleCount: sent,
    // The timeline may go back and forth up to it (an intervention cuts it to its moment).
    reached: pg.reachedMs(),
    snapshots: { bytes: pg.snapshotBytes(), count: pg.snapshotCount(), intervalMs: pg.snapshotIntervalMs(), budgetBytes: pg.snapshotBudget() },
    ...extra,
  };
  if (force || t - lastValidation >= VALIDATION_EVERY_MS) {
    lastValidation = t;
    message.validation = pg.validation();
    message.timing = pg.validationTiming();
    message.summary = pg.summary(0);
  }
  self.postMessage(message, [sn.buffer, totals.buffer, login.buffer, samples.buffer]);
}

function setSpeed(s) {
  speed = s === 'max' ? Infinity : Number(s);
}

function start() {
  lastSlice = performance.now();
  rate.t = 0;
  schedule();
}

/**
 * Runs `act`; false if the module refused it (a plain Error, whose message
 * names the value and what is allowed), after replying with the message to
 * request `id`. A failure of the module itself is thrown on.
 */
function refusedBy(id, act) {
  try {
    act();
    return true;
  } catch (e) {
    if (e instanceof Error && e.constructor === Error) {
      self.postMessage({ type: 'reply', id, error: e.message });
      return false;
    }
    throw e;
  }
}

const handlers = {
  async open({ module, query, speed: s }) {
    ({ memory } = await init({ module_or_path: module }));
    setSpeed(s);
    const t0 = performance.now();
    pg = new wasm.Playground(query);
    self.postMessage({
      type: 'opened',
      query: pg.query(),
      peers: pg.peers(),
      startUnixMs: pg.startUnixMs(),
      endMs: pg.endMs(),
      triggerMs: pg.triggerMs(),
      hasTrigger: pg.hasTrigger(),
      published: pg.published(),
      buildSeconds: (performance.now() - t0) / 1000,
    });
    postFrame(true);
  },
  play({ speed: s }) {
    setSpeed(s);
    playing = true;
    target = null;
    start();
  },
  speed({ speed: s }) {
    setSpeed(s);
  },
  pause() {
    playing = false;
    target = null;
    postFrame(true);
  },
  step() {
    if (pg.done()) {
      postFrame(true);
      return;
    }
    playing = false;
    const from = target ?? pg.nowMs();
    target = Math.min(pg.endMs(), (Math.floor(from / HOUR + 1e-9) + 1) * HOUR);
    start();
  },
  extend({ hours, id }) {
    if (!refusedBy(id, () => pg.extend(hours))) return;
    // The frame first: when the page reads the reply, it has the longer run's state.
    postFrame(true);
    self.postMessage({ type: 'reply', id, value: { query: pg.query(), endMs: pg.endMs() } });
    if (busy()) start();
  },
  rewind({ t }) {
    playing = false;
    target = null;
    const t0 = performance.now();
    // Back, or forward to a moment simulated before with this scenario:
    // from the nearest snapshot at or before it, replayed (Playground.rewind).
    pg.rewind(Math.min(t, pg.reachedMs()));
    sent = Math.min(sent, pg.sampleCount());
    postFrame(true, { rewound: true, rewindMs: performance.now() - t0 });
  },
  intervene({ changes, id }) {
    playing = false;
    target = null;
    // An intervention is made at a whole simulated minute: a run paused
    // between two goes on to the next one first.
    const minute = 60_000;
    const at = Math.ceil(pg.nowMs() / minute) * minute;
    if (at > pg.nowMs() && at < pg.endMs()) pg.runUntil(at);
    if (!refusedBy(id, () => pg.intervene(changes))) return;
    postFrame(true);
    self.postMessage({ type: 'reply', id, value: { query: pg.query(), now: pg.nowMs() } });
  },
  get({ what, id }) {
    const value = what === 'csv' ? pg.csv() : what === 'scenarioJson' ? pg.scenarioJson() : what === 'story' ? pg.story() : null;
    if (value === null) throw new Error(`the worker has nothing called ${what}`);
    self.postMessage({ type: 'reply', id, value, digest: pg.digest(), now: pg.nowMs() });
  },
};

/** Commands are handled one after another, in order, even while `open` waits for the module. */
let handled = Promise.resolve();
self.onmessage = (e) => {
  const m = e.data;
  handled = handled.then(async () => {
    command = m.command;
    try {
      if (m.type !== 'open' && !pg) return;
      await handlers[m.type](m);
    } catch (err) {
      fail(err);
    }
  });
};
