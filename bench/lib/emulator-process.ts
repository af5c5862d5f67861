/**
 * The emulator in a process of its own, so a benchmark's client does not share its event loop. Prints
 * `{"port":…}` once listening; stops when stdin closes. Accounts and faults go through its control API.
 */
import { startEmulator } from '../../src/emulator/index.js';

const emulator = await startEmulator({ port: 0 });
process.stdout.write(`${JSON.stringify({ port: emulator.port })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void emulator.close().then(() => process.exit(0)));
