import { describe, expect, it } from 'vitest';
import { buildRestRequest, resolveUnderBase, restPlaceholderNames } from './rest-request-template';

const p = (o: Record<string, unknown>) => new Map(Object.entries(o));
const BASE = 'https://api.example.test/v1';

describe('REST templating', () => {
  it('finds placeholders in path, query, headers and body', () => {
    expect(
      restPlaceholderNames({
        method: 'POST',
        path: '/users/{{ id }}',
        query: { q: '{{q}}' },
        headers: { 'X-Trace': '{{ trace }}' },
        body: { name: '{{name}}', nested: ['{{ tag }}'] },
      }).sort(),
    ).toEqual(['id', 'name', 'q', 'tag', 'trace']);
  });

  it('writes an integer parameter exactly: digits in path and query, a number token in JSON', () => {
    const r = buildRestRequest(
      {
        method: 'POST',
        path: '/items/{{ id }}',
        query: { id: '{{ id }}' },
        body: { id: '{{ id }}', min: '{{ min }}', note: 'item {{ id }}', list: ['{{ id }}'] },
      },
      p({ id: 9007199254740993n, min: -9223372036854775808n }),
    );
    expect(r.path).toBe('/items/9007199254740993');
    expect(r.query).toEqual([['id', '9007199254740993']]);
    expect(r.body).toBe(
      '{"id":9007199254740993,"min":-9223372036854775808,"note":"item 9007199254740993",' +
        '"list":[9007199254740993]}',
    );
  });

  it('percent-encodes path values as one segment', () => {
    const r = buildRestRequest(
      { method: 'GET', path: '/users/{{id}}/posts' },
      p({ id: 'a/b?c#d%e f' }),
    );
    expect(r.path).toBe('/users/a%2Fb%3Fc%23d%25e%20f/posts');
    expect(resolveUnderBase(BASE, r)).toBe(
      'https://api.example.test/v1/users/a%2Fb%3Fc%23d%25e%20f/posts',
    );
  });

  it('refuses every attempt to leave the base URL', () => {
    const escapes: [string, Record<string, unknown>][] = [
      ['/{{x}}', { x: '..' }],
      ['/{{x}}/admin', { x: '.' }],
      ['/../admin', {}],
      ['/a/%2E%2E/admin', {}],
      ['//evil.test/x', {}],
      ['https://evil.test/x', {}],
      ['/x?y=1', {}],
      ['/x\\..\\y', {}],
    ];
    for (const [path, params] of escapes) {
      expect(() => {
        const r = buildRestRequest({ method: 'GET', path }, p(params));
        resolveUnderBase(BASE, r);
      }, path).toThrow(/base URL|relative path/);
    }
    // A value that merely contains dots or slashes stays inside one segment.
    const ok = buildRestRequest(
      { method: 'GET', path: '/files/{{x}}' },
      p({ x: '../../etc/passwd' }),
    );
    expect(resolveUnderBase(BASE, ok)).toBe(
      'https://api.example.test/v1/files/..%2F..%2Fetc%2Fpasswd',
    );
    const encoded = buildRestRequest({ method: 'GET', path: '/a/{{x}}' }, p({ x: '%2e%2e' }));
    expect(resolveUnderBase(BASE, encoded)).toBe('https://api.example.test/v1/a/%252e%252e');
  });

  it('passes query values raw for the connector to encode, omitting null optional ones', () => {
    const r = buildRestRequest(
      { method: 'GET', path: '', query: { q: '{{q}}', page: '{{page}}', fixed: 'a&b' } },
      p({ q: 'x&y=z', page: null }),
    );
    expect(r.query).toEqual([
      ['q', 'x&y=z'],
      ['fixed', 'a&b'],
    ]);
    expect(resolveUnderBase(BASE, r)).toBe('https://api.example.test/v1?q=x%26y%3Dz&fixed=a%26b');
  });

  it('refuses CR, LF and NUL in header values and reserved header names', () => {
    expect(() =>
      buildRestRequest(
        { method: 'GET', path: '', headers: { 'X-A': '{{v}}' } },
        p({ v: 'a\r\nX-Evil: 1' }),
      ),
    ).toThrow(/line breaks/);
    expect(() =>
      buildRestRequest({ method: 'GET', path: '', headers: { Host: 'x' } }, p({})),
    ).toThrow(/cannot be set/);
    expect(() =>
      buildRestRequest({ method: 'GET', path: '', headers: { 'Bad Name': 'x' } }, p({})),
    ).toThrow(/token/);
  });

  it('inserts body values as JSON values, not as text pasted into JSON', () => {
    const r = buildRestRequest(
      {
        method: 'POST',
        path: '/x',
        body: { name: '{{name}}', n: '{{n}}', greeting: 'hi {{name}}', list: ['{{obj}}'] },
      },
      p({ name: 'a"b\\c', n: 42, obj: { k: [1] } }),
    );
    expect(JSON.parse(r.body!)).toEqual({
      name: 'a"b\\c',
      n: 42,
      greeting: 'hi a"b\\c',
      list: [{ k: [1] }],
    });
    expect(r.headers['content-type']).toBe('application/json');
  });
});
