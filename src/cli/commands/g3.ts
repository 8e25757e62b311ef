// `sisock g3`: look at .g3 files by hand.
//   sisock g3 dump FILE      frames, keys, object classes and HK block summaries
//   sisock g3 fields FILE... the full field names the files hold (as one archive)
import { basename } from 'node:path';
import {
  crcHex,
  dtypeOf,
  frameTypeName,
  G3Reader,
  HKArchiveScanner,
  HkSchemaError,
  interpretHkFrame,
  type FieldGroup,
  type G3Frame,
  type G3Object,
  type HkFrameInfo,
  type StreamSummary,
} from '../../g3/index.js';
import { formatHelp, parseCommandLine, UsageError, type OptionSpecs } from '../options.js';

const DUMP_OPTIONS = {
  values: { flag: 'values', type: 'number', default: 3, description: 'how many values of each vector to show' },
  json: { flag: 'json', type: 'boolean', default: false, description: 'one JSON object per frame, then a summary line' },
} satisfies OptionSpecs;

const FIELDS_OPTIONS = {
  json: { flag: 'json', type: 'boolean', default: false, description: 'print JSON instead of a table' },
} satisfies OptionSpecs;

const USAGE = `usage: sisock g3 <dump|fields> ...

  sisock g3 dump FILE        frames, keys, object classes and HK block summaries
  sisock g3 fields FILE...   field names, types, sample counts and time spans

Files may be plain (.g3) or compressed (.g3.gz, .g3.bz2).`;

function iso(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString();
}

function ticksIso(ticks: bigint | undefined): string {
  return ticks === undefined ? '-' : iso(Number(ticks) / 1e8);
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  return String(v);
}

function preview(values: ArrayLike<unknown>, n: number): string {
  const shown = Array.from({ length: Math.min(n, values.length) }, (_, i) => show(values[i]));
  return `[${values.length}]${shown.length ? ' ' + shown.join(', ') : ''}${values.length > shown.length && shown.length ? ', ...' : ''}`;
}

/** One line about an object: its class and what it holds. */
function describe(o: G3Object | null, n: number): string {
  if (o === null) return 'null';
  switch (o.class) {
    case 'G3Int':
    case 'G3Double':
    case 'G3String':
    case 'G3Bool':
      return `${o.class} ${show(o.value)}`;
    case 'G3Time':
      return `G3Time ${o.value} (${ticksIso(o.value)})`;
    case 'G3VectorDouble':
    case 'G3VectorString':
    case 'G3VectorTime':
      return `${o.class} ${preview(o.value, n)}`;
    case 'G3VectorBool':
      return `G3VectorBool ${preview(Array.from(o.value, (b) => b !== 0), n)}`;
    case 'G3VectorInt':
      return `G3VectorInt(v${o.version}, ${o.storeBits}-bit) ${preview(o.value, n)}`;
    case 'G3VectorFrameObject': {
      const classes = [...new Set(o.value.map((x) => (x ? x.class : 'null')))];
      return `G3VectorFrameObject [${o.value.length}] of ${classes.join(', ') || 'nothing'}`;
    }
    case 'G3MapFrameObject':
      return `G3MapFrameObject {${[...o.value].map(([k, v]) => `${k}: ${describe(v, n)}`).join('; ')}}`;
    case 'G3TimesampleMap':
      return `G3TimesampleMap ${o.times.length} samples, ${o.fields.size} fields`;
    case 'IrregBlockDouble':
      return `IrregBlockDouble ${o.t.length} samples, ${o.data.size} fields`;
    case 'opaque':
      return `undecoded ${o.className ?? 'object'} (${o.bytes.length} bytes): ${o.reason}`;
  }
}

function hkLines(hk: HkFrameInfo): string[] {
  const v = `v${hk.version}`;
  switch (hk.kind) {
    case 'session':
      return [`HK session (${v}) id ${hk.sessionId}, started ${iso(hk.startTime)}${hk.description ? `, "${hk.description}"` : ''}`];
    case 'status':
      return [`HK status (${v}) at ${iso(hk.timestamp)}: ${hk.providers.map((p) => `${p.provId}=${p.description}`).join(', ') || 'no providers'}`];
    case 'other':
      return [`HK frame of unknown hkagg_type ${hk.hkaggType} (${v})`];
    case 'data':
      return [
        `HK data (${v}) provider ${hk.provId}${hk.address ? ` ${hk.address}` : ''} at ${iso(hk.timestamp)}`,
        ...hk.blocks.map(
          (b) =>
            `  block ${b.index} ${b.name === undefined ? '(unnamed)' : JSON.stringify(b.name)}: ${b.count} samples ${ticksIso(b.first)} .. ${ticksIso(b.last)}; ` +
            b.fields.map((f, i) => `${f.name} ${f.class.replace(/^G3Vector/, '')}${b.fieldCounts && b.fieldCounts[i] !== b.count ? `[${b.fieldCounts[i]}]` : ''}`).join(', '),
        ),
      ];
  }
}

function frameJson(frame: G3Frame, index: number): unknown {
  let hk: unknown;
  try {
    hk = interpretHkFrame(frame);
  } catch (err) {
    if (!(err instanceof HkSchemaError)) throw err;
    hk = { error: err.message };
  }
  const o = frame.origin!;
  return {
    index,
    offset: o.offset,
    length: o.length,
    type: frameTypeName(frame.type),
    crc: crcHex(o.crcStored),
    crc_ok: frame.crcOk,
    keys: frame.keys().map((k) => ({ key: k, class: classOf(frame.get(k)!) })),
    hk,
  };
}

