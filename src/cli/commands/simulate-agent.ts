// `sisock simulate-agent`: a stand-in OCS agent publishing realistic feeds
// on the router's open port, so the data-feed node (and the whole path to
// Grafana) can be seen working without OCS. Floats are sent as floats.
import { WampClient } from '../../client/client.js';
import { describeError } from '../../client/errors.js';
import { createLogger } from '../../log/logger.js';
import { SimulatedAgent, parseFeedSpec, type SimulatedFeedSpec } from '../../simulate/agent.js';
import { FloatPreservingJsonSerializer } from '../../simulate/float-json.js';
import { connectionOptions } from '../connection.js';
import { formatHelp, parseCommandLine, UsageError, type OptionSpecs } from '../options.js';
import { untilStopped } from '../signals.js';

export const simulateAgentOptions = {
  routerHost: connectionOptions.routerHost,
  realm: connectionOptions.realm,
  ocsPort: { flag: 'ocs-port', type: 'number', env: 'CROSSBAR_OCS_PORT', key: 'simulate.ocs_port', default: 8001, description: "router's open port, where OCS agents publish" },
  url: { flag: 'url', type: 'string', key: 'simulate.url', description: 'router URL (default ws://<router-host>:<ocs-port>/ws); joins anonymously' },
  agentId: { flag: 'agent-id', type: 'string', env: 'SISOCK_SIM_AGENT_ID', key: 'simulate.agent_id', default: 'fake-data1', description: 'instance-id of the simulated agent' },
  addressRoot: { flag: 'address-root', type: 'string', env: 'SISOCK_OCS_ADDRESS_ROOT', key: 'simulate.address_root', default: 'observatory', description: "the OCS site's address root" },
  feeds: {
    flag: 'feed',
    type: 'list',
    key: 'simulate.feeds',
    default: ['false_temperatures:4:10:fake', 'temperatures:8:2:lakeshore'],
    description: 'feeds as name[:channels[:samples per second[:fake|lakeshore]]]; repeat or separate with commas',
  },
  bufferTime: { flag: 'buffer-time', type: 'number', key: 'simulate.buffer_time', default: 1, description: "seconds each feed buffers before publishing (OCS agents' usual 1)" },
  noHeartbeat: { flag: 'no-heartbeat', type: 'boolean', key: 'simulate.no_heartbeat', default: false, description: 'do not publish the 1 Hz heartbeat feed' },
  duration: { flag: 'duration', type: 'number', key: 'simulate.duration', default: 0, description: 'seconds to run; 0: until Ctrl-C' },
} satisfies OptionSpecs;

export async function run(argv: string[]): Promise<number> {
  let feeds: SimulatedFeedSpec[];
  let client: WampClient;
  let agent: SimulatedAgent;
  const log = createLogger('simulate-agent');
  let o;
  try {
    const parsed = parseCommandLine(simulateAgentOptions, argv);
    if (parsed.help) {
      console.log(formatHelp('sisock simulate-agent [options]', simulateAgentOptions));
      return 0;
    }
    o = parsed.options;
    feeds = o.feeds.map((f) => {
      try {
        return parseFeedSpec(f);
      } catch (err) {
        throw new UsageError(`--feed ${f}: ${(err as Error).message}`);
      }
    });
    if (feeds.length === 0) throw new UsageError('give at least one --feed');
    if (new Set(feeds.map((f) => f.name)).size !== feeds.length) throw new UsageError('feed names must differ');
    if (!(o.bufferTime >= 0) || !(o.duration >= 0)) throw new UsageError('--buffer-time and --duration must be >= 0');
    if (!/^[^.\s]+$/.test(o.agentId)) throw new UsageError(`--agent-id '${o.agentId}': no dots or blanks`);
    const host = o.routerHost.includes(':') ? `[${o.routerHost}]` : o.routerHost;
    const url = o.url ?? `ws://${host}:${o.ocsPort}/ws`;
    if (!/^wss?:\/\//.test(url)) throw new UsageError(`--url must start with ws:// or wss://, got '${url}'`);
    client = new WampClient({ url, realm: o.realm, auth: { method: 'anonymous' }, serializer: new FloatPreservingJsonSerializer(), logger: log });
    agent = new SimulatedAgent({
      agentId: o.agentId,
      addressRoot: o.addressRoot,
      feeds,
      bufferTime: o.bufferTime,
      heartbeat: !o.noHeartbeat,
      logger: log,
      publish: (topic, args) => client.publish(topic, args),
    });
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sisock simulate-agent: ${err.message}`);
      return 2;
    }
    throw err;
  }
  let fatal: unknown;
  client.on('fatal', (err: unknown) => (fatal = err));
  try {
    await client.start();
  } catch (err) {
    console.error(`sisock simulate-agent: ${describeError(fatal ?? err)}`);
    await client.close();
    return 1;
  }
  // handlers first: whoever reads the ready line may stop it at once
  const stopped = untilStopped(client);
  agent.start();
  console.log(
    `sisock simulate-agent: agent ${agent.address} publishing ${feeds.map((f) => `${agent.address}.feeds.${f.name} (${f.channels} channels, ${f.rate}/s, ${f.style})`).join(', ')} on ${client.url}`,
  );
  const timer = o.duration > 0 ? new Promise<'signal'>((r) => setTimeout(() => r('signal'), o.duration * 1000)) : null;
  const how = await (timer ? Promise.race([stopped, timer]) : stopped);
  await agent.stop();
  await client.close();
  console.log(`sisock simulate-agent: ${agent.published} publications sent`);
  if (how === 'fatal') {
    console.error(`sisock simulate-agent: ${describeError(fatal)}`);
    return 1;
  }
  return 0;
}
