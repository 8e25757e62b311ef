// `sisock node g3-reader`: the .g3 archive through the g3 scanner's index
// (node g3_reader, like the original). The index options are the scanner's.
import type { NodeKindModule } from '../../cli/commands/node.js';
import { indexOptions, indexStoreFrom } from '../../cli/commands/scan.js';
import { UsageError, type OptionSpecs } from '../../cli/options.js';
import { G3ReaderSource } from './source.js';

const options = {
  name: { flag: 'name', type: 'string', env: 'SISOCK_G3_READER_NAME', key: 'g3_reader.name', default: 'g3_reader', description: 'data node name' },
  description: { flag: 'description', type: 'string', key: 'g3_reader.description', default: 'Housekeeping data from the .g3 archive.', description: 'data node description' },
  dataDir: { flag: 'data-dir', type: 'string', env: 'DATA_DIRECTORY', key: 'g3.data_directory', description: 'root of the .g3 archive (default: where the scanner found it, as the index records)' },
  cacheMb: { flag: 'cache-mb', type: 'number', env: 'SISOCK_G3_CACHE_MB', key: 'g3_reader.cache_mb', default: 256, description: 'memory for frames read from .g3 files, MB' },
  refresh: { flag: 'refresh', type: 'number', env: 'SISOCK_G3_REFRESH', key: 'g3_reader.refresh', default: 1, description: 'seconds between checks for changes of the index' },
  maxRawValues: { flag: 'max-raw-values', type: 'number', env: 'SISOCK_G3_MAX_RAW', key: 'g3_reader.max_raw_values', default: 20e6, description: 'raw values (samples x fields) one request may read before it must ask with a min_stride' },
  ...indexOptions,
} satisfies OptionSpecs;

const kind: NodeKindModule<typeof options> = {
  options,
  createSource: async (s, logger) => {
    if (!(s.cacheMb > 0) || !(s.refresh >= 0) || !(s.maxRawValues > 0)) throw new UsageError('--cache-mb and --max-raw-values must be > 0, --refresh >= 0');
    const source = new G3ReaderSource({
      store: indexStoreFrom(s),
      ...(s.dataDir !== undefined ? { dataDir: s.dataDir } : {}),
      name: s.name,
      description: s.description,
      cacheBytes: s.cacheMb * 1024 * 1024,
      refreshInterval: s.refresh * 1000,
      maxRawValues: s.maxRawValues,
      logger,
    });
    await source.start();
    return source;
  },
};

export const { createSource } = kind;
export { options };
