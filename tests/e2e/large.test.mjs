// Links too large for a tab: one whose run would take much of the tab's
// memory asks before anything is built, one past the module's memory is
// refused like a bad value, and when the tab runs out of memory anyway the
// banner says so and its ways out open links that work.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, SHORT, assertClean, fingerprint, launch, link, openPage, screenshot, simHours, watchedPage } from './browser.mjs';


let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** The memory maximum a WebAssembly module declares in its memory section, bytes (null without one). */
function declaredMaxMemory(bytes) {
  let i = 8; // magic and version
  const leb = () => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[i++];
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return value;
    }
  };
  while (i < bytes.length) {
    const id = bytes[i++];
    const size = leb();
    const end = i + size;
    if (id === 5) {
      assert.equal(leb(), 1, 'one memory');
      const flags = bytes[i++];
      leb(); // initial pages
      return flags & 1 ? leb() * 65_536 : null;
    }
    i = end;
  }
  return null;
}

/** A binding of the page's module, called in the page. */
function core(page, name, ...args) {
  return page.evaluate(async ([name, args]) => (await import('./pkg/patchstorm.js'))[name](...args), [name, args]);
}

/** The page's buttons have run or are about to: the link was taken and the run waits. */
async function waitReady(page) {
  await page.waitForFunction(() => document.body.dataset.ready === 'true' && /^(ready|done|playing)$/.test(document.body.dataset.state), null, { timeout: 60_000 });
}

test('a link for a network too large for a tab asks first, builds nothing until answered, and opens at the smaller size', async () => {
  const page = await watchedPage(browser.context);
  await page.goto(link('preset=skype-2007&peers=6000000'));
  const question = page.getByRole('alertdialog', { name: 'A network of 6,000,000 peers is large for a browser tab.' });
  await question.waitFor();
  const text = await question.textContent();
  assert.match(text, /takes (about \d+ s|under a second)/, 'the question says how long the build takes');
  assert.match(text, /hold about [\d.,]+ (MB|GB) of this tab's memory/, 'and how much memory the run holds');
  assert.match(text, /Nothing is built until you choose/);
  // The core's estimate is what the page asks about.
  const footprint = await core(page, 'footprint', 'preset=skype-2007&peers=6000000');
  assert.ok(footprint.bytes > 500e6 && footprint.bytes < footprint.limit_bytes, JSON.stringify(footprint));
  assert.ok(text.includes(`at most ${footprint.limit_peers.toLocaleString('en-US')} peers fit`), text);
  await screenshot(page, '20-large-link-question');

  // Nothing is built while the question waits.
  await page.waitForTimeout(1500);
  assert.equal(await fingerprint(page), '–', 'no run fingerprint: nothing was built');
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'loading');
  assert.match(await page.locator('#network-caption').textContent(), /Nothing is built yet/);
  assert.ok(await page.getByRole('button', { name: 'Play' }).isDisabled(), 'nothing to play yet');

  // The keyboard is already at the smaller size; Enter takes it.
  const smaller = question.getByRole('button', { name: /^Open at [\d,]+ peers$/ });
  const peers = Number((await smaller.textContent()).replace(/\D/g, ''));
  assert.ok(peers >= 1_000 && peers < 6_000_000, `a smaller size: ${peers}`);
  assert.equal(await page.evaluate(() => document.activeElement.textContent), await smaller.textContent());
  assert.deepEqual(await question.getByRole('button').allTextContents(), ['Build it', `Open at ${peers.toLocaleString('en-US')} peers`, 'Open the default scenario']);
  await page.keyboard.press('Enter');
  await waitReady(page);
  assert.equal(await question.count(), 0, 'the question is answered');
  const q = new URL(page.url()).searchParams;
  assert.equal(q.get('peers'), String(peers), 'the address holds the size that was built');
  assert.equal(await page.getByLabel('Peers', { exact: true }).inputValue(), String(peers));
  await page.getByRole('button', { name: 'Step' }).click();
  await page.waitForFunction(() => /t = 1\.00 h/.test(document.getElementById('progress').textContent), null, { timeout: 60_000 });
  assert.match(await fingerprint(page), /^[0-9a-f]{16}$/);
  assertClean(page);
  await page.close();
});

test('a control set to a large network asks too: the current run can stay, or the large one is built', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link(SHORT));
  const before = await fingerprint(page);
  const address = page.url();
  await page.getByText('Advanced', { exact: true }).click();
  const input = page.getByLabel('Peers', { exact: true });
  await input.fill('4000000');
  await input.press('Enter');
  const question = page.getByRole('alertdialog', { name: 'A network of 4,000,000 peers is large for a browser tab.' });
  await question.waitFor();
  const buttons = await question.getByRole('button').allTextContents();
  assert.equal(buttons.length, 3);
  assert.equal(buttons[0], 'Build it');
  assert.match(buttons[1], /^Open at [\d,]+ peers$/);
  assert.equal(buttons[2], 'Keep the current run', 'a run is there to keep');
  await screenshot(page, '20b-large-control-question');
  await question.getByRole('button', { name: 'Keep the current run' }).click();
  assert.equal(await question.count(), 0);
  assert.equal(await input.inputValue(), '20000', 'the control holds the run that runs');
  assert.equal(page.url(), address);
  assert.equal(await fingerprint(page), before);

  await input.fill('4000000');
  await input.press('Enter');
  await question.getByRole('button', { name: 'Build it' }).click();
  await page.waitForFunction(() => /peers=4000000/.test(location.search), null, { timeout: 60_000 });
  assert.equal(await simHours(page), 0, 'a new run from its start');
  assert.match(await fingerprint(page), /^[0-9a-f]{16}$/);
  // Its size was asked about: a rebuild of it (Reset) does not ask again.
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.waitForTimeout(500);
  assert.equal(await question.count(), 0);
  assertClean(page);
  await page.close();
});

