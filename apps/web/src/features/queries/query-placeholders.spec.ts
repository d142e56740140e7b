import { describe, expect, it } from 'vitest';
import { paramsFor } from '../apps/app-runtime';
import {
  coerceParam,
  decodePlaceholders,
  decodeRest,
  encodePlaceholders,
  encodeRest,
  paramNameToPath,
  pathToParamName,
  reconcileParamSpecs,
} from './query-placeholders';

describe('query placeholders', () => {
  it('encodes paths into server parameter names and back', () => {
    const sql =
      'SELECT name, city FROM people WHERE name = {{ input1.value }} AND id = {{table1.selectedRow.id}}';
    const enc = encodePlaceholders(sql);
    expect(enc.text).toBe(
      'SELECT name, city FROM people WHERE name = {{ input1__value }} AND id = {{ table1__selectedRow__id }}',
    );
    expect(enc.names).toEqual(['input1__value', 'table1__selectedRow__id']);
    expect(decodePlaceholders(enc.text)).toBe(
      'SELECT name, city FROM people WHERE name = {{ input1.value }} AND id = {{ table1.selectedRow.id }}',
    );
    expect(pathToParamName('query1.data[0].id')).toBe('query1__data__0__id');
    expect(paramNameToPath('query1__data__0__id')).toBe('query1.data[0].id');
  });

  it('keeps a plain name as a free parameter', () => {
    expect(encodePlaceholders('x = {{ limit }}')).toEqual({
      text: 'x = {{ limit }}',
      names: ['limit'],
    });
  });

  it('refuses computed expressions, so only bound values reach the database', () => {
    for (const bad of [
      "{{ input1.value + ' OR 1=1' }}",
      '{{ upper(input1.value) }}',
      '{{ a[b] }}',
      '{{ }}',
    ]) {
      expect(() => encodePlaceholders(`SELECT ${bad}`)).toThrow();
    }
  });

  it('round-trips a REST request and encodes every string leaf of the body', () => {
    const draft = {
      method: 'POST' as const,
      path: '/users/{{ table1.selectedRow.id }}',
      query: [['q', '{{ input1.value }}']] as [string, string][],
      headers: [['X-Trace', 'fixed']] as [string, string][],
      body: '{"name":"{{ input1.value }}","tags":["{{ select1.value }}"]}',
    };
    const { body, names } = encodeRest(draft);
    expect(body).toEqual({
      method: 'POST',
      path: '/users/{{ table1__selectedRow__id }}',
      query: { q: '{{ input1__value }}' },
      headers: { 'X-Trace': 'fixed' },
      body: { name: '{{ input1__value }}', tags: ['{{ select1__value }}'] },
    });
    expect(names).toEqual(['table1__selectedRow__id', 'input1__value', 'select1__value']);
    const back = decodeRest(body);
    expect(back.path).toBe(draft.path);
    expect(JSON.parse(back.body)).toEqual(JSON.parse(draft.body));
    expect(() => encodeRest({ ...draft, body: '{not json' })).toThrow(/not valid JSON/);
  });

  it('declares bound parameters as optional and keeps existing specs', () => {
    const specs = reconcileParamSpecs(
      ['input1__value', 'limit'],
      [{ name: 'limit', type: 'number', required: false, default: 10 }],
    );
    expect(specs).toEqual([
      { name: 'input1__value', type: 'string', required: false },
      { name: 'limit', type: 'number', required: false, default: 10 },
    ]);
  });

  it('computes run parameters from app state only: values, never text', () => {
    const scope = { input1: { value: "x' OR '1'='1" }, number1: { value: 7 } };
    const params = paramsFor(
      {
        id: 'q',
        name: 'query1',
        params: [
          { name: 'input1__value', type: 'string', required: false },
          { name: 'number1__value', type: 'number', required: false },
          { name: 'missing__value', type: 'string', required: false },
          { name: 'limit', type: 'number', required: false, default: 5 },
        ],
      },
      scope,
    );
    expect(params).toEqual({
      input1__value: "x' OR '1'='1",
      number1__value: 7,
      missing__value: null,
    });
  });

  it('converts values to the declared type', () => {
    expect(coerceParam('string', 5)).toBe('5');
    expect(coerceParam('number', '42')).toBe(42);
    expect(coerceParam('number', 'abc')).toBeNull();
    expect(coerceParam('number', '')).toBeNull();
    // A text with more digits than a double holds goes as text: the server refuses it by name.
    expect(coerceParam('number', '9007199254740993')).toBe('9007199254740993');
    expect(coerceParam('number', '9007199254740991')).toBe(9007199254740991);
    // integer: text unchanged (the server checks it), numbers as they are, '' is no value.
    expect(coerceParam('integer', '9223372036854775807')).toBe('9223372036854775807');
    expect(coerceParam('integer', ' 1')).toBe(' 1');
    expect(coerceParam('integer', 42)).toBe(42);
    expect(coerceParam('integer', 9007199254740993n)).toBe('9007199254740993');
    expect(coerceParam('integer', '')).toBeNull();
    expect(coerceParam('boolean', 'false')).toBe(false);
    expect(coerceParam('json', { a: 1 })).toEqual({ a: 1 });
  });
});
