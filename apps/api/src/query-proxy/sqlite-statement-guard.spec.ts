import { describe, expect, it } from 'vitest';
import { QueryException } from './query.exception';
import { checkSqliteStatement } from './sqlite-statement-guard';

/** The refusal of `sql`, or null when it passes. */
function refusal(sql: string): { status: number; message: string } | null {
  try {
    checkSqliteStatement(sql);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(QueryException);
    const e = error as QueryException;
    return { status: e.status, message: e.message };
  }
}

const REFUSED: [string, RegExp][] = [
  ["ATTACH 'other.db' AS o", /ATTACH is not allowed/],
  ["attach database 'other.db' as o", /ATTACH is not allowed/],
  ['/* c */ AtTaCh\n DATABASE "other.db" AS o', /ATTACH is not allowed/],
  ["-- note\n;;ATTACH 'file:other.db?mode=ro' AS o", /ATTACH is not allowed/],
  ["select 1; attach 'other.db' as o", /ATTACH is not allowed/],
  ["EXPLAIN ATTACH 'other.db' AS o", /ATTACH is not allowed/],
  ['DETACH o', /DETACH is not allowed/],
  ['detach database "o"', /DETACH is not allowed/],
  ['/**/DeTaCh/**/[o]', /DETACH is not allowed/],
  ["VACUUM INTO '/tmp/copy.db'", /VACUUM INTO is not allowed/],
  ["vacuum main into 'copy.db'", /VACUUM INTO is not allowed/],
  ['VACUUM "main" INTO ?', /VACUUM INTO is not allowed/],
  ["/*x*/vacuum/*y*/into'copy.db'", /VACUUM INTO is not allowed/],
  ["SELECT load_extension('/tmp/x.so')", /load_extension\(\) is not allowed/],
  ["select LOAD_EXTENSION('x', 'init')", /load_extension\(\) is not allowed/],
  ['select "load_extension"(\'x\')', /load_extension\(\) is not allowed/],
  ["with a as (select load_extension('x')) select * from a", /load_extension/],
  ["CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT load_extension('x'); END", /load_extension/],
  ['PRAGMA database_list', /PRAGMA database_list is not allowed/],
  ['pragma main.database_list', /PRAGMA database_list is not allowed/],
  ['PRAGMA "main" . "DATABASE_LIST"', /PRAGMA database_list is not allowed/],
  ['EXPLAIN PRAGMA database_list', /PRAGMA database_list is not allowed/],
  ['SELECT * FROM pragma_database_list', /pragma_database_list is not allowed/],
  ['select file from PRAGMA_DATABASE_LIST', /pragma_database_list is not allowed/],
  ['select * from "pragma_database_list"', /pragma_database_list is not allowed/],
  ['select * from [pragma_database_list] as d', /pragma_database_list is not allowed/],
  ["select * from 'pragma_database_list'", /pragma_database_list is not allowed/],
  ['select * from main.pragma_database_list', /pragma_database_list is not allowed/],
  ['with x as (select * from pragma_database_list) select * from x', /pragma_database_list/],
  ['CREATE VIEW v AS SELECT file FROM pragma_database_list', /pragma_database_list/],
  ['PRAGMA temp_store_directory', /PRAGMA temp_store_directory is not allowed/],
  ["pragma temp_store_directory = '/tmp'", /PRAGMA temp_store_directory is not allowed/],
  ['PRAGMA data_store_directory', /PRAGMA data_store_directory is not allowed/],
  ['PRAGMA trusted_schema = ON', /PRAGMA trusted_schema is not allowed/],
  ['pragma main.writable_schema=1', /PRAGMA writable_schema is not allowed/],
];

const ALLOWED = [
  "SELECT 'attach' AS a",
  "select * from t where x = 'vacuum into'",
  'VACUUM',
  'vacuum main',
  'PRAGMA table_info(t)',
  "select * from pragma_table_info('t')",
  'PRAGMA user_version',
  "SELECT 'database_list', 'load_extension x' AS s",
  'EXPLAIN QUERY PLAN SELECT * FROM t',
  'select 1 -- attach',
  "select 1 /* vacuum into 'x' */",
  'SELECT attached FROM t',
];

describe('checkSqliteStatement', () => {
  it.each(REFUSED)('refuses %j with a 400 naming it', (sql, reason) => {
    const r = refusal(sql);
    expect(r).not.toBeNull();
    expect(r!.status).toBe(400);
    expect(r!.message).toMatch(reason);
    expect(r!.message).toMatch(/^This SQLite statement is refused: /);
  });

  it.each(ALLOWED)('lets %j through', (sql) => {
    expect(refusal(sql)).toBeNull();
  });

  it('returns the statement without a leading EXPLAIN, for the program check', () => {
    expect(checkSqliteStatement('select 1')).toBe('select 1');
    expect(checkSqliteStatement('EXPLAIN select 1')).toBe(' select 1');
    expect(checkSqliteStatement('/* x */ explain query plan select 1')).toBe(' select 1');
  });
});
