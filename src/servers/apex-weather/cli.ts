// `sisock node apex-weather`: the APEX weather archive (node apex_weather).
import type { NodeKindModule } from '../../cli/commands/node.js';
import { UsageError, type OptionSpecs } from '../../cli/options.js';
import { ApexWeatherSource } from './source.js';

const options = {
  dataDir: { flag: 'data-dir', type: 'string', env: 'APEX_DATA_DIR', key: 'apex_weather.data_dir', default: '/data/targets', description: 'folder of <prefix>_<field>_<start>_<end>.dat files' },
  name: { flag: 'name', type: 'string', env: 'APEX_NAME', key: 'apex_weather.name', default: 'apex_weather', description: 'data node name' },
  description: { flag: 'description', type: 'string', key: 'apex_weather.description', default: 'Weather station information from APEX.', description: 'data node description' },
  rescanInterval: { flag: 'rescan-interval', type: 'number', env: 'APEX_RESCAN_INTERVAL', key: 'apex_weather.rescan_interval', default: 60, description: 'seconds between full rescans of the folder (changes are also watched); 0: never' },
  cacheMb: { flag: 'cache-mb', type: 'number', env: 'APEX_CACHE_MB', key: 'apex_weather.cache_mb', default: 256, description: 'memory for parsed files, MB (a year of 7 minutely fields is ~60 MB)' },
} satisfies OptionSpecs;

const kind: NodeKindModule<typeof options> = {
  options,
  createSource: async (s, logger) => {
    if (s.rescanInterval < 0 || s.cacheMb <= 0) throw new UsageError('--rescan-interval must be >= 0 and --cache-mb > 0');
    const source = new ApexWeatherSource({
      dataDir: s.dataDir,
      name: s.name,
      description: s.description,
      rescanInterval: s.rescanInterval,
      cacheBytes: s.cacheMb * 1024 * 1024,
      logger,
    });
    await source.start();
    return source;
  },
};

export const { createSource } = kind;
export { options };
