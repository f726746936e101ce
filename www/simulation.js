// The page's handle on one run in its simulation thread (worker.js). The
// main thread never calls the run's module; it sends commands and keeps the
// last frame the worker sent, which is what the page draws.
//
// Rules this file keeps:
// - One SimulationThread holds one run in one worker; `close()` terminates
//   the worker, which gives the run's memory back at once.
// - A frame says what the run had reached when the worker sent it; whether
//   the run plays is the page's to say, except that a run that is done stops.
//   Frames carry the number of the last command the worker had read, so a
//   frame sent before Play, Pause, Step or +24 h cannot undo it.

import { firstRows } from './rows.js';

/** A failure of the module in the worker, with what the worker knew of it. */
export class WorkerFailure extends Error {
  constructor(f) {
    super(f.message);
    this.workerName = f.name;
    this.stack = f.stack || `${f.name}: ${f.message}`;
    this.panic = f.panic || '';
    this.allocationFailure = f.allocationFailure || 0;
    this.memoryBytes = f.memoryBytes || 0;
  }
}

export class SimulationThread {
  /**
   * Starts a worker and builds the run of `query` in it, with the compiled
   * `module` of the page. Resolves to the thread once built; rejects with a
   * WorkerFailure when building failed. `onFrame(thread)` is called for every
   * frame, `onFailure(failure)` once if the run fails later; `rowWidth` is
   * the number of columns of a sample row.
   */
  static open(module, query, speed, { onFrame, onFailure, rowWidth = 1 }) {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'patchstorm simulation' });
    const thread = new SimulationThread(worker, onFrame, onFailure);
    thread.rowWidth = rowWidth;
    return new Promise((resolve, reject) => {
      thread.opening = { resolve, reject };
      thread.send({ type: 'open', module, query, speed: speedText(speed) });
    });
  }

  constructor(worker, onFrame, onFailure) {
    this.worker = worker;
    this.onFrame = onFrame;
    this.onFailure = onFailure;
    this.opening = null;
    /** What the run is (from 'opened'): query, peers, startUnixMs, endMs, triggerMs, hasTrigger, published, buildSeconds. */
    this.info = null;
    /** The last frame: now, end, done, events, digest, sn, totals, login, memoryBytes, hPerS, eventsPerS... */
    this.last = null;
    /** The published-record comparison and its timing, as last sent. */
    this.validation = null;
    this.timing = null;
    /** The run's summary (lowest online share, heal, peak login rate, supernodes), as last sent. */
    this.summary = null;
    /** Sample rows (Float64Arrays of whole rows) sent and not yet taken by the charts. */
    this.pending = [];
    /** Rows the charts have taken, and rows sent in all (the run's sample count as the page knows it). */
    this.taken = 0;
    this.sentRows = 0;
    /** After a rewind: the number of rows the charts must keep (the rest is no longer the run), or null. */
    this.cutTo = null;
    /** The width of a sample row (columns), for counting rows. */
    this.rowWidth = 1;
    this.commands = 0;
    /** The number of the last command that changes whether the run goes (play, pause, step, extend). */
    this.moved = 0;
    this.replies = new Map();
    this.failed = null;
    this.closed = false;
    worker.onmessage = (e) => this.receive(e.data);
    worker.onerror = (e) => {
      // The worker's script itself failed (it could not load, say).
      e.preventDefault();
      this.fail({ name: 'Error', message: e.message || 'the simulation thread failed to start', stack: '', panic: '' });
    };
    worker.onmessageerror = () => this.fail({ name: 'Error', message: 'a message from the simulation thread could not be read', stack: '', panic: '' });
  }

  send(message, transfer = []) {
    if (this.closed || this.failed) return;
    this.commands += 1;
    this.worker.postMessage({ ...message, command: this.commands }, transfer);
  }

  receive(m) {
    if (this.closed) return;
    if (m.type === 'opened') {
      this.info = m;
    } else if (m.type === 'frame') {
      this.last = m;
      if (m.rewound) this.rewound(m.sampleCount);
      if (m.samples.length) this.pending.push(m.samples);
      this.sentRows = m.sampleCount;
      if (m.validation !== undefined) {
        this.validation = m.validation;
        this.timing = m.timing;
        this.summary = m.summary;
      }
      if (this.opening) {
        const { resolve } = this.opening;
        this.opening = null;
        resolve(this);
        return;
      }
      this.onFrame(this, m);
    } else if (m.type === 'reply') {
      const r = this.replies.get(m.id);
      this.replies.delete(m.id);
      if (r) r.resolve(m);
    } else if (m.type === 'failed') {
      this.fail(m);
    }
  }

  fail(m) {
    if (this.failed || this.closed) return;
    this.failed = new WorkerFailure(m);
    for (const r of this.replies.values()) r.reject(this.failed);
    this.replies.clear();
    if (this.opening) {
      this.opening.reject(this.failed);
      this.opening = null;
    } else {
      this.onFailure(this.failed);
    }
  }

  /**
   * The run went back to its `count`-th sample (or forward to one simulated
   * before): what was sent beyond it is no longer the run.
   */
  rewound(count) {
    if (count < this.taken) {
      this.pending = [];
      this.cutTo = this.cutTo === null ? count : Math.min(this.cutTo, count);
      this.taken = count;
    } else {
      // Keep the pending rows up to `count`.
      this.pending = firstRows(this.pending, count - this.taken, this.rowWidth);
    }
    this.sentRows = count;
  }

  /** Whether `frame` was sent after the worker had read the last Play, Pause, Step or +24 h. */
  current(frame = this.last) {
    return frame !== null && frame.command >= this.moved;
  }

  /** Sends a command that changes whether the run goes. */
  move(message) {
    this.send(message);
    this.moved = this.commands;
  }

  play(speed) {
    this.move({ type: 'play', speed: speedText(speed) });
  }

  setSpeed(speed) {
    this.send({ type: 'speed', speed: speedText(speed) });
  }

  pause() {
    this.move({ type: 'pause' });
  }

  /** Runs to the next whole simulated hour (after the one a Step still runs to). */
  step() {
    this.move({ type: 'step' });
  }

  /** Resolves to {value} or {error} (a refused length); rejects if the run failed. */
  request(message) {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.commands + 1;
    return new Promise((resolve, reject) => {
      this.replies.set(id, { resolve, reject });
      this.send({ ...message, id });
    });
  }

  /** Makes the run `hours` long: resolves to {value: {query, endMs}} or {error}. */
  extend(hours) {
    const reply = this.request({ type: 'extend', hours });
    this.moved = this.commands;
    return reply;
  }

  /** The run's CSV, scenario JSON or story ('csv', 'scenarioJson', 'story'): resolves to {value, digest, now}. */
  get(what) {
    return this.request({ type: 'get', what });
  }

  /** Takes the sample rows that arrived since the last call. */
  takeSamples() {
    const rows = this.pending;
    this.pending = [];
    for (const flat of rows) this.taken += flat.length / this.rowWidth;
    return rows;
  }

  /** The row count the charts must cut back to after a rewind, once; null if none. */
  takeCut() {
    const cut = this.cutTo;
    this.cutTo = null;
    return cut;
  }

  /** Shows the moment `t` (simulated ms) already simulated: the worker goes back (or forward) to it. */
  rewind(t) {
    this.move({ type: 'rewind', t });
  }

  /** An operator action at the moment shown: [[key, value], ...]. Resolves to {value: {query, now}} or {error}. */
  intervene(changes) {
    const reply = this.request({ type: 'intervene', changes: changes.map(([k, v]) => `${k}=${v}`).join(',') });
    this.moved = this.commands;
    return reply;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.worker.terminate();
    for (const r of this.replies.values()) r.reject(new Error('the run was closed'));
    this.replies.clear();
  }
}

/** The speed as the worker reads it: a number of simulated hours per second, or 'max'. */
function speedText(speed) {
  return speed === Infinity ? 'max' : speed;
}
