// The file parsers the file fuzzer feeds, each as a target: how to make one
// spoiled input from a seed (mutated example data: bytes flipped, cut,
// spliced, lines repeated or swapped, numbers replaced by absurd ones) and
// what a correct answer looks like. A parser may refuse an input only with
// the error it documents; any other exception (TypeError, RangeError, ...)
// is a failure, and so is an answer that breaks the format's invariants
// (times out of order, columns of different lengths, non-finite times).
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Columns } from '../../src/servers/archive/columns.js';
import { newReport, parseRows, type RowFormat } from '../../src/servers/archive/text-rows.js';
import { parseDatFile } from '../../src/servers/weather/dat-file.js';
import { ApexWeatherSource } from '../../src/servers/apex-weather/source.js';
import { apexFileName, parseApexFileName } from '../../src/servers/apex-weather/file-names.js';
import { UcscRadiometerSource } from '../../src/servers/ucsc-radiometer/source.js';
import { dayOfYearToUnix, parsePwvFileName, pwvFileName } from '../../src/servers/ucsc-radiometer/file-names.js';
import { PWV_HEADER, pwvRow } from '../../src/servers/ucsc-radiometer/synthetic.js';
import { apexValue, seededRandom } from '../../src/servers/apex-weather/synthetic.js';
import { parseFeedEvent } from '../../src/servers/data-feed/ocs-message.js';
import { FeedStore } from '../../src/servers/data-feed/feed-store.js';
import { FeedSpool } from '../../src/servers/data-feed/spool.js';
import { readCpuTimes, readHwmon, readLoad, readMemory } from '../../src/servers/sensors/readings.js';
import { ConfigError, parseCrossbarConfig } from '../../src/router/crossbar-config.js';
import { parseRouterConfig } from '../../src/router/config-file.js';
import type { TimelineSamples } from '../../src/datanode/source.js';
import { G3Reader, HKArchiveScanner, HkSchemaError, frameSamples, interpretHkFrame, type G3Object } from '../../src/g3/index.js';
import { gzipSync } from 'node:zlib';
import { mutateBytes, splice } from './bytes.js';
import { describe } from './describe.js';
import { mutateJson, type Domain } from './json-mutate.js';
import type { Rng } from './random.js';

/** What one input did: nothing wrong, or why it is a failure. */
export type Verdict = { ok: true } | { ok: false; why: string };

