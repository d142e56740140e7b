import { QueryErrorCode, QueryException } from './query.exception';

/** SQL dialects whose lexical rules the compiler knows. */
export type SqlDialect = 'postgres' | 'mysql' | 'sqlite';

/** A SQL text with driver placeholders and the parameter name behind each bind position. */
export interface CompiledSql {
  /** The SQL with `{{ name }}` replaced by `$n` (postgres) or `?` (mysql, sqlite). */
  text: string;
  /** Parameter name of each bind position, in order (`$1` = names[0]). */
  names: string[];
}

const PLACEHOLDER = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/;

/**
 * Compiles `{{ name }}` placeholders into the driver's bind parameters; values are never
 * spliced into the text. A lexer skips string literals ('..', E'..', MySQL "..", backslash
 * escapes where the dialect has them), comments (`--`, `/* *\/`, MySQL `#`) and PostgreSQL
 * dollar-quoted strings, so `{{x}}` inside them stays literal text. A placeholder inside a
 * quoted identifier ("..", `..`, [..]) is refused: identifiers cannot be bound.
 * Raw driver placeholders in the text (`?`, `$1`) are refused too, so every bind position
 * comes from a declared name.
 *
 * Lexical rules: PostgreSQL docs §4.1 (Lexical Structure), MariaDB "String Literals" and
 * "Comment Syntax", SQLite "SQL As Understood By SQLite: expressions".
 * @param style `dollar` gives `$1..$n` (a name used twice reuses its number); `question` gives
 *   one `?` per occurrence.
 * @throws QueryException(InvalidParams, 400) naming the offending placeholder.
 */
export function compileSql(
  sql: string,
  dialect: SqlDialect,
  style: 'dollar' | 'question',
): CompiledSql {
  let out = '';
  const names: string[] = [];
  const dollarIndex = new Map<string, number>();
  let i = 0;
  const n = sql.length;
  const backslashEscapes = dialect === 'mysql';

  const copyUntil = (end: number) => {
    out += sql.slice(i, end);
    i = end;
  };
  /** End index (exclusive) of a quoted run starting at `start` with quote char `q`. */
  const quotedEnd = (start: number, q: string, allowBackslash: boolean): number => {
    let j = start + 1;
    while (j < n) {
      const c = sql[j];
      if (allowBackslash && c === '\\') {
        j += 2;
        continue;
      }
      if (c === q) {
        if (sql[j + 1] === q) {
          j += 2; // doubled quote is an escaped quote
          continue;
        }
        return j + 1;
      }
      j++;
    }
    return n;
  };
  const refuseInside = (start: number, end: number, what: string) => {
    const m = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)?/.exec(sql.slice(start, end));
    if (m) {
      throw new QueryException(
        QueryErrorCode.InvalidParams,
        `Placeholder {{ ${m[1] ?? ''} }} is inside ${what}: identifiers cannot be bound; use a fixed name`,
      );
    }
  };

  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'") {
      const eBefore = i > 0 && /[eE]/.test(sql[i - 1]) && !/[A-Za-z0-9_]/.test(sql[i - 2] ?? ' ');
      copyUntil(quotedEnd(i, "'", backslashEscapes || (dialect === 'postgres' && eBefore)));
      continue;
    }
    if (c === '"') {
      const end = quotedEnd(i, '"', backslashEscapes);
      // In MySQL (default sql_mode) "..." is a string; elsewhere it is an identifier.
      if (dialect !== 'mysql') refuseInside(i, end, 'a quoted identifier');
      copyUntil(end);
      continue;
    }
    if (c === '`' && dialect !== 'postgres') {
      const end = quotedEnd(i, '`', false);
      refuseInside(i, end, 'a quoted identifier');
      copyUntil(end);
      continue;
    }
    if (c === '[' && dialect === 'sqlite') {
      const close = sql.indexOf(']', i + 1);
      const end = close < 0 ? n : close + 1;
      refuseInside(i, end, 'a quoted identifier');
      copyUntil(end);
      continue;
    }
    if ((c === '-' && next === '-') || (c === '#' && dialect === 'mysql')) {
      const nl = sql.indexOf('\n', i);
      copyUntil(nl < 0 ? n : nl + 1);
      continue;
    }
    if (c === '/' && next === '*') {
      // PostgreSQL block comments nest; MySQL and SQLite ones do not.
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (sql[j] === '*' && sql[j + 1] === '/') {
          depth--;
          j += 2;
        } else if (dialect === 'postgres' && sql[j] === '/' && sql[j + 1] === '*') {
          depth++;
          j += 2;
        } else j++;
      }
      copyUntil(j);
      continue;
    }
    if (c === '$' && dialect === 'postgres') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? ' ')) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        copyUntil(close < 0 ? n : close + tag[0].length);
        continue;
      }
      if (/^\$\d/.test(sql.slice(i)) && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? ' ')) {
        throw new QueryException(
          QueryErrorCode.InvalidParams,
          'Positional parameters such as $1 are not allowed: use {{ name }} placeholders',
        );
      }
    }
    if (c === '?' && dialect !== 'postgres') {
      throw new QueryException(
        QueryErrorCode.InvalidParams,
        'Positional parameters (?) are not allowed: use {{ name }} placeholders',
      );
    }
    if (c === '{' && next === '{') {
      const m = PLACEHOLDER.exec(sql.slice(i));
      if (!m) {
        throw new QueryException(
          QueryErrorCode.InvalidParams,
          `Malformed placeholder at position ${i + 1}: write {{ name }} with a letter or _ first`,
        );
      }
      const name = m[1];
      if (style === 'dollar') {
        let index = dollarIndex.get(name);
        if (index === undefined) {
          names.push(name);
          index = names.length;
          dollarIndex.set(name, index);
        }
        out += `$${index}`;
      } else {
        names.push(name);
        out += '?';
      }
      i += m[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return { text: out, names };
}

/** Most compiled texts {@link compileSqlCached} keeps (then it starts over). */
const COMPILED_CACHE_MAX = 1_000;
const compiledCache = new Map<string, Readonly<CompiledSql>>();

/**
 * {@link compileSql}, memoised per (style, dialect, text): a saved query compiles once, not on
 * every run. The result is frozen and shared. Refusals are not cached (each call throws).
 */
export function compileSqlCached(
  sql: string,
  dialect: SqlDialect,
  style: 'dollar' | 'question',
): Readonly<CompiledSql> {
  const key = `${style}\u0000${dialect}\u0000${sql}`;
  let compiled = compiledCache.get(key);
  if (!compiled) {
    const fresh = compileSql(sql, dialect, style);
    compiled = Object.freeze({ text: fresh.text, names: Object.freeze(fresh.names) as string[] });
    if (compiledCache.size >= COMPILED_CACHE_MAX) compiledCache.clear();
    compiledCache.set(key, compiled);
  }
  return compiled;
}

/** The distinct placeholder names of a SQL text, in first-use order (memoised compile). */
export function placeholderNames(sql: string, dialect: SqlDialect): string[] {
  return [...new Set(compileSqlCached(sql, dialect, 'question').names)];
}
