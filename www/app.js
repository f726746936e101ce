// patchstorm playground: wires the simulation (./pkg, built by wasm-pack)
// to the controls, the network view and the charts. Plain ES module, no
// bundler; uPlot comes from vendor/ as a global.
//
// Rules this file keeps:
// - The run lives in a worker (simulation.js, worker.js); this thread only
//   draws the frames it sends and answers the controls. Its own instance of
//   the module gives the tables (parameters, presets, footprints).
// - Every call into this thread's module goes through `call()`, and a
//   failure of the run's comes to `fatal()`: a panic in Rust (a
//   WebAssembly.RuntimeError) shows a banner instead of leaving a dead page.
// - The address bar always holds the canonical query of the scenario shown.
// - Nothing large is built without asking: a run whose estimated peak memory
//   is above ASK_ABOVE_BYTES waits for the visitor's answer, and one that
//   would not fit in the module's memory is refused like a bad value.

import init, * as wasm from './pkg/patchstorm.js';
import { SimulationThread, WorkerFailure } from './simulation.js';
import { NetworkView, LEGEND, AGGREGATE_PEERS, AGGREGATE_SUPERNODES } from './network.js';
import { Charts } from './charts.js';
import { buildAdvanced } from './controls.js';
import { keepReadingOrder } from './layout.js';
import { TippingMap } from './tipping.js';
import { download } from './download.js';
import { Timeline, hoursText } from './timeline.js';
import { Interventions, withoutIntervention } from './intervene.js';

const $ = (id) => document.getElementById(id);
const HOUR = 3_600_000;
/** While a run goes, the network view and the status are drawn at most this often (ms), the charts at most this often. */
const NETWORK_EVERY_MS = 50;
const CHARTS_EVERY_MS = 200;
/**
 * The key of a link that holds the pinned run's (A's) own link,
 * percent-encoded, beside the keys of the run that plays (B).
 */
const COMPARE_KEY = 'compare';
/** The key of a link that holds the tipping-point map's settings, percent-encoded. */
const MAP_KEY = 'map';
/** Parameters a preset change keeps: who is simulated, not the story. */
const KEPT_ACROSS_PRESETS = ['peers', 'seed'];
/** Simulated hours "+24 h" adds; within a day of the longest run allowed it adds what is left. */
const MORE_HOURS = 24;
/**
 * A run whose estimated peak memory (`wasm.footprint`) is above this asks
 * before it is built: it takes seconds to build and more memory than a tab
 * usually holds, which a phone or a small laptop may not have. The module
 * itself may grow to `limit_bytes`.
 */
const ASK_ABOVE_BYTES = 500e6;

const dateFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
const num = new Intl.NumberFormat('en-US');
const num2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Memory as a visitor reads it: "740 MB", "1.3 GB". */
function bytesText(bytes) {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${num.format(Math.max(1, Math.round(bytes / 1e6)))} MB`;
}

/** A wait as a visitor reads it: "under a second", "about 6 s". */
function secondsText(seconds) {
  return seconds < 1 ? 'under a second' : `about ${num.format(Math.round(seconds))} s`;
}

/** An event rate as a visitor reads it: "640", "850 k", "3.1 M". */
function eventsText(perS) {
  if (perS >= 1e6) return `${(perS / 1e6).toFixed(1)} M`;
  return perS >= 1e3 ? `${num.format(Math.round(perS / 1e3))} k` : num.format(Math.round(perS));
}

/** `query` with another number of peers. */
function withPeers(query, peers) {
  const q = new URLSearchParams(query);
  q.set('peers', String(peers));
  return q.toString();
}

// ---------------------------------------------------------------- failure

/** The buttons that need a simulation to act on. */
const RUN_BUTTONS = ['play', 'step', 'more', 'reset', 'compare', 'story', 'intervene-apply', 'swap', 'drop-a', 'export-csv', 'export-json', 'export-png'];

/** Thrown instead of calling into a simulation that has already stopped. */
class Stopped extends Error {}

let dead = false;
let lastPanic = '';
/** This thread's module: compiled once, instantiated here and in each run's worker. */
let MODULE = null;
/** This thread's instance's memory (from `init`), when no run can say how much it had. */
let memory = null;
// console_error_panic_hook reports the panic message through console.error;
// keep the last one so the banner can say what happened.
const consoleError = console.error.bind(console);
console.error = (...args) => {
  const text = args.map(String).join(' ');
  if (/panicked at/.test(text)) lastPanic = text;
  consoleError(...args);
};

/**
 * What a failure says when the module, or the browser for it, could not get
 * more memory: the allocator's panic, a Vec too large for 32-bit addresses,
 * or the browser refusing a buffer or an instance.
 */
const OUT_OF_MEMORY = /memory allocation of \d+ bytes failed|capacity overflow|out of memory|Array buffer allocation failed|Maximum memory size exceeded|could not allocate memory/i;

/** What ran out, in a line, when `err` is the module or the browser running out of memory; '' otherwise. */
function outOfMemory(err) {
  const message = String((err && err.message) ?? err).split('\n')[0];
  if (OUT_OF_MEMORY.test(lastPanic)) return lastPanic.split('\n')[0];
  if (OUT_OF_MEMORY.test(message)) return message;
  // When the module's memory cannot grow, Rust aborts without a message (a
  // bare RuntimeError); the binding's allocator notes the request it could
  // not meet. The worker asked its instance; this thread asks its own.
  if (err instanceof WorkerFailure) {
    if (err.workerName === 'RuntimeError' && err.allocationFailure > 0) return `memory allocation of ${err.allocationFailure} bytes failed (${message})`;
  } else if (err instanceof WebAssembly.RuntimeError) {
    let failed = 0;
    try {
      failed = wasm.allocationFailure();
    } catch {
      // The module cannot answer: not known to be memory.
    }
    if (failed > 0) return `memory allocation of ${failed} bytes failed (${message})`;
  }
  return '';
}

/** The memory the run had when `err` stopped it: the worker's instance's, or the last a frame reported. */
function memoryReached(err) {
  if (err instanceof WorkerFailure && err.memoryBytes > 0) return err.memoryBytes;
  if (S.run?.last) return S.run.last.memoryBytes;
  return memory ? memory.buffer.byteLength : 0;
}

/** A button that leaves for another link, so that reloading cannot bring the failure back. */
function leaveFor(label, query) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.addEventListener('click', () => location.assign(query ? `?${query}` : location.pathname));
  return b;
}

/**
 * The tab ran out of memory for a run (`S.opening` or `S.running`, or none
 * when the module could not even start): say so, and offer links that will
 * work. The size offered fits, by the core's estimate, in half the memory
 * the failed run was estimated at and in three quarters of what the module
 * had when it failed, so that a second failure halves it again; the
 * default scenario is the other way out.
 */
function outOfMemoryBanner(run, detail, reached) {
  const body = document.createElement('div');
  body.className = 'banner-body';
  const peers = run ? run.footprint.peers : 0;
  const p = document.createElement('p');
  p.innerHTML = '<strong>This tab ran out of memory.</strong> ';
  p.append(
    (peers ? `A network of ${num.format(peers)} peers needs more memory than this tab could give the simulation` : 'The simulation needed more memory than this tab could give it') +
      (reached ? ` (it had ${bytesText(reached)})` : '') +
      '. That is a limit of this browser tab for this size, not a bug in your link. The simulation cannot go on; a smaller network fits.',
  );
  const hint = document.createElement('p');
  hint.className = 'hint';
  hint.textContent = `Details: ${detail}`;
  const actions = document.createElement('div');
  actions.className = 'buttons banner-actions';
  if (run) {
    let smaller = run.half;
    try {
      smaller = wasm.peersWithin(run.query, Math.min(run.footprint.bytes / 2, reached * 0.75 || Infinity));
    } catch {
      // The module cannot answer any more: the size worked out before it failed.
    }
    if (smaller < peers) actions.append(leaveFor(`Open at ${num.format(smaller)} peers`, withPeers(run.query, smaller)));
  }
  actions.append(leaveFor('Open the default scenario', ''));
  body.append(p, actions, hint);
  banner('error', 'stopped', body, null, false);
  actions.querySelector('button').focus();
}

function fatal(err) {
  if (dead || err instanceof Stopped) return;
  dead = true;
  S.playing = false;
  S.stepping = false;
  if (err instanceof WorkerFailure) lastPanic = err.panic;
  const reached = memoryReached(err);
  // The run cannot go on; its worker's memory goes back to the browser.
  S.run?.close();
  S.pinned?.thread.close();
  document.body.dataset.state = 'stopped';
  // Nothing can be built any more: a question about a large run goes unanswered.
  question = null;
  clearBanner('size');
  const ran = outOfMemory(err);
  if (S.opening) $('network-caption').textContent = 'The network could not be built.';
  if (view && !S.run) {
    view.placeholder = 'The simulation stopped.';
    view.draw();
  }
  if (ran) {
    outOfMemoryBanner(S.opening ?? S.running, ran, reached);
  } else {
    const text = lastPanic || (err && (err.stack || err.message)) || String(err);
    const detail = text.split('\n').slice(0, 3).join(' ');
    const body = document.createElement('div');
    body.className = 'banner-body';
    const p = document.createElement('p');
    p.innerHTML = '<strong>The simulation stopped.</strong> Its WebAssembly module failed (a bug, not your input). The controls cannot run it any further; reloading the page starts it again from this link.';
    const pre = document.createElement('p');
    pre.className = 'hint';
    pre.textContent = `Details: ${detail}`;
    body.append(p, pre);
    const reload = document.createElement('button');
    reload.type = 'button';
    reload.textContent = 'Reload';
    reload.addEventListener('click', () => location.reload());
    banner('error', 'stopped', body, reload, false);
  }
  $('play').textContent = 'Play';
  $('play').setAttribute('aria-pressed', 'false');
  for (const id of RUN_BUTTONS) $(id).disabled = true;
  consoleError('patchstorm: the simulation stopped:', err);
}

/** A module-level wasm function (tables, validation); same guard. */
function call(fn) {
  if (dead) throw new Stopped('the simulation has stopped');
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && e.constructor === Error) throw e; // a refused query
    fatal(e);
    throw new Stopped('the simulation has stopped');
  }
}

window.addEventListener('error', (e) => {
  // The browser reports a resize observer that could not deliver every size
  // change in one frame as an error event without an error: it is benign
  // (the next frame delivers them) and says nothing about the simulation.
  if (!e.error && /^ResizeObserver loop/.test(e.message || '')) return;
  fatal(e.error || e.message);
});
window.addEventListener('unhandledrejection', (e) => fatal(e.reason));

// ---------------------------------------------------------------- banners

function banner(kind, id, body, action, dismissable = true) {
  const old = document.querySelector(`.banner[data-id="${id}"]`);
  if (old) old.remove();
  const div = document.createElement('div');
  div.className = `banner banner-${kind}`;
  div.dataset.id = id;
  div.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  div.append(body);
  if (action) div.append(action);
  if (dismissable) {
    const close = document.createElement('button');
    close.type = 'button';
    close.textContent = 'Dismiss';
    close.addEventListener('click', () => div.remove());
    div.append(close);
  }
  $('messages').append(div);
  return div;
}

/**
 * A link of an older format replays the run it showed when it was made.
 * Format 1 (`v=1`) was made before the 2007 world was recalibrated: the core
 * reads it with the values it was made with (`V1_WORLD` in scenario/mod.rs),
 * which the canonical link now names. Formats 1 and 2 count the clients
 * whose login failed as the engine did then (`login::Failures`), so their
 * canonical link stays of format 2. Say so, so that a reader does not take
 * the old run for this build's, or the old values for changes someone made
 * on purpose.
 */
function formatNote(asked, changed = false) {
  const given = new URLSearchParams(asked);
  const v = Number(given.get('v'));
  // A link of a format whose runs this build gives unchanged needs no note.
  if (!given.has('v') || v >= wasm.sameRunSince()) return;
  const now = new URLSearchParams(S.query);
  const kept = v === 1 ? [...now.keys()].filter((k) => k !== 'v' && k !== 'preset' && !given.has(k)) : [];
  const p1 = document.createElement('p');
  const body = document.createElement('div');
  body.className = 'banner-body';
  if (changed) {
    // Changed since: no longer the run the link showed, but still of its format.
    p1.innerHTML = '<strong>This run is read in link format 2</strong>, as the link it was changed from was.';
  } else if (v === 1) {
    p1.innerHTML = '<strong>This link was made before the 2007 model was recalibrated</strong> (link format 1). ';
    if (kept.length) {
      p1.append('It replays the run it showed then, with the values of that time: ');
      kept.forEach((k, i) => {
        const code = document.createElement('code');
        code.textContent = `${k}=${now.get(k)}`;
        p1.append(i ? ', ' : '', code);
      });
      p1.append('.');
    } else {
      p1.append('It replays the run it showed then.');
    }
  } else {
    p1.innerHTML = '<strong>This link was made before the login servers’ count of failed clients was corrected</strong> (link format 2). ';
    p1.append('It replays the run it showed then.');
  }
  const p2 = document.createElement('p');
  p2.textContent =
    'Links of formats 1 and 2 count the clients whose login failed as the model did then, which undercounted them ' +
    'in small networks: at 100 000 peers and fewer the 2007 outage climbed back about 3 h early (VALIDATION.md, ' +
    'section 2).' +
    (changed ? '' : ` The address bar holds the same run${v === 1 ? ' as a link of format 2' : ''}.`);
  body.append(p1, p2);
  const action = document.createElement('button');
  action.type = 'button';
  action.textContent = 'Open it in the current format';
  action.title = `The same link read in the current format (${wasm.formatVersion()})${kept.length ? ': without the values of that time' : ''}`;
  action.addEventListener('click', async () => {
    if (dead) return;
    // The current link (it may have been made longer since), in this build's
    // format and without the values of that time.
    const q = new URLSearchParams(S.query);
    for (const k of kept) q.delete(k);
    q.delete('v');
    const error = await open(q.toString());
    if (error === KEPT || error === REPLACED) return;
    if (error) refused(error);
    else clearBanner('format');
  });
  banner('warn', 'format', body, action);
}

function clearBanner(id) {
  document.querySelector(`.banner[data-id="${id}"]`)?.remove();
}

// ---------------------------------------------------------------- state

const S = {
  /** The run (a SimulationThread), once built. */
  run: null,
  query: '',
  values: null,
  preset: 'skype-2007',
  /** Whether the run plays, or runs to the next whole hour (Step), as the page asked. */
  playing: false,
  stepping: false,
  speed: 2,
  samplesRead: 0,
  lastNetwork: 0,
  lastCharts: 0,
  dirty: true,
  building: false,
  /** A "+24 h" waiting for the worker's answer. */
  extending: false,
  /** The pinned run of a comparison (A): {thread, query, values}, or null. */
  pinned: null,
  /** Calls of `pin` so far, as `opens` for `open`. */
  pins: 0,
  /** The run being built and the one running: {query, footprint, half}, for the out-of-memory banner. */
  opening: null,
  running: null,
  /** Calls of `open` so far: one that waited sees whether a later one took its place. */
  opens: 0,
  /** Scrubbing: the moment asked for last (ms) and whether a rewind is on its way to the worker. */
  seekWanted: null,
  seeking: false,
  /** The story of the run shown: {steps, at} once found, or null. */
  story: null,
};

let PARAMS = [];
let PRESETS = [];
let COLUMNS = [];
/** Policy key -> what the policy does (`Policy::description`). */
let POLICY_TEXT = new Map();
let view;
let charts;
/** The tipping-point map (tipping.js). */
let tipping = null;
let advanced;
/** The timeline under the network view, and the operator's actions at its moment. */
let timeline;
let actions;

// ---------------------------------------------------------------- scenarios

/** The question a large run waits for, while it is asked: {answer(a)}. */
let question = null;

/**
 * Asks before building a run whose estimated peak memory is above
 * ASK_ABOVE_BYTES. Resolves to the query to build (this one, a smaller
 * one, or the default scenario's when nothing runs yet) or to KEPT (keep
 * the run there is; also when a later question takes this one's place).
 */
function askSize(query, footprint) {
  const smaller = call(() => wasm.peersWithin(query, ASK_ABOVE_BYTES));
  const running = S.run !== null;
  return new Promise((resolve) => {
    const body = document.createElement('div');
    body.className = 'banner-body';
    const title = document.createElement('p');
    title.id = 'size-question-title';
    const strong = document.createElement('strong');
    strong.textContent = `A network of ${num.format(footprint.peers)} peers is large for a browser tab.`;
    title.append(strong);
    const text = document.createElement('p');
    text.id = 'size-question-text';
    text.textContent =
      `Building it takes ${secondsText(footprint.build_seconds)} (longer on a slow device), ` +
      `and the run will hold about ${bytesText(footprint.bytes)} of this tab's memory. The page asks before it builds a run ` +
      `that needs more than ${bytesText(ASK_ABOVE_BYTES)}; at most ${num.format(footprint.limit_peers)} peers fit in this tab. ` +
      'Nothing is built until you choose.';
    const actions = document.createElement('div');
    actions.className = 'buttons banner-actions';
    body.append(title, text, actions);
    const div = banner('warn', 'size', body, null, false);
    div.setAttribute('role', 'alertdialog');
    div.setAttribute('aria-labelledby', title.id);
    div.setAttribute('aria-describedby', text.id);
    // With nothing built yet, the run's buttons have nothing to run.
    const idle = running ? [] : RUN_BUTTONS.map($).filter((b) => !b.disabled);
    for (const b of idle) b.disabled = true;
    const asked = {
      answer(a) {
        if (question !== asked) return;
        question = null;
        div.remove();
        for (const b of idle) b.disabled = dead;
        view.placeholder = 'Building the network…';
        view.draw();
        resolve(a);
      },
    };
    question = asked;
    const choice = (label, answer, primary = false) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      if (primary) b.className = 'primary';
      b.addEventListener('click', () => asked.answer(answer));
      actions.append(b);
      return b;
    };
    choice('Build it', query);
    const safe = choice(`Open at ${num.format(smaller)} peers`, withPeers(query, smaller), true);
    if (running) choice('Keep the current run', KEPT);
    else choice('Open the default scenario', '');
    if (!running) {
      // The controls show the link asked about (a change to one is a change to it).
      S.values = call(() => wasm.scenarioValues(query));
      S.query = S.values.query;
      syncControls();
      $('network-caption').textContent = 'Nothing is built yet: the page is waiting for your answer above.';
      view.placeholder = 'Nothing is built yet.';
      view.draw();
    }
    safe.focus();
  });
}