export interface Target {
  name: string;
  /** relative share of the inputs (file-system targets are slower) */
  weight: number;
  run(rng: Rng, scratch: string): Promise<Verdict>;
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OK: Verdict = { ok: true };
const bad = (why: string): Verdict => ({ ok: false, why });

function unexpected(err: unknown): Verdict {
  const e = err as Error;
  return bad(`threw ${e?.name ?? typeof err}: ${e?.message ?? describe(err)}${e?.stack ? ` at ${e.stack.split('\n')[1]?.trim()}` : ''}`);
}

// --- text mutation, line-aware ---

const TOKENS = ['nan', 'NaN', '-nan', 'inf', '-inf', 'Infinity', '1e309', '-1e309', '1e-400', '0x1A', '0b1', '1_000', '١٢٣', '', '-0', '+5', '.5', '5.', '1.2.3', '--1', '9'.repeat(400), '0', '-1', '1e15', '4102444800', '-1499990400', '#', '\t', '\u0000', '\ufeff', 'é'];

/** One to three line-level mutations (or byte-level ones) of a text file. */
export function mutateText(rng: Rng, text: Buffer, other?: Buffer): { data: Buffer; note: string } {
  const op = rng.int(0, 10);
  if (op < 3) return mutateBytes(rng, text, 4);
  if (op === 3 && other) return splice(rng, text, other);
  const lines = text.toString('latin1').split('\n');
  const notes: string[] = [];
  for (let r = rng.int(1, 4); r > 0; r--) {
    const i = rng.int(0, lines.length);
    switch (rng.int(0, 8)) {
      case 0: {
        const parts = (lines[i] ?? '').split(/(\s+)/);
        const j = rng.int(0, Math.max(1, parts.length));
        parts[j] = rng.pick(TOKENS);
        lines[i] = parts.join('');
        notes.push(`line ${i + 1}: a token replaced`);
        break;
      }
      case 1:
        lines.splice(i, 0, ...Array.from({ length: rng.size(2000) }, () => lines[i] ?? ''));
        notes.push(`line ${i + 1} repeated`);
        break;
      case 2: {
        const j = rng.int(0, lines.length);
        [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
        notes.push(`lines ${i + 1} and ${j + 1} swapped`);
        break;
      }
      case 3:
        lines.splice(i, rng.size(50));
        notes.push(`lines from ${i + 1} deleted`);
        break;
      case 4:
        lines[i] = rng.pick(['', ' ', '#', '# x', '\r', 'x'.repeat(rng.size(1_000_000)), Array.from({ length: rng.size(5000) }, () => '1').join(' '), '1 2 3 4', '1500000000', ' 1500000000 1']);
        notes.push(`line ${i + 1} replaced`);
        break;
      case 5:
        lines.reverse();
        notes.push('lines reversed');
        break;
      case 6:
        lines[i] = (lines[i] ?? '').replace(/ /g, rng.pick(['\t', '  ', '\u00a0', ',', ';']));
        notes.push(`line ${i + 1}: separators changed`);
        break;
      default:
        lines.length = Math.max(0, lines.length - rng.size(lines.length + 1));
        notes.push('tail cut');
    }
  }
  const joined = lines.join(rng.chance(0.1) ? '\r\n' : '\n');
  return { data: Buffer.from(joined, 'latin1'), note: notes.join(', ') };
}

// --- invariants ---

function ascending(t: ArrayLike<number>, strict: boolean): string | null {
  for (let i = 0; i < t.length; i++) {
    if (!Number.isFinite(t[i]!)) return `time ${i} is ${t[i]}`;
    if (i > 0 && (strict ? t[i]! <= t[i - 1]! : t[i]! < t[i - 1]!)) return `times ${i - 1} and ${i} out of order (${t[i - 1]}, ${t[i]})`;
  }
  return null;
}

/** A node's get_data answer: ascending times within [start, end), every field as long as its timeline. */
function checkSamples(out: TimelineSamples[], start: number, end: number): string | null {
  for (const tl of out) {
    const order = ascending(tl.t, false);
    if (order) return `timeline ${tl.name}: ${order}`;
    if (tl.t.length > 0 && (tl.t[0]! < start || tl.t[tl.t.length - 1]! >= end)) return `timeline ${tl.name}: samples outside [${start}, ${end})`;
    for (const [f, v] of tl.fields) if (v.length !== tl.t.length) return `field ${f}: ${v.length} values for ${tl.t.length} times`;
  }
  return null;
}

// --- example data ---

const APEX_EXAMPLE = join(ROOT, 'data/apex-example');
let apexTexts: { name: string; data: Buffer }[] | undefined;
function apexExample(): { name: string; data: Buffer }[] {
  // the small files whole, the large ones cut to their first 20 kB (the parser does not care how long)
  apexTexts ??= readdirSync(APEX_EXAMPLE)
    .sort()
    .map((name) => ({ name, data: readFileSync(join(APEX_EXAMPLE, name)).subarray(0, 20_000) }));
  return apexTexts;
}

/** An APEX archive file's text (`unix_time value` rows). */
function apexArchiveText(rng: Rng, field: string, start: number, rows: number): Buffer {
  const rnd = seededRandom(rng.u32());
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) lines.push(`${start + i * 60} ${apexValue(field, start + i * 60, rnd).toFixed(2)}`);
  return Buffer.from(lines.join('\n') + '\n');
}

/** A UCSC radiometer day file (`header`, then `<fractional doy> <pwv>` rows). */
function pwvText(rng: Rng, doy: number, rows: number): Buffer {
  const lines = [PWV_HEADER];
  for (let i = 0; i < rows; i++) lines.push(pwvRow(doy + i * (60.48 / 86400), rng.chance(0.05) ? null : 0.5 + rng.next()));
  return Buffer.from(lines.join('\n') + '\n');
}

// --- the targets ---

const datFile: Target = {
  name: 'weather .dat file (data/apex-example)',
  weight: 10,
  async run(rng) {
    const files = apexExample();
    const a = rng.pick(files);
    const m = mutateText(rng, a.data, rng.pick(files).data);
    let out: ReturnType<typeof parseDatFile>;
    try {
      out = parseDatFile(m.data.toString('latin1'), a.name);
    } catch (err) {
      // the documented refusal: the three header lines are missing
      if (err instanceof Error && err.constructor === Error && err.message.startsWith(`${a.name}: expected three header lines`)) return OK;
      return unexpected(err);
    }
    const order = ascending(out.t, true);
    if (order) return bad(`${m.note}: ${order}`);
    if (out.v.length !== out.t.length) return bad(`${m.note}: ${out.v.length} values for ${out.t.length} times`);
    if (out.t.some((t) => t <= 0)) return bad(`${m.note}: a time <= 0 kept`);
    if (typeof out.timeline !== 'string' || out.timeline === '') return bad('no timeline name');
    if (out.skipped.some((s) => s.line < 4 || s.text.length > 81)) return bad(`skipped lines reported wrongly: ${describe(out.skipped.slice(0, 3))}`);
    return OK;
  },
};

/**
 * The archive row parser, whole and in pieces: a file read as it grows
 * (chunks ending anywhere, the unterminated last line provisional) must
 * give the same rows as the file read at once.
 */
const textRows: Target = {
  name: 'archive rows (APEX weather and UCSC radiometer text), whole vs growing',
  weight: 10,
  async run(rng) {
    const pwv = rng.chance(0.5);
    const base = pwv ? pwvText(rng, rng.int(1, 366), rng.int(1, 300)) : apexArchiveText(rng, 'temperature', 1_500_000_000, rng.int(1, 300));
    const m = mutateText(rng, base);
    const format: RowFormat = pwv ? { header: true, time: (x) => dayOfYearToUnix(2019, x) } : { header: false };
    let whole: Columns;
    let wholeReport: ReturnType<typeof newReport>;
    try {
      whole = new Columns();
      wholeReport = newReport();
      parseRows(m.data, whole, format, 1, wholeReport);
      const grown = new Columns();
      const report = newReport();
      let offset = 0;
      let line = 1;
      let provisional = 0;
      // the file as a reader sees it while it is written: ever longer prefixes
      for (let end = 0; end < m.data.length; ) {
        end = Math.min(m.data.length, end + rng.size(m.data.length + 1));
        grown.truncate(grown.length - provisional);
        const r = parseRows(m.data.subarray(offset, end), grown, format, line, report);
        offset += r.completeBytes;
        line += r.completeLines;
        provisional = r.provisionalRows;
      }
      for (const c of [whole, grown]) {
        const bad = [...c.t].findIndex((t) => !Number.isFinite(t)) >= 0 || [...c.v].findIndex((v) => !Number.isFinite(v)) >= 0;
        if (bad) return { ok: false, why: `${m.note}: a row that is not finite` };
      }
      if (grown.length !== whole.length || grown.t.some((t, i) => t !== whole.t[i]) || grown.v.some((v, i) => v !== whole.v[i])) {
        return bad(`${m.note}: read while growing gives ${grown.length} rows, read whole ${whole.length}`);
      }
      if (report.malformed !== wholeReport.malformed) return bad(`${m.note}: ${report.malformed} malformed lines while growing, ${wholeReport.malformed} whole`);
    } catch (err) {
      return unexpected(err);
    }
    return OK;
  },
};

const fileNames: Target = {
  name: 'archive file names (APEX, UCSC)',
  weight: 4,
  async run(rng) {
    const apexName = apexFileName(rng.pick(['APEX', 'a_b', '']), rng.pick(['temperature', 'humidity', '']), rng.int(0, 2e9), rng.int(0, 2e9));
    const pwvName = pwvFileName(rng.int(1900, 2100), rng.int(1, 367), rng.chance(0.5));
    const a = mutateBytes(rng, Buffer.from(apexName), 2).data.toString('latin1');
    const p = mutateBytes(rng, Buffer.from(pwvName), 2).data.toString('latin1');
    try {
      const k = parseApexFileName(a);
      if (k && (!Number.isFinite(k.start) || !Number.isFinite(k.end) || k.end < k.start || k.field === '')) return bad(`${describe(a)} read as ${describe(k)}`);
      const q = parsePwvFileName(p);
      if (q && (!Number.isInteger(q.year) || q.doy < 1 || q.doy > 366 || !Number.isFinite(q.dayStart))) return bad(`${describe(p)} read as ${describe(q)}`);
    } catch (err) {
      return unexpected(err);
    }
    return OK;
  },
};

/** A node over a folder of mutated files (and oddly named ones): it must answer every request. */
function archiveNode(kind: 'apex' | 'pwv'): Target {
  return {
    name: kind === 'apex' ? 'apex-weather node over mutated files' : 'ucsc-radiometer node over mutated files',
    weight: 1,
    async run(rng, scratch) {
      const dir = await mkdtemp(join(scratch, `${kind}-`));
      const start = 1_546_300_800; // 2019-01-01
      const notes: string[] = [];
      try {
        for (let d = 0; d < rng.int(1, 5); d++) {
          const dayStart = start + d * 86400;
          let name: string;
          let data: Buffer;
          if (kind === 'apex') {
            name = apexFileName('APEX', 'temperature', dayStart, dayStart + 86399);
            data = apexArchiveText(rng, 'temperature', dayStart, 200);
          } else {
            name = pwvFileName(2019, d + 1);
            data = pwvText(rng, d + 1, 200);
          }
          if (rng.chance(0.8)) {
            const m = mutateText(rng, data);
            data = m.data;
            notes.push(m.note);
          }
          if (rng.chance(0.1)) name = mutateBytes(rng, Buffer.from(name), 1).data.toString('latin1').replace(/[/\0]/g, '_');
          // names the file system cannot take for a file
          if (name === '' || name === '.' || name === '..') name = '_';
          name = name.slice(0, 200);
          await writeFile(join(dir, name), data);
        }
        // a folder named like an archive file
        if (rng.chance(0.2)) {
          await mkdir(join(dir, kind === 'apex' ? apexFileName('APEX', 'humidity', start, start + 86399) : pwvFileName(2019, 9))).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== 'EEXIST') throw err;
          });
        }
        const source = kind === 'apex' ? new ApexWeatherSource({ dataDir: dir, rescanInterval: 0 }) : new UcscRadiometerSource({ pwvDir: dir, rescanInterval: 0 });
        await source.start();
        try {
          for (let q = 0; q < 3; q++) {
            const a = start + rng.int(-86400, 6 * 86400);
            const b = rng.chance(0.1) ? a - rng.int(0, 1000) : a + rng.size(6 * 86400);
            source.getFields({ start: a, end: b });
            const out = await source.getData({ fields: rng.pick([['temperature'], ['pwv'], ['temperature', 'humidity', 'nope'], []]), start: a, end: b, minStride: null, maxPoints: null });
            const wrong = checkSamples(out, a, b);
            if (wrong) return bad(`${notes.join('; ')}: ${wrong}`);
          }
        } finally {
          source.close();
        }
      } catch (err) {
        return unexpected(err);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      return OK;
    },
  };
}

