// The tipping-point map, as a visitor uses it: a small grid mapped in the
// page's worker pool, a cell clicked open, bad settings named, Cancel.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { assertClean, fingerprint, launch, link, openPage, runToEnd, screenshot, watchedPage, fixture, fixturePath } from './browser.mjs';

/** Cells whose link, digest and class the native tests pin (crate/tests/fixtures/phase-cells.json). */
const CELLS = await fixture('phase-cells.json');
/** How long the page may take to answer while the map fills (ms). */
const ANSWER_MS = 100;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function setMap(page, { xs, ys, peers, seeds = '1' }) {
  await page.getByLabel('Restart rates (%/h, peak), the columns').fill(xs);
  await page.getByLabel('Its values').fill(ys);
  await page.getByLabel('Peers per cell').fill(peers);
  await page.getByLabel('Seeds per cell').fill(seeds);
}

function mapped(page) {
  return page.waitForFunction(() => {
    const p = document.getElementById('map-progress');
    return p.dataset.done !== undefined && p.dataset.done === p.dataset.runs;
  }, null, { timeout: 120_000 });
}

test('a small map fills in while the page answers; a cell opens its run with the fingerprint the native tests pin', async () => {
  const fixture = CELLS.find((c) => c.policy === 'legacy-2007');
  const values = new URLSearchParams(fixture.values);
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=skype-2007&peers=20000&hours=24'));
  await setMap(page, { xs: `3,${values.get('restart_rate')}`, ys: `${values.get('sn_capacity')},400`, peers: String(fixture.peers) });
  await page.getByRole('button', { name: 'Map it' }).click();
  // While the cells run: the longest gap between animation frames, and a click on the policy switch answered.
  const answering = await page.evaluate(() => new Promise((resolve) => {
    const start = performance.now();
    let last = start;
    let gap = 0;
    const f = (t) => {
      gap = Math.max(gap, t - last);
      last = t;
      if (t - start < 1500) requestAnimationFrame(f);
      else resolve(gap);
    };
    requestAnimationFrame(f);
  }));
  assert.ok(answering < ANSWER_MS, `the longest frame gap while the map fills: ${answering.toFixed(0)} ms`);
  await mapped(page);
  const progress = await page.locator('#map-progress').textContent();
  assert.match(progress, /^12 of 12 runs · done in [\d.]+ s \([\d.]+ runs\/s, [\d,]+ events\/s, \d+ workers\)$/);
  // One button per policy; the first is shown.
  assert.equal(await page.locator('.map-switch button').count(), 3);
  const cell = page.locator(`#map-grid td[data-x="${values.get('restart_rate')}"][data-y="${values.get('sn_capacity')}"]`);
  assert.equal(await cell.getAttribute('data-class'), fixture.class);
  assert.equal(await cell.locator('button').getAttribute('data-digest'), fixture.digest, 'the cell run in the page is the native cell');
  assert.equal(await cell.locator('button').getAttribute('data-query'), fixture.query);
  await page.locator('#tipping-title').scrollIntoViewIfNeeded();
  await screenshot(page, '50-tipping-map');
  // The link holds the settings.
  const settings = new URLSearchParams(new URL(page.url()).searchParams.get('map'));
  assert.equal(settings.get('peers'), String(fixture.peers));
  assert.equal(settings.get('ys'), `${values.get('sn_capacity')},400`);

  // A click opens the cell's run; played to its end, it is the fixture's run.
  await cell.locator('button').click();
  await page.waitForFunction((q) => location.search.slice(1).split('&map=')[0] === q, fixture.query);
  await runToEnd(page);
  assert.equal(await fingerprint(page), fixture.digest);
  assert.match(await cell.getAttribute('class'), /current/, 'the run shown is marked on the map');

  // Another policy, switched to in the map.
  const answer = await page.evaluate(() => {
    const t = performance.now();
    document.querySelectorAll('.map-switch button')[2].click();
    return performance.now() - t;
  });
  assert.ok(answer < ANSWER_MS, `the switch answered in ${answer.toFixed(0)} ms`);
  assert.match(await page.locator('#map-caption').textContent(), /^resilient:/);

  // Opened again, the link brings the settings back.
  const again = await watchedPage(browser.context);
  await openPage(again, page.url());
  assert.equal(await again.getByLabel('Its values').inputValue(), `${values.get('sn_capacity')},400`);
  assert.equal(await again.getByLabel('Peers per cell').inputValue(), String(fixture.peers));
  assertClean(page);
  assertClean(again);
  await page.close();
  await again.close();
});

test('a map file made by patchstorm phase opens in the page, and its cells open their runs', async () => {
  const file = fixturePath('phase-map.jsonl');
  const lines = (await fs.readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=skype-2007&peers=20000&hours=24'));
  await page.getByLabel('Or open a map file').setInputFiles(file);
  await page.waitForFunction(() => /opened from a file/.test(document.getElementById('map-progress').textContent));
  assert.equal(await page.getByLabel('Peers per cell').inputValue(), String(lines[0].map.peers));
  for (const [k, policy] of lines[0].map.policies.entries()) {
    await page.locator('.map-switch button').nth(k).click();
    for (const line of lines.slice(1).filter((l) => l.policy === policy)) {
      const cell = page.locator(`#map-grid td[data-x="${line.restart_rate}"][data-y="${line.value}"]`);
      assert.equal(await cell.getAttribute('data-class'), line.class, `${policy} ${line.restart_rate} ${line.value}`);
      if (line.digest) assert.equal(await cell.locator('button').getAttribute('data-digest'), line.digest);
    }
  }
  // The CLI's cell is the fixture's cell, and opens its run.
  const fixture = CELLS.find((c) => c.policy === 'legacy-2007');
  assert.ok(lines.some((l) => l.query === fixture.query && l.digest === fixture.digest));
  // A slice is not a whole map.
  const slice = JSON.stringify({ ...lines[0], shard: '1/2' });
  await page.getByLabel('Or open a map file').setInputFiles({ name: 'slice.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(slice + '\n') });
  await page.locator('#map-error').waitFor();
  assert.match(await page.locator('#map-error').textContent(), /slice 1\/2 .*patchstorm phase --merge/);
  assertClean(page);
  await page.close();
});

test('bad map settings are named with what is allowed, and Cancel stops a map', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=skype-2007&peers=20000&hours=24'));
  await setMap(page, { xs: '3,6', ys: 'abc', peers: '2000' });
  await page.getByRole('button', { name: 'Map it' }).click();
  assert.match(await page.locator('#map-error').textContent(), /sn_capacity values: ys abc: give numbers separated by commas/);
  await setMap(page, { xs: '3,6', ys: '300,1', peers: '2000' });
  await page.getByRole('button', { name: 'Map it' }).click();
  assert.match(await page.locator('#map-error').textContent(), /sn_capacity 1: .*sn_capacity.*allowed/);
  // A rate past what the wave allows is an empty cell, not an error.
  await setMap(page, { xs: '3,9', ys: '300', peers: '2000', seeds: '2' });
  await page.getByRole('button', { name: 'Map it' }).click();
  assert.ok(await page.locator('#map-error').isHidden());
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.match(await page.locator('#map-progress').textContent(), /Cancelled/);
  assert.ok(await page.getByRole('button', { name: 'Map it' }).isEnabled());
  await page.getByRole('button', { name: 'Map it' }).click();
  await mapped(page);
  assert.equal(await page.locator('#map-grid td[data-x="9"]').first().getAttribute('data-class'), 'impossible');
  assertClean(page);
  await page.close();
});
