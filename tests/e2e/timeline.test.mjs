// The timeline: a visitor scrubs back through a run, sees that moment's
// fingerprint, acts as the operator there and plays on, shares the link,
// and steps through the story of a run.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertClean, fingerprint, launch, link, openPage, runToEnd, screenshot, straightDigest, watchedPage, fixture } from './browser.mjs';

const HOUR = 3_600_000;
const QUERY = 'preset=skype-2007&peers=20000&hours=48';

/** The digest fixtures the CLI, the module and the worker all replay. */
const FIXTURES = await fixture('digests.json');

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** The moment the page shows, in simulated ms, read from the timeline's slider. */
async function shownMs(page) {
  return page.locator('#timeline').evaluate((input) => Number(input.value) * 60_000);
}

/** Waits until the page shows `t` (ms), with the worker settled there; returns the wall ms from `since`. */
async function settledAt(page, t, since) {
  const minutes = Math.round(t / 60_000);
  const shown = `showing ${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')} h`;
  await page.waitForFunction(
    ([want, text]) =>
      !['running', 'playing'].includes(document.body.dataset.state) &&
      document.querySelector('#timeline-status').textContent.startsWith(text) &&
      Number(document.querySelector('#timeline').value) * 60_000 === want,
    [t, shown],
    { timeout: 30_000 },
  );
  return Date.now() - since;
}

test('scrub back with the keyboard: the network, charts and fingerprint of that moment, as if played straight to it', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link(QUERY));
  await runToEnd(page);
  const end = await fingerprint(page);
  const slider = page.getByRole('slider', { name: 'Timeline' });
  await slider.focus();
  // From the end at 48 h: three times six hours back, then one hour back, then one sample forward.
  for (let i = 0; i < 3; i++) await page.keyboard.press('PageDown');
  await settledAt(page, 30 * HOUR, Date.now());
  assert.equal(await fingerprint(page), await straightDigest(page, { untilMs: 30 * HOUR }), 'the fingerprint at 30 h is the straight run to 30 h');
  const points = await page.evaluate(() => Number(document.querySelector('#charts-title').dataset.points));
  assert.equal(points, 30 * 60 + 1, 'the charts hold the samples up to 30 h, one a minute');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Shift+ArrowRight');
  await settledAt(page, 29 * HOUR + 60_000, Date.now());
  assert.equal(await fingerprint(page), await straightDigest(page, { untilMs: 29 * HOUR + 60_000 }));
  assert.match(await slider.getAttribute('aria-valuetext'), /^29:01 h of 48:00 h .* simulated up to 48:00 h$/);
  await screenshot(page, '60-timeline-scrubbed');
  // Forward again, to the end, and the end's fingerprint.
  await page.keyboard.press('End');
  await settledAt(page, 48 * HOUR, Date.now());
  assert.equal(await fingerprint(page), end, 'back at the end: the end fingerprint');
  // Playing on from a moment scrubbed to gives the straight run.
  await page.keyboard.press('Home');
  await settledAt(page, 0, Date.now());
  await runToEnd(page);
  assert.equal(await fingerprint(page), end, 'played on from 0 h: the same end');
  assertClean(page);
  await page.close();
});

test('a moment of a 96-h run at 100 k peers is shown within 300 ms of asking, going back to any hour', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=skype-2007&peers=100000&hours=96'));
  await runToEnd(page, 'max');
  const slider = page.getByRole('slider', { name: 'Timeline' });
  const times = [];
  for (const h of [95, 61, 47, 30, 12, 1, 83, 20]) {
    const since = Date.now();
    await slider.evaluate((input, v) => {
      input.value = String(v);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, h * 60);
    const wall = await settledAt(page, h * HOUR, since);
    const worker = await page.evaluate(() => Number(document.querySelector('#timeline-status').dataset.rewindMs));
    times.push({ h, wall, worker: Math.round(worker) });
  }
  const note = await page.locator('#snapshot-note').textContent();
  console.log(`rewinds at 100 k peers, 96 h (hour, ms from asking to shown, ms in the worker): ${JSON.stringify(times)}; ${note}`);
  for (const t of times) assert.ok(t.worker < 300, `back to ${t.h} h took ${t.worker} ms in the worker`);
  assert.match(note, /of a [\d.]+ [MG]B budget/);
  assertClean(page);
  await page.close();
});