const OCS_DIR = join(ROOT, 'test/fixtures/ocs');
let ocsFixtures: { topic: string; args: unknown[] }[] | undefined;
const OCS_DOMAIN: Domain = {
  strings: ['temps', 'Channel 01', 'channel_00', 'observatory.fake-data1', 'observatory.LSA22YE', 'false_temperatures', 'temperatures', 'heartbeat', '', 'a.b', 'x'.repeat(10_000), 'T', 'ok'],
  numbers: [1_600_000_000, 1_600_000_000.5, 0, -1, 1e308, -1e308, 2 ** 53, 293.5, 1e-300, 1e20],
};

/** OCS feed messages, mutated: parse, store, answer. */
const ocsFeed: Target = {
  name: 'OCS feed messages (test/fixtures/ocs)',
  weight: 8,
  async run(rng) {
    ocsFixtures ??= readdirSync(OCS_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(OCS_DIR, f), 'utf8')) as { topic: string; publish_args: unknown[] })
      .map((x) => ({ topic: x.topic, args: x.publish_args }));
    const fx = rng.pick(ocsFixtures);
    const m = mutateJson(rng, fx.args, OCS_DOMAIN, 4);
    const args = Array.isArray(m.doc) ? m.doc : [m.doc];
    try {
      const event = parseFeedEvent(args);
      if (event.kind === 'data') {
        for (const b of event.blocks) {
          if (b.t.some((t) => !Number.isFinite(t))) return bad(`${m.note}: a block with a time that is not finite`);
          for (const [f, v] of Object.entries(b.data)) if (v.length !== b.t.length) return bad(`${m.note}: field ${f} has ${v.length} values for ${b.t.length} times`);
        }
      }
      const now = 1_600_000_100;
      const store = new FeedStore({ selector: { addressRoot: 'observatory', target: null, feed: null }, bufferTime: 3600, maxSamples: 10_000, now: () => now });
      store.ingest(args, fx.topic);
      store.ingest(args);
      const [fields] = store.getFields();
      const names = Object.keys(fields);
      const out = store.getData({ fields: names, start: 0, end: 2e9, minStride: null, maxPoints: null });
      const wrong = checkSamples(out, 0, 2e9);
      if (wrong) return bad(`${m.note}: ${wrong}`);
    } catch (err) {
      return unexpected(err);
    }
    return OK;
  },
};

