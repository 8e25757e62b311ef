// One poll of the machine's sensors, read straight from the kernel: the
// hwmon interface (/sys/class/hwmon: temperatures, fans, voltages,
// currents, power, energy, humidity, with their labels), thermal zones
// (/sys/class/thermal), CPU load and utilisation (/proc/loadavg,
// /proc/stat) and memory (/proc/meminfo). Every machine has the last two,
// so a machine without sensors still has something to serve. The roots are
// parameters so tests can point them at a tree of their own.
import { readdir, readFile, realpath } from 'node:fs/promises';
import { basename, join } from 'node:path';

export interface Reading {
  field: string;
  description: string;
  units: string | null;
  /** NaN when the sensor could not be read this time */
  value: number;
}

export interface SensorRoots {
  /** normally /sys */
  sys: string;
  /** normally /proc */
  proc: string;
}

/** hwmon channel types: sysfs unit scale and the unit served */
const HWMON_TYPES: Record<string, { scale: number; units: string; what: string }> = {
  temp: { scale: 1e-3, units: 'C', what: 'temperature' },
  fan: { scale: 1, units: 'RPM', what: 'fan speed' },
  in: { scale: 1e-3, units: 'V', what: 'voltage' },
  curr: { scale: 1e-3, units: 'A', what: 'current' },
  power: { scale: 1e-6, units: 'W', what: 'power' },
  energy: { scale: 1e-6, units: 'J', what: 'energy' },
  humidity: { scale: 1e-3, units: '%', what: 'humidity' },
};

const CHANNEL = /^(temp|fan|in|curr|power|energy|humidity)(\d+)_(input|average)$/;

/** field names: lower case letters, digits, `_` and `-` */
export function sanitize(s: string): string {
  return s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

async function readText(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'latin1')).trim();
  } catch {
    return null;
  }
}

async function readNumber(path: string, scale: number): Promise<number> {
  const s = await readText(path);
  if (s === null || s === '') return NaN;
  const n = Number(s);
  return Number.isFinite(n) ? n * scale : NaN;
}

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch {
    return [];
  }
}

interface Chip {
  dir: string;
  name: string;
  /** what tells two chips of one driver apart (the device's name) */
  device: string;
}

/** hwmon chips, named by driver; chips of one driver told apart by their device */
async function hwmonChips(sys: string): Promise<Chip[]> {
  const root = join(sys, 'class', 'hwmon');
  const chips = await Promise.all(
    (await list(root)).map(async (entry): Promise<Chip> => {
      const dir = join(root, entry);
      const name = sanitize((await readText(join(dir, 'name'))) ?? entry) || entry;
      let device = entry;
      try {
        device = basename(await realpath(join(dir, 'device')));
      } catch {
        // virtual chips have no device
      }
      return { dir, name, device };
    }),
  );
  const count = new Map<string, number>();
  for (const c of chips) count.set(c.name, (count.get(c.name) ?? 0) + 1);
  return chips.map((c) => (count.get(c.name)! > 1 ? { ...c, name: `${c.name}-${sanitize(c.device)}` } : c));
}

export async function readHwmon(sys: string): Promise<Reading[]> {
  const chips = await hwmonChips(sys);
  const perChip = await Promise.all(
    chips.map(async (chip) => {
      const files = await list(chip.dir);
      const present = new Set(files);
      const seen = new Set<string>();
      const readings: Promise<Reading>[] = [];
      for (const f of files) {
        const m = CHANNEL.exec(f);
        if (!m) continue;
        const [, type, index, kind] = m as unknown as [string, string, string, string];
        const channel = `${type}${index}`;
        // power sensors may offer only an average; take _input when both exist
        if (seen.has(channel) || (kind === 'average' && present.has(`${channel}_input`))) continue;
        seen.add(channel);
        const spec = HWMON_TYPES[type]!;
        readings.push(
          (async () => {
            const label = present.has(`${channel}_label`) ? await readText(join(chip.dir, `${channel}_label`)) : null;
            return {
              field: `${chip.name}_${channel}`,
              description: `${label ? `${label}: ` : ''}${chip.name} ${spec.what} (${channel})`,
              units: spec.units,
              value: await readNumber(join(chip.dir, f), spec.scale),
            };
          })(),
        );
      }
      return Promise.all(readings);
    }),
  );
  return perChip.flat();
}

export async function readThermalZones(sys: string): Promise<Reading[]> {
  const root = join(sys, 'class', 'thermal');
  const zones = (await list(root)).filter((z) => z.startsWith('thermal_zone'));
  const info = await Promise.all(
    zones.map(async (z) => ({
      zone: z,
      type: sanitize((await readText(join(root, z, 'type'))) ?? z) || z,
      value: await readNumber(join(root, z, 'temp'), 1e-3),
    })),
  );
  const count = new Map<string, number>();
  for (const z of info) count.set(z.type, (count.get(z.type) ?? 0) + 1);
  return info.map((z) => ({
    field: count.get(z.type)! > 1 ? `thermal_${z.type}_${z.zone.slice('thermal_zone'.length)}` : `thermal_${z.type}`,
    description: `${z.type} (${z.zone}) temperature`,
    units: 'C',
    value: z.value,
  }));
}

/** CPU time counters of /proc/stat's first line, for utilisation between two polls */
export interface CpuTimes {
  busy: number;
  total: number;
}

export async function readCpuTimes(proc: string): Promise<CpuTimes | null> {
  const text = await readText(join(proc, 'stat'));
  const line = text?.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  if (n.length < 4 || n.some((x) => !Number.isFinite(x))) return null;
  // user nice system idle iowait irq softirq steal (guest time is inside user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = n;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total };
}

export async function readLoad(proc: string): Promise<Reading[]> {
  const text = await readText(join(proc, 'loadavg'));
  const parts = (text ?? '').split(/\s+/).map(Number);
  return [1, 5, 15].map((m, i) => ({
    field: `cpu_load_${m}`,
    description: `load average over ${m} minute${m > 1 ? 's' : ''}`,
    units: null,
    value: Number.isFinite(parts[i]) ? parts[i]! : NaN,
  }));
}

export async function readMemory(proc: string): Promise<Reading[]> {
  const text = (await readText(join(proc, 'meminfo'))) ?? '';
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    // a number too long for a double is no reading (it would make every derived value infinite)
    if (m && Number.isFinite(Number(m[2]))) kb.set(m[1]!, Number(m[2]));
  }
  const mib = (k: string) => (kb.has(k) ? kb.get(k)! / 1024 : NaN);
  const total = mib('MemTotal');
  // MemAvailable exists since Linux 3.14; estimate it on older kernels
  const available = kb.has('MemAvailable') ? mib('MemAvailable') : mib('MemFree') + mib('Buffers') + mib('Cached');
  const swapTotal = mib('SwapTotal');
  return [
    { field: 'memory_used', description: 'memory in use (total minus available)', units: 'MiB', value: total - available },
    { field: 'memory_available', description: 'memory available for new work', units: 'MiB', value: available },
    { field: 'memory_used_percent', description: 'memory in use', units: '%', value: total > 0 ? (100 * (total - available)) / total : NaN },
    { field: 'swap_used', description: 'swap in use', units: 'MiB', value: swapTotal - mib('SwapFree') },
  ];
}
