import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// The worker was not started with --expose-gc; this turns it on for a fresh context
// (V8 flag, Node docs "v8.setFlagsFromString").
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Memory of this process after full collections, in MiB. */
export async function settledMemory(): Promise<{ rssMiB: number; heapMiB: number }> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 100));
  }
  const m = process.memoryUsage();
  return { rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20 };
}