test('intervene at a scrubbed moment and play: the link replays it, straight, to the fingerprint the CLI gives', async () => {
  const fixture = FIXTURES.find((f) => /at=/.test(f.query));
  assert.ok(fixture, 'the digest fixtures hold a run with an intervention');
  const q = new URLSearchParams(fixture.query);
  const at = q.getAll('at');
  assert.equal(at.length, 1);
  const [time, change] = at[0].split(':');
  const [key, value] = change.split('=');
  q.delete('at');
  const page = await watchedPage(browser.context);
  await openPage(page, link(q.toString()));
  await runToEnd(page);
  const without = await fingerprint(page);
  const hours = Number(/^(\d+)h$/.exec(time)[1]);
  // Back to the moment, with the slider, and act there.
  await page.getByRole('slider', { name: 'Timeline' }).evaluate((input, v) => {
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, hours * 60);
  await settledAt(page, hours * HOUR, Date.now());
  await page.getByLabel('Action').selectOption(key);
  const input = page.locator('#intervene-value');
  if ((await input.evaluate((e) => e.tagName)) === 'SELECT') await input.selectOption(value);
  else await input.fill(value);
  await page.getByRole('button', { name: 'Apply at this moment' }).click();
  await page.waitForFunction(() => /(^|&)at=/.test(location.search), null, { timeout: 10_000 });
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 60_000 });
  const after = await fingerprint(page);
  assert.notEqual(after, without, 'the intervention changed the run');
  assert.equal(after, fixture.digest, 'the fingerprint the CLI and the module give for the fixture');
  const shared = new URL(page.url());
  assert.equal(shared.searchParams.getAll('at').join(), at[0], 'the link holds the intervention as the fixture writes it');
  assert.equal(await page.locator('#interventions li').count(), 1, 'the list shows the intervention');
  await screenshot(page, '61-intervened');
  // The link, reloaded, replays it straight.
  await page.goto(shared.href);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await runToEnd(page);
  assert.equal(await fingerprint(page), fixture.digest, 'the reloaded link, played straight');
  assert.equal(await straightDigest(page), fixture.digest, 'the module, straight');
  assertClean(page);
  await page.close();
});

test('a refused intervention names the key at, the value and what is allowed; the run is kept', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=skype-2007&peers=5000&hours=24'));
  await page.getByRole('button', { name: 'Step' }).click();
  await page.waitForFunction(() => document.body.dataset.state === 'ready' && /t = 1\.000 h/.test(document.querySelector('#fingerprint-at').textContent));
  const before = await fingerprint(page);
  await page.getByLabel('Action').selectOption('login_capacity');
  await page.locator('#intervene-value').fill('-5');
  await page.getByRole('button', { name: 'Apply at this moment' }).click();
  const error = page.locator('#intervene-error');
  await error.waitFor();
  assert.match(await error.textContent(), /at.*login_capacity.*-5/s);
  assert.equal(await fingerprint(page), before, 'nothing computed was lost');
  assert.doesNotMatch(page.url(), /at=/);
  // A bad time in a link gets the usual banner naming the key.
  await page.goto(link('preset=skype-2007&peers=5000&hours=24&at=30h:policy=resilient'));
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.match(await page.locator('.banner').first().textContent(), /at/);
  await page.close();
});