/** What `open` returns when the visitor chose to keep what runs, or a later question took this one's place. */
const KEPT = Symbol('kept');
/** What `open` returns when a later `open` took its place while it was built: that one says what happens. */
const REPLACED = Symbol('replaced');

/** The estimated footprint of `query`'s run, or the message refusing the query: {footprint} or {refusal}. */
function footprintOf(query) {
  try {
    return { footprint: call(() => wasm.footprint(query)) };
  } catch (e) {
    if (e instanceof Stopped) throw e;
    return { refusal: e.message };
  }
}

/**
 * Replaces the running simulation with one built from `query`. Returns null
 * on success, the error message when the query is refused (the old
 * simulation then keeps running), KEPT when the visitor was asked about
 * a large run and kept the current one, or REPLACED when a later call took
 * this one's place while its run was built.
 */
async function open(query) {
  const { footprint, refusal } = footprintOf(query);
  if (refusal) return refusal;
  // This query takes the place of one still asked about, or still waiting to be built.
  question?.answer(KEPT);
  const ticket = ++S.opens;
  // A network no larger than the one running was built already (or asked about).
  const held = S.run ? S.run.info.peers : 0;
  if (footprint.bytes > ASK_ABOVE_BYTES && footprint.peers > held) {
    const answer = await askSize(query, footprint);
    if (answer === KEPT) return KEPT;
    if (answer !== query) return open(answer);
  }
  const run = { query, footprint, half: call(() => wasm.peersWithin(query, footprint.bytes / 2)) };
  // The old run goes first, so that the new one can have its memory.
  const wasPlaying = S.playing;
  S.run?.close();
  S.run = null;
  S.playing = false;
  S.stepping = false;
  S.opening = run;
  S.building = true;
  if (footprint.peers > 500_000) {
    $('network-caption').textContent = `Building a network of ${num.format(footprint.peers)} peers (${secondsText(footprint.build_seconds)})…`;
    document.body.dataset.state = 'building';
  }
  const thread = await buildThread(query, S.speed, received, () => ticket === S.opens);
  if (!thread) return REPLACED;
  S.opening = null;
  S.building = false;
  S.run = thread;
  S.query = thread.info.query;
  S.running = { ...run, query: S.query };
  S.values = call(() => wasm.scenarioValues(S.query));
  S.preset = S.values.preset;
  S.samplesRead = 0;
  showLink();
  const meta = {
    peers: thread.info.peers,
    snCapacity: Number(S.values.sn_capacity),
    loginQueueS: Number(S.values.login_queue_s),
  };
  view.reset(meta);
  charts.reset({
    startUnixMs: thread.info.startUnixMs,
    endMs: thread.info.endMs,
    triggerMs: thread.info.triggerMs,
    peers: meta.peers,
    published: thread.info.published,
    hasTrigger: thread.info.hasTrigger,
  });
  $('published-source').hidden = charts.run.published.length === 0;
  delete $('validation').dataset.rows;
  timeline.reset({ endMs: thread.info.endMs, sampleMs: Number(S.values.sample_s) * 1000, startUnixMs: thread.info.startUnixMs });
  S.seekWanted = null;
  S.seeking = false;
  closeStory();
  showInterventions();
  syncControls();
  tipping?.currentChanged();
  if (wasPlaying && !thread.last.done) play();
  S.dirty = true;
  render(performance.now(), true);
  return null;
}

/**
 * Builds the run of `query` in a new worker. Resolves to null, with the
 * worker closed, when `current()` says a later call took this one's place
 * while it was built. A failure to build stops the page: the query was
 * accepted by `footprint` first, so a refusal here is the binding's two
 * checks disagreeing.
 */
async function buildThread(query, speed, onFrame, current) {
  let thread;
  try {
    thread = await SimulationThread.open(MODULE, query, speed, { onFrame, onFailure: fatal, rowWidth: COLUMNS.length });
  } catch (e) {
    if (!current()) return null;
    fatal(e);
    throw new Stopped('the simulation has stopped');
  }
  if (!current() || dead) {
    thread.close();
    return null;
  }
  return thread;
}

