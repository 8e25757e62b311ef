// so3g's HKTranslator (FORMAT 9.1) at the frame level: an HK frame of schema
// v0 or v1 rewritten as schema v2, key by key as so3g does it on a frame that
// spt3g read (so a translated frame is stored as so3g would write it).
import { FrameType, type G3Frame } from '../frame.js';
import { g3Int, timesampleMap, vectorDouble, vectorFrameObject, vectorString, type G3Object, type G3TimesampleMap } from '../objects.js';
import { HkaggType, HkSchemaError, translatedBlockName } from './schema.js';

function intValue(frame: G3Frame, key: string): number | undefined {
  const o = frame.get(key);
  if (o === undefined) return undefined;
  if (o === null || o.class !== 'G3Int') throw new HkSchemaError(`key '${key}' is not a G3Int`);
  return Number(o.value);
}

/**
 * The frame in HK schema v2. Frames that are not HK, or already v2 or newer,
 * come back unchanged (the same object); others come back as a new frame.
 */
export function translateFrame(frame: G3Frame): G3Frame {
  if (frame.type !== FrameType.Housekeeping) return frame;
  const version = intValue(frame, 'hkagg_version');
  const orig = version ?? 0;
  if (orig >= 2) return frame;
  // spt3g holds a frame it read in a fresh map: keys inserted in stored order.
  const f = frame.reordered();
  if (version !== undefined) {
    f.set('hkagg_version_orig', g3Int(orig));
    f.delete('hkagg_version');
  }
  f.set('hkagg_version', g3Int(2));
  if (intValue(f, 'hkagg_type') !== HkaggType.data) return f;
  if (orig === 0) {
    const blocks = f.get('blocks');
    if (!blocks || blocks.class !== 'G3VectorFrameObject') throw new HkSchemaError("v0 data frame without a 'blocks' vector");
    f.delete('blocks');
    const converted = blocks.value.map((b): G3Object => {
      if (!b || b.class !== 'IrregBlockDouble') throw new HkSchemaError(`v0 block is ${b ? b.class : 'null'}, not IrregBlockDouble`);
      const ticks = new BigInt64Array(b.t.length);
      for (let i = 0; i < b.t.length; i++) ticks[i] = BigInt(Math.trunc(b.t[i]! * 1e8));
      return timesampleMap(
        ticks,
        [...b.data].map(([k, v]) => [k, vectorDouble(Float64Array.from(v))]),
      );
    });
    f.set('blocks', vectorFrameObject(converted));
  }
  const blocks = f.get('blocks');
  if (!blocks || blocks.class !== 'G3VectorFrameObject') throw new HkSchemaError("data frame without a 'blocks' vector");
  const names = blocks.value.map((b) => {
    if (!b || b.class !== 'G3TimesampleMap') throw new HkSchemaError(`block is ${b ? b.class : 'null'}, not G3TimesampleMap`);
    return translatedBlockName((b as G3TimesampleMap).fields.keys());
  });
  f.set('block_names', vectorString(names));
  return f;
}
