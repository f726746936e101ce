// The page as a visitor first sees it: the default scenario loads, every
// control has a label, Play makes the network view and the charts move.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertClean, runToEnd, BASE, canvasPixels, launch, link, openPage, screenshot, simHours, watchedPage } from './browser.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('the default page loads the default scenario at 100k peers and plays', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, BASE);
  await screenshot(page, '01-default-loaded');
  // The address bar holds the canonical scenario.
  assert.match(new URL(page.url()).search, /^\?v=4&preset=skype-2007$/);
  await assert.doesNotReject(page.getByRole('heading', { name: 'patchstorm' }).waitFor());
  assert.equal(await page.getByLabel('Peers', { exact: true }).inputValue(), '100000');
  assert.equal(await page.getByLabel('Preset').inputValue(), 'skype-2007');
  assert.equal(await page.getByLabel('Allocation policy').inputValue(), 'legacy-2007');
  assert.match(await page.locator('#clock').textContent(), /2007.*UTC/);

  const before = await canvasPixels(page);
  await page.getByLabel('Speed (simulated hours per second)').selectOption('4');
  await page.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => /t = ([1-9]\d*\.\d+) h/.test(document.getElementById('progress').textContent), null, { timeout: 20_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await screenshot(page, '02-default-played');
  assert.ok((await simHours(page)) >= 1, 'at least a simulated hour went by');
  assert.notEqual(await canvasPixels(page), before, 'the network view changed');
  assertClean(page);
  await page.close();
});

test('every control has a visible label, and Advanced has one per parameter', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=calm-day&peers=20000&hours=6'));
  await page.getByText('Advanced', { exact: true }).click();
  await page.locator('#advanced-fields').scrollIntoViewIfNeeded();
  await screenshot(page, '03-advanced-open');
  await page.locator('#param-login_admission').scrollIntoViewIfNeeded();
  await screenshot(page, '03b-advanced-policy-knobs');
  // The page's own list of parameters is what Advanced must cover, minus the two up front.
  const params = await page.evaluate(async () => {
    const wasm = await import('./pkg/patchstorm.js');
    return wasm.params().map((p) => ({ key: p.key, label: p.label, group: p.group }));
  });
  assert.ok(params.length > 10);
  const advancedKeys = params.filter((p) => p.group !== 'main').map((p) => p.key);
  const shown = await page.locator('#advanced-fields .param').evaluateAll((els) => els.map((e) => e.dataset.key));
  assert.deepEqual(shown, advancedKeys);
  for (const p of params.filter((p) => p.group !== 'main')) {
    const control = page.locator(`#param-${p.key}`);
    assert.ok(await control.isVisible(), `${p.key} is visible`);
    // Its label is visible and names the control (label for=).
    const label = page.locator(`label[for="param-${p.key}"]`);
    assert.ok(await label.isVisible(), `${p.key} has a visible label`);
    const text = await label.textContent();
    assert.ok(text.includes(p.label), `${p.key} label says ${p.label}`);
    // A unit the label already gives is not repeated ("Start (UTC) (UTC)").
    assert.ok(!/(\([^)]*\))\s*\1/.test(text), `${p.key} label repeats its unit: ${text}`);
  }
  assert.equal(await page.locator('label[for="param-trigger"]').textContent(), 'Trigger time (UTC)');
  assert.ok(await page.getByLabel('Peers', { exact: true }).isVisible());
  assert.ok(await page.getByLabel('Seed', { exact: true }).isVisible());
  // Every form control and button on the page has an accessible name from visible text.
  const unnamed = await page.locator('input, select, button, textarea').evaluateAll((els) =>
    els
      .filter((e) => e.offsetParent !== null)
      .filter((e) => {
        const byLabel = e.labels && [...e.labels].some((l) => l.textContent.trim() && l.offsetParent !== null);
        const byRef = e.getAttribute('aria-labelledby');
        const byText = e.tagName === 'BUTTON' && e.textContent.trim();
        return !(byLabel || byRef || byText);
      })
      .map((e) => e.id || e.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unnamed, []);
  assert.ok(await page.getByLabel('Restart rate', { exact: true }).isVisible());
  assertClean(page);
  await page.close();
});