/** A frame from the run's worker: what it reached, and whether it still plays. */
function received(thread, frame) {
  if (thread !== S.run || dead) return;
  // A frame sent before the worker read the page's last command says
  // nothing about whether the run plays now.
  if (thread.current(frame)) {
    S.playing = frame.playing;
    S.stepping = frame.stepping;
  }
  if (frame.rewound) {
    S.seeking = false;
    $('timeline-status').dataset.rewindMs = String(frame.rewindMs);
    if (S.seekWanted !== null && S.seekWanted !== frame.now) sendSeek();
    else S.seekWanted = null;
  }
  S.dirty = true;
}

// ---------------------------------------------------------------- the timeline

/**
 * The visitor moved the timeline to `t` (simulated ms, a sample already
 * simulated). The run pauses and its worker goes there; while one rewind is
 * on its way, only the latest moment asked for is sent after it.
 */
function seek(t) {
  if (dead || !S.run?.last || S.building || S.extending) return;
  S.playing = false;
  S.stepping = false;
  S.seekWanted = t;
  if (!S.seeking) sendSeek();
  S.dirty = true;
}

function sendSeek() {
  S.seeking = true;
  S.run.rewind(S.seekWanted);
}

/** The run's interventions on the timeline, the charts and the list under the form. */
function showInterventions() {
  const marks = S.values.interventions.map((iv) => ({ tMs: iv.t_ms, label: iv.changes.map(([k, v]) => `${k}=${v}`).join(', ') }));
  timeline.setMarks(marks);
  charts.setMarks(marks);
  actions.setScenario(S.values, hoursText);
}

/** An operator action at the moment shown: the run takes it there and plays on; the link gets it. */
async function intervene(changes) {
  if (dead || !S.run?.last || S.building || S.extending || S.seeking) return;
  const run = S.run;
  S.playing = false;
  S.stepping = false;
  let reply;
  try {
    reply = await run.intervene(changes);
  } catch {
    return; // The run failed or was replaced; the banner, or the new run, says so.
  }
  if (run !== S.run) return;
  if (reply.error) {
    actions.error(reply.error);
    return;
  }
  actions.error(null);
  S.query = reply.value.query;
  S.values = call(() => wasm.scenarioValues(S.query));
  S.running = { ...S.running, query: S.query };
  timeline.cut(reply.value.now);
  S.story = null;
  closeStory();
  showLink();
  showInterventions();
  syncControls();
  if (runnable()) play();
  S.dirty = true;
  renderStatus();
}

/** Takes out an intervention: the run is built again without it (like any other change of the scenario). */
async function removeIntervention(index) {
  if (dead) return;
  const error = await open(withoutIntervention(S.query, index));
  if (typeof error === 'string') actions.error(error);
}

function renderTimeline() {
  const { now, reached, snapshots } = S.run.last;
  timeline.show(now, reached);
  const status = $('timeline-status');
  const text = `showing ${hoursText(now)} h · simulated up to ${hoursText(reached)} h of ${hoursText(S.run.last.end)} h`;
  if (status.textContent !== text) status.textContent = text;
  const took = status.dataset.rewindMs ? ` The last move took ${Math.round(Number(status.dataset.rewindMs))} ms.` : '';
  const note =
    `To go back, the run keeps snapshots of itself: ${num.format(snapshots.count)} so far, at most ${hoursText(snapshots.intervalMs)} h of simulated time apart, ` +
    `${bytesText(snapshots.bytes)} of a ${bytesText(snapshots.budgetBytes)} budget (when the budget would be passed, every other one is dropped); ` +
    `a moment is replayed from the nearest snapshot before it.${took}`;
  if ($('snapshot-note').textContent !== note) $('snapshot-note').textContent = note;
}

// ---------------------------------------------------------------- the story

/** Story: the run goes to its end (as fast as it goes), then its moments are shown one by one. */
async function startStory() {
  if (dead || !S.run?.last || S.building || S.extending) return;
  const run = S.run;
  const panel = $('story-panel');
  panel.hidden = false;
  $('story').setAttribute('aria-expanded', 'true');
  if (!S.story) {
    $('story-count').textContent = 'Running to the end of the run to find its moments…';
    $('story-step-title').textContent = '';
    $('story-text').textContent = '';
    $('story-cites').textContent = '';
    const reached = run.last.reached >= run.last.end;
    if (!reached) {
      // Play to the end as fast as it goes; the moments are the whole run's.
      S.playing = true;
      S.stepping = false;
      run.play(Infinity);
      await until(() => run !== S.run || run.failed || (run.current() && run.last.done));
      if (run !== S.run || run.failed) return;
      S.playing = false;
      run.setSpeed(S.speed);
    } else if (!run.last.done) {
      seek(run.last.reached);
      await until(() => run !== S.run || run.failed || (!S.seeking && run.last.done));
      if (run !== S.run || run.failed) return;
    }
    let reply;
    try {
      reply = await run.get('story');
    } catch {
      return;
    }
    if (run !== S.run) return;
    S.story = { steps: reply.value, at: 0 };
    timeline.setStory(S.story.steps.map((st) => ({ tMs: st.t_ms })));
  }
  showStep(S.story.at);
  $('story-step-title').focus();
}

/** Resolves once `done()` is true, looking every animation frame. */
function until(done) {
  return new Promise((resolve) => {
    const look = () => (done() ? resolve() : requestAnimationFrame(look));
    look();
  });
}

function showStep(i) {
  const steps = S.story.steps;
  S.story.at = Math.max(0, Math.min(steps.length - 1, i));
  const st = steps[S.story.at];
  $('story-count').textContent = `Step ${S.story.at + 1} of ${steps.length} · at ${hoursText(st.t_ms)} h (${clockText(S.run.info.startUnixMs + st.t_ms)})`;
  $('story-step-title').textContent = st.title;
  $('story-text').textContent = st.text;
  const cites = $('story-cites');
  cites.replaceChildren();
  for (const c of st.cites || []) {
    const tag = document.createElement('span');
    const kind = String(c.tag ?? c.kind ?? c).replace(/[^PH]/g, '').slice(0, 1) || 'P';
    tag.className = `tag tag-${kind.toLowerCase()}`;
    tag.title = kind === 'P' ? 'published fact' : 'hypothesis or fitted value';
    tag.textContent = `[${kind}]`;
    cites.append(tag, ` ${c.text ?? c.source ?? ''} `);
  }
  $('story-prev').disabled = S.story.at === 0;
  $('story-next').disabled = S.story.at === steps.length - 1;
  document.querySelectorAll('.story-look').forEach((e) => e.classList.remove('story-look'));
  for (const id of st.look_at || []) $(id)?.classList.add('story-look');
  $('story-panel').dataset.kind = st.kind;
  $('story-panel').dataset.step = String(S.story.at);
  $('story-panel').dataset.tMs = String(st.t_ms);
  timeline.setStory(steps.map((x) => ({ tMs: x.t_ms })), S.story.at);
  // Through the timeline, which shows the moment at once and asks the run to go there.
  timeline.seek(st.t_ms);
}

function closeStory() {
  $('story-panel').hidden = true;
  $('story').setAttribute('aria-expanded', 'false');
  document.querySelectorAll('.story-look').forEach((e) => e.classList.remove('story-look'));
  timeline?.setStory([], -1);
  if (S.story) S.story.at = 0;
}

