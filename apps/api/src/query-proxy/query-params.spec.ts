import type { TQueryParamSpec } from '@bastion/contracts';
import { describe, expect, it } from 'vitest';
import { checkParams, toDriverValue } from './query-params';
import { QueryException } from './query.exception';

const spec = (type: TQueryParamSpec['type']): TQueryParamSpec[] => [
  { name: 'id', type, required: true },
];
const check = (type: TQueryParamSpec['type'], value: unknown) =>
  checkParams(spec(type), ['id'], { id: value }).get('id');
const refusal = (type: TQueryParamSpec['type'], value: unknown): string => {
  try {
    check(type, value);
  } catch (error) {
    expect(error).toBeInstanceOf(QueryException);
    expect((error as QueryException).status).toBe(400);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
};

describe('checkParams: integer', () => {
  it('takes decimal strings across the signed 64-bit range, exactly, as bigint', () => {
    expect(check('integer', '9007199254740993')).toBe(9007199254740993n);
    expect(check('integer', '9223372036854775807')).toBe(9223372036854775807n);
    expect(check('integer', '-9223372036854775808')).toBe(-9223372036854775808n);
    expect(check('integer', '0')).toBe(0n);
    expect(check('integer', '-42')).toBe(-42n);
  });

  it('takes a JSON number while it is a safe integer', () => {
    expect(check('integer', 42)).toBe(42n);
    expect(check('integer', -9007199254740991)).toBe(-9007199254740991n);
    expect(check('integer', -0)).toBe(0n);
  });

  it('takes null (SQL NULL), as every type does', () => {
    expect(check('integer', null)).toBeNull();
  });

  it('refuses anything else with a 400 naming the parameter', () => {
    for (const value of [
      '9223372036854775808',
      '-9223372036854775809',
      '99999999999999999999999',
      '1.5',
      '1e3',
      ' 1',
      '1 ',
      '0x10',
      '+1',
      '007',
      '-0',
      '',
      '١٢',
      1.5,
      9007199254740992,
      1e300,
    ]) {
      expect(refusal('integer', value), JSON.stringify(value)).toMatch(/^params\.id: /);
    }
    for (const value of [true, { n: 1 }, [1]]) {
      expect(refusal('integer', value)).toMatch(
        /Parameters of the wrong type: id \(expected integer\)/,
      );
    }
  });

  it('refuses an integer default that does not fit, naming the parameter', () => {
    const specs: TQueryParamSpec[] = [
      { name: 'id', type: 'integer', required: false, default: '12.0' },
    ];
    expect(() => checkParams(specs, ['id'], {})).toThrow(/params\.id: /);
    specs[0].default = '12';
    expect(checkParams(specs, ['id'], {}).get('id')).toBe(12n);
  });
});

describe('checkParams: number', () => {
  it('takes finite numbers within ±(2^53 - 1)', () => {
    expect(check('number', 9007199254740991)).toBe(9007199254740991);
    expect(check('number', -9007199254740991)).toBe(-9007199254740991);
    expect(check('number', 0.1)).toBe(0.1);
  });

  it('refuses numbers outside the safe-integer range, naming the parameter', () => {
    for (const value of [9007199254740992, -9007199254740992, 1e21, -1.5e300]) {
      expect(refusal('number', value)).toMatch(/^params\.id: outside ±9007199254740991/);
    }
    expect(refusal('number', '12')).toMatch(/id \(expected number\)/);
  });
});

describe('toDriverValue', () => {
  it('binds an integer as bigint (PostgreSQL int8, SQLite INTEGER) or decimal text (MariaDB)', () => {
    expect(toDriverValue(9007199254740993n, 'postgres')).toBe(9007199254740993n);
    expect(toDriverValue(9007199254740993n, 'sqlite')).toBe(9007199254740993n);
    expect(toDriverValue(9007199254740993n, 'mysql')).toBe('9007199254740993');
  });
});
