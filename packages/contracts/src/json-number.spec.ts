import { describe, expect, it } from 'vitest';
import { isExactNumberText } from './json-number';

describe('isExactNumberText', () => {
  it('accepts every spelling a double holds exactly', () => {
    for (const text of [
      '0',
      '-0',
      '0.0',
      '12',
      '-12',
      '1.50',
      '0.1',
      '1e3',
      '1E+3',
      '2.5e-3',
      '9007199254740991',
      '-9007199254740991',
      '9007199254740992',
      '1e21',
      '12345678901234567e3',
      '0.000001234',
      '1.7976931348623157e308',
      '5e-324',
      '0.30000000000000004',
    ]) {
      expect(isExactNumberText(text), text).toBe(true);
    }
  });

  it('refuses digits a double drops, overflow and underflow', () => {
    for (const text of [
      '9007199254740993',
      '-9007199254740993',
      '9007199254740993.0',
      '90071992547409930e-1',
      '9223372036854775807',
      '0.1000000000000000055511151231257827',
      '3.14159265358979323846',
      '123456789012345678901234567890e-10',
      '1e400',
      '-1e400',
      '1e-400',
      '1.7976931348623159e308',
    ]) {
      expect(isExactNumberText(text), text).toBe(false);
    }
  });

  it('refuses text that is not a decimal number', () => {
    for (const text of ['', ' 1', '1 ', '0x10', 'Infinity', 'NaN', '+1', '1.', '.5', '1e']) {
      expect(isExactNumberText(text), text).toBe(false);
    }
  });
});