/** The query after setting one control, before validation. */
function queryWith(key, text) {
  if (key === 'preset') {
    // Without v: a link without it is read in this build's format.
    const now = new URLSearchParams(S.query);
    const next = new URLSearchParams({ preset: text });
    for (const k of KEPT_ACROSS_PRESETS) if (now.has(k)) next.set(k, now.get(k));
    return next.toString();
  }
  const q = new URLSearchParams(S.query);
  if (key === 'policy') {
    // A new policy brings its own knobs.
    for (const p of PARAMS) if (p.policy_knob) q.delete(p.key);
  }
  q.set(key, text);
  return q.toString();
}

/** Says what was refused in the warning banner the controls share. */
function refused(message) {
  const p = document.createElement('p');
  p.textContent = message;
  banner('warn', 'control', p);
}

/** A control moved: rebuild from the new scenario (Reset semantics). */
async function change(key, text) {
  if (dead) return;
  const error = await open(queryWith(key, text));
  if (error === REPLACED) return;
  if (error === KEPT) {
    // The control goes back to the value of the run there is.
    if (S.values) syncControls();
    return;
  }
  if (error) {
    // Keep the scenario that runs; say what was refused, next to the control.
    if (!advanced.error(key, error)) refused(error);
    return;
  }
  clearBanner('control');
  // A changed scenario is no longer the run an old link showed; say so if
  // it is still read in the old format and the note was not dismissed.
  const noted = document.querySelector('.banner[data-id="format"]') !== null;
  clearBanner('format');
  if (noted) formatNote(S.query, true);
}

// ---------------------------------------------------------------- controls

function setupControls() {
  const presetSel = $('preset');
  for (const p of PRESETS) {
    const o = document.createElement('option');
    o.value = p.key;
    o.textContent = p.key;
    presetSel.append(o);
  }
  presetSel.addEventListener('change', () => change('preset', presetSel.value));

  const policy = PARAMS.find((p) => p.key === 'policy');
  const policySel = $('policy');
  for (const o of policy.kind.options) {
    const opt = document.createElement('option');
    opt.value = o;
    opt.textContent = o;
    policySel.append(opt);
  }
  policySel.addEventListener('change', () => change('policy', policySel.value));

  const rate = $('restart-rate');
  let timer = null;
  rate.addEventListener('input', () => {
    $('restart-rate-value').textContent = `${Number(rate.value).toFixed(1)} %/h`;
    clearTimeout(timer);
    timer = setTimeout(() => change('restart_rate', Number(rate.value).toFixed(1)), 250);
  });
  rate.addEventListener('change', () => {
    clearTimeout(timer);
    if (Number(rate.value).toFixed(1) !== Number(S.values.restart_rate).toFixed(1)) change('restart_rate', Number(rate.value).toFixed(1));
  });

  advanced = buildAdvanced($('advanced-fields'), PARAMS, (key, text) => change(key, text));

  $('play').addEventListener('click', togglePlay);
  $('step').addEventListener('click', step);
  $('more').addEventListener('click', more);
  $('reset').addEventListener('click', reset);
  $('compare').addEventListener('click', compare);
  $('swap').addEventListener('click', swap);
  $('drop-a').addEventListener('click', dropPinned);
  $('story').setAttribute('aria-expanded', 'false');
  $('story').addEventListener('click', () => ($('story-panel').hidden ? startStory() : closeStory()));
  $('story-prev').addEventListener('click', () => showStep(S.story.at - 1));
  $('story-next').addEventListener('click', () => showStep(S.story.at + 1));
  $('story-close').addEventListener('click', () => {
    closeStory();
    $('story').focus();
  });
  $('story-panel').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      closeStory();
      $('story').focus();
    }
  });
  timeline = new Timeline({ canvas: $('timeline-curve'), input: $('timeline'), onSeek: seek });
  actions = new Interventions($('intervene'), {
    params: PARAMS,
    keys: call(() => wasm.interventionKeys()),
    onApply: intervene,
    onRemove: removeIntervention,
  });
  // "max": as fast as the frame budget lets the simulation go.
  const readSpeed = () => ($('speed').value === 'max' ? Infinity : Number($('speed').value));
  $('speed').addEventListener('change', () => {
    S.speed = readSpeed();
    S.run?.setSpeed(S.speed);
  });
  S.speed = readSpeed();
  $('copy-link').addEventListener('click', copyLink);
  // The worker writes the file from the run as it is when it reads the
  // request; the name gives the time and fingerprint of that moment.
  const exportText = async (what, type, suffix, ext) => {
    if (dead || !S.run) return;
    let reply;
    try {
      reply = await S.run.get(what);
    } catch {
      return; // The run failed or was replaced; the banner, or the new run, says so.
    }
    download(new Blob([reply.value + suffix], { type }), `${fileStem(reply.digest, reply.now)}.${ext}`);
  };
  $('export-csv').addEventListener('click', () => exportText('csv', 'text/csv', '', 'csv'));
  $('export-json').addEventListener('click', () => exportText('scenarioJson', 'application/json', '\n', 'json'));
  $('export-png').addEventListener('click', () => {
    if (!S.run?.last) return;
    view.draw();
    const stem = fileStem(S.run.last.digest, S.run.last.now);
    $('network').toBlob((blob) => blob && download(blob, `${stem}-network.png`), 'image/png');
  });

  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof Element && t.closest('input, select, textarea, [contenteditable=""], [contenteditable="true"]')) return;
    const activates = t instanceof Element && t.closest('button, summary, a');
    if (e.key === ' ' && !activates) {
      e.preventDefault();
      togglePlay();
    } else if (e.key === 'ArrowRight') {
      e.preventDefault();
      step();
    }
  });

  const legend = $('legend');
  for (const item of LEGEND) {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = `swatch${item.square ? ' square' : ''}`;
    if (item.ring || item.square) sw.style.border = `2px ${item.dashed ? 'dashed' : 'solid'} ${item.colour}`;
    else sw.style.background = item.colour;
    li.append(sw, item.label);
    legend.append(li);
  }

  const stories = $('stories');
  for (const p of PRESETS) {
    const div = document.createElement('div');
    div.className = 'story';
    div.dataset.preset = p.key;
    const h = document.createElement('h3');
    h.textContent = `${p.key}: ${p.title}`;
    const text = document.createElement('p');
    text.textContent = p.story;
    div.append(h, text);
    stories.append(div);
  }
}

/** Puts the scenario's values into every control. */
function syncControls() {
  const v = S.values;
  $('preset').value = v.preset;
  const info = PRESETS.find((p) => p.key === v.preset);
  $('preset-title').textContent = info ? info.title : '';
  for (const div of document.querySelectorAll('.story')) div.classList.toggle('current', div.dataset.preset === v.preset);

  const rate = $('restart-rate');
  let max = 100;
  try {
    max = call(() => wasm.maxRestartRate(S.query));
  } catch (e) {
    if (e instanceof Stopped) throw e;
  }
  rate.max = String(Math.max(0.1, Math.floor(max * 10 + 1e-9) / 10));
  rate.value = v.restart_rate;
  $('restart-rate-value').textContent = `${Number(v.restart_rate).toFixed(1)} %/h`;
  const help = $('restart-rate-help');
  const hasWave = v.wave === 'true';
  rate.disabled = !hasWave;
  help.textContent = hasWave
    ? `Peak share of all peers restarting per hour as the restart wave passes; up to ${rate.max} %/h in this scenario (every patched PC restarting at its earliest moment).`
    : 'Peak share of all peers restarting per hour as a restart wave passes. This scenario has no restart wave (Advanced → Triggers → Restart wave), so the slider is off.';

  $('policy').value = v.policy;
  $('policy-help').textContent = `${POLICY_TEXT.get(v.policy) ?? ''} Choosing a policy resets its knobs (Advanced → Policy knobs).`;

  let baseline = null;
  try {
    baseline = call(() => wasm.scenarioValues(`preset=${v.preset}&policy=${v.policy}`));
  } catch (e) {
    if (e instanceof Stopped) throw e;
  }
  advanced.set(v, baseline);
}

