// Shareable links: controls write the scenario into the address bar, a link
// reopens exactly that scenario with the same run fingerprint, Copy link
// copies it, and a bad link says what is wrong and still gives a working page.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SHORT, accessibleDescription, assertClean, fingerprint, launch, link, openPage, runToEnd, screenshot, simHours, watchedPage } from './browser.mjs';


let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('moving Restart rate rewrites the address; the same link runs to the same fingerprint', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link(SHORT));
  assert.equal(new URL(page.url()).searchParams.get('restart_rate'), '5');
  const slider = page.getByLabel('Restart rate', { exact: true });
  const max = Number(await slider.getAttribute('max'));
  assert.ok(max > 0.1 && max < 100, `the slider's maximum follows the scenario (${max})`);
  await slider.focus();
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => /restart_rate=4\.5/.test(location.search), null, { timeout: 10_000 });
  const shown = (await page.locator('#restart-rate-value').textContent()).trim();
  const inUrl = new URL(page.url()).searchParams.get('restart_rate');
  assert.equal(`${Number(inUrl).toFixed(1)} %/h`, shown, 'the address holds the value shown');
  assert.equal(Number(inUrl), Number((Number(await slider.inputValue())).toFixed(1)));
  await screenshot(page, '10-restart-rate-moved');

  await runToEnd(page);
  const first = await fingerprint(page);
  assert.match(first, /^[0-9a-f]{16}$/);
  assert.equal(await simHours(page), 6);
  await screenshot(page, '11-run-finished');
  const sharedUrl = page.url();

  // Copy link puts exactly the address into the clipboard and says so.
  await page.getByRole('button', { name: 'Copy link' }).click();
  await page.getByText('Link copied').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), sharedUrl);

  // A visitor opens the link in a fresh page and runs it to the same point.
  const again = await watchedPage(browser.context);
  await openPage(again, sharedUrl);
  assert.equal(again.url(), sharedUrl, 'the link is already canonical');
  await runToEnd(again);
  assert.equal(await fingerprint(again), first, 'same link, same run');
  await screenshot(again, '12-reopened-same-fingerprint');

  // A different seed is a different run (the fingerprint can tell them apart).
  await again.getByText('Advanced', { exact: true }).click();
  const seed = again.getByLabel('Seed', { exact: true });
  await seed.fill('12345');
  await seed.press('Enter');
  await again.waitForFunction(() => /seed=12345/.test(location.search));
  assert.equal(await simHours(again), 0, 'changing a control rebuilds from the start');
  await runToEnd(again);
  assert.notEqual(await fingerprint(again), first);
  assertClean(page);
  assertClean(again);
  await page.close();
  await again.close();
});

test('+24 h goes on where the run ended; the longer link replays it to the same fingerprint', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link(SHORT));
  await runToEnd(page);
  const ended = await fingerprint(page);
  assert.match(await page.locator('#progress').textContent(), /run finished \(\+24 h to go on/);
  await page.getByRole('button', { name: '+24 h' }).click();
  await page.waitForFunction(() => /hours=30/.test(location.search));
  // Space now plays or pauses: it does not add another day.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'play');
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 60_000 });
  assert.equal(await simHours(page), 30);
  const longer = await fingerprint(page);
  assert.notEqual(longer, ended);
  await screenshot(page, '12b-run-made-longer');

  // The link now says 30 h; opened fresh and run from the start, it is the same run.
  const again = await watchedPage(browser.context);
  await openPage(again, page.url());
  assert.equal(again.url(), page.url(), 'the longer link is canonical');
  await runToEnd(again);
  assert.equal(await fingerprint(again), longer, 'going on = running the longer link');

  // Runs stop at the hours parameter's maximum. Within a day of it the button
  // adds what is left; at it, the button is off and the reason is on the page.
  await openPage(again, link(SHORT.replace('hours=6', 'hours=320')));
  assert.ok(await again.locator('#more-hint').isHidden());
  const sixteen = again.getByRole('button', { name: '+16 h', exact: true });
  assert.match(await accessibleDescription(again, '#more'), /Make the run 16 simulated hours longer \(336 h in all\)/);
  await sixteen.click();
  await again.waitForFunction(() => /hours=336/.test(location.search));
  const off = again.getByRole('button', { name: '+24 h', exact: true });
  assert.ok(await off.isDisabled());
  assert.match(await off.getAttribute('title'), /up to 336 h/);
  const hint = again.locator('#more-hint');
  assert.ok(await hint.isVisible());
  assert.match(await hint.textContent(), /336 h long, the longest a run can be/);
  // A screen reader hears the reason with the button (the hint, not only the title).
  assert.match(await accessibleDescription(again, '#more'), /336 h long, the longest a run can be/);
  await screenshot(again, '12c-longest-run');
  assertClean(page);
  assertClean(again);
  await page.close();
  await again.close();
});

