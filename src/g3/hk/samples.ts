// The samples of an HK data frame as columns: what a consumer that walks
// frames itself (an index building per-field summaries while it scans, a
// cache of recent data) needs, without going through an archive query.
import type { G3Frame } from '../frame.js';
import { ColumnBuilder, fillTimes, type Column } from './columns.js';
import { frameBlocks, storedBlockNames, translatedBlockName } from './schema.js';

export interface BlockSamples {
  /** Position of the block in the frame. */
  index: number;
  /** The so3g block name (stored in v2; `block_for_<first field>` for v0/v1). */
  name: string | undefined;
  /** Sample times, Unix seconds (ticks / 1e8, as so3g computes them). */
  t: Float64Array;
  /** Each field's values, typed as a query would type them. */
  fields: Map<string, Column>;
  /** Fields whose vector could not be read or is shorter than `t`, and why. */
  problems: Map<string, string>;
}

/**
 * Every block of an HK data frame as columns (copies: they stay valid after
 * the frame's buffer is reused). Throws HkSchemaError when the frame's
 * blocks cannot be read.
 */
export function frameSamples(frame: G3Frame): BlockSamples[] {
  const layouts = frameBlocks(frame);
  const hkVersion = frame.get('hkagg_version');
  const version = hkVersion && hkVersion.class === 'G3Int' ? Number(hkVersion.value) : 0;
  const names = version >= 2 ? storedBlockNames(frame) : undefined;
  return layouts.map((b, index) => {
    const t = new Float64Array(b.count);
    fillTimes(b, t, 0, b.count);
    const fields = new Map<string, Column>();
    const problems = new Map<string, string>();
    for (const [name, f] of b.fields) {
      const c = new ColumnBuilder(f.class, b.count);
      const problem = c.fill(f, 0, b.count);
      if (problem) problems.set(name, problem);
      fields.set(name, c.finish());
    }
    return { index, name: names ? names[index] : translatedBlockName(b.fields.keys()), t, fields, problems };
  });
}
