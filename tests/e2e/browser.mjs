// Shared helpers for the end-to-end tests: a headless Chromium with a fresh
// profile, a page that records console errors and requests to other
// origins, and small readers of what a visitor sees.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.join(HERE, 'artifacts');

export const BASE = (() => {
  const url = process.env.PATCHSTORM_URL;
  if (!url) {
    throw new Error('PATCHSTORM_URL is not set: run `cargo xtask test --only e2e`, or serve the site and set it to its base URL');
  }
  return url.endsWith('/') ? url : `${url}/`;
})();

/** The path of a fixture the native tests pin too (crate/tests/fixtures/NAME). */
export function fixturePath(name) {
  return path.join(HERE, '../../crate/tests/fixtures', name);
}

/** A JSON fixture the native tests pin too, read. */
export async function fixture(name) {
  return JSON.parse(await fs.readFile(fixturePath(name), 'utf8'));
}

/** Six hours with the trigger two hours in: a short run in which the wave still hits. */
export const SHORT = 'preset=skype-2007&peers=20000&hours=6&trigger=2007-08-15T02:00Z&restart_rate=5';

/** A small, fast scenario for most tests; `extra` adds keys. */
export function link(query) {
  return `${BASE}?${query}`;
}

/**
 * Starts Chromium with a fresh user-data dir. Returns {context, close}; the
 * context accepts downloads and may read the clipboard.
 */
export async function launch() {
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'patchstorm-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(BASE).origin });
  return {
    context,
    async close() {
      await context.close();
      await fs.rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A new page that records problems: console errors, uncaught exceptions and
 * requests that leave the site's origin.
 */
export async function watchedPage(context) {
  const page = await context.newPage();
  const origin = new URL(BASE).origin;
  const problems = { console: [], page: [], foreign: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') problems.console.push(m.text());
  });
  page.on('pageerror', (e) => problems.page.push(e.message));
  page.on('request', (r) => {
    const url = r.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    if (new URL(url).origin !== origin) problems.foreign.push(url);
  });
  page.problems = problems;
  return page;
}

/** No console errors, no uncaught exceptions, nothing fetched from elsewhere. */
export function assertClean(page) {
  assert.deepEqual(page.problems.foreign, [], 'requests to other origins');
  assert.deepEqual(page.problems.page, [], 'uncaught exceptions');
  assert.deepEqual(page.problems.console, [], 'console errors');
}

/**
 * Opens a URL and waits until the simulation is built and drawn. Unless the
 * test expects a refused link, the link must have been taken as it is.
 */
export async function openPage(page, url, { refused = false } = {}) {
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.state === 'stopped', null, { timeout: 30_000 });
  if ((await page.evaluate(() => document.body.dataset.state)) === 'stopped') {
    const why = await page.locator('.banner[data-id="stopped"]').textContent();
    assert.fail(`the page's simulation stopped while loading ${url}: ${why}`);
  }
  if (!refused) {
    const message = await page.locator('.banner[data-id="link"]').allTextContents();
    assert.deepEqual(message, [], `the link ${url} was refused`);
  }
}

export async function screenshot(page, name) {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** What Chromium's accessibility tree gives a screen reader as the element's description. */
export async function accessibleDescription(page, selector) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    assert.ok(nodeId, `no element ${selector}`);
    const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { nodeId, fetchRelatives: false });
    return nodes[0]?.description?.value ?? '';
  } finally {
    await cdp.detach();
  }
}

/** Simulated hours so far, read from the progress line ("t = 12.34 h of 48 h"). */
export async function simHours(page) {
  const text = await page.locator('#progress').textContent();
  const m = /t = ([\d,.]+) h of/.exec(text);
  assert.ok(m, `progress line has the simulated time: ${text}`);
  return Number(m[1].replace(/,/g, ''));
}

/**
 * The fingerprint of a link run straight, in one call, by the page's own
 * module on its main thread: `query` (the page's link by default) to
 * `untilMs` (simulated ms; the run's end by default).
 */
export function straightDigest(page, { query = new URL(page.url()).search.slice(1), untilMs = null } = {}) {
  return page.evaluate(async ([q, until]) => {
    const wasm = await import('./pkg/patchstorm.js');
    const p = new wasm.Playground(q);
    p.runUntil(until ?? p.endMs());
    const digest = p.digest();
    p.free();
    return digest;
  }, [query, untilMs]);
}

export async function fingerprint(page) {
  return (await page.locator('#fingerprint').textContent()).trim();
}

/** The network canvas as a data URL: equal strings mean equal pixels. */
export async function canvasPixels(page, selector = '#network') {
  return page.locator(selector).evaluate((c) => c.toDataURL('image/png'));
}

/** Picks a speed and plays until the run is over. */
export async function runToEnd(page, speed = '32') {
  await page.getByLabel('Speed (simulated hours per second)').selectOption(speed);
  await page.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 60_000 });
}
