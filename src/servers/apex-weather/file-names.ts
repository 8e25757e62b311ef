// What the APEX archive's file names say: `<prefix>_<field>_<start>_<end>.dat`,
// start and end in UNIX seconds. The prefix may itself contain underscores,
// so the name is read from the right.

export interface ApexFileKey {
  field: string;
  /** first second the file covers */
  start: number;
  /** last second the file covers (inclusive, as the original read it) */
  end: number;
}

const NUMBER = /^\d+(\.\d+)?$/;

export function parseApexFileName(name: string): ApexFileKey | null {
  if (!name.endsWith('.dat')) return null;
  const parts = name.slice(0, -4).split('_');
  if (parts.length < 4) return null;
  const end = parts[parts.length - 1]!;
  const start = parts[parts.length - 2]!;
  const field = parts[parts.length - 3]!;
  if (!NUMBER.test(start) || !NUMBER.test(end) || field === '') return null;
  const s = Number(start);
  const e = Number(end);
  // hundreds of digits read as Infinity: no time a file can cover
  if (!Number.isFinite(s) || !Number.isFinite(e) || e < s) return null;
  return { field, start: s, end: e };
}

export function apexFileName(prefix: string, field: string, start: number, end: number): string {
  return `${prefix}_${field}_${start}_${end}.dat`;
}