test('changing the preset and the policy rebuilds and keeps peers and seed', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('preset=skype-2007&peers=20000&seed=3'));
  await page.getByLabel('Allocation policy').selectOption('resilient');
  await page.waitForFunction(() => /policy=resilient/.test(location.search));
  assert.match(await page.locator('#policy-help').textContent(), /two supernodes/);
  await page.getByLabel('Preset').selectOption('skype-2010');
  await page.waitForFunction(() => /preset=skype-2010/.test(location.search));
  const q = new URL(page.url()).searchParams;
  assert.equal(q.get('peers'), '20000');
  assert.equal(q.get('seed'), '3');
  assert.equal(q.get('policy'), null, "the preset's own policy applies");
  assert.equal(await page.getByLabel('Allocation policy').inputValue(), 'self-protect-2010');
  assert.match(await page.locator('#clock').textContent(), /2010/);
  await screenshot(page, '13-preset-changed');
  // Back to skype-2007: its own values, not those of an older link format.
  await page.getByLabel('Preset').selectOption('skype-2007');
  await page.waitForFunction(() => /preset=skype-2007/.test(location.search));
  assert.equal(new URL(page.url()).search, '?v=4&preset=skype-2007&peers=20000&seed=3');
  assertClean(page);
  await page.close();
});

test('a link of format 1 replays the run it was made with, says so, and opens in the current format on request', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('v=1&preset=skype-2007&peers=3000&hours=40'));
  const note = page.locator('.banner[data-id="format"]');
  await note.waitFor();
  const text = await note.textContent();
  for (const kept of ['sn_attempt_capacity=3', 'sn_refusal_cost=1', 'attach_timeout_s=10', 'login_capacity=60', 'promote_rate=0.25']) {
    assert.ok(text.includes(kept), `the note names ${kept}: ${text}`);
  }
  const q = new URL(page.url()).searchParams;
  assert.equal(q.get('v'), '2');
  assert.equal(q.get('sn_attempt_capacity'), '3', 'the address holds the values of that time');
  await screenshot(page, '15-format-1-link');
  await runToEnd(page);
  // The digest the last build of format 1 gave this link (tests/cli.rs pins it natively).
  assert.equal(await fingerprint(page), '21442c0c2cfa5938');

  // +24 h keeps the note (the run is the same, only longer); the button keeps the longer run.
  await page.getByRole('button', { name: '+24 h' }).click();
  await page.waitForFunction(() => /hours=64/.test(location.search));
  // A finished run plays on: let it end, so the rebuilt run does not play on its own.
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 60_000 });
  await note.getByRole('button', { name: 'Open it in the current format' }).click();
  await page.waitForFunction(() => location.search === '?v=4&preset=skype-2007&peers=3000&hours=64');
  assert.equal(await note.count(), 0, 'the note goes with the old values');
  await runToEnd(page);
  assert.notEqual(await fingerprint(page), '21442c0c2cfa5938');

  // A change of preset ends the note: the new preset's link is of the current format.
  // (Other changes keep the link's format and say so: the format-2 test below.)
  await openPage(page, link('v=1&preset=skype-2007&peers=3000&hours=40'));
  await note.waitFor();
  await page.getByLabel('Preset').selectOption('calm-day');
  await page.waitForFunction(() => /preset=calm-day/.test(location.search));
  assert.equal(await note.count(), 0);
  assert.equal(new URL(page.url()).searchParams.get('sn_attempt_capacity'), null);
  assertClean(page);
  await page.close();
});

