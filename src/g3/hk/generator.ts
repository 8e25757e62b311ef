// Realistic, deterministic OCS-style HK archives of any size, for tests,
// tools and benchmarks. Frames are made as the OCS aggregator makes them: a
// session frame, a status frame whenever the provider set changes, one data
// frame per provider every `frameLength` seconds holding the samples taken
// since the previous one, and (optionally) a new file every `fileSeconds`
// that starts with the session frame and the last status frame again.
// Providers may start late and stop early; a stopped provider is dropped
// from the status 180 s after its last data, as the aggregator does.
import { crc32 } from '@node-rs/crc32';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { G3Frame } from '../frame.js';
import {
  irregBlockDouble,
  timesampleMap,
  vectorBool,
  vectorDouble,
  vectorInt,
  vectorString,
  type G3Object,
} from '../objects.js';
import { G3Writer } from '../writer.js';
import { dataFrame, ocsSessionId, sessionFrame, statusFrame, type SchemaVersion } from './frames.js';

export type FieldKind = 'float' | 'int' | 'string' | 'bool';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** int: values drawn in [lo, hi]; float: the signal's centre and spread. */
  range?: [number, number];
  /** int: a counter from `start` growing by `perSecond` (a bigint start counts exactly past 2^53). */
  counter?: { start: number | bigint; perSecond: number };
}

export interface BlockSpec {
  name: string;
  /** Samples per second. */
  rate: number;
  /** Largest deviation of a sample time from its nominal time, seconds. */
  jitter: number;
  fields: FieldSpec[];
}

export interface ProviderSpec {
  /** Feed address, e.g. observatory.bluefors.feeds.bluefors (the full field names' prefix). */
  address: string;
  /** Seconds of data per frame. */
  frameLength: number;
  blocks: BlockSpec[];
  /** Seconds after the archive start when the provider appears (default 0). */
  start?: number;
  /** Seconds after the archive start when it stops sending (default: never). */
  stop?: number;
}

export interface ArchiveSpec {
  /** Unix seconds of the session start. */
  start: number;
  /** Seconds of data. */
  duration: number;
  providers: ProviderSpec[];
  /** HK schema version of the frames (default 2). v0 stores every field as doubles. */
  version?: SchemaVersion;
  /** Open a new file this often (default: one file). */
  fileSeconds?: number;
  seed?: number;
}

/** One frame of the archive, with the time the aggregator writes it. */
export interface TimedFrame {
  time: number;
  frame: G3Frame;
  /** A file rotation puts session and status frames again at the top of a new file; this is the file's first frame. */
  opensFile: boolean;
}

/** The values of one field as a reader should find them. */
export interface ExpectedField {
  /** Sample times, Unix seconds (ticks / 1e8). */
  t: number[];
  values: (number | bigint | boolean | string)[];
}

const DROP_AFTER = 180;

// ---- the shapes of FORMAT section 11 --------------------------------------

function floats(prefix: string, names: string[], lo = -1, hi = 1): FieldSpec[] {
  return names.map((n) => ({ name: prefix + n, kind: 'float' as const, range: [lo, hi] as [number, number] }));
}

/**
 * The "hour" (rateDivisor 1, 3600 s) and "day" (rateDivisor 20, 86400 s)
 * benchmark shapes: 5 providers, 50 fields, rates from 200 Hz to 1 Hz.
 */
