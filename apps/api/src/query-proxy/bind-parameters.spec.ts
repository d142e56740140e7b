import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSql, compileSqlCached } from './bind-parameters';

describe('compileSql', () => {
  it('compiles placeholders to $n on postgres, reusing the number of a repeated name', () => {
    expect(
      compileSql(
        'SELECT * FROM t WHERE a = {{a}} AND b = {{ b }} OR a2 = {{  a }}',
        'postgres',
        'dollar',
      ),
    ).toEqual({
      text: 'SELECT * FROM t WHERE a = $1 AND b = $2 OR a2 = $1',
      names: ['a', 'b'],
    });
  });

  it('compiles placeholders to one ? per occurrence on mysql and sqlite', () => {
    for (const dialect of ['mysql', 'sqlite'] as const) {
      expect(compileSql('SELECT {{a}}, {{b}}, {{a}}', dialect, 'question')).toEqual({
        text: 'SELECT ?, ?, ?',
        names: ['a', 'b', 'a'],
      });
    }
  });

  it('leaves placeholders inside string literals and comments alone', () => {
    const sql =
      "SELECT '{{a}}', 'it''s {{b}}' -- {{c}}\n /* {{d}} /* nested {{e}} */ {{f}} */ FROM t WHERE x = {{g}}";
    expect(compileSql(sql, 'postgres', 'dollar').names).toEqual(['g']);
    expect(compileSql("SELECT E'\\' {{a}}', {{b}}", 'postgres', 'dollar').names).toEqual(['b']);
    expect(
      compileSql("SELECT 'a\\' {{x}}', \"{{y}}\" # {{z}}\n, {{w}}", 'mysql', 'question').names,
    ).toEqual(['w']);
  });

  it('leaves placeholders inside PostgreSQL dollar-quoted strings alone', () => {
    const sql = 'SELECT $$ {{a}} $$, $tag$ {{b}} $$ {{c}} $tag$, {{d}}';
    expect(compileSql(sql, 'postgres', 'dollar')).toEqual({
      text: 'SELECT $$ {{a}} $$, $tag$ {{b}} $$ {{c}} $tag$, $1',
      names: ['d'],
    });
  });

  it('refuses a placeholder inside a quoted identifier: identifiers cannot be bound', () => {
    expect(() => compileSql('SELECT * FROM "{{table}}"', 'postgres', 'dollar')).toThrow(
      /identifiers cannot be bound/,
    );
    expect(() => compileSql('SELECT * FROM `{{table}}`', 'mysql', 'question')).toThrow(
      /identifiers cannot be bound/,
    );
    expect(() => compileSql('SELECT * FROM [{{table}}]', 'sqlite', 'question')).toThrow(
      /identifiers cannot be bound/,
    );
  });

  it('refuses raw positional parameters and malformed placeholders', () => {
    expect(() => compileSql('SELECT $1', 'postgres', 'dollar')).toThrow(/Positional/);
    expect(() => compileSql('SELECT ?', 'mysql', 'question')).toThrow(/Positional/);
    expect(() => compileSql('SELECT {{ 1x }}', 'sqlite', 'question')).toThrow(/Malformed/);
    // jsonb `?` operator is fine on postgres
    expect(compileSql("SELECT doc ? 'k' FROM t", 'postgres', 'dollar').names).toEqual([]);
  });

  it('never copies anything but the SQL text itself into the output (no value splicing)', () => {
    fc.assert(
      fc.property(fc.string(), (literal) => {
        const quoted = `'${literal.replace(/'/g, "''")}'`;
        const out = compileSql(`SELECT ${quoted} AS v, {{p}}`, 'postgres', 'dollar');
        expect(out.text).toBe(`SELECT ${quoted} AS v, $1`);
      }),
    );
  });
});

describe('compileSqlCached', () => {
  it('compiles a text once per dialect and style, shares a frozen result, never caches a refusal', () => {
    const sql = 'SELECT * FROM t WHERE a = {{ a }} AND b = {{ b }} AND c = {{ a }}';
    const first = compileSqlCached(sql, 'postgres', 'dollar');
    expect(first).toEqual(compileSql(sql, 'postgres', 'dollar'));
    expect(compileSqlCached(sql, 'postgres', 'dollar')).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.names)).toBe(true);
    expect(compileSqlCached(sql, 'mysql', 'question')).toEqual(
      compileSql(sql, 'mysql', 'question'),
    );
    const bad = 'SELECT "{{ a }}" FROM t';
    expect(() => compileSqlCached(bad, 'postgres', 'dollar')).toThrow(/identifier/i);
    expect(() => compileSqlCached(bad, 'postgres', 'dollar')).toThrow(/identifier/i);
  });
});
