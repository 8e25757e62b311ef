// JSON for WAMP that keeps floats floats. JavaScript has one number type,
// so JSON.stringify writes 293.0 as `293`, which a Python subscriber (the
// OCS aggregator, an original sisock node) reads as an int; a field whose
// values mix ints and floats is then rejected by the HK aggregator. Values
// meant as floats are therefore handed over as Float64Array, and this
// serializer writes every element of a Float64Array with a decimal point
// (`293.0`); every other number is written as JavaScript does (WAMP ids and
// option values must stay integers).

function formatFloat(x: number): string {
  if (!Number.isFinite(x)) return 'null'; // JSON has no NaN; OCS does not allow None either: never sent by the simulator
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return `${x}.0`;
  return String(x); // has a '.' or an exponent already
}

/** JSON text of `value`, Float64Array elements written as floats */
export function stringifyWithFloats(value: unknown): string {
  if (value instanceof Float64Array) {
    let s = '[';
    for (let i = 0; i < value.length; i++) s += (i ? ',' : '') + formatFloat(value[i]!);
    return s + ']';
  }
  if (Array.isArray(value)) return '[' + value.map((v) => (v === undefined ? 'null' : stringifyWithFloats(v))).join(',') + ']';
  if (value !== null && typeof value === 'object') {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function') continue;
      parts.push(JSON.stringify(k) + ':' + stringifyWithFloats(v));
    }
    return '{' + parts.join(',') + '}';
  }
  return JSON.stringify(value) ?? 'null';
}

/** A WAMP serializer (the shape wampy accepts) speaking `wamp.2.json`. */
export class FloatPreservingJsonSerializer {
  readonly protocol = 'json';
  readonly isBinary = false;

  encode(data: unknown): string {
    return stringifyWithFloats(data);
  }

  decode(data: string | ArrayBuffer | Uint8Array): unknown {
    const text = typeof data === 'string' ? data : Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('utf8');
    return JSON.parse(text);
  }
}
