// `sisock node data-feed`: follows OCS feeds and serves them, configured by
// the original's variables TARGET, FEED, NAME, DESCRIPTION, BUFFER_TIME,
// CROSSBAR_HOST and CROSSBAR_OCS_PORT.
import { join } from 'node:path';
import type { NodeKindModule } from '../../cli/commands/node.js';
import { connectionOptions } from '../../cli/connection.js';
import { UsageError, type OptionSpecs } from '../../cli/options.js';
import { selectorPart } from './naming.js';
import { DataFeedSource } from './source.js';

const options = {
  // shared with the node's own connection (same specs, so they merge)
  routerHost: connectionOptions.routerHost,
  realm: connectionOptions.realm,
  target: { flag: 'target', type: 'string', env: 'TARGET', key: 'data_feed.target', description: "OCS agent instance-id to follow, or '*' for every agent (required)" },
  feed: { flag: 'feed', type: 'string', env: 'FEED', key: 'data_feed.feed', description: "feed name to follow, or '*' for every feed (required)" },
  name: { flag: 'name', type: 'string', env: 'NAME', key: 'data_feed.name', description: "data node name (default: TARGET, or 'ocs_feeds' with TARGET '*')" },
  description: { flag: 'description', type: 'string', env: 'DESCRIPTION', key: 'data_feed.description', description: 'data node description (default: which feeds it follows)' },
  bufferTime: { flag: 'buffer-time', type: 'number', env: 'BUFFER_TIME', key: 'data_feed.buffer_time', default: 3600, description: 'seconds of data kept per field' },
  maxSamples: { flag: 'max-samples', type: 'number', env: 'SISOCK_FEED_MAX_SAMPLES', key: 'data_feed.max_samples', default: 1_000_000, description: 'samples kept per field at most' },
  addressRoot: { flag: 'address-root', type: 'string', env: 'SISOCK_OCS_ADDRESS_ROOT', key: 'data_feed.address_root', default: 'observatory', description: "the OCS site's address root" },
  ocsPort: { flag: 'ocs-port', type: 'number', env: 'CROSSBAR_OCS_PORT', key: 'data_feed.ocs_port', default: 8001, description: "router's open port, where OCS agents publish" },
  feedUrl: { flag: 'feed-url', type: 'string', env: 'SISOCK_FEED_URL', key: 'data_feed.url', description: 'URL the feeds are read from (default ws://<router-host>:<ocs-port>/ws, anonymous)' },
  spoolDir: { flag: 'spool-dir', type: 'string', env: 'SISOCK_SPOOL_DIR', key: 'data_feed.spool_dir', default: '.sisock/spool', description: 'folder of the buffer spool (survives restarts)' },
  spoolMaxMb: { flag: 'spool-max-mb', type: 'number', env: 'SISOCK_SPOOL_MAX_MB', key: 'data_feed.spool_max_mb', default: 64, description: 'size cap of the spool file, MB; 0: no spool' },
} satisfies OptionSpecs;

const kind: NodeKindModule<typeof options> = {
  options,
  createSource: async (s, logger) => {
    if (s.target === undefined || s.feed === undefined) {
      throw new UsageError("TARGET and FEED (--target, --feed) are required; '*' follows every agent or feed");
    }
    if (!(s.bufferTime > 0)) throw new UsageError(`BUFFER_TIME must be > 0 seconds, got ${s.bufferTime}`);
    if (!Number.isInteger(s.maxSamples) || s.maxSamples < 1) throw new UsageError(`--max-samples must be a positive integer, got ${s.maxSamples}`);
    if (s.spoolMaxMb < 0) throw new UsageError('--spool-max-mb must be >= 0');
    const selector = { addressRoot: s.addressRoot, target: selectorPart(s.target), feed: selectorPart(s.feed) };
    const name = s.name ?? selector.target ?? 'ocs_feeds';
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new UsageError(`node name '${name}': letters, digits, '_' and '-' only (it is part of WAMP URIs)`);
    const followed = `${s.addressRoot}.${selector.target ?? '*'}.feeds.${selector.feed ?? '*'}`;
    const host = s.routerHost.includes(':') ? `[${s.routerHost}]` : s.routerHost;
    return DataFeedSource.open({
      name,
      description: s.description ?? `Live OCS feed ${followed}, last ${s.bufferTime} s.`,
      selector,
      bufferTime: s.bufferTime,
      maxSamples: s.maxSamples,
      feedConnection: { url: s.feedUrl ?? `ws://${host}:${s.ocsPort}/ws`, realm: s.realm, auth: { method: 'anonymous' } },
      spool: s.spoolMaxMb > 0 ? { path: join(s.spoolDir, `data-feed-${name}.spool`), maxBytes: s.spoolMaxMb * 1024 * 1024 } : null,
      logger,
    });
  },
};

export const { createSource } = kind;
export { options };
