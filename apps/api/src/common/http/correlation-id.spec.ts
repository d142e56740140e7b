import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { generateCorrelationId } from './correlation-id';

const withHeader = (value: string | string[] | undefined) =>
  ({ headers: value === undefined ? {} : { 'x-correlation-id': value } }) as IncomingMessage;
const FRESH = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('generateCorrelationId', () => {
  it('reuses a UUID of any version, lower-cased', () => {
    expect(generateCorrelationId(withHeader('0b9e3c1a-5f4d-4e2b-9c8a-1d2e3f4a5b6c'))).toBe(
      '0b9e3c1a-5f4d-4e2b-9c8a-1d2e3f4a5b6c',
    );
    expect(generateCorrelationId(withHeader('0190F3A2-7B1C-7D2E-8F3A-4B5C6D7E8F90'))).toBe(
      '0190f3a2-7b1c-7d2e-8f3a-4b5c6d7e8f90',
    );
  });

  it.each([
    ['a newline (log injection)', '0b9e3c1a-5f4d-4e2b-9c8a-1d2e3f4a5b6c\n{"level":"fatal"}'],
    ['a trailing newline', '0b9e3c1a-5f4d-4e2b-9c8a-1d2e3f4a5b6c\n'],
    ['a very long value', 'a'.repeat(10_000)],
    ['a non-UUID token a proxy might send', 'proxy-req-12345'],
    ['a UUID without dashes', '0b9e3c1a5f4d4e2b9c8a1d2e3f4a5b6c'],
    ['a UUID in braces', '{0b9e3c1a-5f4d-4e2b-9c8a-1d2e3f4a5b6c}'],
    ['an empty value', ''],
  ])('replaces %s with a fresh UUID', (_label, value) => {
    const id = generateCorrelationId(withHeader(value));
    expect(id).toMatch(FRESH);
    expect(id).not.toBe(value.toLowerCase());
  });

  it('makes a fresh UUID when the header is absent or repeated', () => {
    expect(generateCorrelationId(withHeader(undefined))).toMatch(FRESH);
    expect(
      generateCorrelationId(
        withHeader([
          '0b9e3c1a-5f4d-4e2b-9c8a-1d2e3f4a5b6c',
          '0b9e3c1a-5f4d-4e2b-9c8a-1d2e3f4a5b6d',
        ]),
      ),
    ).toMatch(FRESH);
  });
});
