// `sisock node apex-weather`: the APEX weather archive (node apex_weather).
import type { NodeKindModule } from '../../cli/commands/node.js';
import type { OptionSpecs } from '../../cli/options.js';
import { archiveOptions, archiveSettings } from '../archive/cli-options.js';
import { ApexWeatherSource } from './source.js';

const options = {
  dataDir: { flag: 'data-dir', type: 'string', env: 'APEX_DATA_DIR', key: 'apex_weather.data_dir', default: '/data/targets', description: 'folder of <prefix>_<field>_<start>_<end>.dat files' },
  name: { flag: 'name', type: 'string', env: 'APEX_NAME', key: 'apex_weather.name', default: 'apex_weather', description: 'data node name' },
  description: { flag: 'description', type: 'string', key: 'apex_weather.description', default: 'Weather station information from APEX.', description: 'data node description' },
  ...archiveOptions({ env: 'APEX', key: 'apex_weather' }, { mb: 256, note: 'a year of 7 minutely fields is ~60 MB' }),
} satisfies OptionSpecs;

const kind: NodeKindModule<typeof options> = {
  options,
  createSource: async (s, logger) => {
    const source = new ApexWeatherSource({ dataDir: s.dataDir, name: s.name, description: s.description, ...archiveSettings(s), logger });
    await source.start();
    return source;
  },
};

export const { createSource } = kind;
export { options };
