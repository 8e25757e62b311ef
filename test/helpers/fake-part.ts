// A stand-in for a `sisock` child process in supervisor tests. Arguments:
//   ready <text>         print <text> on stdout, then run until SIGTERM
//   crash-after <ms>     print "ready", exit with code 1 after <ms>, once per marker file
//   exit <code>          exit at once with <code>
//   ready-then-exit <c>  print "ready", then exit with <c>
// The marker file (env FAKE_MARKER) counts starts, one line per start.
import { appendFileSync } from 'node:fs';

const [cmd, arg] = process.argv.slice(2);
if (process.env.FAKE_MARKER) appendFileSync(process.env.FAKE_MARKER, `${process.pid}\n`);
console.error(JSON.stringify({ msg: 'fake part started', cmd }));
if (cmd === 'exit') process.exit(Number(arg));
const keepAlive = setInterval(() => {}, 1000);
process.on('SIGTERM', () => {
  clearInterval(keepAlive);
  console.error('stopping on SIGTERM');
  process.exit(0);
});
if (cmd === 'ready') console.log(arg);
if (cmd === 'ready-then-exit') {
  console.log('ready');
  setTimeout(() => process.exit(Number(arg)), 50);
}
if (cmd === 'crash-after') {
  console.log('ready');
  setTimeout(() => process.exit(1), Number(arg));
}
