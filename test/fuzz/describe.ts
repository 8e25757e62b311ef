// Short printable descriptions of fuzz values for failure reports. The
// values may be nested thousands of levels deep or contain cycles, where
// String() and JSON.stringify() overflow the stack; this never throws.

export function describe(v: unknown, max = 160): string {
  let s: string;
  try {
    s =
      JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
        // the holder's own value: a Buffer's toJSON has already run on x
        const raw = k === '' ? v : this[k];
        if (raw instanceof Uint8Array) return `<${raw.length} bytes>`;
        if (typeof x === 'bigint') return `${x}n`;
        return typeof x === 'string' && x.length > 60 ? `${x.slice(0, 40)}...(${x.length})` : x;
      }) ?? typeof v;
  } catch {
    s = Array.isArray(v) ? `[list of ${v.length}, too deep or cyclic to print]` : `<${typeof v}, too deep or cyclic to print>`;
  }
  return s.length > max ? `${s.slice(0, max)}...` : s;
}