/** Opens the story of the run shown, and reads every step, as a visitor going through it with Next. */
async function readStory(page) {
  await page.getByRole('button', { name: 'Story' }).click();
  await page.waitForFunction(() => /^Step 1 of \d+/.test(document.querySelector('#story-count').textContent), null, { timeout: 120_000 });
  const steps = [];
  for (;;) {
    const step = await page.evaluate(() => ({
      kind: document.querySelector('#story-panel').dataset.kind,
      title: document.querySelector('#story-step-title').textContent,
      text: document.querySelector('#story-text').textContent,
      count: document.querySelector('#story-count').textContent,
      looks: [...document.querySelectorAll('.story-look')].map((e) => e.id),
    }));
    const t = Number(await page.locator('#story-panel').getAttribute('data-t-ms'));
    await settledAt(page, t, Date.now());
    assert.equal(await shownMs(page), t, `${step.kind}: the timeline shows the step's moment`);
    steps.push({ ...step, t });
    const next = page.getByRole('button', { name: 'Next' });
    if (await next.isDisabled()) break;
    await next.click();
    await page.waitForFunction((n) => document.querySelector('#story-count').textContent.startsWith(`Step ${n} `), steps.length + 1);
  }
  return steps;
}

test('the story of the 2007 preset: the wave, the login flood, the core lost, and where each moment is in the run', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=skype-2007&peers=20000&hours=96'));
  const steps = await readStory(page);
  const kinds = steps.map((s) => s.kind);
  console.log(`2007 story: ${steps.map((s) => `${s.kind}@${(s.t / HOUR).toFixed(2)}h`).join(', ')}`);
  for (const k of ['wave_starts', 'login_flood', 'core_lost']) assert.ok(kinds.includes(k), `the story has ${k}: ${kinds}`);
  assert.ok(kinds.indexOf('wave_starts') < kinds.indexOf('login_flood'), 'the login flood comes after the wave starts');
  for (let i = 1; i < steps.length; i++) assert.ok(steps[i].t >= steps[i - 1].t, 'the steps go forward in time');
  for (const s of steps) {
    assert.ok(s.text.length > 40, `${s.kind} says what happens`);
    assert.ok(s.looks.length > 0, `${s.kind} shows where to look`);
  }
  // Each step shows its moment: the fingerprint of the run up to it.
  const last = steps.at(-1);
  await settledAt(page, last.t, Date.now());
  assert.equal(await fingerprint(page), await straightDigest(page, { untilMs: last.t }));
  await screenshot(page, '62-story-2007-last');
  // Back with Previous, and the keyboard: Escape closes it.
  await page.getByRole('button', { name: 'Previous' }).click();
  await page.waitForFunction((n) => document.querySelector('#story-count').textContent.startsWith(`Step ${n} `), steps.length - 1);
  await screenshot(page, '63-story-2007-step');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#story-panel').isHidden(), true);
  assert.equal(await page.locator('.story-look').count(), 0);
  assertClean(page);
  await page.close();
});

test('the story of the 2010 preset begins with its crash, and a run with the restart rate turned down never collapses', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=skype-2010&peers=20000&hours=72'));
  const s2010 = await readStory(page);
  console.log(`2010 story: ${s2010.map((s) => `${s.kind}@${(s.t / HOUR).toFixed(2)}h`).join(', ')}`);
  assert.equal(s2010[0].kind, 'crash', `the 2010 story starts with the crash: ${s2010.map((s) => s.kind)}`);
  await screenshot(page, '64-story-2010');
  await page.getByRole('button', { name: 'Close the story' }).click();

  await openPage(page, link('preset=skype-2007&peers=20000&hours=72&restart_rate=0.5'));
  const calm = await readStory(page);
  console.log(`2007 at 0.5 %/h: ${calm.map((s) => `${s.kind}@${(s.t / HOUR).toFixed(2)}h`).join(', ')}`);
  assert.ok(calm.some((s) => s.kind === 'never_collapses'), `a slow wave: ${calm.map((s) => s.kind)}`);
  assert.ok(!calm.some((s) => s.kind === 'core_lost'));
  await screenshot(page, '65-story-calm');
  assertClean(page);
  await page.close();
});
