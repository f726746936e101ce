// The engine in the page's own module, in headless Chromium: builds
// `new Playground(query)` in a page of the served site and runs it to its
// end in steps of simulated time, as the page does but without drawing.
// Prints one JSON line: {events, wall_seconds, build_seconds, digest,
// memory_bytes}. `cargo xtask bench` runs it beside the native CLI.
//
//   PATCHSTORM_URL=http://127.0.0.1:PORT/ node tests/e2e/bench.mjs 'preset=skype-2007&peers=1000000&hours=48'

import { launch, BASE } from './browser.mjs';

const query = process.argv[2];
if (!query) {
  console.error('usage: node tests/e2e/bench.mjs QUERY');
  process.exit(2);
}

const browser = await launch();
try {
  const page = await browser.context.newPage();
  // A page of the site that does not start the playground: the module alone.
  await page.goto(`${BASE}favicon.svg`);
  const result = await page.evaluate(async ({ base, query }) => {
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
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
