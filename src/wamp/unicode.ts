// Strings that UTF-8 cannot carry. A JSON peer can send a lone surrogate
// (a \uD800 escape); msgpack and CBOR strings must be UTF-8, which has no
// bytes for one: their encoders would write bytes that are not UTF-8, and a
// strict peer would refuse the whole message.

/** Throws when a string in `value` (however deep, keys included) holds a lone surrogate. */
export function assertUnicode(value: unknown): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      check(v);
    } else if (Array.isArray(v)) {
      // long lists of numbers are common: only strings and containers are looked at
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === 'string') check(x);
        else if (x !== null && typeof x === 'object') stack.push(x);
      }
    } else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      for (const key of Object.keys(v)) {
        check(key);
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
}

function check(s: string): void {
  if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    throw new Error('a string holds a lone surrogate, which msgpack and CBOR cannot carry');
  }
}
