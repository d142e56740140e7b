import { describe, expect, it } from 'vitest';
import {
  compareValues,
  displayCell,
  formatDate,
  formatDateTime,
  formatDecimal,
  formatNumber,
  jsonSummary,
  kindOfType,
  kindOfValues,
  rawText,
} from './format-cell';

const EN = { locale: 'en-US', timeZone: 'America/New_York' };
const DE = { locale: 'de-DE', timeZone: 'Europe/Berlin' };

describe('numbers: formatted in the locale, no digit lost', () => {
  it('keeps every digit of a 64-bit integer and a long decimal given as strings', () => {
    expect(formatDecimal('9007199254740993', 'en-US')).toBe('9,007,199,254,740,993');
    expect(formatDecimal('-9223372036854775808', 'en-US')).toBe('-9,223,372,036,854,775,808');
    expect(formatDecimal('12345.678901234567890123456789', 'en-US')).toBe(
      '12,345.678901234567890123456789',
    );
    expect(formatDecimal('1234567.50', 'de-DE')).toBe('1.234.567,50'); // trailing zero kept
    expect(formatDecimal('-0.001', 'en-US')).toBe('-0.001');
  });
  it('formats JS numbers by their shortest round-trip digits', () => {
    expect(formatNumber(0.1, 'en-US')).toBe('0.1');
    expect(formatNumber(3000, 'en-US')).toBe('3,000');
    expect(formatNumber(-1234.5, 'de-DE')).toBe('-1.234,5');
    expect(formatNumber(1e21, 'en-US')).toBe('1e+21');
    expect(formatNumber(5e-7, 'en-US')).toBe('5e-7');
  });
  it('shows non-decimal text in a number column as given, left-aligned', () => {
    expect(displayCell('NaN', 'number', EN)).toEqual({ text: 'NaN', numeric: false });
    expect(displayCell('42', 'number', EN)).toEqual({ text: '42', numeric: true });
    expect(displayCell(42, 'text', EN).numeric).toBe(true);
  });
  it('does not treat numeric-looking strings as numbers in an untyped column', () => {
    expect(kindOfValues(['01234', '98765'])).toBe('text');
    expect(displayCell('01234', 'text', EN).text).toBe('01234');
  });
});

describe('dates: in the viewer locale and zone, value unchanged', () => {
  it('shows a UTC timestamp in the viewer time zone', () => {
    expect(formatDateTime('2024-03-01T10:00:00.123456Z', EN)).toBe('Mar 1, 2024, 5:00:00 AM EST');
    expect(formatDateTime('2024-07-01T10:00:00Z', DE)).toBe('01.07.2024, 12:00:00 MESZ');
    expect(formatDateTime('2024-03-01T10:00:00+02:00', EN)).toBe('Mar 1, 2024, 3:00:00 AM EST');
  });
  it('shows a zoneless timestamp as the wall-clock time it is, and a date without a shift', () => {
    expect(formatDateTime('2024-03-01T23:30:00', EN)).toBe('Mar 1, 2024, 11:30:00 PM');
    expect(formatDate('2024-03-01', 'en-US')).toBe('Mar 1, 2024');
    expect(
      displayCell('2024-03-01', 'date', { locale: 'en-US', timeZone: 'Pacific/Kiritimati' }).text,
    ).toBe('Mar 1, 2024');
  });
  it('keeps the original text for copy and CSV', () => {
    expect(rawText('2024-03-01T10:00:00.123456Z')).toBe('2024-03-01T10:00:00.123456Z');
    expect(rawText('9007199254740993')).toBe('9007199254740993');
    expect(rawText({ a: 1 })).toBe('{"a":1}');
    expect(rawText(null)).toBe('');
  });
  it('shows text that is not ISO 8601 as given', () => {
    expect(displayCell('infinity', 'datetime', EN).text).toBe('infinity');
  });
});

describe('JSON cells', () => {
  it('summarises objects and arrays', () => {
    expect(jsonSummary({ a: 1, b: 2, c: 3 })).toBe('{3 keys}');
    expect(jsonSummary({ a: 1 })).toBe('{1 key}');
    expect(jsonSummary([1, 2, 3, 4, 5])).toBe('[5 items]');
    expect(jsonSummary([])).toBe('[0 items]');
    const obj = { x: [1] };
    expect(displayCell(obj, 'json', EN)).toEqual({ text: '{1 key}', numeric: false, json: obj });
  });
});

describe('column kinds', () => {
  it('reads database type names', () => {
    expect(kindOfType('int8')).toBe('number');
    expect(kindOfType('numeric')).toBe('number');
    expect(kindOfType('decimal')).toBe('number');
    expect(kindOfType('timestamptz')).toBe('datetime');
    expect(kindOfType('datetime')).toBe('datetime');
    expect(kindOfType('date')).toBe('date');
    expect(kindOfType('jsonb')).toBe('json');
    expect(kindOfType('_int4')).toBe('json');
    expect(kindOfType('text')).toBe('text');
    expect(kindOfType('interval')).toBe('text');
    expect(kindOfType(undefined)).toBeUndefined();
  });
  it('infers from values when there is no type', () => {
    expect(kindOfValues([1, null, 2.5])).toBe('number');
    expect(kindOfValues(['2024-03-01T10:00:00Z', null])).toBe('datetime');
    expect(kindOfValues([{ a: 1 }, [1]])).toBe('json');
    expect(kindOfValues([1, 'a'])).toBe('text');
  });
});

describe('sort order', () => {
  it('compares 64-bit integers given as strings exactly, nulls last', () => {
    const v = ['9007199254740993', '9007199254740992', null, '10', '-3'];
    expect([...v].sort(compareValues)).toEqual([
      '-3',
      '10',
      '9007199254740992',
      '9007199254740993',
      null,
    ]);
    expect(compareValues('1.5', '10')).toBeLessThan(0);
    expect(compareValues('b', 'a')).toBeGreaterThan(0);
  });
});
