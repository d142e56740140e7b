import { describe, expect, it } from 'vitest';
import { csvField, csvFileName, toCsv } from './csv-export';

describe('CSV export (RFC 4180, OWASP formula guard)', () => {
  it('quotes fields holding quotes, commas and line breaks, doubling inner quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rlf')).toBe('"cr\rlf"');
  });
  it('prefixes cells that would start a formula with a quote', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+SUM(A1)')).toBe("'+SUM(A1)");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField('\tx')).toBe('"\'\tx"');
    expect(csvField('\rx')).toBe('"\'\rx"');
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
  });
  it('quotes fields holding the list separator of semicolon locales, so no cell starts a formula there', () => {
    // Breaking session: x;=1+1 was written bare; Excel in de-DE splits at ';' into a formula.
    expect(csvField('x;=1+1')).toBe('"x;=1+1"');
    expect(csvField("a;=cmd|' /C calc'!A0")).toBe('"a;=cmd|\' /C calc\'!A0"');
    expect(csvField('x\t=1+1')).toBe('"x\t=1+1"');
  });

  it('keeps plain numbers, negative ones too, and every digit of big ones', () => {
    expect(csvField(-5)).toBe('-5');
    expect(csvField('-12.50')).toBe('-12.50');
    expect(csvField('9007199254740993')).toBe('9007199254740993');
    expect(csvField(1.5e-7)).toBe('1.5e-7');
  });
  it('writes null empty, JSON as JSON and dates as given', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField({ a: [1, 'x'] })).toBe('"{""a"":[1,""x""]}"');
    expect(csvField('2024-03-01T10:00:00.123456Z')).toBe('2024-03-01T10:00:00.123456Z');
    expect(csvField(true)).toBe('true');
  });
  it('writes a header and CRLF-terminated lines', () => {
    const csv = toCsv(
      ['id', 'note'],
      [
        { id: 1, note: 'a,b' },
        { id: '2', note: null },
      ],
    );
    expect(csv).toBe('id,note\r\n1,"a,b"\r\n2,\r\n');
    expect(toCsv(['=x'], [])).toBe("'=x\r\n");
  });
  it('makes a safe file name', () => {
    expect(csvFileName('query1 result')).toBe('query1_result.csv');
    expect(csvFileName('../..')).toBe('table.csv');
  });
});
