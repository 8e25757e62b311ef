// Benchmark of the apex_weather node over a year of minutely archive files
// (7 fields x 365 daily files, generated here), answering get_data through
// the DataNodeServer library's reply building (downsampling included):
// cold cache (a fresh node), warm cache (the same request again), against a
// baseline measured in the same run: the original server's way, which
// listed the directory and parsed every file of the range on each request.
// The files sit in the OS page cache in both cases, so "cold" means the
// node's cache is empty, not the disk's. Last, the same requests through a
// router in this process (JSON) against the in-process answer.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApexWeatherSource } from '../../src/servers/apex-weather/source.js';
import { APEX_FIELDS } from '../../src/servers/apex-weather/fields.js';
import { writeSyntheticApexArchive } from '../../src/servers/apex-weather/synthetic.js';
import { randomBytes } from 'node:crypto';
import { buildDataReply } from '../../src/datanode/reply.js';
import type { DataRequest, TimelineSamples } from '../../src/datanode/source.js';
import { DataNodeServer } from '../../src/datanode/server.js';
import { WampClient } from '../../src/client/client.js';
import { Router } from '../../src/router/index.js';
import { defaultRouterConfig } from '../../src/cli/router-defaults.js';
import { dataNodeProcedures } from '../../src/protocol/uris.js';

const YEAR_START = Date.UTC(2019, 0, 1) / 1000;
const DAY = 86400;

interface Case {
  name: string;
  request: DataRequest;
}

function cases(): Case[] {
  const fields = Object.keys(APEX_FIELDS);
  const req = (start: number, end: number, fs: string[], points: number): DataRequest => ({
    fields: fs,
    start,
    end,
    minStride: (end - start) / points,
    maxPoints: null,
  });
  const mid = YEAR_START + 180 * DAY + 3600 * 7; // starts mid-file
  return [
    { name: 'year, 7 fields, ~1000 points each', request: req(YEAR_START, YEAR_START + 365 * DAY, fields, 1000) },
    { name: 'month, 7 fields, ~1000 points each', request: req(mid, mid + 30 * DAY, fields, 1000) },
    { name: 'day, 7 fields, raw', request: { fields, start: mid, end: mid + DAY, minStride: null, maxPoints: null } },
    { name: 'week, 1 field, ~2000 points', request: req(mid, mid + 7 * DAY, ['temperature'], 2000) },
  ];
}

/** The original's approach, kept to measure against: list, pick by name, parse everything. */
async function naiveGetData(dir: string, request: DataRequest): Promise<{ timelines: TimelineSamples[]; bytes: number }> {
  const timelines: TimelineSamples[] = [];
  let bytes = 0;
  for (const field of request.fields) {
    const names = (await readdir(dir)).filter((n) => n.includes(field) && n.endsWith('.dat')).sort();
    const t: number[] = [];
    const v: number[] = [];
    for (const name of names) {
      const parts = name.slice(0, -4).split('_');
      const fs = Number(parts[parts.length - 2]);
      const fe = Number(parts[parts.length - 1]);
      if (fe < request.start || fs >= request.end) continue;
      const text = await readFile(join(dir, name), 'utf8');
      bytes += text.length;
      for (const line of text.split('\n')) {
        const cols = line.trim().split(/\s+/);
        if (cols.length < 2) continue;
        const ts = parseFloat(cols[0]!);
        if (ts >= request.start && ts < request.end) {
          t.push(ts);
          v.push(parseFloat(cols[1]!));
        }
      }
    }
    if (t.length) timelines.push({ name: field, t: Float64Array.from(t), fields: new Map([[field, Float64Array.from(v)]]), finalizedUntil: t[t.length - 1]! });
  }
  return { timelines, bytes };
}

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)).padStart(8);