/**
 * The widest run of the waiting areas' frame colour along any row of the
 * lower half of the network view, as a share of its width: the boxes' top
 * edges span the whole view when they are stacked under the supernodes, and
 * at most a third of it beside them.
 */
async function widestFrameLine(page) {
  return page.evaluate(() => {
    const canvas = document.getElementById('network');
    const { width, height } = canvas;
    const px = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    let widest = 0;
    for (let y = Math.floor(height / 2); y < height; y++) {
      let count = 0;
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        if (px[i] === 0x2a && px[i + 1] === 0x37 && px[i + 2] === 0x46) count++;
      }
      widest = Math.max(widest, count);
    }
    return widest / width;
  });
}

test('in a narrow window the network and the charts follow the Run panel; on a phone the view stacks', async () => {
  const page = await watchedPage(browser.context);
  await page.setViewportSize({ width: 860, height: 1000 });
  await openPage(page, link('preset=skype-2007&peers=20000'));
  const panels = ['scenario-title', 'run-title', 'network-title', 'charts-title', 'share-title', 'advanced', 'explain-title'];
  assert.deepEqual(await panelOrder(page, panels), { seen: panels, read: panels });
  // Keyboard focus follows the same order: the timeline under the network
  // view is the next stop after the Run panel, not Share, and the
  // validation table under the charts comes before Share too.
  await runToEnd(page);
  assert.ok((await page.locator('#validation-rows tr').count()) > 0);
  // 20 000 peers is below the size VALIDATION.md holds the 2007 world at: the page says so.
  assert.ok(await page.locator('#validation-size').isVisible());
  assert.match(await page.locator('#validation-size').textContent(), /^This network has 20\u00a0000 peers, fewer than the 100\u00a0000 at which/);
  await page.locator('#speed').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'timeline');
  const stops = [];
  for (let i = 0; i < 40 && !stops.includes('copy-link') && !stops.includes('table-scroll'); i++) {
    await page.keyboard.press('Tab');
    stops.push(await page.evaluate(() => document.activeElement.id || document.activeElement.className));
  }
  assert.equal(stops.at(-1), 'table-scroll', `focus after the timeline, before Share: ${stops}`);
  await page.locator('#run-title').scrollIntoViewIfNeeded();
  await screenshot(page, '03c-narrow-window');
  const network = page.locator('#network');
  assert.equal(await network.getAttribute('data-layout'), 'beside');
  assert.equal(await network.evaluate((c) => c.clientHeight), 480);
  assert.ok((await widestFrameLine(page)) < 0.4, 'the waiting areas stand beside the supernodes');
  // A phone: the waiting areas go under the supernodes, on a taller canvas;
  // the validation table scrolls inside its panel.
  await page.setViewportSize({ width: 390, height: 850 });
  await page.waitForFunction(() => document.getElementById('network').dataset.layout === 'stacked', null, { timeout: 5_000 });
  assert.equal(await network.evaluate((c) => c.clientHeight), 780);
  assert.ok((await widestFrameLine(page)) > 0.9, 'the waiting areas stand under the supernodes');
  assert.ok((await page.locator('#validation-rows tr').count()) > 0);
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'nothing wider than a phone');
  await network.scrollIntoViewIfNeeded();
  await screenshot(page, '03d-phone-network');
  // Back to a wide window: beside again, the normal height.
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.waitForFunction(() => document.getElementById('network').dataset.layout === 'beside', null, { timeout: 5_000 });
  assert.equal(await network.evaluate((c) => c.clientHeight), 480);
  // Two columns again: Share and Advanced are back in the sidebar, under Run.
  const wide = ['scenario-title', 'run-title', 'share-title', 'advanced', 'network-title', 'charts-title', 'explain-title'];
  assert.deepEqual((await panelOrder(page, wide)).read, wide);
  assert.equal(await page.evaluate(() => document.getElementById('advanced').parentElement.className), 'sidebar');
  assertClean(page);
  await page.close();
});

