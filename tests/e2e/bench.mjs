// The engine in headless Chromium, in one of two ways:
// - `module`: a page of the served site builds `new Playground(query)` in
//   the page's own WebAssembly module and runs it to its end in one-hour
//   steps of simulated time, without drawing: the engine alone.
// - `page`: the playground itself opens the link (answering "Build it" if
//   it asks), plays it "As fast as it goes" in its worker while it draws,
//   and the time is taken from opening the link to the end of the run.
// Prints one JSON line: {events, wall_seconds, build_seconds, digest,
// memory_bytes}. `cargo xtask bench` runs both beside the native CLI.
//
//   PATCHSTORM_URL=http://127.0.0.1:PORT/ node tests/e2e/bench.mjs 'preset=skype-2007&peers=1000000&hours=48' [module|page]

import { launch, BASE } from './browser.mjs';

const [query, mode = 'module'] = process.argv.slice(2);
if (!query || !['module', 'page'].includes(mode)) {
  console.error('usage: node tests/e2e/bench.mjs QUERY [module|page]');
  process.exit(2);
}

async function moduleRun(page) {
  // A page of the site that does not start the playground: the module alone.
  await page.goto(`${BASE}favicon.svg`);
  return page.evaluate(async ({ base, query }) => {
    const mod = await import(`${base}pkg/patchstorm.js`);
    const wasm = await mod.default();
    const t0 = performance.now();
    const pg = new mod.Playground(query);
    const built = performance.now();
    const end = pg.endMs();
    const step = 3_600_000;
    while (!pg.done()) pg.runUntil(Math.min(end, pg.nowMs() + step));
    const t1 = performance.now();
    const out = {
      events: pg.events(),
      // Building and running, as `patchstorm bench-one` times it.
      wall_seconds: (t1 - t0) / 1000,
      build_seconds: (built - t0) / 1000,
      digest: pg.digest(),
      memory_bytes: wasm.memory.buffer.byteLength,
    };
    pg.free();
    return out;
  }, { base: BASE, query });
}

async function pageRun(page) {
  const t0 = Date.now();
  await page.goto(`${BASE}?${query}`);
  const build = page.getByRole('button', { name: 'Build it' });
  const ready = () => document.body.dataset.ready === 'true' && document.body.dataset.state === 'ready';
  await page.waitForFunction(() => (document.body.dataset.ready === 'true' && document.body.dataset.state === 'ready') || document.querySelector('.banner[data-id="size"]'), null, { timeout: 120_000 });
  if (await build.count()) await build.click();
  await page.waitForFunction(ready, null, { timeout: 600_000, polling: 100 });
  const built = Date.now();
  await page.getByLabel('Speed (simulated hours per second)').selectOption('max');
  await page.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => document.body.dataset.state === 'done' || document.body.dataset.state === 'stopped', null, { timeout: 3_600_000, polling: 100 });
  const t1 = Date.now();
  return page.evaluate(([wall, build]) => {
    if (document.body.dataset.state === 'stopped') throw new Error(document.querySelector('.banner[data-id="stopped"]').textContent);
    const progress = document.getElementById('progress');
    return {
      events: Number(/ ([\d,]+) events/.exec(progress.textContent)[1].replace(/,/g, '')),
      wall_seconds: wall,
      build_seconds: build,
      digest: document.getElementById('fingerprint').textContent.trim(),
      memory_bytes: Number(progress.dataset.memoryBytes),
    };
  }, [(t1 - t0) / 1000, (built - t0) / 1000]);
}

const browser = await launch();
try {
  const page = await browser.context.newPage();
  const result = mode === 'module' ? await moduleRun(page) : await pageRun(page);
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