test("a link past the module's memory is refused, naming peers and the limit", async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link('peers=25000000'), { refused: true });
  const banner = page.locator('.banner[data-id="link"]');
  await banner.waitFor();
  // The limit is what the module's own memory maximum holds by the core's estimate.
  const wasm = new Uint8Array(await (await fetch(new URL('pkg/patchstorm_bg.wasm', BASE))).arrayBuffer());
  const max = declaredMaxMemory(wasm);
  assert.ok(max > 0, 'the module declares a memory maximum');
  assert.equal((await core(page, 'footprint', '')).limit_bytes, max, "the page's limit is the module's");
  const limit = await core(page, 'peersWithin', 'peers=25000000', max);
  assert.ok(limit > 1_000_000 && limit < 25_000_000, `limit ${limit}`);
  const text = await banner.textContent();
  assert.ok(text.includes(`peers=25000000 is too large for this tab: at most ${limit} peers fit in its memory`), text);
  assert.equal((await banner.locator('.bad-query').textContent()).trim(), '?peers=25000000');
  await screenshot(page, '22-too-large-refused');
  // The default scenario runs instead.
  assert.equal(new URL(page.url()).searchParams.get('peers'), null);
  assert.match(await fingerprint(page), /^[0-9a-f]{16}$/);
  assertClean(page);
  await page.close();
});

test('when the tab runs out of memory the banner says so, and its ways out open links that work', async () => {
  const page = await watchedPage(browser.context);
  // Large enough that the memory the module has is mostly the run's, as when it runs out for real.
  await openPage(page, link(SHORT.replace('peers=20000', 'peers=1000000')));
  // What the page sees when the module's allocator fails (patchstorm.fail feeds the page's own handler).
  await page.evaluate(() => window.patchstorm.fail(new WebAssembly.RuntimeError('memory allocation of 1073741824 bytes failed')));
  const banner = page.locator('.banner[data-id="stopped"]');
  await banner.waitFor();
  const text = await banner.textContent();
  assert.match(text, /This tab ran out of memory/);
  assert.match(text, /A network of 1,000,000 peers needs more memory than this tab could give the simulation \(it had [\d.,]+ MB\)/);
  assert.match(text, /not a bug in your link/);
  assert.doesNotMatch(text, /a bug, not your input/);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'stopped');
  assert.ok(await page.getByRole('button', { name: 'Play' }).isDisabled());
  const smaller = banner.getByRole('button', { name: /^Open at [\d,]+ peers$/ });
  const peers = Number((await smaller.textContent()).replace(/\D/g, ''));
  assert.ok(peers >= 100_000 && peers <= 500_000, `a smaller size: ${peers}`);
  assert.equal(await page.evaluate(() => document.activeElement.textContent), await smaller.textContent(), 'the way out has the focus');
  await screenshot(page, '21-out-of-memory');
  assert.deepEqual(page.problems.console.splice(0).map((m) => /the simulation stopped/.test(m)), [true], 'the failure, reported once');

  await smaller.click();
  await page.waitForURL((url) => url.searchParams.get('peers') === String(peers));
  await waitReady(page);
  assert.equal(await page.locator('.banner[data-id="stopped"]').count(), 0);
  const q = new URL(page.url()).searchParams;
  assert.equal(q.get('hours'), '6', 'the rest of the link is kept');
  await page.getByRole('button', { name: 'Step' }).click();
  await page.waitForFunction(() => /t = 1\.00 h/.test(document.getElementById('progress').textContent), null, { timeout: 20_000 });

  // The other way out: the default scenario.
  await page.evaluate(() => window.patchstorm.fail(new RangeError('Array buffer allocation failed')));
  await banner.getByRole('button', { name: 'Open the default scenario' }).click();
  await page.waitForURL((url) => url.search === '?v=4&preset=skype-2007');
  await waitReady(page);
  assert.equal(await page.getByLabel('Peers', { exact: true }).inputValue(), '100000');
  page.problems.console.splice(0);

  // Any other failure is still the module's bug, with Reload.
  await page.evaluate(() => window.patchstorm.fail(new WebAssembly.RuntimeError('unreachable')));
  assert.match(await banner.textContent(), /a bug, not your input/);
  assert.equal(await banner.getByRole('button', { name: 'Reload' }).count(), 1);
  page.problems.console.splice(0);
  assertClean(page);
  await page.close();
});
