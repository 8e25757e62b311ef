// The web monitor end to end, as a new user meets it: `sisock up` (router,
// hub, weather, sensors, a simulated OCS agent and the data-feed node, the
// HTTP bridge serving the monitor) on ephemeral ports, and a real headless
// Chromium. What is drawn is checked against what the REST API returns for
// the same request. Screenshots go to artifacts/monitor/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { SISOCK_BIN, spawnSisock, waitFor, type SisockProcess } from '../helpers/sisock.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';

interface Up {
  child: ChildProcess;
  out(): string;
  /** the monitor's URL with the first view `sisock up` offers */
  startUrl: string;
  /** http://127.0.0.1:PORT/monitor/ */
  monitor: string;
  /** http://127.0.0.1:PORT/api/v1/ */
  api: string;
  routerUrl: string;
  stateDir: string;
  exited: Promise<number | null>;
}

async function startUp(dir: string): Promise<Up> {
  const stateDir = join(dir, 'state');
  const child = spawn(process.execPath, [SISOCK_BIN, 'up', '--no-tls', '--tls-port', '0', '--ocs-port', '0', '--state-dir', stateDir], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    // PORT 0: the bridge takes a free port and says which; sensors read often so live shows soon
    env: { ...process.env, PORT: '0', LOGLEVEL: 'warn', SENSORS_INTERVAL: '0.5' },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const startUrl = await waitFor(
    'sisock up to print the monitor URL',
    () => {
      if (child.exitCode !== null) throw new Error(`sisock up exited: ${out}\n${err}`);
      return /open the web monitor: (\S+)/.exec(out)?.[1];
    },
    90_000,
  );
  const monitor = startUrl.replace(/\?.*$/, '');
  const routerUrl = /sisock up:\s+router\s+(ws:\/\/\S+)/.exec(out)?.[1];
  assert.ok(routerUrl, `sisock up says where the router listens:\n${out}`);
  return { child, out: () => out, startUrl, monitor, api: new URL('../api/v1/', monitor).href, routerUrl, stateDir, exited };
}

/** The pid of a child of `parent` whose command line contains every word of `words`. */
function childPid(parent: number, words: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (words.every((w) => args.includes(w))) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

interface RestSeries {
  id: string;
  units: string | null;
  t: number[];
  v: unknown[];
}

async function restData(api: string, fields: string[], fromMs: number, toMs: number, points: number): Promise<RestSeries[]> {
  const url = new URL('data', api);
  url.searchParams.set('fields', fields.join(','));
  url.searchParams.set('from', String(fromMs / 1000));
  url.searchParams.set('to', String(toMs / 1000));
  url.searchParams.set('points', String(points));
  const res = await fetch(url);
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { series: RestSeries[] }).series;
}

async function attr(page: Page, selector: string, name: string): Promise<string> {
  const value = await page.locator(selector).first().getAttribute(name);
  assert.notEqual(value, null, `${selector} has ${name}`);
  return value as string;
}

async function points(page: Page, field: string, plot = '.plot'): Promise<number> {
  return Number(await attr(page, `${plot} .chip[data-field="${field}"]`, 'data-points'));
}

/** Waits until the plot has loaded (not busy) with the given window start, or any when not given. */
async function settled(page: Page, plot: string, notFrom?: string): Promise<void> {
  await waitFor(`${plot} to settle`, async () => {
    const el = page.locator(plot).first();
    const state = await el.getAttribute('data-state');
    const busy = ((await el.getAttribute('class')) ?? '').split(' ').includes('busy');
    const from = await el.getAttribute('data-from');
    return state === 'ready' && !busy && (notFrom === undefined || from !== notFrom);
  }, 30_000);
}

/** Every drawn count equals the REST API's answer to the request the plot made. */
async function assertMatchesRest(page: Page, up: Up, plot: string, fields: string[]): Promise<RestSeries[]> {
  const fromMs = Number(await attr(page, plot, 'data-from'));
  const toMs = Number(await attr(page, plot, 'data-to'));
  const requested = Number(await attr(page, plot, 'data-request-points'));
  const series = await restData(up.api, fields, fromMs, toMs, requested);
  const union = new Set<number>();
  for (const s of series) {
    const expected = s.v.filter((x) => x !== null).length;
    assert.ok(expected > 0, `${s.id} has data in the range`);
    assert.equal(await points(page, s.id, plot), expected, `${s.id}: points drawn = points the REST API returns`);
    for (const t of s.t) union.add(t);
  }
  assert.equal(Number(await attr(page, plot, 'data-x-count')), union.size, 'one x per distinct sample time');
  return series;
}

const TEMPERATURE = 'apex_archive::apex_temperature';
const HUMIDITY = 'apex_archive::apex_humidity';
const WINDSPEED = 'apex_archive::apex_windspeed';
const FEED = 'ocs_feeds::fake-data1.false_temperatures.channel_00';
const LOAD = 'sensors::cpu_load_1';

test('the web monitor shows sisock up\'s data live in a real browser', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-monitor-'));
  let up: Up | null = null;
  let browser: TestBrowser | null = null;
  const started: SisockProcess[] = [];
  try {
    up = await startUp(dir);
    const u = up;
    browser = await launchBrowser();
    const b = browser;
    let sharedUrl = '';

    await t.test('the node list appears, with fields, descriptions, units and timelines; search finds fields of every node', async () => {
      const page = await b.page();
      await page.goto(u.monitor);
      for (const node of ['apex_archive', 'sensors', 'ocs_feeds']) {
        await page.locator(`.node[data-node="${node}"][data-state="online"]`).waitFor({ timeout: 30_000 });
      }
      assert.deepEqual(await page.locator('.node').evaluateAll((els) => els.map((e) => e.getAttribute('data-node'))), ['apex_archive', 'ocs_feeds', 'sensors']);
      assert.equal(await attr(page, '.pill', 'data-state'), 'ok');
      // a small system opens every node at first sight
      const temperature = page.locator(`.node[data-node="apex_archive"] li.field[data-field="${TEMPERATURE}"]`);
      await temperature.waitFor();
      assert.match((await temperature.textContent()) ?? '', /apex_temperature\s*C\s*APEX weather station temperature\./);
      const timelines = await page.locator('.node[data-node="apex_archive"] .timeline-head').allTextContents();
      assert.deepEqual(timelines, ['hourlyevery 1 h', 'minutelyevery 1 min']);

      await page.locator('input.search').fill('wind');
      await page.locator('.results li.field').first().waitFor();
      assert.deepEqual(await page.locator('.results li.field').evaluateAll((els) => els.map((e) => e.getAttribute('data-field'))), [WINDSPEED]);
      await page.locator('input.search').fill('channel_00');
      await waitFor('feed fields in the search', async () => (await page.locator('.results li.field').count()) > 0);
      for (const id of await page.locator('.results li.field').evaluateAll((els) => els.map((e) => e.getAttribute('data-field')))) {
        assert.match(id ?? '', /^ocs_feeds::fake-data1\..*channel_00/);
      }
      await b.screenshot(page, 'node-list');
      await page.close();
    });

    await t.test('choosing fields draws them with as many points as the REST API returns, one axis per unit, values under the cursor', async () => {
      const page = await b.page();
      await page.goto(u.monitor);
      await page.locator(`li.field[data-field="${TEMPERATURE}"]`).waitFor({ timeout: 30_000 });
      // an absolute range: the example archive is July 2017
      await page.locator('input[name="from"]').fill('2017-07-14T00:00');
      await page.locator('input[name="to"]').fill('2017-07-21T00:00');
      await page.locator('form.custom button[type="submit"]').click();
      await waitFor('the range in the URL', () => page.url().includes('from=2017-07-14T00:00:00Z&to=2017-07-21T00:00:00Z'));
      for (const id of [TEMPERATURE, HUMIDITY, WINDSPEED]) await page.locator(`.node[data-node="apex_archive"] li.field[data-field="${id}"] .field-add`).click();
      await settled(page, '.plot');
      await waitFor('three chips', async () => (await page.locator('.plot .chip').count()) === 3);
      await settled(page, '.plot');
      const series = await assertMatchesRest(page, u, '.plot', [TEMPERATURE, HUMIDITY, WINDSPEED]);
      // windspeed is minutely: a week is more than the plot's width, so it came downsampled
      const windspeed = series.find((s) => s.id === WINDSPEED) as RestSeries;
      assert.ok(windspeed.t.length < 7 * 24 * 60 && windspeed.t.length > 100, `windspeed downsampled: ${windspeed.t.length}`);
      assert.ok(page.url().includes(`plot=${TEMPERATURE},${HUMIDITY},${WINDSPEED}`), page.url());

      // values under the cursor, with units
      const over = page.locator('.plot .u-over').first();
      const box = await over.boundingBox();
      assert.ok(box);
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
      await waitFor('legend values', async () => /\d C$/.test(((await page.locator('.plot .u-legend .u-series').nth(1).locator('.u-value').textContent()) ?? '').trim()));
      const legend = (await page.locator('.plot .u-legend .u-series .u-value').allTextContents()).map((s) => s.trim());
      assert.match(legend[1] ?? '', /^-?[\d.]+ C$/);
      assert.match(legend[2] ?? '', /^[\d.]+ %$/);
      assert.match(legend[3] ?? '', /^[\d.]+ km\/h$/);
      await b.screenshot(page, 'archive-week');

      // drag to zoom: the plot fetches finer data for the zoomed range
      const fromBefore = await attr(page, '.plot', 'data-from');
      await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.5, { steps: 5 });
      await page.mouse.up();
      await settled(page, '.plot', fromBefore);
      const zoomed = await assertMatchesRest(page, u, '.plot', [TEMPERATURE, HUMIDITY, WINDSPEED]);
      const span = Number(await attr(page, '.plot', 'data-to')) - Number(await attr(page, '.plot', 'data-from'));
      assert.ok(span < 7 * 86_400_000 * 0.1, `zoomed to about a twentieth: ${span} ms`);
      // finer: a twentieth of the week has more windspeed samples per hour than the week had
      const zw = zoomed.find((s) => s.id === WINDSPEED) as RestSeries;
      assert.ok(zw.t.length / span > windspeed.t.length / (7 * 86_400_000), 'finer data after zoom');
      // shift-drag pans: dragging a tenth of the width to the left shows a tenth of the span later
      const fromZoomed = await attr(page, '.plot', 'data-from');
      await page.keyboard.down('Shift');
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5, { steps: 5 });
      await page.mouse.up();
      await page.keyboard.up('Shift');
      await settled(page, '.plot', fromZoomed);
      const moved = Number(await attr(page, '.plot', 'data-from')) - Number(fromZoomed);
      const plotWidth = Number(await page.locator('.plot .u-over').first().evaluate((el) => el.clientWidth));
      assert.ok(Math.abs(moved - (span * (box.width * 0.1)) / plotWidth) < span * 0.01, `panned by ${moved} ms of ${span}`);
      await assertMatchesRest(page, u, '.plot', [TEMPERATURE, HUMIDITY, WINDSPEED]);
      // double-click goes back to the zoomed window; then the buttons pan, and Back twice returns to the week
      await page.mouse.dblclick(box.x + box.width * 0.5, box.y + box.height * 0.5);
      await waitFor('back to the zoomed window', async () => (await attr(page, '.plot', 'data-from')) === fromZoomed);
      await settled(page, '.plot');
      await page.locator('.nav button[title^="Earlier"]').click();
      await settled(page, '.plot', fromZoomed);
      assert.equal(Number(await attr(page, '.plot', 'data-from')), Number(fromZoomed) + Math.round(-span / 2));
      await page.locator('.nav button', { hasText: 'Back' }).click();
      await settled(page, '.plot');
      await page.locator('.nav button', { hasText: 'Back' }).click();
      await waitFor('back to the week', async () => (await attr(page, '.plot', 'data-from')) === fromBefore);
      await settled(page, '.plot');

      // CSV of the shown data: one row per drawn point
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.plot button', { hasText: /^CSV$/ }).click()]);
      const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
      assert.equal(csv[0], 'time,unix_time,field,value');
      const drawn = (await points(page, TEMPERATURE)) + (await points(page, HUMIDITY)) + (await points(page, WINDSPEED));
      assert.equal(csv.slice(1).filter((row) => !row.endsWith(',')).length, drawn);
      sharedUrl = page.url();
      await page.close();
    });

    await t.test('a URL with state restores the view', async () => {
      assert.ok(sharedUrl.includes('plot='));
      const page = await b.page();
      await page.goto(sharedUrl);
      await settled(page, '.plot');
      assert.deepEqual(await page.locator('.plot .chip').evaluateAll((els) => els.map((e) => e.getAttribute('data-field'))), [TEMPERATURE, HUMIDITY, WINDSPEED]);
      assert.equal(await attr(page, '.plot', 'data-from'), String(Date.UTC(2017, 6, 14)));
      assert.equal(await attr(page, '.plot', 'data-to'), String(Date.UTC(2017, 6, 21)));
      assert.equal(await page.locator('.live').getAttribute('aria-pressed'), 'false');
      await assertMatchesRest(page, u, '.plot', [TEMPERATURE, HUMIDITY, WINDSPEED]);
      await page.close();
    });

    await t.test('a bridge that wants credentials: the page asks for them, refuses wrong ones, then works', async () => {
      const consumerSecret = readFileSync(join(u.stateDir, 'secrets', 'consumer'), 'utf8').trim();
      const bridge = await spawnSisock(['http', '--port', '0', '--token', 'sesame'], {
        env: { SISOCK_URL: u.routerUrl, SISOCK_REALM: 'test_realm', WAMP_USER: 'simonsobs', WAMP_SECRET: consumerSecret, LOGLEVEL: 'warn' },
        timeout: 30_000,
      });
      started.push(bridge);
      const monitor = /web monitor at (\S+)/.exec(bridge.ready)?.[1];
      assert.ok(monitor, bridge.ready);
      const page = await b.page();
      await page.goto(`${monitor}?plot=${TEMPERATURE}&from=2017-07-14T00:00:00Z&to=2017-07-15T00:00:00Z`);
      await page.locator('form.sign-in').waitFor({ timeout: 30_000 });
      await page.locator('form.sign-in input[name="token"]').fill('open sesame');
      await page.locator('form.sign-in button[type="submit"]').click();
      await page.locator('form.sign-in .error-text:not([hidden])').waitFor({ timeout: 30_000 });
      await page.locator('form.sign-in input[name="token"]').fill('sesame');
      await page.locator('form.sign-in button[type="submit"]').click();
      await page.locator('.node[data-node="apex_archive"][data-state="online"]').waitFor({ timeout: 30_000 });
      await settled(page, '.plot');
      assert.equal(await points(page, TEMPERATURE), 24);
      await page.locator('.pill[data-state="ok"]').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('form.sign-in').count(), 0);
      await page.close();
      await bridge.stop();
    });

    await t.test('no data in range says so, and finds the newest data', async () => {
      const page = await b.page();
      await page.goto(`${u.monitor}?plot=${TEMPERATURE}&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`);
      await page.locator('.plot[data-state="no-data"]').waitFor({ timeout: 30_000 });
      assert.match((await page.locator('.plot .overlay').textContent()) ?? '', /No data in this range/);
      await page.locator('.plot .overlay button', { hasText: 'Show the newest data' }).click();
      await settled(page, '.plot');
      const to = Number(await attr(page, '.plot', 'data-to'));
      // the example archive ends in late July 2017
      assert.ok(to > Date.UTC(2017, 6, 25) && to < Date.UTC(2017, 7, 2), new Date(to).toISOString());
      assert.ok((await points(page, TEMPERATURE)) > 0);
      await page.close();
    });

    await t.test('the start view is live: points are added as samples arrive, without reloading; a node that goes away is marked and comes back', async () => {
      const page = await b.page();
      let dataRequests = 0;
      page.on('request', (r) => {
        if (r.url().includes('/api/v1/data')) dataRequests++;
      });
      await page.goto(`${u.monitor}?plot=${FEED}&plot=${LOAD}&last=5m&live=1`);
      await settled(page, '.plot:nth-child(1)');
      await settled(page, '.plot:nth-child(2)');
      const requestsAfterLoad = dataRequests;
      const before = await points(page, FEED);
      await waitFor('live points', async () => (await points(page, FEED)) >= before + 10, 30_000);
      await waitFor('live sensor points', async () => (await points(page, LOAD, '.plot:nth-child(2)')) > 0, 30_000);
      assert.equal(dataRequests, requestsAfterLoad, 'live mode appends; it does not fetch again');

      // the sensors node stops (SIGTERM: a clean exit, which sisock up does not restart)
      const pid = childPid(u.child.pid as number, ['node', 'sensors']);
      assert.ok(pid, 'the sensors node runs under sisock up');
      process.kill(pid, 'SIGTERM');
      await page.locator('.node[data-node="sensors"][data-state="gone"]').waitFor({ timeout: 30_000 });
      await page.locator(`.chip.gone[data-field="${LOAD}"]`).waitFor();
      await page.locator('.notice.gone[data-node="sensors"]').waitFor();
      assert.match((await page.locator('.log').textContent()) ?? '', /sensors is gone/);
      // the other plot stays live
      const feedWhileGone = await points(page, FEED);
      await waitFor('live points while sensors is gone', async () => (await points(page, FEED)) > feedWhileGone, 30_000);
      await b.screenshot(page, 'node-gone');

      // started again, it comes back, and its plot goes on
      const secret = readFileSync(join(u.stateDir, 'secrets', 'server'), 'utf8').trim();
      const sensors = await spawnSisock(['node', 'sensors'], {
        env: { SISOCK_URL: u.routerUrl, SISOCK_REALM: 'test_realm', WAMP_USER: 'server', WAMP_SECRET: secret, SENSORS_INTERVAL: '0.5', LOGLEVEL: 'warn' },
        timeout: 30_000,
      });
      started.push(sensors);
      await page.locator('.node[data-node="sensors"][data-state="online"]').waitFor({ timeout: 30_000 });
      await waitFor('the chip no longer gone', async () => (await page.locator(`.chip.gone[data-field="${LOAD}"]`).count()) === 0);
      assert.match((await page.locator('.log').textContent()) ?? '', /sensors is back/);
      await settled(page, '.plot:nth-child(2)');
      const loadBack = await points(page, LOAD, '.plot:nth-child(2)');
      await waitFor('live sensor points after the return', async () => (await points(page, LOAD, '.plot:nth-child(2)')) > loadBack, 30_000);
      await page.close();
    });

    await t.test('the start view of sisock up draws live plots of every part', async () => {
      const page = await b.page();
      await page.goto(u.startUrl);
      const plots = page.locator('.plot');
      await waitFor('two plots', async () => (await plots.count()) === 2);
      for (let i = 1; i <= 2; i++) await settled(page, `.plot:nth-child(${i})`);
      for (const chip of await page.locator('.plot .chip').evaluateAll((els) => els.map((e) => [e.getAttribute('data-field'), Number(e.getAttribute('data-points'))] as const))) {
        assert.ok(chip[1] > 0, `${chip[0]} drawn`);
      }
      await page.waitForTimeout(1500);
      await b.screenshot(page, 'start-view');

      // the bridge goes away: the page says it is not connected
      const http = childPid(u.child.pid as number, ['http']);
      assert.ok(http, 'the bridge runs under sisock up');
      process.kill(http, 'SIGKILL');
      await page.locator('.pill[data-state="down"]').waitFor({ timeout: 30_000 });
      assert.match((await page.locator('.banner').textContent()) ?? '', /Not connected to the sisock HTTP bridge/);
      await b.screenshot(page, 'not-connected');
      await page.close();
    });

    assert.deepEqual(b.errors, [], 'no errors in the page');
  } finally {
    await browser?.close();
    for (const p of started) await p.stop();
    if (up) {
      up.child.kill('SIGINT');
      const timer = setTimeout(() => up?.child.kill('SIGKILL'), 15_000);
      await up.exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
