/**
 * Source of the child process that runs one SQLite statement (plain CommonJS, run with
 * `node -e`, so it works the same from the compiled build and under vitest). better-sqlite3 is
 * synchronous: in the API process a long statement would block every request, and a worker
 * thread cannot be stopped inside native code (measured: `terminate()` waited 55 s for a
 * recursive CTE). A child process is killed with SIGKILL at the timeout, which really stops it.
 *
 * Protocol (IPC): parent sends `{driverPath, filename, readOnly, sql, inner, hidden, values,
 * maxRows, maxBytes}`; child answers `{columns, rows, truncated}` or `{error: {code, message}}`
 * and exits.
 *
 * Defences of the run (better-sqlite3 has no `sqlite3_set_authorizer`), after the parent's
 * text check (sqlite-statement-guard.ts):
 * - `PRAGMA trusted_schema = OFF`: views and triggers cannot call load_extension() or use
 *   virtual tables such as pragma_database_list (SQLite: "unsafe use of ...").
 * - The compiled program (`EXPLAIN` of `inner`, the statement without a leading EXPLAIN) is
 *   refused (code `BASTION_REFUSED`) when it holds ATTACH or DETACH (`sqlite_attach`,
 *   `sqlite_detach` functions), VACUUM INTO (`Vacuum` with a target register), load_extension(),
 *   a scan of pragma_database_list (its virtual table, learnt at open), or any text holding a
 *   server path (`hidden`, e.g. the file name a PRAGMA compiles in).
 * - A result row or an error message holding a server path is refused / has it removed.
 */
export const SQLITE_CHILD_SOURCE = String.raw`
'use strict';
process.once('message', (job) => {
  let reply;
  const refusal = (what) => Object.assign(
    new Error('This SQLite statement is refused: ' + what + ' (a datasource works on its own file only)'),
    { code: 'BASTION_REFUSED' },
  );
  const hiddenJson = job.hidden.map((h) => JSON.stringify(h).slice(1, -1));
  const hide = (text) => job.hidden.reduce((t, h) => t.split(h).join('[path]'), text);
  try {
    const Database = require(job.driverPath);
    const db = new Database(job.filename, { readonly: job.readOnly, fileMustExist: true, timeout: 1000 });
    try {
      db.exec('PRAGMA trusted_schema = OFF');
      const vtabOf = (sql) =>
        db.prepare('EXPLAIN ' + sql).all().filter((op) => op.opcode === 'VOpen').map((op) => op.p4);
      const deniedTables = new Set(vtabOf('SELECT * FROM pragma_database_list'));
      const stmt = db.prepare(job.sql);
      const program = db.prepare('EXPLAIN ' + job.inner).all(...job.values);
      for (const op of program) {
        const p4 = typeof op.p4 === 'string' ? op.p4 : '';
        let what = null;
        if (op.opcode === 'Vacuum' && op.p2 !== 0) what = 'VACUUM INTO is not allowed';
        else if (/^(sqlite_attach|sqlite_detach|load_extension)\(/.test(p4)) {
          what = p4.startsWith('load_extension') ? 'load_extension() is not allowed'
            : p4.startsWith('sqlite_attach') ? 'ATTACH is not allowed' : 'DETACH is not allowed';
        } else if (op.opcode === 'VOpen' && deniedTables.has(p4)) {
          what = 'pragma_database_list is not allowed';
        }
        if (what) throw refusal(what);
      }
      // After the named refusals, so those are what the message says when both apply.
      if (program.some((op) => typeof op.p4 === 'string' && job.hidden.some((h) => op.p4.includes(h)))) {
        throw refusal('the statement would reveal a server path');
      }
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
          const json = JSON.stringify(row);
          if (hiddenJson.some((h) => json.includes(h))) throw refusal('the result would reveal a server path');
          const size = Buffer.byteLength(json, 'utf8') + 1;
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
    const message = hide(String((e && e.message) || e));
    // trusted_schema = OFF at work: a view or trigger uses what only a top-level statement may.
    reply = /^unsafe use of /.test(message)
      ? { error: { code: 'BASTION_REFUSED', message: 'This SQLite statement is refused: ' + message + ' (views and triggers may not use it)' } }
      : { error: { code: String((e && e.code) || 'SQLITE_ERROR'), message } };
  }
  process.send(reply, () => process.exit(0));
});
`;
