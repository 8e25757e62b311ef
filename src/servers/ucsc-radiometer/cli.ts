// `sisock node ucsc-radiometer`: PWV of the UCSC radiometer (node ucsc_radiometer).
import type { NodeKindModule } from '../../cli/commands/node.js';
import type { OptionSpecs } from '../../cli/options.js';
import { archiveOptions, archiveSettings } from '../archive/cli-options.js';
import { UcscRadiometerSource } from './source.js';

const options = {
  pwvDir: { flag: 'pwv-dir', type: 'string', env: 'PWV_DATA_DIR', key: 'ucsc_radiometer.pwv_dir', default: '/data/PWV', description: 'folder of the daily PWV_UCSC_<year>-<doy>.txt files' },
  name: { flag: 'name', type: 'string', env: 'PWV_NAME', key: 'ucsc_radiometer.name', default: 'ucsc_radiometer', description: 'data node name' },
  description: { flag: 'description', type: 'string', key: 'ucsc_radiometer.description', default: 'PWV readings from the UCSC radiometer.', description: 'data node description' },
  ...archiveOptions({ env: 'PWV', key: 'ucsc_radiometer' }, { mb: 64, note: 'a year is ~8 MB' }),
} satisfies OptionSpecs;

const kind: NodeKindModule<typeof options> = {
  options,
  createSource: async (s, logger) => {
    const source = new UcscRadiometerSource({ pwvDir: s.pwvDir, name: s.name, description: s.description, ...archiveSettings(s), logger });
    await source.start();
    return source;
  },
};

export const { createSource } = kind;
export { options };
