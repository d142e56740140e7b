import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, EntitySchema } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { expectWithin, noteTiming } from '../../test/harness/timing';
import { MetadataTransactions } from './metadata-transactions';
import { gateSqliteQueryRunners, MetadataStoreBusyError } from './sqlite-connection-gate';

interface Note {
  id: number;
  body: string;
}
const NoteEntity = new EntitySchema<Note>({
  name: 'note',
  tableName: 'notes',
  columns: { id: { type: Number, primary: true, generated: true }, body: { type: String } },
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A real better-sqlite3 data source on a fresh file, gated as DatabaseModule does. */
async function openStore(
  options?: Parameters<typeof gateSqliteQueryRunners>[1],
): Promise<{ dataSource: DataSource; tx: MetadataTransactions; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-gate-'));
  const file = join(dir, 'metadata.sqlite');
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    database: file,
    entities: [NoteEntity],
    synchronize: true,
    enableWAL: true,
  });
  gateSqliteQueryRunners(dataSource, options);
  await dataSource.initialize();
  cleanups.push(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dataSource, tx: new MetadataTransactions(dataSource), file };
}

/** A transaction that inserts a row, then waits for `release()` before failing. */
function heldFailingTransaction(tx: MetadataTransactions) {
  let entered!: () => void;
  let release!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const held = new Promise<void>((resolve) => (release = resolve));
  const done = tx.transaction(async (manager) => {
    await manager.insert(NoteEntity, { body: 'rolled back' });
    entered();
    await held;
    throw new Error('boom');
  });
  return { inside, release, done };
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 5));
const bodies = async (dataSource: DataSource) =>
  (await dataSource.getRepository(NoteEntity).find({ order: { id: 'ASC' } })).map((n) => n.body);

