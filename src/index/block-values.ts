// The samples of one HK block as the summaries need them, read straight from
// the frame's bytes into scratch arrays that are used again for the next
// block: a scan reads every sample of the archive once, and allocating
// columns per frame (as query output does) would spend its time collecting
// garbage. The values are what a query returns (ticks / 1e8 for times,
// every integer width as a number, booleans as 0/1); arrays returned are
// valid until the next call.
import { ColumnBuilder, fillTimes, type BlockLayout, type FieldLayout } from '../g3/index.js';
import type { SummaryKind, SummaryValues } from './summaries.js';

export class BlockReader {
  private t = new Float64Array(1024);
  private v = new Float64Array(1024);

  /** The block's sample times (Unix seconds). */
  times(block: BlockLayout): Float64Array {
    if (this.t.length < block.count) this.t = new Float64Array(Math.max(block.count, this.t.length * 2));
    fillTimes(block, this.t, 0, block.count);
    return this.t.subarray(0, block.count);
  }

  /** A field's `n` values as numbers or strings (missing or unreadable: NaN or ""). */
  values(f: FieldLayout | undefined, kind: SummaryKind, n: number): SummaryValues {
    if (kind === 'string') {
      const c = new ColumnBuilder(f && !f.error ? f.class : 'G3VectorString', n);
      c.fill(f, 0, n);
      const col = c.finish();
      return { kind, v: col.dtype === 'str' ? col.values : Array.from(col.values as ArrayLike<number | bigint>, (x) => String(x)) };
    }
    if (this.v.length < n) this.v = new Float64Array(Math.max(n, this.v.length * 2));
    const out = this.v.subarray(0, n);
    const k = f && !f.error ? Math.min(n, f.count) : 0;
    if (k < n) out.fill(NaN, k);
    if (k === 0) return { kind, v: out };
    const bytes = f!.bytes;
    const at = bytes.byteOffset + f!.dataPos;
    const dv = new DataView(bytes.buffer, at, bytes.byteOffset + bytes.length - at);
    switch (f!.class) {
      case 'G3VectorDouble':
        if (at % 8 === 0) {
          // Aligned: a view of the frame's bytes, no copy.
          const view = new Float64Array(bytes.buffer, at, k);
          if (k === n) return { kind, v: view };
          out.set(view);
        } else for (let i = 0; i < k; i++) out[i] = dv.getFloat64(i * 8, true);
        break;
      case 'G3VectorInt':
        switch (f!.storeBits) {
          case 8:
            for (let i = 0; i < k; i++) out[i] = dv.getInt8(i);
            break;
          case 16:
            for (let i = 0; i < k; i++) out[i] = dv.getInt16(i * 2, true);
            break;
          case 32:
            for (let i = 0; i < k; i++) out[i] = dv.getInt32(i * 4, true);
            break;
          default:
            for (let i = 0; i < k; i++) out[i] = dv.getInt32(i * 8 + 4, true) * 4294967296 + dv.getUint32(i * 8, true);
        }
        break;
      case 'G3VectorBool':
        for (let i = 0; i < k; i++) out[i] = bytes[f!.dataPos + i] ? 1 : 0;
        break;
      default:
        out.fill(NaN, 0, k);
    }
    return { kind, v: out };
  }
}
