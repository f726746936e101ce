// Times the default tipping-point map in the page (headless Chromium): opens
// the playground, presses Map it with the default settings and waits for the
// last cell. Prints one JSON line: {runs, wall_seconds, runs_per_second, workers, progress}.
//
//   PATCHSTORM_URL=http://127.0.0.1:PORT/ node tests/e2e/map-bench.mjs

import { launch, screenshot, BASE } from './browser.mjs';

const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(`${BASE}?preset=skype-2007&peers=20000&hours=24`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Map it' }).click();
  await page.waitForFunction(() => {
    const p = document.getElementById('map-progress');
    return p.dataset.done !== undefined && p.dataset.done === p.dataset.runs;
  }, null, { timeout: 3_600_000, polling: 500 });
  const wall = (Date.now() - t0) / 1000;
  const progress = await page.locator('#map-progress').textContent();
  const runs = Number(await page.locator('#map-progress').getAttribute('data-runs'));
  const workers = Number(/(\d+) workers/.exec(progress)?.[1] ?? 0);
  await page.locator('#tipping-title').scrollIntoViewIfNeeded();
  await screenshot(page, '51-default-map');
  console.log(JSON.stringify({ runs, wall_seconds: wall, runs_per_second: runs / wall, workers, progress }));
} finally {
  await browser.close();
}
