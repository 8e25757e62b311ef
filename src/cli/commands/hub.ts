// `sisock hub`: keeps the list of data node servers on the router until
// SIGINT/SIGTERM. Exit codes: 0 stopped, 1 failed, 2 usage, 3 another hub
// holds the hub's procedures.
import { describeError, WampError } from '../../client/errors.js';
import { Hub } from '../../hub/hub.js';
import { createLogger } from '../../log/logger.js';
import { clientOptionsFrom, connectionOptions } from '../connection.js';
import { formatHelp, parseCommandLine, UsageError, type OptionSpecs } from '../options.js';
import { HUB_USER } from '../router-defaults.js';
import { untilStopped } from '../signals.js';

export const hubOptions = {
  ...connectionOptions,
  // the hub's own user: sisock's default router lets no other serve the hub's
  // procedures; its own config keys, so one file can hold the router's, the
  // hub's and the data nodes' (client.*) settings
  user: { ...connectionOptions.user, key: 'hub.user', default: HUB_USER },
  secret: { ...connectionOptions.secret, key: 'hub.secret' },
  secretFile: { ...connectionOptions.secretFile, key: 'hub.secret_file' },
  probeInterval: { flag: 'probe-interval', type: 'number', env: 'SISOCK_HUB_PROBE_INTERVAL', key: 'hub.probe_interval', default: 30, description: 'seconds between liveness probes of every data node; 0: no probe' },
  probeTimeout: { flag: 'probe-timeout', type: 'number', env: 'SISOCK_HUB_PROBE_TIMEOUT', key: 'hub.probe_timeout', default: 10, description: 'seconds a data node has to answer a probe' },
  requireCallerDisclosure: { flag: 'require-caller-disclosure', type: 'boolean', env: 'SISOCK_HUB_REQUIRE_DISCLOSURE', key: 'hub.require_caller_disclosure', default: false, description: "refuse add/subtract when the router does not disclose the caller's session" },
  claimTimeout: { flag: 'claim-timeout', type: 'number', env: 'SISOCK_CLAIM_TIMEOUT', key: 'hub.claim_timeout', default: 10, description: 'seconds to keep retrying while another session holds the hub procedures' },
} satisfies OptionSpecs;

export async function run(argv: string[]): Promise<number> {
  let hub: Hub;
  let user: string;
  try {
    const parsed = parseCommandLine(hubOptions, argv);
    if (parsed.help) {
      console.log(formatHelp('sisock hub [options]', hubOptions));
      return 0;
    }
    const o = parsed.options;
    if (o.probeInterval < 0 || o.probeTimeout <= 0) throw new UsageError('--probe-interval must be >= 0 and --probe-timeout > 0');
    user = o.user;
    const log = createLogger('hub');
    hub = new Hub({
      connection: clientOptionsFrom(o, log),
      logger: log,
      probe: { interval: o.probeInterval * 1000, timeout: o.probeTimeout * 1000 },
      requireCallerDisclosure: o.requireCallerDisclosure,
      claimTimeout: o.claimTimeout * 1000,
    });
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sisock hub: ${err.message}`);
      return 2;
    }
    throw err;
  }
  let fatal: unknown;
  hub.client.on('fatal', (err: unknown) => (fatal = err));
  // Signals (and the death of a supervising `sisock up`) count from now: the router may be away for long.
  const stopped = untilStopped(hub.client);
  const started = hub.start().then(
    () => 'started' as const,
    (err: unknown) => {
      fatal ??= err;
      return 'fatal' as const;
    },
  );
  let how = await Promise.race([started, stopped]);
  if (how === 'started') {
    console.log(`sisock hub: serving the data node list on ${hub.client.url} (realm ${hub.client.realm})`);
    how = await stopped;
  }
  await hub.close();
  if (how === 'fatal') {
    if (fatal instanceof WampError && fatal.uri === 'wamp.error.not_authorized') {
      console.error(
        `sisock hub: the router refuses user '${user}' as the hub (${describeError(fatal)}).\n` +
          `With sisock's router the hub joins as user '${HUB_USER}' with the router's SISOCK_HUB_SECRET ` +
          `(WAMP_USER=${HUB_USER}, WAMP_SECRET or --secret-file); with a crossbar config, as a user whose role may register the hub's procedures.`,
      );
      return 2;
    }
    console.error(`sisock hub: ${describeError(fatal)}`);
    return /procedure_already_exists/.test(describeError(fatal)) ? 3 : 1;
  }
  return 0;
}