/** A data-feed spool file, mutated: restored as far as it holds together, never fatal. */
const spool: Target = {
  name: 'data-feed spool file',
  weight: 1,
  async run(rng, scratch) {
    const dir = await mkdtemp(join(scratch, 'spool-'));
    const path = join(dir, 'feed.spool');
    const now = 1_600_000_000;
    const selector = { addressRoot: 'observatory', target: null, feed: null };
    try {
      const first = new FeedStore({ selector, bufferTime: 3600, maxSamples: 10_000, now: () => now, onStored: (meta, t, v) => writer.record(meta, t, v) });
      const writer = new FeedSpool({ path, maxBytes: 1 << 20, flushInterval: 3600 });
      await writer.open(first);
      for (let i = 0; i < rng.int(1, 20); i++) {
        first.ingest([[{ temps: { block_name: 'temps', timestamps: [now - 100 + i, now - 99 + i], data: { a: [i, i + 0.5], s: ['x', 'y'], b: [true, false] } } }, { agent_address: 'observatory.agent1', feed_name: 'feed1', record: true }]]);
      }
      await writer.close();
      const bytes = await readFile(path);
      await writeFile(path, mutateBytes(rng, bytes, 4).data);
      const second = new FeedStore({ selector, bufferTime: 3600, maxSamples: 10_000, now: () => now });
      const reader = new FeedSpool({ path, maxBytes: 1 << 20, flushInterval: 3600 });
      const report = await reader.open(second);
      await reader.close();
      if (report.records < 0 || report.tornBytes < 0 || report.tornBytes > bytes.length + 64 * 1024) return bad(`odd restore report ${describe(report)}`);
      const [fields] = second.getFields();
      const wrong = checkSamples(second.getData({ fields: Object.keys(fields), start: 0, end: 2e9, minStride: null, maxPoints: null }), 0, 2e9);
      if (wrong) return bad(wrong);
    } catch (err) {
      return unexpected(err);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return OK;
  },
};

/** The sensors node's kernel files (/proc, /sys/class/hwmon), with mutated contents. */
const sensors: Target = {
  name: 'sensors: /proc and /sys/class/hwmon files',
  weight: 1,
  async run(rng, scratch) {
    const root = await mkdtemp(join(scratch, 'sensors-'));
    try {
      const proc = join(root, 'proc');
      const chip = join(root, 'sys/class/hwmon/hwmon0');
      await mkdir(proc, { recursive: true });
      await mkdir(chip, { recursive: true });
      const text = (s: string): Buffer => (rng.chance(0.7) ? mutateText(rng, Buffer.from(s)).data : Buffer.from(s));
      await writeFile(join(proc, 'stat'), text('cpu  4705 356 584 3699 23 23 0 0 0 0\ncpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0\n'));
      await writeFile(join(proc, 'loadavg'), text('0.20 0.18 0.12 1/80 11206\n'));
      await writeFile(join(proc, 'meminfo'), text('MemTotal:       16314236 kB\nMemFree:         1234567 kB\nMemAvailable:   8765432 kB\nSwapTotal:       2097148 kB\nSwapFree:        2097148 kB\n'));
      await writeFile(join(chip, 'name'), text('coretemp\n'));
      await writeFile(join(chip, 'temp1_input'), text('45000\n'));
      await writeFile(join(chip, 'temp1_label'), text('Package id 0\n'));
      await writeFile(join(chip, 'fan1_input'), text('1200\n'));
      const readings = [...(await readHwmon(join(root, 'sys'))), ...(await readLoad(proc)), ...(await readMemory(proc))];
      for (const r of readings) if (typeof r.value !== 'number' || r.value === Infinity || r.value === -Infinity) return bad(`${r.field}: ${describe(r.value)}`);
      const cpu = await readCpuTimes(proc);
      if (cpu !== null && !(Number.isFinite(cpu.busy) && Number.isFinite(cpu.total))) return bad(`cpu times ${describe(cpu)}`);
    } catch (err) {
      return unexpected(err);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
    return OK;
  },
};

const CROSSBAR_DIR = join(ROOT, 'test/fixtures/crossbar');
let crossbarConfig: unknown;
const CONFIG_DOMAIN: Domain = {
  strings: ['router', 'container', 'websocket', 'web', 'caller', 'publisher', 'tcp', 'wampcra', 'ticket', 'anonymous', 'server_key.pem', 'server_cert.pem', 'missing.pem', '', '${WAMP_SECRET}', '${NOPE}', 'test_realm', 'observatory.', '*', 'prefix', 'wildcard', 'exact', 'json', 'msgpack', 'cbor', 'ubjson', '0.0.0.0', '::1'],
  numbers: [0, 8001, 65535, 65536, -1, 1.5, 1e9, 2 ** 53],
};
const OUR_CONFIG = {
  realms: [{ name: 'test_realm', roles: [{ name: 'anonymous', permissions: [{ uri: 'observatory.', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true }, disclose: { caller: false, publisher: false } }] }] }],
  listeners: [
    { name: 'open', host: '127.0.0.1', port: 8001, paths: { ws: { type: 'websocket', subprotocols: ['wamp.2.json'], auth: { anonymous: { role: 'anonymous' }, wampcra: { users: { server: { secret: '${WAMP_SECRET}', role: 'anonymous' } } } }, options: { autoPingInterval: 10000 } }, call: { type: 'caller', realm: 'test_realm', role: 'anonymous' } } },
    { name: 'tls', host: '127.0.0.1', port: 8080, tls: { key: 'server_key.pem', cert: 'server_cert.pem' }, paths: { ws: { type: 'websocket' } } },
  ],
  limits: { maxMessageSize: 1048576 },
};

/** Router configuration files (crossbar's config.json, and ours): a ConfigError or a configuration, nothing else. */
const routerConfig: Target = {
  name: "router configuration files (crossbar's and ours)",
  weight: 4,
  async run(rng) {
    crossbarConfig ??= JSON.parse(readFileSync(join(CROSSBAR_DIR, 'config.json'), 'utf8'));
    const crossbar = rng.chance(0.6);
    const m = mutateJson(rng, crossbar ? crossbarConfig : OUR_CONFIG, CONFIG_DOMAIN, 3);
    const env = { WAMP_SECRET: 'secret', SISOCK_CONSUMER_SECRET: 'secret2' };
    try {
      const loaded = crossbar ? parseCrossbarConfig(m.doc, CROSSBAR_DIR, env) : parseRouterConfig(m.doc, CROSSBAR_DIR, env);
      if (!Array.isArray(loaded.config.realms) || !Array.isArray(loaded.config.listeners)) return bad(`${m.note}: a configuration without realms or listeners lists`);
    } catch (err) {
      if (err instanceof ConfigError && err.message.length > 0) return OK;
      return bad(`${m.note}: ${unexpected(err).ok ? '' : (unexpected(err) as { why: string }).why}`);
    }
    return OK;
  },
};

// --- .g3 ---

const G3_REFERENCE = join(ROOT, 'test/fixtures/g3/reference');
const G3_COMPRESSED = join(ROOT, 'test/fixtures/g3/compressed');
let g3Files: { name: string; data: Buffer }[] | undefined;
/** The reference files (the largest cut to its first 60 kB: what matters is the frame structure, not the length). */
function g3Reference(): { name: string; data: Buffer }[] {
  g3Files ??= readdirSync(G3_REFERENCE, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d+$/.test(d.name))
    .flatMap((d) => readdirSync(join(G3_REFERENCE, d.name)).filter((f) => f.endsWith('.g3')).map((f) => join(d.name, f)))
    .sort()
    .map((name) => ({ name, data: readFileSync(join(G3_REFERENCE, name)).subarray(0, 60_000) }));
  return g3Files;
}

/** A .g3 file flipped, cut, spliced with another, or with bytes inserted; sometimes gzip-compressed (before or after the damage), or the bzip2 reference damaged. */
function mutatedG3(rng: Rng): { name: string; data: Buffer; note: string } {
  const files = g3Reference();
  const a = rng.pick(files);
  if (rng.chance(0.05)) {
    const bz = readFileSync(join(G3_COMPRESSED, '1649997600.g3.bz2'));
    const m = mutateBytes(rng, bz, 3);
    return { name: 'damaged.g3.bz2', data: m.data, note: `bzip2: ${m.note}` };
  }
  const m = rng.chance(0.2) ? splice(rng, a.data, rng.pick(files).data) : mutateBytes(rng, a.data, 4);
  if (rng.chance(0.1)) {
    // compressed after the damage: the stream decompresses, the frames are damaged; or the other way round
    const gz = gzipSync(rng.chance(0.5) ? m.data : a.data);
    return rng.chance(0.5) ? { name: 'damaged.g3.gz', data: gz, note: `${a.name}, gzip of: ${m.note}` } : { name: 'damaged.g3.gz', data: mutateBytes(rng, gz, 2).data, note: `${a.name}, gzip damaged` };
  }
  return { name: 'damaged.g3', data: m.data, note: `${a.name}: ${m.note}` };
}

function touch(o: G3Object | null | undefined): void {
  if (!o) return;
  if (o.class === 'G3VectorFrameObject') o.value.forEach(touch);
  else if (o.class === 'G3MapFrameObject') o.value.forEach(touch);
  else if (o.class === 'G3TimesampleMap') o.fields.forEach(touch);
}

/** A damaged .g3 file read as a stream: every frame, every object decoded, HK frames interpreted. */
const g3Stream: Target = {
  name: '.g3 files read as a stream (reference files damaged)',
  weight: 3,
  async run(rng, scratch) {
    const m = mutatedG3(rng);
    const dir = await mkdtemp(join(scratch, 'g3-'));
    const path = join(dir, m.name);
    try {
      await writeFile(path, m.data);
      const reader = await G3Reader.open(path);
      for await (const frame of reader) {
        for (const k of frame.keys()) touch(frame.get(k));
        if (!frame.crcOk) continue;
        try {
          if (interpretHkFrame(frame)?.kind === 'data') frameSamples(frame);
        } catch (err) {
          // the documented refusal of a frame that is not valid HK
          if (!(err instanceof HkSchemaError)) throw err;
        }
      }
      const s = reader.summary();
      if (!['complete', 'truncated', 'corrupt'].includes(s.status)) return bad(`${m.note}: summary status ${describe(s.status)}`);
    } catch (err) {
      return { ok: false, why: `${m.note}: ${(unexpected(err) as { why: string }).why}` };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return OK;
  },
};

/** A damaged file scanned into an archive and queried; and a good file scanned, then damaged on disk before the query (a stale index). */
const g3Archive: Target = {
  name: '.g3 archive: scan and query damaged files, and files damaged after their scan',
  weight: 3,
  async run(rng, scratch) {
    const dir = await mkdtemp(join(scratch, 'g3a-'));
    const stale = rng.chance(0.4);
    const m = mutatedG3(rng);
    const good = rng.pick(g3Reference());
    const name = m.name.endsWith('.g3') || stale ? 'f.g3' : m.name;
    const path = join(dir, name);
    try {
      await writeFile(path, stale ? good.data : m.data);
      const scanner = new HKArchiveScanner();
      await scanner.processFile(path, { name });
      if (stale && m.name.endsWith('.g3')) await writeFile(path, m.data);
      const archive = scanner.finalize({ resolve: (n) => join(dir, n) });
      const { fields } = archive.getFields();
      const names = [...fields.keys()];
      const wanted = rng.chance(0.5) ? names : names.filter(() => rng.chance(0.3));
      const start = rng.chance(0.5) ? null : 1.4e9 + rng.next() * 3e8;
      const result = await archive.getData({ fields: wanted, start, end: start === null ? null : start + rng.size(1e7) });
      for (const [tname, tl] of result.timelines) {
        if ([...tl.t].some((t) => !Number.isFinite(t))) return bad(`${m.note}: timeline ${tname} has a time that is not finite`);
        for (const f of tl.fields) {
          const col = result.data.get(f);
          if (col && col.values.length !== tl.t.length) return bad(`${m.note}: field ${f} has ${col.values.length} values for ${tl.t.length} times`);
        }
      }
    } catch (err) {
      return { ok: false, why: `${stale ? 'stale index; ' : ''}${m.note}: ${(unexpected(err) as { why: string }).why}` };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return OK;
  },
};

export const TARGETS: readonly Target[] = [datFile, textRows, fileNames, archiveNode('apex'), archiveNode('pwv'), ocsFeed, spool, sensors, routerConfig, g3Stream, g3Archive];

/** Temporary folder for the file-system targets. */
export function makeScratch(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sisock-fuzz-'));
}