test('a link of format 2 replays the run it was made with, keeps its format when changed, and opens in the current format', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('v=2&preset=skype-2007&peers=3000&hours=40'));
  const note = page.locator('.banner[data-id="format"]');
  await note.waitFor();
  assert.match(await note.textContent(), /count of failed clients was corrected.*\(link format 2\).*replays the run it showed then/s);
  assert.equal(new URL(page.url()).search, '?v=2&preset=skype-2007&peers=3000&hours=40');
  await screenshot(page, '15b-format-2-link');
  await runToEnd(page);
  // The digest the last build of format 2 (a78616f) gave this link.
  assert.equal(await fingerprint(page), '16ec870e7e01487f');

  // A change keeps the link's format, and the note says the run is read in it.
  await page.getByText('Advanced', { exact: true }).click();
  const seed = page.getByLabel('Seed', { exact: true });
  await seed.fill('2');
  await seed.press('Enter');
  await page.waitForFunction(() => /seed=2/.test(location.search));
  assert.equal(new URL(page.url()).search, '?v=2&preset=skype-2007&peers=3000&seed=2&hours=40');
  await note.waitFor();
  assert.match(await note.textContent(), /This run is read in link format 2/);

  await note.getByRole('button', { name: 'Open it in the current format' }).click();
  await page.waitForFunction(() => location.search === '?v=4&preset=skype-2007&peers=3000&seed=2&hours=40');
  assert.equal(await note.count(), 0, 'the note goes with the old format');

  // A dismissed note stays dismissed when a control changes.
  await openPage(page, link('v=2&preset=skype-2007&peers=3000&hours=40'));
  await note.waitFor();
  await note.getByRole('button', { name: 'Dismiss' }).click();
  await page.getByText('Advanced', { exact: true }).click();
  await seed.fill('3');
  await seed.press('Enter');
  await page.waitForFunction(() => /seed=3/.test(location.search));
  assert.equal(await note.count(), 0);
  assertClean(page);
  await page.close();
});

for (const [query, mustSay] of [
  ['peers=5', ['peers=5', '1000', '25000000']],
  ['bogus=1', ['bogus']],
  ['preset=skype-2007&policy=magic', ['policy=magic', 'legacy-2007', 'resilient']],
]) {
  test(`a bad link (?${query}) says what is wrong and the page still works`, async () => {
    const page = await watchedPage(browser.context);
    await openPage(page, link(query), { refused: true });
    const banner = page.locator('.banner[data-id="link"]');
    await banner.waitFor();
    const text = await banner.textContent();
    for (const word of mustSay) assert.ok(text.includes(word), `the message names ${word}: ${text}`);
    assert.equal((await banner.locator('.bad-query').textContent()).trim(), `?${query}`, 'the bad query stays visible');
    await screenshot(page, `14-bad-link-${query.replace(/[^a-z0-9]+/gi, '_')}`);
    // The default scenario runs.
    assert.equal(await page.getByLabel('Preset').inputValue(), 'skype-2007');
    await page.getByRole('button', { name: 'Step' }).click();
    await page.waitForFunction(() => /t = 1\.00 h/.test(document.getElementById('progress').textContent), null, { timeout: 20_000 });
    // A value refused in Advanced is named next to its control; the run goes on.
    await page.getByText('Advanced', { exact: true }).click();
    const peers = page.getByLabel('Peers', { exact: true });
    await peers.fill('7');
    await peers.press('Enter');
    const err = page.locator('.param[data-key="peers"] .param-error');
    await err.waitFor();
    assert.match(await err.textContent(), /peers=7 .*1000.*25000000/);
    assert.equal(await peers.getAttribute('aria-invalid'), 'true');
    assert.equal(await simHours(page), 1, 'the running scenario is kept');
    assertClean(page);
    await page.close();
  });
}
