// Building HK frames the way the OCS aggregator (so3g HKSessionHelper) does:
// same keys, same object classes, keys inserted in the same order so that
// they are stored in the same order (FORMAT 3.4 and 8). Schema v0 frames were
// built like v1 and then lost their hkagg_version key, which is what their
// stored key order shows.
import { G3Frame, FrameType } from '../frame.js';
import {
  g3Double,
  g3Int,
  g3String,
  mapFrameObject,
  vectorFrameObject,
  vectorString,
  type G3TimesampleMap,
  type IrregBlockDouble,
} from '../objects.js';
import { HkaggType, type HkProviderEntry } from './schema.js';

export type SchemaVersion = 0 | 1 | 2;

interface Common {
  /** hkagg_version (0: the 2019 schema, which has no such key). */
  version: SchemaVersion;
  sessionId: bigint;
}

export interface SessionFrameSpec extends Common {
  startTime: number;
  description?: string;
}

export interface StatusFrameSpec extends Common {
  timestamp: number;
  providers: HkProviderEntry[];
}

export interface DataFrameSpec extends Common {
  provId: number;
  timestamp: number;
  /** G3TimesampleMap (v1, v2) or IrregBlockDouble (v0). */
  blocks: (G3TimesampleMap | IrregBlockDouble)[];
  /** One per block (v2 only). */
  blockNames?: string[];
  address?: string;
  providerSessionId?: string;
}

function finish(f: G3Frame, version: SchemaVersion): G3Frame {
  if (version === 0) f.delete('hkagg_version');
  return f;
}

export function sessionFrame(s: SessionFrameSpec): G3Frame {
  const f = new G3Frame(FrameType.Housekeeping);
  f.set('hkagg_type', g3Int(HkaggType.session));
  f.set('hkagg_version', g3Int(s.version));
  f.set('session_id', g3Int(s.sessionId));
  f.set('start_time', g3Double(s.startTime));
  f.set('description', g3String(s.description ?? 'HK data'));
  return finish(f, s.version);
}

export function statusFrame(s: StatusFrameSpec): G3Frame {
  const f = new G3Frame(FrameType.Housekeeping);
  f.set('hkagg_type', g3Int(HkaggType.status));
  f.set('hkagg_version', g3Int(s.version));
  f.set('session_id', g3Int(s.sessionId));
  f.set('timestamp', g3Double(s.timestamp));
  const providers = [...s.providers].sort((a, b) => a.provId - b.provId);
  f.set(
    'providers',
    vectorFrameObject(
      providers.map((p) =>
        mapFrameObject([
          ['prov_id', g3Int(p.provId)],
          ['description', g3String(p.description)],
        ]),
      ),
    ),
  );
  return finish(f, s.version);
}

export function dataFrame(s: DataFrameSpec): G3Frame {
  const f = new G3Frame(FrameType.Housekeeping);
  f.set('hkagg_version', g3Int(s.version));
  f.set('hkagg_type', g3Int(HkaggType.data));
  f.set('session_id', g3Int(s.sessionId));
  f.set('prov_id', g3Int(s.provId));
  f.set('timestamp', g3Double(s.timestamp));
  f.set('blocks', vectorFrameObject(s.blocks));
  if (s.version >= 2) {
    if (!s.blockNames || s.blockNames.length !== s.blocks.length) throw new Error('schema v2 data frames need one block name per block');
    f.set('block_names', vectorString(s.blockNames));
  }
  if (s.address !== undefined) f.set('address', g3String(s.address));
  if (s.providerSessionId !== undefined) f.set('provider_session_id', g3String(s.providerSessionId));
  return finish(f, s.version);
}

/** The OCS session id: start time, process id and a CRC of the description packed in 62 bits. */
export function ocsSessionId(startTime: number, pid: number, descriptionCrc: number): bigint {
  return (BigInt(Math.trunc(startTime) % 2 ** 32) << 28n) | (BigInt(pid % 2 ** 14) << 14n) | BigInt(descriptionCrc % 2 ** 14);
}
