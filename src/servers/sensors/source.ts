// The `sensors` data node: the machine's own sensors, polled every
// `interval` seconds (2.5 s, as the original) into a ring buffer of the last
// `depth` readings (1800), all fields on one timeline `t`. Sensors that
// appear later (hot-plugged devices) are added as they come; a sensor that
// cannot be read gives a missing value (null on the wire) for that poll.
import type { DataNodeSource, DataRequest, FieldsRequest, TimelineSamples } from '../../datanode/source.js';
import { RingBuffer } from '../../datanode/ring-buffer.js';
import { FieldsChangedSignal } from '../../datanode/fields-signal.js';
import type { FieldInfo, FieldsReply } from '../../protocol/types.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { readCpuTimes, readHwmon, readLoad, readMemory, readThermalZones, type CpuTimes, type Reading, type SensorRoots } from './readings.js';

export interface SensorsOptions {
  roots?: Partial<SensorRoots>;
  /** seconds between polls (default 2.5) */
  interval?: number;
  /** readings kept (default 1800) */
  depth?: number;
  name?: string;
  description?: string;
  logger?: Logger;
}

export const SENSORS_TIMELINE = 't';

export class SensorsSource implements DataNodeSource {
  readonly name: string;
  readonly description: string;
  readonly interval: number;
  private readonly roots: SensorRoots;
  private readonly logger: Logger;
  private readonly buffer: RingBuffer;
  private readonly info = new Map<string, FieldInfo>();
  private lastCpu: CpuTimes | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly fieldsChanged = new FieldsChangedSignal();

  constructor(options: SensorsOptions = {}) {
    this.name = options.name ?? 'sensors';
    this.description = options.description ?? "The machine's hardware sensors (hwmon, thermal zones), CPU load and memory.";
    this.interval = options.interval ?? 2.5;
    if (!(this.interval > 0)) throw new RangeError(`poll interval must be > 0 seconds, got ${this.interval}`);
    const depth = options.depth ?? 1800;
    this.roots = { sys: options.roots?.sys ?? '/sys', proc: options.roots?.proc ?? '/proc' };
    this.logger = options.logger ?? silentLogger;
    this.buffer = new RingBuffer({ columns: {}, capacity: depth });
  }

  /** polls once now, then every `interval` seconds */
  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => {
      // a slow sensor must not make polls pile up: skip a tick instead
      if (!this.polling) void this.poll();
    }, this.interval * 1000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** one reading of every sensor into the buffer */
  poll(): Promise<void> {
    this.polling ??= this.readAll()
      .catch((err: unknown) => this.logger.error({ err }, 'sensor poll failed'))
      .finally(() => {
        this.polling = null;
      });
    return this.polling;
  }

  /** readings taken so far (at most `depth`) */
  get length(): number {
    return this.buffer.length;
  }

  /** Hot-plugged sensors add fields, and the first reading makes the list non-empty. */
  onFieldsChanged(listener: () => void): () => void {
    return this.fieldsChanged.listen(listener);
  }

  getFields(request: FieldsRequest): FieldsReply {
    if (this.buffer.range(request.start, request.end, { fields: [] }).t.length === 0) return [{}, {}];
    const fields = Object.fromEntries(this.info);
    return [fields, { [SENSORS_TIMELINE]: { interval: this.interval, field: [...this.info.keys()] } }];
  }

  getData(request: DataRequest): TimelineSamples[] {
    const wanted = request.fields.filter((f) => this.info.has(f));
    if (wanted.length === 0) return [];
    const r = this.buffer.range(request.start, request.end, { fields: wanted });
    if (r.t.length === 0) return [];
    return [{ name: SENSORS_TIMELINE, t: r.t, fields: r.fields, finalizedUntil: this.buffer.lastTime ?? null }];
  }

  private async readAll(): Promise<void> {
    const t = Date.now() / 1000;
    const { sys, proc } = this.roots;
    const [hwmon, thermal, load, memory, cpu] = await Promise.all([readHwmon(sys), readThermalZones(sys), readLoad(proc), readMemory(proc), readCpuTimes(proc)]);
    const readings: Reading[] = [...hwmon, ...thermal, ...load];
    let utilisation = NaN;
    if (cpu && this.lastCpu && cpu.total > this.lastCpu.total) {
      utilisation = (100 * (cpu.busy - this.lastCpu.busy)) / (cpu.total - this.lastCpu.total);
    }
    if (cpu) this.lastCpu = cpu;
    readings.push({ field: 'cpu_utilisation', description: 'CPU time busy since the previous poll, all cores', units: '%', value: utilisation });
    readings.push(...memory);
    const values: Record<string, number> = {};
    const first = this.buffer.length === 0;
    let found = false;
    for (const r of readings) {
      if (Object.hasOwn(values, r.field)) continue;
      if (!this.info.has(r.field)) {
        this.info.set(r.field, { description: r.description, timeline: SENSORS_TIMELINE, type: 'number', units: r.units });
        this.buffer.addColumn(r.field, 'number');
        this.logger.debug({ field: r.field, units: r.units }, 'sensor found');
        found = true;
      }
      values[r.field] = r.value;
    }
    this.buffer.append(t, values);
    if (found || first) this.fieldsChanged.notify();
  }
}