/**
 * The panels (by the id of their heading, or their own) as the eye meets
 * them, top to bottom, and as the document holds them, which is the order
 * of keyboard focus and of screen readers.
 */
async function panelOrder(page, ids) {
  return page.evaluate((ids) => {
    const els = ids.map((id) => ({ id, el: document.getElementById(id) }));
    const seen = [...els].sort((a, b) => a.el.getBoundingClientRect().top - b.el.getBoundingClientRect().top);
    const read = [...els].sort((a, b) => (a.el.compareDocumentPosition(b.el) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    return { seen: seen.map((p) => p.id), read: read.map((p) => p.id) };
  }, ids);
}

test('a preset link plays: the network view and the charts change', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=skype-2007&peers=20000&hours=48'));
  await screenshot(page, '04-preset-link-loaded');
  assert.equal(await page.locator('.uplot').count(), 4, 'four charts');
  // The published record is drawn over the online chart, labelled as such.
  assert.ok(await page.locator('#chart-online').getByText("Published (Skype's counter, scaled)").isVisible());
  assert.ok(await page.locator('#published-source').isVisible());
  const canvasBefore = await canvasPixels(page);
  const chartBefore = await canvasPixels(page, '#chart-online canvas');
  const pointsBefore = Number(await page.locator('#charts-title').getAttribute('data-points'));

  await page.getByLabel('Speed (simulated hours per second)').selectOption('16');
  await page.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => /t = (3\d|4\d)\.\d+ h/.test(document.getElementById('progress').textContent), null, { timeout: 30_000 });
  await screenshot(page, '05-preset-link-after-trigger');
  await page.getByRole('button', { name: 'Pause' }).click();
  const hours = await simHours(page);
  assert.ok(hours >= 30, `ran past the trigger (${hours} h)`);
  assert.notEqual(await canvasPixels(page), canvasBefore, 'the network view changed');
  assert.notEqual(await canvasPixels(page, '#chart-online canvas'), chartBefore, 'the online chart changed');
  const pointsAfter = Number(await page.locator('#charts-title').getAttribute('data-points'));
  assert.ok(pointsAfter > pointsBefore + 60, `charts gained samples (${pointsBefore} -> ${pointsAfter})`);
  // Hovering a published point tells its note.
  const published = await page.evaluate(async (query) => {
    const wasm = await import('./pkg/patchstorm.js');
    const p = new wasm.Playground(query);
    const rows = p.published();
    p.free();
    return rows;
  }, new URL(page.url()).search.slice(1));
  const point = published.find((p) => p.scaled != null && p.t_hours > 0 && p.t_hours < 48);
  assert.ok(point, 'a published point falls inside the run');
  const over = page.locator('#chart-online .u-over');
  await over.scrollIntoViewIfNeeded();
  const box = await over.boundingBox();
  const tip = page.locator('#chart-online .chart-tip');
  let note = null;
  for (let y = box.y + 2; y < box.y + box.height && note == null; y += 4) {
    await page.mouse.move(box.x + (box.width * point.t_hours) / 48, y);
    if (await tip.isVisible()) note = await tip.textContent();
  }
  assert.ok(note && note.includes(point.note), `the tooltip tells the note "${point.note}": ${note}`);
  await screenshot(page, '06-published-note-on-hover');
  // Paused means paused.
  const t = await simHours(page);
  await page.waitForTimeout(400);
  assert.equal(await simHours(page), t);
  assertClean(page);
  await page.close();
});

test('a calm day has no published record to show', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=calm-day&peers=20000&hours=6'));
  assert.equal(await page.locator('#chart-online').getByText("Published (Skype's counter, scaled)").count(), 0);
  assert.ok(await page.locator('#published-source').isHidden());
  assert.ok(await page.locator('#validation').isHidden());
  assert.equal(await page.getByLabel('Preset').inputValue(), 'calm-day');
  assertClean(page);
  await page.close();
});

