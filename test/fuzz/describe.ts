// Short printable descriptions of fuzz values for failure reports. The
// values may be nested thousands of levels deep or contain cycles, where
// String() and JSON.stringify() overflow the stack; this never throws.

export function describe(v: unknown, max = 160): string {
  let s: string;
  try {
    s =
      JSON.stringify(v, (_k, x: unknown) =>
        typeof x === 'bigint' ? `${x}n` : Buffer.isBuffer(x) ? `<${x.length} bytes>` : typeof x === 'string' && x.length > 60 ? `${x.slice(0, 40)}...(${x.length})` : x,
      ) ?? typeof v;
  } catch {
    s = Array.isArray(v) ? `[list of ${v.length}, too deep or cyclic to print]` : `<${typeof v}, too deep or cyclic to print>`;
  }
  return s.length > max ? `${s.slice(0, max)}...` : s;
}