describe('gateSqliteQueryRunners (real SQLite)', () => {
  it("another request's writes during an open transaction survive that transaction's rollback", async () => {
    const { dataSource, tx } = await openStore();
    const open = heldFailingTransaction(tx);
    await open.inside;
    // Both used to run on the shared connection inside the open transaction; save() even
    // skipped its own transaction because the runner reported one as active.
    const plain = dataSource.query('INSERT INTO notes (body) VALUES (?)', ['plain insert']);
    const saved = dataSource.getRepository(NoteEntity).save({ body: 'repository save' });
    await turn();
    open.release();
    await expect(open.done).rejects.toThrow('boom');
    await plain;
    await saved;
    expect(await bodies(dataSource)).toEqual(['plain insert', 'repository save']);
  });

  it('a plain read waits for the open transaction and never sees its uncommitted rows', async () => {
    const { dataSource, tx } = await openStore();
    const open = heldFailingTransaction(tx);
    await open.inside;
    const count = dataSource.getRepository(NoteEntity).count();
    await turn();
    open.release();
    await expect(open.done).rejects.toThrow('boom');
    expect(await count).toBe(0);
  });

  it('transactions started at once run one after another, in call order, each committed', async () => {
    const { dataSource, tx } = await openStore();
    const log: string[] = [];
    await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        tx.transaction(async (manager) => {
          log.push(`${name} start`);
          await turn();
          await manager.insert(NoteEntity, { body: name });
          log.push(`${name} end`);
        }),
      ),
    );
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    expect(await bodies(dataSource)).toEqual(['a', 'b', 'c']);
  });

  it("a failed transaction rejects its caller only; the next one and the body's own manager work", async () => {
    const { dataSource, tx } = await openStore();
    const failed = tx.transaction(() => Promise.reject(new Error('boom')));
    const next = tx.transaction(async (manager) => {
      await manager.save(NoteEntity, { body: 'saved by the body' });
      // A nested transaction on the body's manager is a savepoint, not a wait for itself.
      await manager.transaction((inner) => inner.insert(NoteEntity, { body: 'nested' }));
      return manager.count(NoteEntity);
    });
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe(2);
    expect(await bodies(dataSource)).toEqual(['saved by the body', 'nested']);
  });

  it('a failed statement inside a transaction rolls it back and frees the connection', async () => {
    const { dataSource, tx } = await openStore();
    await expect(
      tx.transaction(async (manager) => {
        await manager.insert(NoteEntity, { body: 'gone' });
        await manager.query('INSERT INTO no_such_table VALUES (1)');
      }),
    ).rejects.toThrow(/no such table/);
    await dataSource.query('INSERT INTO notes (body) VALUES (?)', ['after']);
    expect(await bodies(dataSource)).toEqual(['after']);
  });

  it('a body that bypasses its manager fails at once in the test suites (strict), naming the statement', async () => {
    const { dataSource, tx } = await openStore();
    await expect(
      tx.transaction(async (manager) => {
        await manager.insert(NoteEntity, { body: 'rolled back' });
        await dataSource.getRepository(NoteEntity).count();
      }),
    ).rejects.toThrow(/bypassed the body's manager.*SELECT COUNT/);
    expect(await bodies(dataSource)).toEqual([]);
  });

  it('without strict mode such a body fails after the wait limit, rolls back and frees the connection', async () => {
    const { dataSource, tx } = await openStore({ strict: false, waitLimitMs: 200 });
    const started = Date.now();
    await expect(
      tx.transaction(async (manager) => {
        await manager.insert(NoteEntity, { body: 'rolled back' });
        await dataSource.query('INSERT INTO notes (body) VALUES (?)', ['waits for itself']);
      }),
    ).rejects.toThrow(MetadataStoreBusyError);
    const waited = Date.now() - started;
    noteTiming('bypassing body fails after the 200 ms wait limit', waited, 200);
    expect(waited).toBeGreaterThanOrEqual(190);
    // The abandoned turn is passed on: the store keeps working.
    await dataSource.query('INSERT INTO notes (body) VALUES (?)', ['after']);
    expect(await bodies(dataSource)).toEqual(['after']);
  });

  it('when SQLite ends a transaction itself, the connection is handed on (no lock-up)', async () => {
    const { dataSource, tx } = await openStore({ waitLimitMs: 500 });
    await dataSource.query('INSERT INTO notes (id, body) VALUES (1, ?)', ['kept']);
    // INSERT OR ROLLBACK ends the transaction inside SQLite, as a disk I/O error or a full disk
    // does; TypeORM's ROLLBACK then fails and its depth stays at 1.
    await expect(
      tx.transaction(async (manager) => {
        await manager.query('INSERT INTO notes (id, body) VALUES (2, ?)', ['gone']);
        await manager.query('INSERT OR ROLLBACK INTO notes (id, body) VALUES (1, ?)', ['dup']);
      }),
    ).rejects.toThrow(/UNIQUE/);
    const started = Date.now();
    expect(await bodies(dataSource)).toEqual(['kept']);
    await tx.transaction((manager) => manager.insert(NoteEntity, { body: 'next' }));
    expect(await bodies(dataSource)).toEqual(['kept', 'next']);
    expectWithin(
      'after SQLite ended the transaction: a read and a transaction',
      Date.now() - started,
      400,
    );
  });

  it('a transaction that reads first, then writes, survives another process committing in between', async () => {
    const { dataSource, tx, file } = await openStore();
    // Another process on the same file (the CLI, a second server): it waits for a line on
    // stdin, then inserts with a busy timeout, as the API's own connection is configured.
    const other = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(${JSON.stringify(file)});
         db.pragma('busy_timeout = 5000');
         process.stdin.once('data', () => {
           process.stdout.write('writing');
           db.prepare("INSERT INTO notes (body) VALUES ('other process')").run();
           process.stdout.write('written');
           process.exit(0);
         });
         process.stdout.write('ready');`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const output = (text: string) =>
      new Promise<void>((resolve) => {
        let seen = '';
        other.stdout.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes(text)) resolve();
        });
      });
    await output('ready');
    const writing = output('writing');
    const exited = new Promise((resolve) => other.once('exit', resolve));
    await tx.transaction(async (manager) => {
      await manager.count(NoteEntity);
      other.stdin.write('go\n');
      // Wait until the other process is at its INSERT (an event, not a guess at its start-up
      // time), then give that synchronous statement a moment to reach SQLite's lock.
      await writing;
      await new Promise((resolve) => setTimeout(resolve, 100));
      // With a deferred BEGIN this write failed at once: "database is locked".
      await manager.insert(NoteEntity, { body: 'read then write' });
    });
    expect(await exited).toBe(0);
    expect(await bodies(dataSource)).toEqual(['read then write', 'other process']);
  });
});
