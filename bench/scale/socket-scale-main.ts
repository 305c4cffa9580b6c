/**
 * node dist/bench/scale/socket-scale-main.js --connections N
 * Runs the socket scale section alone (as root: it creates a network namespace).
 */
import { socketScale } from './socket-scale.js';

const i = process.argv.indexOf('--connections');
const n = i >= 0 ? Number(process.argv[i + 1]) : NaN;
if (!Number.isInteger(n) || n <= 0) {
  process.stderr.write('usage: socket-scale-main --connections N   (N connections = 2N ESTABLISHED sockets)\n');
  process.exit(2);
}
await socketScale({ connections: n, log: (line) => process.stdout.write(`${line}\n`) });