export function perfShape(which: 'hour' | 'day'): ArchiveSpec {
  const div = which === 'hour' ? 1 : 20;
  return {
    start: 1700000000.25,
    duration: which === 'hour' ? 3600 : 86400,
    seed: 1,
    providers: [
      {
        address: 'observatory.acu.feeds.acu_udp_stream',
        frameLength: 60,
        blocks: [
          {
            name: 'ACU_broadcast',
            rate: 200 / div,
            jitter: 0.0005,
            fields: [
              ...floats('', ['Azimuth_Corrected', 'Elevation_Corrected', 'Boresight_Corrected', 'Azimuth_Velocity', 'Elevation_Velocity', 'Boresight_Velocity', 'Azimuth_Current', 'Elevation_Current'], 0, 180),
              { name: 'Azimuth_mode', kind: 'int', range: [0, 3] },
              { name: 'Elevation_mode', kind: 'int', range: [0, 3] },
            ],
          },
        ],
      },
      {
        address: 'observatory.hwp-enc.feeds.hwp_encoder',
        frameLength: 60,
        blocks: [
          {
            name: 'encoder',
            rate: 200 / div,
            jitter: 0.0005,
            fields: [
              ...floats('', ['rotation_rate_hz', 'phase_rad', 'quad_level', 'encoder_temp'], 0, 3),
              { name: 'enc_counter', kind: 'int', counter: { start: 2 ** 31 - 5000001, perSecond: 1140 } },
            ],
          },
        ],
      },
      {
        address: 'observatory.smurf-monitor.feeds.det_monitor',
        frameLength: 60,
        blocks: [{ name: 'monitor', rate: 100 / div, jitter: 0.001, fields: floats('det_', ['00', '01', '02', '03', '04', '05', '06', '07', '08', '09'], -5, 5) }],
      },
      {
        address: 'observatory.bluefors.feeds.bluefors',
        frameLength: 300,
        blocks: [
          {
            name: 'thermometry',
            rate: 10 / div,
            jitter: 0.002,
            fields: floats('', ['pressure_ch1', 'pressure_ch2', 'pressure_ch3', 'pressure_ch4', 'pressure_ch5', 'pressure_ch6', 'flowmeter', 'T_50K', 'T_4K', 'T_still', 'T_mxc', 'T_magnet', 'R_50K', 'R_4K', 'R_mxc'], 0, 300),
          },
        ],
      },
      {
        address: 'observatory.apex-weather.feeds.weather',
        frameLength: 600,
        blocks: [
          {
            name: 'weather',
            rate: 1 / div,
            jitter: 0.004,
            fields: [
              ...floats('', ['temperature', 'humidity', 'pressure', 'wind_speed', 'wind_dir', 'dewpoint', 'pwv', 'radiation'], 0, 100),
              { name: 'summary', kind: 'string' },
              { name: 'station', kind: 'string' },
            ],
          },
        ],
      },
    ],
  };
}

// ---- deterministic values ----------------------------------------------

/** A small, fast, seedable generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['clear', 'cloudy', 'windy', 'snow', 'fog', 'niebla ligera', 'despejado', 'nublado ☁', 'viento fuerte', 'ok', 'a', 'helada — frío', 'lluvia', 'storm', 'calm', ''];
const STATIONS = ['APEX', 'CLASS', 'SO-LAT', 'SO-SAT1', 'SO-SAT2', 'ACT', 'Toco', 'Chajnantor'];

interface FieldState {
  spec: FieldSpec;
  next: () => number;
  phase: number;
  period: number;
  level: number;
}

interface BlockState {
  spec: BlockSpec;
  jitter: () => number;
  fields: FieldState[];
  /** Next sample index. */
  k: number;
}

interface ProviderState {
  spec: ProviderSpec;
  provId: number;
  blocks: BlockState[];
  /** Offset of its sample clock from the archive start (s). */
  begin: number;
  end: number;
  sessionString: string;
}

function hashSeed(...parts: (string | number)[]): number {
  return crc32(parts.join('\u0000'));
}

const TWO32 = 4294967296;

