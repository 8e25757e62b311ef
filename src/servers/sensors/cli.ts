// `sisock node sensors`: this machine's sensors, CPU load and memory.
import type { NodeKindModule } from '../../cli/commands/node.js';
import { UsageError, type OptionSpecs } from '../../cli/options.js';
import { SensorsSource } from './source.js';

const options = {
  interval: { flag: 'interval', type: 'number', env: 'SENSORS_INTERVAL', key: 'sensors.interval', default: 2.5, description: 'seconds between polls' },
  depth: { flag: 'depth', type: 'number', env: 'SENSORS_DEPTH', key: 'sensors.depth', default: 1800, description: 'readings kept' },
  sysRoot: { flag: 'sys-root', type: 'string', key: 'sensors.sys_root', default: '/sys', description: 'where sysfs is mounted (hwmon, thermal)' },
  procRoot: { flag: 'proc-root', type: 'string', key: 'sensors.proc_root', default: '/proc', description: 'where procfs is mounted (load, memory)' },
  name: { flag: 'name', type: 'string', env: 'SENSORS_NAME', key: 'sensors.name', default: 'sensors', description: 'data node name' },
  description: { flag: 'description', type: 'string', key: 'sensors.description', description: 'data node description' },
} satisfies OptionSpecs;

const kind: NodeKindModule<typeof options> = {
  options,
  createSource: async (s, logger) => {
    if (!(s.interval >= 0.05)) throw new UsageError(`--interval must be at least 0.05 s, got ${s.interval}`);
    if (!Number.isInteger(s.depth) || s.depth < 1) throw new UsageError(`--depth must be a positive integer, got ${s.depth}`);
    const source = new SensorsSource({
      roots: { sys: s.sysRoot, proc: s.procRoot },
      interval: s.interval,
      depth: s.depth,
      name: s.name,
      ...(s.description !== undefined ? { description: s.description } : {}),
      logger,
    });
    await source.start();
    return source;
  },
};

export const { createSource } = kind;
export { options };
