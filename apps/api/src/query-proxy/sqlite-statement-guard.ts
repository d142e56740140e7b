import { QueryErrorCode, QueryException } from './query.exception';

/**
 * Pragmas a SQLite datasource may not run, in any spelling (`PRAGMA x`, `PRAGMA main.x`,
 * `pragma_x` table-valued function): they reveal server paths (`database_list`,
 * `temp_store_directory`, `data_store_directory`) or switch off the defences the run relies on
 * (`trusted_schema` is set OFF for every run so views and triggers cannot use virtual tables
 * or functions with side effects; `writable_schema` lets a statement write view and trigger
 * text that no check has seen). Source: SQLite docs, "PRAGMA Statements" and "Defense Against
 * the Dark Arts" (sqlite.org/security.html).
 */
export const DENIED_PRAGMAS = [
  'database_list',
  'temp_store_directory',
  'data_store_directory',
  'trusted_schema',
  'writable_schema',
] as const;

/** Names refused wherever they appear (functions and table-valued pragma functions). */
const DENIED_NAMES = new Map<string, string>([
  ['load_extension', 'load_extension() is not allowed'],
  ...DENIED_PRAGMAS.map((p) => [`pragma_${p}`, `pragma_${p} is not allowed`] as [string, string]),
]);

type TokenKind = 'word' | 'ident' | 'string' | 'punct';
interface Token {
  kind: TokenKind;
  /** Lower-cased text; identifiers and strings without their quotes. */
  text: string;
  /** Offset just past the token in the statement. */
  end: number;
}

const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Tokens of SQLite SQL (comments and whitespace dropped). Unterminated quotes run to the end. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const quoted = (close: string, kind: TokenKind, doubled: boolean) => {
    let text = '';
    i += 1;
    while (i < sql.length) {
      if (sql[i] === close) {
        if (doubled && sql[i + 1] === close) {
          text += close;
          i += 2;
          continue;
        }
        i += 1;
        break;
      }
      text += sql[i];
      i += 1;
    }
    tokens.push({ kind, text: text.toLowerCase(), end: i });
  };
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close === -1 ? sql.length : close + 2;
    } else if (c === "'") {
      quoted("'", 'string', true);
    } else if (c === '"') {
      quoted('"', 'ident', true);
    } else if (c === '`') {
      quoted('`', 'ident', true);
    } else if (c === '[') {
      quoted(']', 'ident', false);
    } else if (WORD.test(c)) {
      const start = i;
      while (i < sql.length && WORD.test(sql[i])) i += 1;
      tokens.push({ kind: 'word', text: sql.slice(start, i).toLowerCase(), end: i });
    } else {
      tokens.push({ kind: 'punct', text: c, end: i + 1 });
      i += 1;
    }
  }
  return tokens;
}

const refused = (what: string) =>
  new QueryException(
    QueryErrorCode.InvalidQuery,
    `This SQLite statement is refused: ${what} (a datasource works on its own file only)`,
  );

/**
 * Checks one SQLite statement before it runs. Refused with a 400 naming what is refused:
 * ATTACH and DETACH (other files), VACUUM INTO (writes a copy anywhere), load_extension(),
 * and the pragmas of {@link DENIED_PRAGMAS} in every spelling (case, comments, quoted or
 * string-literal names, schema prefix, table-valued function). The child process checks the
 * compiled program again (sqlite-child-source.ts), which also covers what this text check
 * cannot see.
 * @returns the statement without a leading `EXPLAIN [QUERY PLAN]`, for the child's program check.
 * @throws QueryException 400 `invalid_query`.
 */
export function checkSqliteStatement(sql: string): string {
  const tokens = tokenize(sql);
  let inner: string | undefined;
  // Every statement is checked (one run takes one, but the text check does not rely on it).
  for (let i = 0; i < tokens.length; i += 1) {
    if (i > 0 && tokens[i - 1].text !== ';') continue;
    if (tokens[i].text === ';') continue;
    const start = checkOneStatement(tokens, i);
    inner ??= sql.slice(start);
  }
  for (const t of tokens) {
    if (t.kind === 'punct') continue;
    const denied = DENIED_NAMES.get(t.text);
    if (denied) throw refused(denied);
  }
  return inner ?? sql;
}

/** Checks the statement starting at token `i`; returns the offset past a leading EXPLAIN. */
function checkOneStatement(tokens: Token[], i: number): number {
  let innerStart = i > 0 ? tokens[i - 1].end : 0;
  if (tokens[i].kind === 'word' && tokens[i].text === 'explain') {
    innerStart = tokens[i].end;
    i += 1;
    if (tokens[i]?.text === 'query' && tokens[i + 1]?.text === 'plan') {
      innerStart = tokens[i + 1].end;
      i += 2;
    }
  }
  const kind = tokens[i]?.kind === 'word' ? tokens[i].text : '';
  const rest = tokens.slice(i + 1);
  const endOfStatement = rest.findIndex((t) => t.text === ';');
  const body = endOfStatement === -1 ? rest : rest.slice(0, endOfStatement);
  if (kind === 'attach') throw refused('ATTACH is not allowed');
  if (kind === 'detach') throw refused('DETACH is not allowed');
  if (kind === 'vacuum' && body.some((t) => t.kind === 'word' && t.text === 'into')) {
    throw refused('VACUUM INTO is not allowed');
  }
  if (kind === 'pragma') {
    const name = body[1]?.text === '.' ? body[2] : body[0];
    if (name && (DENIED_PRAGMAS as readonly string[]).includes(name.text)) {
      throw refused(`PRAGMA ${name.text} is not allowed`);
    }
  }
  return innerStart;
}