/** Frames of an archive in write order, made lazily (a day of data never sits in memory at once). */
export function* generateFrames(spec: ArchiveSpec, collect?: Map<string, ExpectedField>): Generator<TimedFrame> {
  const version = spec.version ?? 2;
  const seed = spec.seed ?? 0;
  const t0 = spec.start;
  const sessionId = ocsSessionId(t0, 4242 + seed, crc32('HK data'));
  const providers: ProviderState[] = spec.providers.map((p, i) => ({
    spec: p,
    provId: i,
    begin: p.start ?? 0,
    end: Math.min(p.stop ?? spec.duration, spec.duration),
    sessionString: (t0 - 5000 + i * 317.25 + (p.start ?? 0)).toFixed(7),
    blocks: p.blocks.map((b) => ({
      spec: b,
      k: 0,
      jitter: rng(hashSeed(seed, p.address, b.name, 'jitter')),
      fields: b.fields.map((f) => {
        const next = rng(hashSeed(seed, p.address, b.name, f.name));
        return { spec: f, next, phase: next() * 2 * Math.PI, period: 200 + next() * 3000, level: next() };
      }),
    })),
  }));

  // Every event of the archive in time order: status changes and data frames.
  type Event = { time: number; kind: 'status'; active: number[] } | { time: number; kind: 'data'; prov: ProviderState; j: number; last: boolean };
  const events: Event[] = [];
  const changes = new Map<number, { add: number[]; drop: number[] }>();
  const change = (t: number) => {
    let c = changes.get(t);
    if (!c) changes.set(t, (c = { add: [], drop: [] }));
    return c;
  };
  for (const p of providers) {
    change(p.begin).add.push(p.provId);
    if (p.spec.stop !== undefined && p.end + DROP_AFTER < spec.duration) change(p.end + DROP_AFTER).drop.push(p.provId);
    const span = p.end - p.begin;
    const n = Math.ceil(span / p.spec.frameLength - 1e-9);
    for (let j = 0; j < n; j++) {
      const last = j === n - 1;
      events.push({ time: last ? p.end : p.begin + (j + 1) * p.spec.frameLength, kind: 'data', prov: p, j, last });
    }
  }
  const active = new Set<number>();
  for (const t of [...changes.keys()].sort((a, b) => a - b)) {
    const c = changes.get(t)!;
    for (const id of c.add) active.add(id);
    for (const id of c.drop) active.delete(id);
    // The status frame comes just after the change (3 s after the session start at first).
    events.push({ time: t + (t === 0 ? 3 : 0.5), kind: 'status', active: [...active].sort((a, b) => a - b) });
  }
  // Status before data at the same moment; data frames of one moment by provider id.
  events.sort((a, b) => a.time - b.time || (a.kind === b.kind ? (a.kind === 'data' && b.kind === 'data' ? a.prov.provId - b.prov.provId : 0) : a.kind === 'status' ? -1 : 1));

  const session = sessionFrame({ version, sessionId, startTime: t0 + 0.8 });
  let lastStatus: G3Frame | undefined;
  let fileOpened = 0;
  yield { time: t0, frame: session, opensFile: true };
  for (const ev of events) {
    const time = t0 + ev.time;
    if (spec.fileSeconds !== undefined && ev.time - fileOpened >= spec.fileSeconds) {
      fileOpened = ev.time;
      yield { time, frame: session, opensFile: true };
      if (lastStatus && ev.kind === 'data') yield { time, frame: lastStatus, opensFile: false };
    }
    if (ev.kind === 'status') {
      lastStatus = statusFrame({
        version,
        sessionId,
        timestamp: time,
        providers: ev.active.map((id) => ({ provId: id, description: providers[id]!.spec.address })),
      });
      yield { time, frame: lastStatus, opensFile: false };
      continue;
    }
    const p = ev.prov;
    const to = ev.last ? p.end - p.begin : (ev.j + 1) * p.spec.frameLength;
    const blocks = p.blocks.map((b) => makeBlock(b, t0 + p.begin, to, version, p.spec.address, collect));
    if (blocks.every((b) => b === undefined)) continue; // nothing sampled since the last frame
    const names = p.blocks.map((b) => b.spec.name);
    yield {
      time,
      frame: dataFrame({
        version,
        sessionId,
        provId: p.provId,
        timestamp: time,
        blocks: blocks.filter((b) => b !== undefined),
        blockNames: version >= 2 ? names.filter((_, i) => blocks[i] !== undefined) : undefined,
        address: p.spec.address,
        providerSessionId: p.sessionString,
      }),
      opensFile: false,
    };
  }
}

/** The samples of one block with nominal times before `to` seconds after `clock0` not yet sent. */
function makeBlock(b: BlockState, clock0: number, to: number, version: SchemaVersion, address: string, collect: Map<string, ExpectedField> | undefined) {
  const rate = b.spec.rate;
  const k0 = b.k;
  const n = Math.ceil(to * rate - 1e-9) - k0;
  if (n <= 0) return undefined;
  b.k += n;
  const tSeconds = new Float64Array(n);
  const ticks = new BigInt64Array(n);
  const words = new Uint32Array(ticks.buffer);
  for (let i = 0; i < n; i++) {
    const t = clock0 + (k0 + i) / rate + (b.jitter() * 2 - 1) * b.spec.jitter;
    // Agents send float seconds; the aggregator stores int(t * 1e8).
    const x = Math.trunc(t * 1e8);
    const hi = Math.floor(x / TWO32);
    words[2 * i] = x - hi * TWO32;
    words[2 * i + 1] = hi;
    tSeconds[i] = version === 0 ? t : x / 1e8;
  }
  const fields: [string, G3Object][] = [];
  const doubles: [string, Float64Array][] = [];
  for (const f of b.fields) {
    const values = fieldValues(f, k0, n, rate, version === 0);
    if (collect) {
      const key = `${address}.${f.spec.name}`;
      let e = collect.get(key);
      if (!e) collect.set(key, (e = { t: [], values: [] }));
      for (let i = 0; i < n; i++) e.t.push(version === 0 ? Math.trunc(tSeconds[i]! * 1e8) / 1e8 : tSeconds[i]!);
      if (values instanceof Uint8Array) for (const v of values) e.values.push(v === 1);
      else for (const v of values) e.values.push(v);
    }
    if (version === 0) doubles.push([f.spec.name, values as Float64Array]);
    else fields.push([f.spec.name, toVector(f.spec.kind, values, version)]);
  }
  if (version === 0) return irregBlockDouble(tSeconds, doubles);
  return timesampleMap(ticks, fields);
}

