// One worker of the tipping-point map's pool: runs phase-map cells to their
// end, one after another, in its own instance of the page's module, and
// says each one's fingerprint and class (`Playground.phaseClass`, the
// classification `patchstorm phase` uses).
//
// Messages from the page: {type: 'init', module}, {type: 'cell', id, query}.
// To the page: {type: 'cell', id, digest, events, class, wallMs} or
// {type: 'failed', id, message, panic}; after a failure the instance is not
// used again (a Rust panic leaves it unusable).

import init, * as wasm from './pkg/patchstorm.js';

let ready = null;
let broken = false;
let lastPanic = '';
const consoleError = console.error.bind(console);
console.error = (...args) => {
  const text = args.map(String).join(' ');
  if (/panicked at/.test(text)) lastPanic = text;
  consoleError(...args);
};

function run(id, query) {
  const t0 = performance.now();
  const pg = new wasm.Playground(query);
  try {
    pg.runUntil(pg.endMs());
    self.postMessage({ type: 'cell', id, digest: pg.digest(), events: pg.events(), class: pg.phaseClass(), wallMs: performance.now() - t0 });
  } finally {
    pg.free();
  }
}

self.onmessage = async (e) => {
  const m = e.data;
  if (m.type === 'init') {
    ready = init({ module_or_path: m.module });
    return;
  }
  if (m.type !== 'cell') return;
  try {
    if (broken) throw new Error('this worker failed before');
    await ready;
    run(m.id, m.query);
  } catch (err) {
    broken = true;
    self.postMessage({ type: 'failed', id: m.id, message: String((err && err.message) ?? err), panic: lastPanic });
  }
};
