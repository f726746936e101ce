// The run plays in a worker: it gives the runs the native fixtures pin,
// however it is cut into slices (straight through, hour by hour), and while
// a run at the real network's size goes, the page answers.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertClean, canvasPixels, fingerprint, launch, link, openPage, screenshot, simHours, straightDigest, watchedPage, fixture } from './browser.mjs';

/** The digests the native tests pin (crate/tests/fixtures/digests.json): [{query, digest}]. */
const FIXTURES = await fixture('digests.json');
const HOUR = 3_600_000;
/** How long a control may take to answer, and the run's thread to stop where it is (ms). */
const ANSWER_MS = 100;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('played in the worker, every fixture link ends at the fingerprint the native tests pin', async () => {
  assert.ok(FIXTURES.length >= 4, 'the fixtures were read');
  const page = await watchedPage(browser.context);
  for (const { query, digest } of FIXTURES) {
    await openPage(page, link(query));
    await page.getByLabel('Speed (simulated hours per second)').selectOption('max');
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 60_000 });
    assert.equal(await fingerprint(page), digest, query);
  }
  assertClean(page);
  await page.close();
});

test('stepped hour by hour in the worker, a fixture link passes the straight run at every hour and ends at its fingerprint', async () => {
  const { query, digest } = FIXTURES.find((f) => f.query.startsWith('preset=skype-2007&'));
  const page = await watchedPage(browser.context);
  await openPage(page, link(query));
  const hours = Number(new URLSearchParams(query).get('hours'));
  const step = page.getByRole('button', { name: 'Step' });
  for (let h = 1; h <= hours; h++) {
    await step.click();
    await page.waitForFunction((h) => document.getElementById('progress').textContent.startsWith(`t = ${h.toFixed(2)} h of`), h, { timeout: 20_000 });
    await page.waitForFunction(() => document.body.dataset.state === 'ready' || document.body.dataset.state === 'done');
    // Every fifth hour (and the wave's), against one straight call of the module on this thread.
    if (h % 5 === 0 || h === 13) assert.equal(await fingerprint(page), await straightDigest(page, { untilMs: h * HOUR }), `at ${h} h`);
  }
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'done');
  assert.equal(await fingerprint(page), digest);

  // Three quick Steps are three hours, to the millisecond.
  await openPage(page, link(query));
  await step.click();
  await step.click();
  await step.click();
  await page.waitForFunction(() => document.body.dataset.state === 'ready' && /^t = 3\.00 h of/.test(document.getElementById('progress').textContent), null, { timeout: 20_000 });
  assert.equal(await fingerprint(page), await straightDigest(page, { untilMs: 3 * HOUR }));
  assertClean(page);
  await page.close();
});

test('while a 10 M-peer run goes, the controls answer within 100 ms and the view keeps drawing', async () => {
  const page = await watchedPage(browser.context);
  await page.goto(link('preset=skype-2007&peers=10000000&hours=48'));
  const build = page.getByRole('button', { name: 'Build it' });
  await build.waitFor({ timeout: 30_000 });
  await build.click();
  // The page answers while the worker builds the network.
  await page.waitForFunction(() => document.body.dataset.state === 'building');
  const building = await page.evaluate(() => new Promise((resolve) => {
    const t = performance.now();
    requestAnimationFrame(() => resolve(performance.now() - t));
  }));
  assert.ok(building < ANSWER_MS, `a frame drawn ${building.toFixed(0)} ms into the build`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true' && document.body.dataset.state === 'ready', null, { timeout: 300_000 });
  await page.getByLabel('Speed (simulated hours per second)').selectOption('max');
  await page.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => / events\/s · .* left/.test(document.getElementById('progress').textContent), null, { timeout: 60_000 });
  const before = await canvasPixels(page);
  const hoursBefore = await simHours(page);

  // Over two seconds of play: the longest gap between animation frames, and how often the clock moved.
  const playing = await page.evaluate(() => new Promise((resolve) => {
    const start = performance.now();
    let last = start;
    let gap = 0;
    let frames = 0;
    const clocks = new Set();
    const f = (t) => {
      gap = Math.max(gap, t - last);
      last = t;
      frames += 1;
      clocks.add(document.getElementById('progress').textContent.split(' · ')[0]);
      if (t - start < 2000) requestAnimationFrame(f);
      else resolve({ gap, frames, clocks: clocks.size });
    };
    requestAnimationFrame(f);
  }));
  assert.ok(playing.gap < ANSWER_MS, `the longest frame gap while playing: ${playing.gap.toFixed(0)} ms`);
  assert.ok(playing.clocks >= 10, `the clock was drawn anew ${playing.clocks} times in 2 s`);
  assert.notEqual(await canvasPixels(page), before, 'the network view changed');
  assert.ok((await simHours(page)) > hoursBefore);
  await screenshot(page, '30-ten-million-playing');

  // Pause: the button answers at once, and the run's thread stops where it is within the same bound.
  const paused = await page.evaluate(() => new Promise((resolve) => {
    const t = performance.now();
    document.getElementById('play').click();
    const label = document.getElementById('play').textContent === 'Play' ? performance.now() - t : Infinity;
    const f = () => (document.body.dataset.state === 'ready' ? resolve({ label, settled: performance.now() - t }) : requestAnimationFrame(f));
    f();
  }));
  assert.ok(paused.label < ANSWER_MS, `Pause answered in ${paused.label} ms`);
  assert.ok(paused.settled < ANSWER_MS, `the run stopped ${paused.settled.toFixed(0)} ms after Pause`);
  const stoppedAt = await simHours(page);
  await page.waitForTimeout(300);
  assert.equal(await simHours(page), stoppedAt, 'paused means paused');

  // Step runs to the next whole hour and stops there.
  await page.getByRole('button', { name: 'Step' }).click();
  const next = Math.floor(stoppedAt + 1e-9) + 1;
  await page.waitForFunction((n) => document.body.dataset.state === 'ready' && document.getElementById('progress').textContent.startsWith(`t = ${n.toFixed(2)} h of`), next, { timeout: 60_000 });
  assert.match(await page.locator('#progress').textContent(), /of memory/);
  assertClean(page);
  await page.close();
});