function classOf(o: G3Object | null): string {
  if (o === null) return 'null';
  return o.class === 'opaque' ? `opaque:${o.className ?? '?'}` : o.class;
}

const jsonReplacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

function summaryLines(file: string, s: StreamSummary): string[] {
  const lines = [`${file}: ${s.frames} frames, ${s.status}`];
  for (const p of s.problems) {
    lines.push(`  ${p.kind === 'crc' ? 'bad CRC' : 'damage'} at offset ${p.offset} (frame #${p.frameIndex}): ${p.message}${p.resumedAt !== undefined ? `; reading went on at offset ${p.resumedAt}` : ''}`);
  }
  if (s.tail) lines.push(`  ends inside a frame at offset ${s.tail.offset} (${s.tail.bytesAvailable} bytes of it; still being written?): ${s.tail.reason}`);
  return lines;
}

async function dump(argv: string[]): Promise<number> {
  const { options, positionals, help } = parseCommandLine(DUMP_OPTIONS, argv);
  if (help) {
    console.log(formatHelp('sisock g3 dump [options] FILE', DUMP_OPTIONS));
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('sisock g3 dump takes one file');
  const file = positionals[0]!;
  const reader = await G3Reader.open(file);
  let index = 0;
  for await (const frame of reader) {
    if (options.json) {
      console.log(JSON.stringify(frameJson(frame, index++), jsonReplacer));
      continue;
    }
    const o = frame.origin!;
    console.log(`#${index++} offset ${o.offset}, ${o.length} bytes, ${frameTypeName(frame.type)}, CRC ${crcHex(o.crcStored)} ${frame.crcOk ? 'ok' : `BAD (computed ${crcHex(o.crcComputed!)})`}`);
    if (!frame.crcOk) continue;
    try {
      const hk = interpretHkFrame(frame);
      if (hk) for (const line of hkLines(hk)) console.log(`  ${line}`);
    } catch (err) {
      if (!(err instanceof HkSchemaError)) throw err;
      console.log(`  HK frame not understood: ${err.message}`);
    }
    const width = Math.max(...frame.keys().map((k) => k.length));
    for (const k of frame.keys()) console.log(`  ${k.padEnd(width)}  ${describe(frame.get(k)!, options.values)}`);
  }
  const s = reader.summary();
  if (options.json) console.log(JSON.stringify({ summary: s }, jsonReplacer));
  else for (const line of summaryLines(basename(file), s)) console.log(line);
  return s.status === 'corrupt' ? 1 : 0;
}

interface FieldRow {
  field: string;
  type: string;
  samples: number;
  first: number;
  last: number;
}

function fieldRows(groups: readonly FieldGroup[]): FieldRow[] {
  const rows = new Map<string, FieldRow>();
  for (const g of groups) {
    const samples = g.indexInfo.reduce((n, e) => n + e.count, 0);
    const first = Math.min(...g.indexInfo.map((e) => e.timeRange[0]));
    const last = Math.max(...g.indexInfo.map((e) => e.timeRange[1]));
    g.fields.forEach((f, i) => {
      const name = `${g.prefix}.${f}`;
      const row = rows.get(name);
      const type = dtypeOf(g.classes[i]!) ?? g.classes[i]!;
      if (!row) rows.set(name, { field: name, type, samples, first, last });
      else {
        row.samples += samples;
        row.first = Math.min(row.first, first);
        row.last = Math.max(row.last, last);
        if (row.type !== type) row.type = `${row.type}/${type}`;
      }
    });
  }
  return [...rows.values()].sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
}

async function fields(argv: string[]): Promise<number> {
  const { options, positionals, help } = parseCommandLine(FIELDS_OPTIONS, argv);
  if (help) {
    console.log(formatHelp('sisock g3 fields [options] FILE...', FIELDS_OPTIONS));
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('sisock g3 fields takes one or more files');
  const scanner = new HKArchiveScanner();
  let unreadable = 0;
  for (const file of [...positionals].sort()) {
    try {
      await scanner.processFile(file);
    } catch (err) {
      console.error(`${file}: ${(err as Error).message}`);
      unreadable++;
    }
  }
  const archive = scanner.finalize();
  const rows = fieldRows(archive.fieldGroups);
  if (options.json) {
    console.log(JSON.stringify({ fields: rows, issues: scanner.issues }, null, 1));
  } else {
    const width = Math.max(5, ...rows.map((r) => r.field.length));
    console.log(`${'field'.padEnd(width)}  ${'type'.padEnd(7)}  ${'samples'.padStart(9)}  ${'first'.padEnd(24)}  last`);
    for (const r of rows) console.log(`${r.field.padEnd(width)}  ${r.type.padEnd(7)}  ${String(r.samples).padStart(9)}  ${iso(r.first).padEnd(24)}  ${iso(r.last)}`);
    console.log(`${rows.length} fields in ${positionals.length - unreadable} file(s)`);
    for (const i of scanner.issues) console.error(`${i.file}: ${i.kind} at offset ${i.offset ?? '?'}: ${i.message}`);
  }
  return unreadable > 0 ? 1 : 0;
}

export async function run(argv: string[]): Promise<number> {
  // `sisock g3 dump FILE | head` closes the pipe early: stop quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const [sub, ...rest] = argv;
  try {
    if (sub === 'dump') return await dump(rest);
    if (sub === 'fields') return await fields(rest);
    if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
      console.log(USAGE);
      return sub === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown g3 command '${sub}'`);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sisock g3: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') {
      console.error(`sisock g3: ${e.message}`);
      return 1;
    }
    throw err;
  }
}
