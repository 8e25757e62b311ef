// `sisock node weather`: the example APEX weather archive.
import type { NodeKindModule } from '../../cli/commands/node.js';
import type { OptionSpecs } from '../../cli/options.js';
import { ApexArchiveSource, DEFAULT_DATA_DIR } from './source.js';

const options = {
  dataDir: { flag: 'data-dir', type: 'string', env: 'SISOCK_WEATHER_DIR', key: 'weather.data_dir', default: DEFAULT_DATA_DIR, description: 'folder of <field>.dat files' },
  name: { flag: 'name', type: 'string', env: 'SISOCK_WEATHER_NAME', key: 'weather.name', default: 'apex_archive', description: 'data node name' },
  description: { flag: 'description', type: 'string', key: 'weather.description', default: 'Archived APEX weather.', description: 'data node description' },
} satisfies OptionSpecs;

const kind: NodeKindModule<typeof options> = {
  options,
  createSource: (s, logger) => ApexArchiveSource.load({ dataDir: s.dataDir, name: s.name, description: s.description, logger }),
};

export const { createSource } = kind;
export { options };
