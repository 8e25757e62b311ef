// The command-line options every file-archive node shares (apex-weather,
// ucsc-radiometer): how often its folder is rescanned and how much memory
// its parsed files may take, under the node's own environment names and
// config keys.
import { UsageError } from '../../cli/options.js';

export function archiveOptions(names: { env: string; key: string }, cache: { mb: number; note: string }) {
  return {
    rescanInterval: {
      flag: 'rescan-interval',
      type: 'number',
      env: `${names.env}_RESCAN_INTERVAL`,
      key: `${names.key}.rescan_interval`,
      default: 60,
      description: 'seconds between full rescans of the folder (changes are also watched); 0: never',
    },
    cacheMb: {
      flag: 'cache-mb',
      type: 'number',
      env: `${names.env}_CACHE_MB`,
      key: `${names.key}.cache_mb`,
      default: cache.mb,
      description: `memory for parsed files, MB (${cache.note})`,
    },
  } as const;
}

/** The archive settings as the sources take them; a UsageError for values that cannot work. */
export function archiveSettings(s: { rescanInterval: number; cacheMb: number }): { rescanInterval: number; cacheBytes: number } {
  if (s.rescanInterval < 0 || s.cacheMb <= 0) throw new UsageError('--rescan-interval must be >= 0 and --cache-mb > 0');
  return { rescanInterval: s.rescanInterval, cacheBytes: s.cacheMb * 1024 * 1024 };
}
