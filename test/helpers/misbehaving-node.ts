// A data node process that misbehaves on purpose, for fault tests. Run as
// `node misbehaving-node.js <mode>` with the connection in the environment
// (SISOCK_URL, SISOCK_CA, WAMP_SECRET; user server) and NODE_NAME. One field
// `v` on timeline `t`, one sample a second over the last hour.
//
// Modes:
//   hang-on-signal  answers until SIGUSR2, then accepts every call and never
//                   answers (event loop alive, pings answered: a node stuck
//                   in its data source); SIGUSR2 again makes it answer again.
//   slow-large      get_data prints `computing <n>` on stdout, then builds a
//                   large reply (SLOW_LARGE_POINTS points, default 2 million)
//                   slowly, in slices, so the test can kill it mid-way.
//   progressive     also registers `org.simonsobservatory.consumer.<name>.stream`,
//                   which sends a progressive result every 50 ms, forever
//                   (autobahn: wampy as a callee has no progressive results).
// Prints `ready` on stdout once announced to the hub; SIGTERM stops it.
import { readFileSync } from 'node:fs';
import { connectAutobahn, type AutobahnClient } from '../router/clients.js';
import { DataNodeServer } from '../../src/datanode/server.js';
import type { DataNodeSource, DataRequest, TimelineSamples } from '../../src/datanode/source.js';
import type { FieldsReply } from '../../src/protocol/types.js';

const mode = process.argv[2] ?? '';
const name = process.env.NODE_NAME ?? 'misbehaving';
const url = process.env.SISOCK_URL!;
const secret = process.env.WAMP_SECRET!;
const ca = process.env.SISOCK_CA ? readFileSync(process.env.SISOCK_CA, 'utf8') : undefined;

let hanging = false;
process.on('SIGUSR2', () => {
  hanging = !hanging;
  console.log(hanging ? 'hanging' : 'answering');
});

/** A promise that settles never: a call accepted and forgotten. */
const never = (): Promise<never> => new Promise<never>(() => {});

const fields: FieldsReply = [{ v: { description: 'a value', timeline: 't', type: 'number', units: null } }, { t: { interval: 1, field: ['v'] } }];

function samples(start: number, end: number): TimelineSamples[] {
  const now = Math.floor(Date.now() / 1000);
  const from = Math.max(Math.ceil(start), now - 3600);
  const to = Math.min(Math.ceil(end), now);
  const n = Math.max(0, to - from);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = from + i;
  return [{ name: 't', t, fields: new Map([['v', t.map((x) => x % 100)]]), finalizedUntil: null }];
}

async function slowLarge(req: DataRequest): Promise<TimelineSamples[]> {
  const n = Number(process.env.SLOW_LARGE_POINTS ?? 2_000_000);
  console.log(`computing ${n}`);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i += 10_000) {
    for (let j = i; j < Math.min(n, i + 10_000); j++) {
      t[j] = req.start + j * 1e-3;
      v[j] = Math.sin(j);
    }
    await new Promise((r) => setTimeout(r, 5)); // slowly: about a second per million points
  }
  return [{ name: 't', t, fields: new Map([['v', v]]), finalizedUntil: null }];
}

const source: DataNodeSource = {
  name,
  description: `misbehaving node (${mode})`,
  getFields: () => (hanging ? never() : fields),
  getData: (req) => {
    if (mode === 'slow-large') return slowLarge(req);
    return hanging ? never() : samples(req.start, req.end);
  },
};

const server = new DataNodeServer({
  source,
  connection: { url, realm: 'test_realm', ...(ca ? { ca } : {}), auth: { method: 'wampcra', authid: 'server', secret } },
  claimTimeout: 5,
  announceRetry: 500,
});
server.once('announced', () => console.log('ready'));
server.on('fatal', (err: unknown) => {
  console.error(`fatal: ${String(err)}`);
  process.exit(1);
});

let streamer: AutobahnClient | null = null;
if (mode === 'progressive') {
  // a second session, through autobahn as the original's nodes: streams progressive results
  streamer = await connectAutobahn({ url, realm: 'test_realm', authid: 'server', authmethods: ['wampcra'], secret, ...(ca ? { ca } : {}) });
  await streamer.session.register(`org.simonsobservatory.consumer.${name}.stream`, (_args, _kwargs, details) => {
    let i = 0;
    console.log('streaming');
    setInterval(() => details?.progress?.([i++], {}), 50);
    return never(); // never finishes: only progress, until the process dies
  });
}

await server.start();
process.on('SIGTERM', () => {
  void streamer?.close();
  void server.close().then(() => process.exit(0));
});