test('a historical run shows its difference from the published record at each point it passes', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=skype-2010&peers=10000&hours=70'));
  const box = page.locator('#validation');
  assert.ok(await box.isVisible());
  assert.match(await page.locator('#validation-summary').textContent(), /not reached the first published point/);
  assert.equal(await page.locator('#validation-rows tr').count(), 0);
  assert.ok(await page.locator('#validation-timing').isHidden(), 'no timing before the run has passed its points');
  assert.ok(await page.locator('#validation-size').isHidden(), 'the 2010 fit needs no size caveat at 10 000 peers');
  await runToEnd(page);
  // The four published 2010 counts fall between 42 h and 67 h of this run.
  await page.waitForFunction(() => document.querySelectorAll('#validation-rows tr').length === 4);
  const summary = await page.locator('#validation-summary').textContent();
  assert.match(summary, /Mean absolute difference \d+(\.\d)? percentage points over 4 published points/);
  const first = await page.locator('#validation-rows tr').first().locator('td').allTextContents();
  assert.equal(first[0], '2010-12-22T18:40Z');
  assert.match(first[1], /^\d+(\.\d)?%$/);
  assert.match(first[3], /^[+−]\d+(\.\d)?%$/);
  // At the end, how many points are within the target, as the run is and
  // moved in time; the count as it is agrees with the table.
  const timing = await page.locator('#validation-timing').textContent();
  const diffs = await page.locator('#validation-rows tr td:nth-child(4)').allTextContents();
  const within = diffs.filter((d) => Math.abs(parseFloat(d.slice(1))) <= 15).length;
  const stated = timing.match(/^All (\d) published points/) ?? timing.match(/: (\d) of 4 published points/);
  assert.ok(stated, timing);
  assert.equal(Number(stated[1]), within, timing);
  // A move is shown only when it puts more points within; this run ends
  // 3.2 h after the last point, so the moves tried say how far they reached.
  const moved = timing.match(/the run puts (\d) of 4 within/);
  if (moved) assert.ok(Number(moved[1]) > within, timing);
  else if (within < 4) assert.match(timing, /No move of the run by up to 3\sh\s10\smin earlier and 6\sh later \(as far as the run reaches\)/);
  await box.scrollIntoViewIfNeeded();
  await screenshot(page, '07-validation-against-published');
  assertClean(page);
  await page.close();
});

test('the size caveat follows the network size as it is changed in Advanced', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=skype-2007&peers=20000'));
  const size = page.locator('#validation-size');
  // Shown before the run reaches a published point: it is about the network, not the run.
  await size.waitFor({ state: 'visible' });
  assert.match(await size.textContent(), /^This network has 20\u00a0000 peers,/);
  await page.getByText('Advanced', { exact: true }).click();
  const peers = page.getByLabel('Peers', { exact: true });
  const setPeers = async (n) => {
    await peers.fill(String(n));
    await peers.press('Enter');
    await page.waitForFunction((n) => (new URLSearchParams(location.search).get('peers') ?? '100000') === String(n), n);
  };
  await setPeers(100000);
  // The element itself is hidden, not only emptied.
  await page.waitForFunction(() => document.getElementById('validation-size').hidden);
  assert.ok(await page.locator('#validation').isVisible(), 'the comparison itself stays');
  await setPeers(50000);
  await size.waitFor({ state: 'visible' });
  assert.match(await size.textContent(), /^This network has 50\u00a0000 peers,/);
  assertClean(page);
  await page.close();
});

test('+24 h on a run that ended before the last published point works the timing out again', async () => {
  const page = await watchedPage(browser.context);
  // 60 h passes two of the four published 2010 counts (42 h and 59.3 h).
  await openPage(page, link('preset=skype-2010&peers=10000&hours=60'));
  await runToEnd(page);
  const counted = (text) => Number((text.match(/^All (\d) published points/) ?? text.match(/ of (\d) published points/) ?? [])[1]);
  assert.equal(counted(await page.locator('#validation-timing').textContent()), 2);
  await page.getByRole('button', { name: '+24 h' }).click();
  await page.waitForFunction(() => /hours=84/.test(location.search));
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelectorAll('#validation-rows tr').length === 4);
  const timing = await page.locator('#validation-timing').textContent();
  assert.equal(counted(timing), 4, timing);
  assertClean(page);
  await page.close();
});