// ---------------------------------------------------------------- running

/** Whether the run can go on: built, not failed, not at its end. */
function runnable() {
  return !dead && S.run !== null && S.run.last !== null && !S.run.last.done && !S.extending;
}

function play() {
  S.playing = true;
  S.stepping = false;
  S.run.play(S.speed);
}

function togglePlay() {
  if (!runnable()) return;
  if (S.playing) {
    S.playing = false;
    S.stepping = false;
    S.run.pause();
  } else {
    play();
  }
  S.dirty = true;
  renderStatus();
}

function step() {
  if (!runnable()) return;
  S.playing = false;
  S.stepping = true;
  S.run.step();
  S.dirty = true;
}

/** The longest run the `hours` parameter allows. */
function mostHours() {
  return PARAMS.find((p) => p.key === 'hours').kind.max;
}

/** The hours the +24 h button adds to a run `endHours` long: 24, or what is left up to the longest run (0 there). */
function moreHours(endHours) {
  return Math.max(0, Math.min(MORE_HOURS, mostHours() - Math.round(endHours)));
}

/**
 * "+24 h": the run goes on where it is, 24 h longer (or up to the longest
 * run allowed, if that is nearer). Nothing already run is
 * redone or changed; the link and the fingerprint become those of the
 * longer run (the simulation guarantees the two are the same run).
 */
async function more() {
  if (dead || !S.run?.last || S.building || S.extending) return;
  const run = S.run;
  const endHours = Math.round(run.last.end / HOUR);
  const add = moreHours(endHours);
  if (add === 0) return;
  const hours = endHours + add;
  const wasDone = run.last.done;
  S.extending = true;
  let reply;
  try {
    reply = await run.extend(hours);
  } catch {
    return; // The run failed (the banner says so) or was replaced.
  } finally {
    S.extending = false;
  }
  if (run !== S.run || dead) return;
  if (reply.error) {
    refused(reply.error);
    return;
  }
  run.info.query = reply.value.query;
  S.query = reply.value.query;
  S.values = call(() => wasm.scenarioValues(S.query));
  showLink();
  charts.extend(reply.value.endMs);
  syncControls();
  // A finished run plays on; a paused one stays paused where it is. Space
  // then plays or pauses instead of adding another day.
  if (wasDone) play();
  S.dirty = true;
  render(performance.now(), true);
  $('play').focus();
}

async function reset() {
  if (dead || !S.run) return;
  const wasPlaying = S.playing;
  S.playing = false;
  const error = await open(S.query);
  if (error === null && wasPlaying && runnable()) play();
  renderStatus();
}

/** Draws what the last frame from the run's worker showed, at most as often as `render` allows. */
function frame(ts) {
  if (dead) return;
  requestAnimationFrame(frame);
  try {
    if (!S.run?.last || S.building) return;
    render(ts, false);
  } catch (e) {
    fatal(e);
  }
}

// ---------------------------------------------------------------- drawing

function render(ts, force) {
  if (!S.run?.last || dead) return;
  const busy = S.playing || S.stepping || (S.pinned !== null && !S.pinned.thread.last?.done);
  // While running, the view and the status (clock, fingerprint) are drawn
  // together at most 20 times a second, the charts 5 times; "As fast as it
  // goes" halves that, as drawing takes processor time from the run.
  const slower = S.playing && S.speed === Infinity ? 2 : 1;
  if (force || (S.dirty && (!busy || ts - S.lastNetwork > NETWORK_EVERY_MS * slower))) {
    renderNetwork();
    renderStatus();
    renderTimeline();
    S.lastNetwork = ts;
  }
  if (force || (S.dirty && (!busy || ts - S.lastCharts > CHARTS_EVERY_MS * slower))) {
    renderCharts();
    S.lastCharts = ts;
  }
  if (!busy && !force) S.dirty = false;
}

function clockText(unixMs) {
  return `${dateFmt.format(new Date(unixMs))} UTC`;
}

function renderNetwork() {
  const { sn, totals, login, now } = S.run.last;
  const unix = S.run.info.startUnixMs + now;
  view.update(sn, totals, login, now, `${S.preset} · ${clockText(unix)} · t = ${(now / HOUR).toFixed(2)} h`);
  view.draw();
  const st = view.stats || {};
  $('network-caption').textContent =
    view.mode === 'aggregate'
      ? `Aggregate view (over ${num.format(AGGREGATE_PEERS)} peers or ${num.format(AGGREGATE_SUPERNODES)} supernodes): a cell holds nearby supernodes in their commonest state's colour, brighter with more clients; a dashed outline marks a cell whose supernodes went away.`
      : `${num.format(st.supernodes || 0)} supernodes, ${num.format(st.clients || 0)} clients attached.`;
}

function renderCharts() {
  const cut = S.run.takeCut();
  if (cut !== null) {
    charts.cut(cut);
    S.samplesRead = cut;
  }
  const rows = S.run.takeSamples();
  const w = COLUMNS.length;
  const [ti, oi, ni] = ['t_hours', 'online', 'normal_share'].map((c) => COLUMNS.indexOf(c));
  const peers = S.run.info.peers;
  for (const flat of rows) {
    for (let i = 0; i + w <= flat.length; i += w) timeline.add(flat[i + ti] * HOUR, flat[i + oi] / peers, flat[i + ni]);
  }
  const pinned = S.pinned ? S.pinned.thread.takeSamples() : [];
  for (const flat of rows) charts.append(flat);
  for (const flat of pinned) charts.appendGhost(flat);
  if (rows.length) S.samplesRead = S.run.last.sampleCount;
  if (rows.length || pinned.length) charts.redraw();
  if (rows.length || cut !== null) timeline.draw();
  renderComparison();
  $('charts-title').dataset.points = String(S.samplesRead);
}

