// The fox-wamp router (from npm) in its own process, for comparison. The
// package path comes as the first argument; prints its port on stdout.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const packageDir = process.argv[2]!;
const FoxRouter = createRequire(`${packageDir}/`)('fox-wamp') as new () => { listenWAMP(o: unknown): void };
const server = createServer();
const router = new FoxRouter();
router.listenWAMP({ server, path: '/ws' });
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`fox-wamp listening on ${typeof addr === 'object' && addr ? addr.port : 0}`);
});
process.on('SIGTERM', () => process.exit(0));
