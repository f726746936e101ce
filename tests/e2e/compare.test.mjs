// Compare: a visitor pins a run as A, changes a control, plays B against
// it, and shares a link that reproduces both runs.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertClean, fingerprint, launch, link, openPage, runToEnd, screenshot, straightDigest, watchedPage } from './browser.mjs';

const QUERY = 'preset=skype-2007&peers=20000&hours=72';

/** Waits until both runs of the comparison are at their ends; returns the table as {measure: [A, B]}. */
async function finishedComparison(page) {
  await page.waitForFunction(() => {
    const run = document.querySelector('#comparison-rows tr');
    return run && [...run.querySelectorAll('td')].every((td) => td.textContent.startsWith('at its end'));
  }, null, { timeout: 60_000 });
  return Object.fromEntries(
    await page.locator('#comparison-rows tr').evaluateAll((rows) =>
      rows.map((r) => [r.querySelector('th').textContent, [...r.querySelectorAll('td')].map((td) => td.textContent)]),
    ),
  );
}

/** The pinned run's link, from the address bar. */
function pinnedQuery(page) {
  return new URL(page.url()).searchParams.get('compare');
}

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('pin A, change the policy, play B: both curves, the summary side by side, and a link that replays both', async () => {
  const page = await watchedPage(browser.context);
  await openPage(page, link(QUERY));
  await page.getByRole('button', { name: 'Compare' }).click();
  await page.locator('#comparison').waitFor();
  const a = pinnedQuery(page);
  assert.equal(a, new URL(page.url()).search.slice(1).split('&compare=')[0], 'A is the run that was shown');
  await page.getByLabel('Allocation policy').selectOption('resilient');
  await page.waitForFunction(() => /policy=resilient/.test(location.search));
  assert.equal(pinnedQuery(page), a, 'A stays pinned while B changes');
  assert.match(await page.locator('#comparison-note').textContent(), /B differs from A in policy legacy-2007 → resilient/);
  await runToEnd(page);
  const table = await finishedComparison(page);

  // Both curves: the pinned run's are in every chart's legend.
  for (const chart of ['#chart-online', '#chart-supernodes', '#chart-login', '#chart-retries']) {
    assert.match(await page.locator(`${chart} .u-legend`).textContent(), /A: /, chart);
  }
  // The legacy policy collapses and heals late; the resilient one dips shallowly.
  const lowest = table['lowest online count after the trigger (share of a normal day at that hour)'].map((t) => Number(t.replace('%', '')));
  assert.ok(lowest[0] < 10 && lowest[1] > 80, `lowest share of a normal day: A ${lowest[0]}%, B ${lowest[1]}%`);
  assert.match(table['hours from the trigger to heal (95% of normal for an hour)'][0], /^\d+\.\d h$/);
  assert.ok(table['peak login requests'].every((t) => / \/s$/.test(t)));
  assert.ok(table['supernodes lost (normal → fewest after the trigger)'].every((t) => /^[\d,]+ \([\d,]+ → [\d,]+\)$/.test(t)));
  const [fa, fb] = table.fingerprint;
  assert.equal(fa, await straightDigest(page, { query: a }), 'A is the run of its link');
  assert.equal(fb, await fingerprint(page), 'B is the run that played');
  assert.notEqual(fa, fb);
  await page.locator('#comparison').scrollIntoViewIfNeeded();
  await screenshot(page, '40-compare');

  // The link holds both; opened fresh, it gives both fingerprints.
  const again = await watchedPage(browser.context);
  await openPage(again, page.url());
  assert.equal(again.url(), page.url(), 'the compare link is canonical');
  await runToEnd(again);
  const replayed = await finishedComparison(again);
  assert.deepEqual(replayed.fingerprint, [fa, fb]);

  // Swap: B is pinned and A plays (from its start).
  await again.getByRole('button', { name: 'Swap A and B' }).click();
  await again.waitForFunction(() => !/policy=resilient/.test(location.search.split('&compare=')[0]));
  assert.match(pinnedQuery(again), /policy=resilient/);
  await runToEnd(again);
  assert.deepEqual((await finishedComparison(again)).fingerprint, [fb, fa]);
  // Drop A: the comparison and the key go.
  await again.getByRole('button', { name: 'Drop A' }).click();
  assert.ok(await again.locator('#comparison').isHidden());
  assert.equal(pinnedQuery(again), null);
  assert.doesNotMatch(await again.locator('#chart-online .u-legend').textContent(), /A: /);
  assertClean(page);
  assertClean(again);
  await page.close();
  await again.close();
});

test('a bad value in a compare link names which run and which key', async () => {
  const page = await watchedPage(browser.context);
  // In A: B plays alone and the banner names run A and the key.
  await openPage(page, link(`${QUERY}&compare=${encodeURIComponent('preset=skype-2007&policy=magic')}`), { refused: true });
  const banner = page.locator('.banner[data-id="link"]');
  await banner.waitFor();
  assert.match(await banner.textContent(), /Run A of this link could not be opened/);
  assert.match(await banner.textContent(), /policy/);
  assert.ok(await page.locator('#comparison').isHidden());
  assert.equal(pinnedQuery(page), null, 'the address holds the run that plays');

  // In B: the default scenario opens instead, and the banner names run B and the key.
  await openPage(page, link(`preset=skype-2007&peers=5&compare=${encodeURIComponent(QUERY)}`), { refused: true });
  await banner.waitFor();
  assert.match(await banner.textContent(), /Run B \(the link's own keys\): .*peers/);
  assertClean(page);
  await page.close();
});
