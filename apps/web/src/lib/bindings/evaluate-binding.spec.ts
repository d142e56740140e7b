import { describe, expect, it } from 'vitest';
import {
  BindingError,
  evaluateExpression,
  evaluateTemplate,
  MAX_TEMPLATE_LENGTH,
  parseTemplate,
  referencedNames,
} from './evaluate-binding';

const scope = {
  input1: { value: 'Ada' },
  num1: { value: 4 },
  query1: {
    data: [
      { name: 'Ada', city: 'London' },
      { name: 'Linus', city: 'Helsinki' },
    ],
    rowCount: 2,
  },
  empty: { value: '' },
};

function fails(template: string): string {
  const r = evaluateTemplate(template, scope);
  expect(r.ok).toBe(false);
  return r.ok ? '' : r.error;
}

describe('evaluateTemplate: what builders write', () => {
  it('returns text without bindings unchanged', () => {
    expect(evaluateTemplate('Hello', scope)).toEqual({ ok: true, value: 'Hello' });
  });

  it('keeps the type of a template that is exactly one binding', () => {
    expect(evaluateTemplate('{{ query1.data }}', scope)).toEqual({
      ok: true,
      value: scope.query1.data,
    });
    expect(evaluateTemplate(' {{num1.value}}', scope)).toEqual({ ok: true, value: ' 4' });
    expect(evaluateTemplate('{{num1.value}}', scope)).toEqual({ ok: true, value: 4 });
  });

  it('joins several bindings in one string as display text', () => {
    expect(
      evaluateTemplate(
        '{{ input1.value }} lives in {{ query1.data[0].city }} ({{ query1.rowCount }})',
        scope,
      ),
    ).toEqual({ ok: true, value: 'Ada lives in London (2)' });
  });

  it('supports arithmetic, comparison, logical and conditional operators', () => {
    expect(evaluateExpression('num1.value * 2 + 1', scope)).toBe(9);
    expect(evaluateExpression('num1.value >= 4 && input1.value === "Ada"', scope)).toBe(true);
    expect(evaluateExpression('empty.value || "none"', scope)).toBe('none');
    expect(evaluateExpression('missing ?? 1', { missing: null })).toBe(1);
    expect(evaluateExpression('query1.rowCount > 1 ? "many" : "one"', scope)).toBe('many');
    expect(evaluateExpression('query1.data.length', scope)).toBe(2);
    expect(evaluateExpression('query1.data[1]["name"]', scope)).toBe('Linus');
    expect(evaluateExpression('!query1.data', scope)).toBe(false);
    expect(evaluateExpression('[1, "a"]', scope)).toEqual([1, 'a']);
  });

  it('reads a missing property as undefined and a missing name as an error', () => {
    expect(evaluateExpression('input1.nothing', scope)).toBeUndefined();
    expect(evaluateExpression('input1.nothing.deeper', scope)).toBeUndefined();
    expect(fails('{{ nobody.value }}')).toMatch(/"nobody" is not defined/);
  });

  it('calls only the whitelisted pure helpers', () => {
    expect(evaluateExpression('upper(input1.value)', scope)).toBe('ADA');
    expect(evaluateExpression('len(query1.data)', scope)).toBe(2);
    expect(fails('{{ alert(1) }}')).toMatch(/not a helper/);
  });

  it('reports syntax errors instead of throwing', () => {
    expect(fails('{{ input1. }}')).toMatch(/Syntax error/);
    expect(fails('{{ input1.value')).toMatch(/not closed/);
  });

  it('lists the names a template reads', () => {
    expect(referencedNames('{{ query1.data[input1.value] }} {{ num1.value }}').sort()).toEqual([
      'input1',
      'num1',
      'query1',
    ]);
  });
});