/** The published points the run has reached, with the simulated share at each. */
function renderValidation() {
  const box = $('validation');
  const v = S.run.validation;
  const hasRecord = charts.run.published.some((p) => p.published != null);
  box.hidden = !hasRecord;
  if (!hasRecord || !v) return;
  const size = $('validation-size');
  size.hidden = !v.size_caveat;
  if (size.textContent !== (v.size_caveat ?? '')) size.textContent = v.size_caveat ?? '';
  // As the worker last worked it out (it is final once the run has passed its last point by 6 h).
  renderTiming(S.run.timing);
  const key = v.rows.length;
  if (box.dataset.rows === String(key) && key > 0) return;
  box.dataset.rows = String(key);
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  $('validation-summary').textContent =
    v.rows.length === 0
      ? 'The run has not reached the first published point yet; differences appear here as it passes each one.'
      : `Mean absolute difference ${(v.mean_abs_difference * 100).toFixed(1)} percentage points over ${v.rows.length} published ` +
        `point${v.rows.length === 1 ? '' : 's'} (difference = simulated − published, as shares of the normal level). ` +
        'VALIDATION.md holds the same comparison at 100 k peers, with figures.';
  const body = $('validation-rows');
  body.replaceChildren(
    ...v.rows.map((r) => {
      const tr = document.createElement('tr');
      const cells = [r.utc, pct(r.published_share), pct(r.simulated_share), `${r.difference >= 0 ? '+' : '−'}${pct(Math.abs(r.difference))}`, r.note];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
}

/** How much of this run's miss is timing: the run moved in time to its best fit with the record (the core's sentence). */
function renderTiming(t) {
  const p = $('validation-timing');
  p.hidden = !t;
  if (t && p.textContent !== t.sentence) p.textContent = t.sentence;
}

function renderStatus() {
  const { now, end, done, events, digest, hPerS, eventsPerS, memoryBytes } = S.run.last;
  const unix = S.run.info.startUnixMs + now;
  $('clock').textContent = clockText(unix);
  // The memory is the run's worker's module's: what this run costs the tab.
  let progress = `t = ${num2.format(now / HOUR)} h of ${num.format(end / HOUR)} h · ${num.format(events)} events · ${bytesText(memoryBytes)} of memory`;
  const add = moreHours(end / HOUR);
  if (done) {
    progress += add > 0
      ? ` · run finished (+${add} h to go on, Reset to run it again)`
      : ` · run finished (runs go up to ${num.format(mostHours())} h; Reset to run it again)`;
  }
  else if (S.playing && hPerS > 0) {
    const left = (end - now) / HOUR / hPerS;
    progress +=
      ` · running at ${hPerS.toFixed(hPerS < 1 ? 2 : 1)} h/s, ${eventsText(eventsPerS)} events/s` +
      ` · ${secondsText(left)} left`;
  }
  $('progress').textContent = progress;
  $('progress').dataset.memoryBytes = String(memoryBytes);
  renderValidation();
  $('fingerprint').textContent = digest;
  $('fingerprint-at').textContent = done
    ? `at the end of the run (${clockText(unix)})`
    : `after every event up to ${clockText(unix)} (t = ${(now / HOUR).toFixed(3)} h)`;
  const play = $('play');
  play.textContent = S.playing ? 'Pause' : 'Play';
  play.setAttribute('aria-pressed', S.playing ? 'true' : 'false');
  play.disabled = done;
  $('step').disabled = done;
  renderMore(end / HOUR, add);
  // 'running': stepping, or paused while the worker finishes its slice (the clock is not final yet).
  const settled = S.run.current() && !S.run.last.playing && !S.run.last.stepping;
  document.body.dataset.state = done ? 'done' : S.playing ? 'playing' : S.stepping || !settled ? 'running' : 'ready';
}

/**
 * The +24 h button: its label says what it adds (less than 24 h only close
 * to the longest run), and when it is off the reason is in visible text, not
 * only in a tooltip a keyboard cannot reach.
 */
function renderMore(endHours, add) {
  const button = $('more');
  const label = `+${add > 0 ? add : MORE_HOURS} h`;
  if (button.textContent !== label) button.textContent = label;
  button.disabled = add === 0;
  button.title = add > 0
    ? `Make the run ${add} simulated hours longer (${num.format(endHours + add)} h in all) and go on where it is; the link gets the new length`
    : `The run is ${num.format(endHours)} h long; runs go up to ${num.format(mostHours())} h`;
  const hint = $('more-hint');
  const why = add > 0 ? '' : `The run is ${num.format(endHours)} h long, the longest a run can be; it cannot be made longer.`;
  if (hint.textContent !== why) hint.textContent = why;
  hint.hidden = add > 0;
  // Described by the hint only when it says something; otherwise the title is the description.
  if (add > 0) button.removeAttribute('aria-describedby');
  else button.setAttribute('aria-describedby', 'more-hint');
}

// ---------------------------------------------------------------- sharing

/** A file name for the run at simulated time `now` (ms), when its fingerprint was `digest`. */
function fileStem(digest, now) {
  const h = (now / HOUR).toFixed(2).replace('.', 'h');
  return `patchstorm-${S.preset}-${h}-${digest}`;
}

function shareUrl() {
  return new URL(`?${linkQuery()}`, location.href).href;
}

/** The link of what the page shows: the run that plays, and the pinned one if any. */
function linkQuery() {
  let q = S.query;
  if (S.pinned) q += `&${COMPARE_KEY}=${encodeURIComponent(S.pinned.query)}`;
  if (tipping?.inLink) q += `&${MAP_KEY}=${encodeURIComponent(tipping.settingsText())}`;
  return q;
}

/** The address bar holds the link of what the page shows. */
function showLink() {
  history.replaceState(null, '', `?${linkQuery()}${location.hash}`);
}

// ---------------------------------------------------------------- comparing

/**
 * Pins the run of `query` as A: built in its own worker and run to its end
 * as fast as it goes, drawn faded under the run that plays. Returns null,
 * or why it was refused (a bad value, or too large a run to hold beside
 * the one that plays).
 */
async function pin(query) {
  const { footprint, refusal } = footprintOf(query);
  if (refusal) return refusal;
  if (footprint.bytes > ASK_ABOVE_BYTES) {
    const most = call(() => wasm.peersWithin(query, ASK_ABOVE_BYTES));
    return `peers=${footprint.peers} makes a run of about ${bytesText(footprint.bytes)}; a run held beside the one that plays may take at most ${bytesText(ASK_ABOVE_BYTES)}, which is peers=${most} for this scenario`;
  }
  const ticket = ++S.pins;
  S.pinned?.thread.close();
  S.pinned = null;
  const thread = await buildThread(query, Infinity, pinnedFrame, () => ticket === S.pins);
  if (!thread) return null;
  thread.play(Infinity);
  S.pinned = { thread, query: thread.info.query, values: call(() => wasm.scenarioValues(thread.info.query)) };
  charts.pin({ label: 'A' });
  showLink();
  S.dirty = true;
  render(performance.now(), true);
  return null;
}

/** A frame from the pinned run's worker. */
function pinnedFrame(thread) {
  if (thread !== S.pinned?.thread || dead) return;
  S.dirty = true;
}

/** Stops comparing: the pinned run's worker goes, and its curves. */
function dropPinned() {
  if (!S.pinned) return;
  S.pins += 1;
  S.pinned.thread.close();
  S.pinned = null;
  charts.pin(null);
  showLink();
  S.dirty = true;
  render(performance.now(), true);
}

/** Says in the shared warning banner what Compare or Swap could not pin. */
function pinRefused(message) {
  const p = document.createElement('p');
  p.textContent = `Run A could not be pinned: ${message}.`;
  banner('warn', 'compare', p);
}

async function compare() {
  if (dead || !S.run) return;
  const error = await pin(S.query);
  if (error) pinRefused(error);
  else clearBanner('compare');
}

/** B becomes the pinned run and A the one that plays, from its start. */
async function swap() {
  if (dead || !S.run || !S.pinned) return;
  const a = S.pinned.query;
  const b = S.query;
  const error = await pin(b);
  if (error) {
    pinRefused(error);
    return;
  }
  const opened = await open(a);
  if (typeof opened === 'string') refused(opened);
}

/** A cell of the map was clicked: its run opens in the playground, as a link to it would. */
async function openCell(query) {
  if (dead) return;
  const error = await open(query);
  if (typeof error === 'string') {
    refused(error);
    return;
  }
  if (error === null) document.querySelector('.content').scrollIntoView({ block: 'start' });
}

/** What differs between A and B, as `key A → B` for each parameter whose value differs. */
function differences(a, b) {
  const out = [];
  for (const p of PARAMS) {
    if (a[p.key] !== b[p.key]) out.push(`${p.key} ${a[p.key]} → ${b[p.key]}`);
  }
  if (a.preset !== b.preset) out.unshift(`preset ${a.preset} → ${b.preset}`);
  return out;
}

/** How the pinned run and the one that plays compare, so far: the table under the charts. */
function renderComparison() {
  const box = $('comparison');
  box.hidden = !S.pinned;
  $('compare').textContent = S.pinned ? 'Pin B as A' : 'Compare';
  if (!S.pinned) return;
  const runs = [S.pinned.thread, S.run];
  const diff = differences(S.pinned.values, S.values);
  const note = diff.length ? `B differs from A in ${diff.join(', ')}.` : 'A and B are the same scenario: change a control to make B another.';
  if ($('comparison-note').textContent !== note) $('comparison-note').textContent = note;
  const at = (t) => (t.last.done ? `at its end, ${num.format(t.last.end / HOUR)} h` : `so far, at ${num2.format(t.last.now / HOUR)} h`);
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const measures = [
    ['run', (t) => at(t)],
    ['lowest online count after the trigger (share of a normal day at that hour)', (s) => pct(s.lowest_of_normal_day)],
    ['hours from the trigger to heal (95% of normal for an hour)', (s, t) =>
      s.recovered_after_hours == null ? (t.last.done ? 'does not heal within the run' : 'not healed yet') : s.recovered_after_hours === 0 ? 'never fell below 95%' : `${s.recovered_after_hours.toFixed(1)} h`],
    ['peak login requests', (s) => `${num.format(Math.round(s.peak_login_rate))} /s`],
    ['supernodes lost (normal → fewest after the trigger)', (s) =>
      `${num.format(Math.round(Math.max(0, s.supernodes_normal - s.supernodes_min)))} (${num.format(Math.round(s.supernodes_normal))} → ${num.format(Math.round(s.supernodes_min))})`],
    ['fingerprint', (s, t) => t.last.digest],
  ];
  const rows = measures.map(([label, cell]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = label;
    tr.append(th);
    for (const t of runs) {
      const td = document.createElement('td');
      td.textContent = label === 'run' ? cell(t) : t.summary && t.last ? cell(t.summary, t) : '–';
      if (label === 'fingerprint') td.dataset.run = t === S.run ? 'B' : 'A';
      tr.append(td);
    }
    return tr;
  });
  const key = rows.map((r) => r.textContent).join('|');
  if (box.dataset.shown === key) return;
  box.dataset.shown = key;
  $('comparison-rows').replaceChildren(...rows);
}

async function copyLink() {
  const url = shareUrl();
  const status = $('copy-status');
  let ok = false;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(url);
      ok = true;
    }
  } catch {
    ok = false;
  }
  if (!ok) {
    // Fallback for pages without clipboard access (plain http, old browsers).
    const ta = document.createElement('textarea');
    ta.value = url;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.append(ta);
    ta.select();
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
  }
  if (ok) {
    status.textContent = 'Link copied';
  } else {
    status.textContent = '';
    const p = document.createElement('p');
    p.append('Copying is blocked here; copy the link by hand: ');
    const code = document.createElement('code');
    code.textContent = url;
    p.append(code);
    banner('warn', 'copy', p);
  }
  clearTimeout(copyLink.timer);
  copyLink.timer = setTimeout(() => (status.textContent = ''), 4000);
}

// ---------------------------------------------------------------- start

/** The module, compiled once: this thread instantiates it, and so does each run's worker. */
async function compile(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} could not be loaded: HTTP ${response.status}`);
  // Streaming compilation needs the server to say application/wasm.
  if (WebAssembly.compileStreaming && response.headers.get('Content-Type') === 'application/wasm') return WebAssembly.compileStreaming(response);
  return WebAssembly.compile(await response.arrayBuffer());
}

async function start() {
  document.body.dataset.state = 'loading';
  keepReadingOrder();
  try {
    MODULE = await compile(new URL('./pkg/patchstorm_bg.wasm', import.meta.url));
    ({ memory } = await init({ module_or_path: MODULE }));
  } catch (e) {
    fatal(e);
    return;
  }
  PARAMS = call(() => wasm.params());
  PRESETS = call(() => wasm.presets());
  COLUMNS = call(() => wasm.columns());
  POLICY_TEXT = new Map(call(() => wasm.policies()).map((p) => [p.key, p.description]));
  view = new NetworkView($('network'), {
    sn: call(() => wasm.snColumns()),
    totals: call(() => wasm.totalsColumns()),
    login: call(() => wasm.loginColumns()),
  });
  charts = new Charts(
    {
      online: $('chart-online'),
      supernodes: $('chart-supernodes'),
      login: $('chart-login'),
      retries: $('chart-retries'),
    },
    COLUMNS,
  );
  setupControls();
  tipping = new TippingMap($('tipping'), {
    wasm,
    module: MODULE,
    params: PARAMS,
    policies: call(() => wasm.policies()),
    openRun: openCell,
    currentQuery: () => S.query,
    linkChanged: showLink,
  });
  const asked = location.search.replace(/^\?/, '');
  // A comparison's link holds the pinned run's link under COMPARE_KEY, and a map's settings under MAP_KEY.
  const given = new URLSearchParams(asked);
  const pinned = given.get(COMPARE_KEY);
  const mapped = given.get(MAP_KEY);
  given.delete(COMPARE_KEY);
  given.delete(MAP_KEY);
  const own = pinned === null && mapped === null ? asked : given.toString();
  const mapError = mapped === null ? null : tipping.load(mapped);
  if (mapError) {
    const p = document.createElement('p');
    p.innerHTML = '<strong>The map settings of this link are not allowed</strong>';
    p.append(` (the ${MAP_KEY} key): ${mapError}. The map below shows them to mend; nothing is mapped until you press Map it.`);
    banner('warn', 'map', p);
  }
  const error = await open(own);
  if (error === KEPT || error === REPLACED) {
    // A control changed while the link's question waited, or its run was built: that change builds the run.
  } else if (error) {
    await open('');
    const body = document.createElement('div');
    body.className = 'banner-body';
    const p1 = document.createElement('p');
    p1.innerHTML = '<strong>This link could not be opened.</strong> ';
    p1.append(pinned === null ? error : `Run B (the link's own keys): ${error}`);
    const p2 = document.createElement('p');
    p2.append('Your link asked for: ');
    const code = document.createElement('code');
    code.className = 'bad-query';
    code.textContent = `?${asked}`;
    p2.append(code);
    p2.append(` · Showing the default scenario (${S.preset}) instead; the address bar now holds its link.`);
    body.append(p1, p2);
    if (/^unknown key/.test(error)) {
      // The message points to the command line's list; on the page, list them.
      const p3 = document.createElement('p');
      p3.className = 'hint';
      p3.textContent = `Keys a link may hold: v, preset, ${PARAMS.map((p) => p.key).join(', ')} (each is a control; see Advanced).`;
      body.append(p3);
    }
    banner('warn', 'link', body);
  } else if (Number(new URLSearchParams(S.query).get('v')) < wasm.sameRunSince()) {
    // The link's own format (not the default scenario it may have been asked to open instead).
    formatNote(own);
  }
  if (pinned !== null && !error && S.run) {
    const refusal = await pin(pinned);
    if (refusal) {
      const p = document.createElement('p');
      p.innerHTML = '<strong>Run A of this link could not be opened</strong>';
      p.append(` (the ${COMPARE_KEY} key: ${pinned}): ${refusal}. Run B plays alone; the address bar now holds its link.`);
      banner('warn', 'link', p);
    }
  }
  document.body.dataset.ready = 'true';
  requestAnimationFrame(frame);
}

// Fails the page as the module would, through the same handler: for tests
// (and anyone at the console) to see what a visitor sees, e.g.
// patchstorm.fail(new WebAssembly.RuntimeError('memory allocation of 1024 bytes failed')).
window.patchstorm = Object.freeze({ fail: (err) => fatal(err) });

start().catch(fatal);