type Values = Float64Array | (number | bigint)[] | string[] | Uint8Array;

function fieldValues(f: FieldState, k0: number, n: number, rate: number, asDoubles: boolean): Values {
  const s = f.spec;
  const [lo, hi] = s.range ?? [0, 1];
  if (s.kind === 'float' || asDoubles) {
    const out = new Float64Array(n);
    const mid = (lo + hi) / 2;
    const amp = (hi - lo) / 2;
    for (let i = 0; i < n; i++) {
      const tt = (k0 + i) / rate;
      const signal = Math.sin(f.phase + (2 * Math.PI * tt) / f.period);
      out[i] = s.counter ? Number(s.counter.start) + Math.floor(s.counter.perSecond * tt) : mid + amp * (0.8 * signal + 0.2 * (f.next() - 0.5));
    }
    return out;
  }
  if (s.kind === 'int') {
    const out = new Array<number | bigint>(n);
    for (let i = 0; i < n; i++) {
      const c = s.counter;
      if (c) {
        const step = Math.floor(c.perSecond * ((k0 + i) / rate));
        out[i] = typeof c.start === 'bigint' ? c.start + BigInt(step) : c.start + step;
      } else {
        // Modes that hold for a while and then change.
        if (f.next() < 0.01) f.level = f.next();
        out[i] = lo + Math.floor(f.level * (hi - lo + 1));
      }
    }
    return out;
  }
  if (s.kind === 'bool') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = f.next() < 0.9 ? 1 : 0;
    return out;
  }
  const out = new Array<string>(n);
  const list = s.name === 'station' ? STATIONS : WORDS;
  for (let i = 0; i < n; i++) out[i] = list[Math.floor(f.next() * list.length)]!;
  return out;
}

function toVector(kind: FieldKind, values: Values, version: SchemaVersion): G3Object {
  switch (kind) {
    case 'float':
      return vectorDouble(values as Float64Array);
    case 'int':
      return vectorInt(values as (number | bigint)[], version === 1 ? 1 : 2);
    case 'bool':
      return vectorBool(values as Uint8Array);
    case 'string':
      return vectorString(values as string[]);
  }
}

export interface GeneratedFile {
  /** Path written. */
  path: string;
  /** Path relative to the archive directory (what index entries carry). */
  name: string;
  bytes: number;
  frames: number;
}

export interface GeneratedArchive {
  files: GeneratedFile[];
  frames: number;
  bytes: number;
  /** Per full field name, what a reader should find (when asked to collect). */
  expected?: Map<string, ExpectedField>;
}

export interface GenerateOptions {
  /** 'ocs': `<dir>/<first 5 digits>/<unix time>.g3`, as the aggregator lays files out; 'flat': `<dir>/<unix time>.g3`. */
  layout?: 'ocs' | 'flat';
  /** Collect the expected field values (for tests; keep archives small). */
  collect?: boolean;
  /** Write `.g3.gz` files. */
  gzip?: boolean;
}

/** Writes an archive to `dir`. */
export async function generateArchive(dir: string, spec: ArchiveSpec, opts: GenerateOptions = {}): Promise<GeneratedArchive> {
  const expected = opts.collect ? new Map<string, ExpectedField>() : undefined;
  const files: GeneratedFile[] = [];
  let writer: G3Writer | undefined;
  let current: GeneratedFile | undefined;
  let frames = 0;
  let bytes = 0;
  const closeCurrent = async () => {
    if (!writer || !current) return;
    await writer.close();
    current.bytes = writer.offset;
    bytes += writer.offset;
  };
  try {
    for (const tf of generateFrames(spec, expected)) {
      if (tf.opensFile) {
        await closeCurrent();
        const stem = String(Math.trunc(tf.time));
        const name = (opts.layout ?? 'ocs') === 'ocs' ? `${stem.slice(0, 5)}/${stem}.g3` : `${stem}.g3`;
        const path = join(dir, name + (opts.gzip ? '.gz' : ''));
        await mkdir(join(path, '..'), { recursive: true });
        writer = await G3Writer.open(path);
        current = { path, name: name + (opts.gzip ? '.gz' : ''), bytes: 0, frames: 0 };
        files.push(current);
      }
      await writer!.write(tf.frame);
      current!.frames++;
      frames++;
    }
    await closeCurrent();
  } catch (err) {
    await writer?.close().catch(() => undefined);
    throw err;
  }
  return { files, frames, bytes, ...(expected ? { expected } : {}) };
}