/** The same requests as a consumer makes them: through a router (in this process), JSON, warm cache. */
async function throughRouter(dir: string): Promise<void> {
  const secret = randomBytes(12).toString('hex');
  const router = new Router(
    defaultRouterConfig({ host: '127.0.0.1', tlsPort: 0, ocsPort: 0, realm: 'test_realm', serverSecret: secret, consumerSecret: randomBytes(12).toString('hex') }),
  );
  const [listener] = await router.start();
  const url = listener!.urls.find((u) => u.startsWith('ws:'))!;
  const source = new ApexWeatherSource({ dataDir: dir, rescanInterval: 0, cacheBytes: 512 * 1024 * 1024 });
  await source.start();
  const server = new DataNodeServer({ source, connection: { url, realm: 'test_realm', auth: { method: 'wampcra', authid: 'server', secret } }, announceRetry: 60_000 });
  await server.start();
  const consumer = new WampClient({ url, realm: 'test_realm' });
  await consumer.start();
  try {
    console.log('');
    console.log(`${'through the router (JSON, warm)'.padEnd(38)} ${'ms'.padStart(8)} ${'in-process ms'.padStart(14)} ${'ratio'.padStart(7)}`);
    for (const c of cases()) {
      const r = c.request;
      const args = [r.fields, r.start, r.end, ...(r.minStride !== null ? [r.minStride] : [])];
      const call = () => consumer.call(dataNodeProcedures(source.name).getData, args, undefined, { timeout: 60_000 });
      await call(); // fills the cache
      const via: number[] = [];
      const direct: number[] = [];
      for (let i = 0; i < 7; i++) {
        via.push((await time(call))[1]);
        direct.push((await time(async () => buildDataReply(r, await source.getData(r))))[1]);
      }
      const v = median(via);
      const d = median(direct);
      console.log(`${c.name.padEnd(38)} ${fmt(v)} ${fmt(d).padStart(14)} ${(v / d).toFixed(1).padStart(7)}`);
    }
  } finally {
    await consumer.close();
    await server.close();
    await router.close();
  }
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sisock-bench-apex-'));
  try {
    const [gen, genMs] = await time(() => writeSyntheticApexArchive(dir, { start: YEAR_START, duration: 365 * DAY, step: 60, fileSpan: DAY }));
    console.log(`apex_weather: ${gen.files.length} files, ${(gen.bytes / 1e6).toFixed(1)} MB of minutely data generated in ${(genMs / 1000).toFixed(1)} s`);
    console.log('');
    console.log(`${'request'.padEnd(38)} ${'cold ms'.padStart(8)} ${'warm ms'.padStart(8)} ${'naive ms'.padStart(8)} ${'cold MB/s'.padStart(10)} ${'naive MB/s'.padStart(10)} ${'naive/cold'.padStart(10)} ${'naive/warm'.padStart(10)} ${'points'.padStart(7)}`);
    for (const c of cases()) {
      // cold: a fresh node (name index built at start, not timed: it is done once per process)
      const source = new ApexWeatherSource({ dataDir: dir, rescanInterval: 0, cacheBytes: 512 * 1024 * 1024 });
      await source.start();
      const [timelines, readMs] = await time(() => source.getData(c.request));
      const [reply, replyMs] = await time(async () => buildDataReply(c.request, timelines));
      const coldMs = readMs + replyMs;
      const coldBytes = source.cacheStats.bytesRead;
      const warm: number[] = [];
      for (let i = 0; i < 7; i++) warm.push((await time(async () => buildDataReply(c.request, await source.getData(c.request))))[1]);
      source.close();
      const naive: number[] = [];
      let naiveBytes = 0;
      let naiveReply = reply;
      for (let i = 0; i < 3; i++) {
        const [r, ms] = await time(async () => {
          const { timelines, bytes } = await naiveGetData(dir, c.request);
          naiveBytes = bytes;
          return buildDataReply(c.request, timelines);
        });
        naive.push(ms);
        naiveReply = r;
      }
      // both ways must give the same answer, or the comparison means nothing
      if (JSON.stringify(naiveReply) !== JSON.stringify(reply)) throw new Error(`${c.name}: the node and the baseline disagree`);
      const points = Object.values(reply.data).reduce((n, d) => n + d.length, 0);
      const w = median(warm);
      const n = median(naive);
      console.log(
        `${c.name.padEnd(38)} ${fmt(coldMs)} ${fmt(w)} ${fmt(n)} ${(coldBytes / 1e6 / (readMs / 1000)).toFixed(0).padStart(10)} ${(naiveBytes / 1e6 / (n / 1000)).toFixed(0).padStart(10)} ${(n / coldMs).toFixed(1).padStart(10)} ${(n / w).toFixed(0).padStart(10)} ${String(points).padStart(7)}`,
      );
    }
    await throughRouter(dir);
    console.log('');
    console.log('cold: fresh node, parses the files the request needs; warm: same request again (median of 7);');
    console.log('naive: the original approach, directory listing and full parse per request (median of 3).');
    console.log('MB/s: bytes of files read and parsed per second of get_data (cold: reading the files; naive: the whole request).');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