describe('evaluateTemplate: hostile expressions never execute code', () => {
  // A tripwire: if any path reached a real Function, these would flip.
  const hostile = [
    "{{ constructor.constructor('return process')() }}",
    "{{ input1.constructor.constructor('return globalThis')() }}",
    '{{ __proto__ }}',
    '{{ input1.__proto__ }}',
    "{{ input1['__proto__'] }}",
    "{{ input1['constructor'] }}",
    "{{ input1['con' + 'structor'] }}",
    '{{ query1.data.constructor }}',
    '{{ input1.value.constructor }}',
    '{{ query1.prototype }}',
    '{{ this }}',
    '{{ this.input1 }}',
    '{{ input1.value = 1 }}',
    '{{ input1.value.toString() }}',
    '{{ query1.data.map(x) }}',
    '{{ (0, upper)(1) }}',
    "{{ upper.constructor('return 1')() }}",
    '{{ input1.value; input1 }}',
    '{{ a, b }}',
    '{{ {{ input1.value }} }}',
    '{{ window }}',
    '{{ globalThis }}',
    '{{ process }}',
    '{{ document.cookie }}',
    '{{ fetch("/api/me") }}',
    '{{ input1.hasOwnProperty("value") }}',
    '{{ query1.data.length.toFixed(2) }}',
  ];

  it.each(hostile)('refuses %s', (t) => {
    const r = evaluateTemplate(t, scope);
    expect(r.ok).toBe(false);
  });

  it('reads inherited names such as valueOf and toString as missing, never as functions', () => {
    expect(evaluateTemplate('{{ query1.data[0].valueOf }}', scope)).toEqual({
      ok: true,
      value: undefined,
    });
    expect(evaluateTemplate('{{ input1.toString }}', scope)).toEqual({
      ok: true,
      value: undefined,
    });
    expect(evaluateTemplate('{{ toString }}', scope).ok).toBe(false);
  });

  it('does not let a hostile expression change anything', () => {
    const before = JSON.stringify(scope);
    for (const t of hostile) evaluateTemplate(t, scope);
    expect(JSON.stringify(scope)).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not invoke getters or methods on values that are not plain data', () => {
    let called = false;
    const trap = {
      get secret() {
        called = true;
        return 'x';
      },
    };
    class Klass {
      field = 1;
    }
    const s = { trap, fn: () => 'run', inst: new Klass(), date: new Date(0) };
    expect(() => evaluateExpression('trap.secret', s)).toThrow(BindingError);
    expect(called).toBe(false);
    expect(() => evaluateExpression('fn', s)).toThrow(/Only data/);
    expect(() => evaluateExpression('inst.field', s)).toThrow(BindingError);
    expect(() => evaluateExpression('date.getTime', s)).toThrow(BindingError);
    expect(() => evaluateExpression('inst + 1', s)).toThrow(BindingError);
  });

  it('refuses very long input and very deep nesting quickly', () => {
    const long = `{{ ${'a'.repeat(MAX_TEMPLATE_LENGTH + 1)} }}`;
    const t0 = performance.now();
    expect(fails(long)).toMatch(/too long/);
    const deep = `{{ ${'('.repeat(500)}1${')'.repeat(500)} }}`;
    const deepNot = `{{ ${'!'.repeat(200)}1 }}`;
    expect(evaluateTemplate(deep, scope).ok).toBe(true); // parentheses add no depth
    expect(fails(deepNot)).toMatch(/nested too deeply/);
    const members = `{{ input1${'.a'.repeat(100)} }}`;
    expect(fails(members)).toMatch(/nested too deeply/);
    const ms = Math.round(performance.now() - t0);
    if (process.env.TEST_TIMING_LOG === '1')
      console.log(`[timing] refusals: ${ms} ms (limit 500 ms)`);
    expect(ms).toBeLessThan(500);
  });

  it('caps strings built by concatenation', () => {
    const big = { s: 'x'.repeat(600_000) };
    expect(() => evaluateExpression('s + s', big)).toThrow(/too long/);
  });

  it('treats an unclosed or stray brace as an error, not code', () => {
    expect(() => parseTemplate('{{ a {{ b }}')).toThrow(/nested/);
  });
});
