/**
 * Source of the child process that runs one SQLite statement (plain CommonJS, run with
 * `node -e`, so it works the same from the compiled build and under vitest). better-sqlite3 is
 * synchronous: in the API process a long statement would block every request, and a worker
 * thread cannot be stopped inside native code (measured: `terminate()` waited 55 s for a
 * recursive CTE). A child process is killed with SIGKILL at the timeout, which really stops it.
 *
 * Protocol (IPC): parent sends `{driverPath, filename, sql, values, maxRows, maxBytes}`; child
 * answers `{columns, rows, truncated}` or `{error: {code, message}}` and exits.
 */
export const SQLITE_CHILD_SOURCE = String.raw`
'use strict';
process.once('message', (job) => {
  let reply;
  try {
    const Database = require(job.driverPath);
    const db = new Database(job.filename, { fileMustExist: true, timeout: 1000 });
    try {
      const stmt = db.prepare(job.sql);
      if (stmt.reader) {
        stmt.safeIntegers(true);
        stmt.raw(true);
        const cols = stmt.columns();
        const seen = new Map();
        const names = cols.map((c) => {
          const n = (seen.get(c.name) || 0) + 1;
          seen.set(c.name, n);
          return n === 1 ? c.name : c.name + '_' + n;
        });
        const types = cols.map((c) => (c.type ? String(c.type).toLowerCase() : 'unknown'));
        const wide = types.map((t) => /bigint|int8/.test(t));
        const jsonCol = types.map((t) => t === 'json' || t === 'jsonb');
        const rows = [];
        let bytes = 2;
        let truncated = false;
        for (const raw of stmt.iterate(...job.values)) {
          if (rows.length >= job.maxRows) { truncated = true; break; }
          const row = {};
          for (let i = 0; i < names.length; i++) {
            let v = raw[i];
            if (typeof v === 'bigint') {
              v = wide[i] || v > 9007199254740991n || v < -9007199254740991n ? v.toString() : Number(v);
            } else if (Buffer.isBuffer(v)) {
              v = v.toString('base64');
            } else if (typeof v === 'number' && !Number.isFinite(v)) {
              v = String(v);
            } else if (jsonCol[i] && typeof v === 'string') {
              try { v = JSON.parse(v); } catch (e) { /* not JSON text: keep it */ }
            }
            row[names[i]] = v;
          }
          const size = Buffer.byteLength(JSON.stringify(row), 'utf8') + 1;
          if (bytes + size > job.maxBytes) { truncated = true; break; }
          bytes += size;
          rows.push(row);
        }
        reply = { columns: names.map((name, i) => ({ name, type: types[i] })), rows, truncated };
      } else {
        const info = stmt.run(...job.values);
        reply = {
          columns: [{ name: 'changes', type: 'integer' }],
          rows: [{ changes: info.changes }],
          truncated: false,
        };
      }
    } finally {
      db.close();
    }
  } catch (e) {
    reply = { error: { code: String((e && e.code) || 'SQLITE_ERROR'), message: String((e && e.message) || e) } };
  }
  process.send(reply, () => process.exit(0));
});
`;
