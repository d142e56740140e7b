import { Worker } from 'node:worker_threads';

/**
 * How often the background thread checkpoints the SQLite WAL into the database file (ms). At
 * ~1,000 commits/s of a few pages each the WAL then stays below ~4 MB between two checkpoints.
 */
export const SQLITE_CHECKPOINT_INTERVAL_MS = 200;

/**
 * The main connection's own automatic checkpoint threshold, in WAL pages (SQLite's default is
 * 1,000): a safety net that only acts when the background thread is not keeping up (or died).
 */
export const SQLITE_FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

// CommonJS source of the worker: its own better-sqlite3 connection on the same file, a PASSIVE
// checkpoint every interval. PASSIVE never waits for or blocks a writer or reader; what it
// cannot copy now (a reader still on an older snapshot) the next one does.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // The next interval tries again; the main connection's fallback threshold still applies.
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints an SQLite database's WAL from a worker thread, so the main thread never does it.
 *
 * Why: in WAL mode with `synchronous=NORMAL` a commit writes its pages to the WAL without an
 * fsync, but the commit that crosses the auto-checkpoint threshold (1,000 pages) copies the WAL
 * into the database file and fsyncs both, inside that commit, on the event loop: 3-36 ms here
 * on a loaded disk, every ~200 one-entry commits. With the audit group commit (one commit per
 * few runs) that stalled every request of the process (bench/README.md, "Audit group commit").
 * Durability is unchanged: a committed transaction is in the WAL either way.
 */
export class SqliteCheckpointer {
  private worker: Worker | null;
  private readonly exited: Promise<void>;

  /**
   * Starts the thread on `file` (which must exist and be in WAL mode).
   * @param driverPath the resolved path of the `better-sqlite3` module (the worker loads it)
   */
  constructor(file: string, driverPath: string, intervalMs = SQLITE_CHECKPOINT_INTERVAL_MS) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, driverPath, intervalMs },
    });
    const worker = this.worker;
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    // A failed thread must not take the process down: the fallback threshold takes over.
    this.worker.on('error', () => undefined);
    this.worker.unref();
  }

  /** Stops the thread (its connection closes); resolves when it has exited. Idempotent. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    worker.postMessage('stop');
    const timer = setTimeout(() => void worker.terminate(), 2_000);
    await this.exited;
    clearTimeout(timer);
  }
}
