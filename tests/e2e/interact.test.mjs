// Keyboard, exports, and what happens when the simulation itself fails.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { assertClean, fingerprint, launch, link, openPage, screenshot, simHours, straightDigest, watchedPage } from './browser.mjs';

const SMALL = 'preset=skype-2007&peers=20000&hours=12&trigger=2007-08-15T04:00Z&restart_rate=5';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('space toggles play, the right arrow steps an hour, not while typing', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link(SMALL));
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /t = 1\.00 h/.test(document.getElementById('progress').textContent));
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /t = 2\.00 h/.test(document.getElementById('progress').textContent));
  // However the page cut the run into frames, two hours are two hours:
  // the same fingerprint as one straight run of the same link to 2 h.
  assert.equal(await fingerprint(page), await straightDigest(page, { untilMs: 2 * 3_600_000 }));

  await page.keyboard.press(' ');
  await page.getByRole('button', { name: 'Pause' }).waitFor();
  await page.waitForFunction(() => !/t = 2\.00 h/.test(document.getElementById('progress').textContent));
  await page.keyboard.press(' ');
  await page.getByRole('button', { name: 'Play' }).waitFor();
  // Paused once the run's thread has stopped where it was: the clock is final.
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  const t = await simHours(page);
  assert.ok(t > 2);
  await screenshot(page, '20-keyboard');

  // Typing in a field: keys belong to the field.
  await page.getByText('Advanced', { exact: true }).click();
  const seed = page.getByLabel('Seed', { exact: true });
  await seed.focus();
  await page.keyboard.press(' ');
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(300);
  assert.equal(await page.getByRole('button', { name: 'Play' }).count(), 1, 'still paused');
  assert.equal(await simHours(page), t, 'no step while typing');
  assertClean(page);
  await page.close();
});

test('exports: the time series as CSV, the scenario as JSON, the view as PNG', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link(SMALL));
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Step' }).click();
  await page.waitForFunction(() => /t = 3\.00 h/.test(document.getElementById('progress').textContent));

  const save = async (name) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name }).click()]);
    const file = await download.path();
    return { name: download.suggestedFilename(), bytes: await fs.readFile(file) };
  };

  const csv = await save('Time series (CSV)');
  assert.match(csv.name, /^patchstorm-skype-2007-.*\.csv$/);
  const lines = csv.bytes.toString('utf8').trim().split('\n');
  const header = lines[0].split(',');
  assert.equal(header[0], 't_hours');
  for (const col of ['online', 'normal_share', 'sn_live', 'login_requests_ps', 'retries_ps']) assert.ok(header.includes(col), col);
  assert.ok(lines.length > 100, `three hours of samples (${lines.length} lines)`);
  const last = lines.at(-1).split(',').map(Number);
  assert.equal(last.length, header.length);
  assert.ok(last[0] > 2.9 && last[0] <= 3, `last sample at ~3 h (${last[0]})`);

  const json = await save('Scenario (JSON)');
  assert.match(json.name, /\.json$/);
  const scenario = JSON.parse(json.bytes.toString('utf8'));
  assert.equal(scenario.preset, 'skype-2007');
  assert.equal(scenario.params.peers, 20000);
  assert.equal(scenario.params.hours, 12);
  assert.equal(`?${scenario.query}`, new URL(page.url()).search, 'the JSON names the same scenario as the address');

  const png = await save('Network view (PNG)');
  assert.match(png.name, /\.png$/);
  assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
  assert.ok(png.bytes.length > 5000, 'with something drawn in it');
  await screenshot(page, '21-exports');
  assertClean(page);
  await page.close();
});

test('a failure inside the simulation shows a banner with a reload button', async () => {
  const page = await watchedPage(browser.context);
  // Make the module's runUntil fail the way a Rust panic does once the run
  // is past its first hour: in the run's worker, which imports the module too.
  await page.route('**/pkg/patchstorm.js', async (route) => {
    const response = await route.fetch();
    const body = await response.text();
    const patched = body.replace(
      /runUntil\(t_ms\) \{/,
      "runUntil(t_ms) { if (t_ms > 3600000) { console.error('panicked at src/sim.rs:1:1: injected by the test'); throw new WebAssembly.RuntimeError('unreachable'); }",
    );
    assert.notEqual(patched, body, 'the test found runUntil to patch');
    await route.fulfill({ response, body: patched });
  });
  await openPage(page, link(SMALL));
  // The browser's benign resize-observer notice is not a failure.
  await page.evaluate(() => window.dispatchEvent(new ErrorEvent('error', { message: 'ResizeObserver loop completed with undelivered notifications.' })));
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  await page.getByRole('button', { name: 'Play' }).click();
  const banner = page.locator('.banner[data-id="stopped"]');
  await banner.waitFor({ timeout: 10_000 });
  assert.match(await banner.textContent(), /simulation stopped/i);
  assert.match(await banner.textContent(), /injected by the test/);
  assert.ok(await banner.getByRole('button', { name: 'Reload' }).isVisible());
  assert.ok(await page.getByRole('button', { name: 'Play' }).isDisabled());
  await screenshot(page, '22-panic-banner');
  // Nothing else broke: no uncaught exception, and the page still answers.
  assert.deepEqual(page.problems.page, []);
  await page.getByText('Advanced', { exact: true }).click();
  assert.ok(await page.getByLabel('Seed', { exact: true }).isVisible());
  await page.unroute('**/pkg/patchstorm.js');
  await banner.getByRole('button', { name: 'Reload' }).click();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.equal(await page.locator('.banner[data-id="stopped"]').count(), 0, 'reloaded cleanly');
  await page.close();
});

test('"As fast as it goes" plays to the end and the progress line gives events/s and time left', async () => {
  const page = await watchedPage(browser.context);
  // Long enough (about a second or more of wall time) for the rates of the last second to show.
  await openPage(page, link('preset=skype-2007&peers=100000&hours=48'));
  await page.getByLabel('Speed (simulated hours per second)').selectOption('max');
  await page.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => / events\/s · .* left/.test(document.getElementById('progress').textContent), null, { timeout: 30_000 });
  const text = await page.locator('#progress').textContent();
  assert.match(text, /running at [\d.]+ h\/s, [\d.,]+ [kM] events\/s · (about [\d,]+ s|under a second) left/);
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 120_000 });
  // Played in frames as fast as they go, it is still the run of the link.
  assert.equal(await fingerprint(page), await straightDigest(page));
  assertClean(page);
  await page.close();
});
