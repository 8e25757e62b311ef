// `sisock node ucsc-radiometer`: PWV of the UCSC radiometer (node ucsc_radiometer).
import type { NodeKindModule } from '../../cli/commands/node.js';
import { UsageError, type OptionSpecs } from '../../cli/options.js';
import { UcscRadiometerSource } from './source.js';

const options = {
  pwvDir: { flag: 'pwv-dir', type: 'string', env: 'PWV_DATA_DIR', key: 'ucsc_radiometer.pwv_dir', default: '/data/PWV', description: 'folder of the daily PWV_UCSC_<year>-<doy>.txt files' },
  name: { flag: 'name', type: 'string', env: 'PWV_NAME', key: 'ucsc_radiometer.name', default: 'ucsc_radiometer', description: 'data node name' },
  description: { flag: 'description', type: 'string', key: 'ucsc_radiometer.description', default: 'PWV readings from the UCSC radiometer.', description: 'data node description' },
  rescanInterval: { flag: 'rescan-interval', type: 'number', env: 'PWV_RESCAN_INTERVAL', key: 'ucsc_radiometer.rescan_interval', default: 60, description: 'seconds between full rescans of the folder (changes are also watched); 0: never' },
  cacheMb: { flag: 'cache-mb', type: 'number', env: 'PWV_CACHE_MB', key: 'ucsc_radiometer.cache_mb', default: 64, description: 'memory for parsed files, MB (a year is ~8 MB)' },
} satisfies OptionSpecs;

const kind: NodeKindModule<typeof options> = {
  options,
  createSource: async (s, logger) => {
    if (s.rescanInterval < 0 || s.cacheMb <= 0) throw new UsageError('--rescan-interval must be >= 0 and --cache-mb > 0');
    const source = new UcscRadiometerSource({
      pwvDir: s.pwvDir,
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
