import jsep from 'jsep';

/**
 * Binding evaluator: `{{ query1.data }}`, `{{ input1.value }}`, `Hello {{ user.name }}!`.
 *
 * Expressions are parsed with jsep (a parser only: it never runs code) and the AST is walked here
 * against a whitelist. Nothing reaches `eval`, `new Function`, a getter, a prototype method or a
 * user-supplied function. Allowed: literals, identifiers of the scope, member access on own data
 * properties of plain objects and arrays, unary/binary/logical/conditional operators, array
 * literals and calls to the pure helpers in {@link HELPERS} by bare name. Refused: `this`,
 * `constructor`/`__proto__`/`prototype`, method calls, calls of any computed value, sequences,
 * assignment (jsep does not parse it), nested `{{ }}`.
 *
 * Threat model: an app definition is written by an editor and run in the browser of every viewer,
 * so a binding must not be able to run script in the viewer's session (OWASP "DOM-based XSS",
 * "Expression Language Injection").
 */

/** The names a binding may read: component and query states, as plain JSON-like data. */
export type BindingScope = Readonly<Record<string, unknown>>;

/** Thrown for a syntax error or a refused construct; the message is safe to show the builder. */
export class BindingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BindingError';
  }
}

/** Limits that keep one binding from freezing the tab: characters per template, AST depth. */
export const MAX_TEMPLATE_LENGTH = 10_000;
export const MAX_AST_DEPTH = 40;
/** Strings built by `+` or helpers are capped so a binding cannot grow memory without bound. */
export const MAX_STRING_LENGTH = 1_000_000;

const FORBIDDEN_KEYS = new Set(['constructor', '__proto__', 'prototype']);

type Value = unknown;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function isPrimitive(v: unknown): v is string | number | boolean | null | undefined {
  return v === null || v === undefined || ['string', 'number', 'boolean'].includes(typeof v);
}

function capString(s: string): string {
  if (s.length > MAX_STRING_LENGTH) throw new BindingError('The result is too long.');
  return s;
}

/** Turns a value into display text: strings as-is, null/undefined empty, data as JSON. */
export function toDisplayText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v);
  if (v === null) return 0;
  return Number.NaN;
}

/** Pure helpers callable by bare name, e.g. `{{ upper(input1.value) }}`. Each takes data only. */
const HELPERS: Readonly<Record<string, (...args: Value[]) => Value>> = Object.freeze({
  upper: (s) => toDisplayText(s).toUpperCase(),
  lower: (s) => toDisplayText(s).toLowerCase(),
  trim: (s) => toDisplayText(s).trim(),
  len: (v) => (typeof v === 'string' || Array.isArray(v) ? v.length : 0),
  number: (v) => toNumber(v),
  text: (v) => toDisplayText(v),
  json: (v) => capString(toDisplayText(v)),
  round: (v, digits) => {
    const d = Math.max(0, Math.min(10, Math.trunc(toNumber(digits ?? 0))));
    const f = 10 ** d;
    return Math.round(toNumber(v) * f) / f;
  },
});

function readMember(object: Value, key: Value): Value {
  if (object === null || object === undefined) return undefined; // like optional chaining
  if (typeof key !== 'string' && typeof key !== 'number') {
    throw new BindingError('A property name must be text or a number.');
  }
  const name = String(key);
  if (FORBIDDEN_KEYS.has(name)) throw new BindingError(`"${name}" cannot be read.`);
  if (typeof object === 'string' || Array.isArray(object)) {
    if (name === 'length') return object.length;
    if (/^(0|[1-9]\d*)$/.test(name)) return object[Number(name)];
    throw new BindingError(`"${name}" cannot be read from a list or text.`);
  }
  if (!isPlainObject(object)) throw new BindingError(`"${name}" cannot be read from this value.`);
  const desc = Object.getOwnPropertyDescriptor(object, name);
  if (!desc) return undefined;
  if (!('value' in desc)) throw new BindingError(`"${name}" is not data.`);
  return checkData(desc.value);
}

function checkData(v: Value): Value {
  if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') {
    throw new BindingError('Only data can be used in a binding.');
  }
  return v;
}

function looseEquals(a: Value, b: Value): boolean {
  // Loose equality only between primitives, where it cannot call user code (valueOf/toString).
  // eslint-disable-next-line eqeqeq
  if (isPrimitive(a) && isPrimitive(b)) return a == b;
  return a === b;
}

function binary(op: string, a: Value, b: Value): Value {
  switch (op) {
    case '==':
      return looseEquals(a, b);
    case '!=':
      return !looseEquals(a, b);
    case '===':
      return a === b;
    case '!==':
      return a !== b;
    case '+':
      if (typeof a === 'string' || typeof b === 'string') {
        return capString(toDisplayText(a) + toDisplayText(b));
      }
      if (!isPrimitive(a) || !isPrimitive(b)) throw new BindingError('"+" needs text or numbers.');
      return toNumber(a) + toNumber(b);
    case '-':
      return toNumber(a) - toNumber(b);
    case '*':
      return toNumber(a) * toNumber(b);
    case '/':
      return toNumber(a) / toNumber(b);
    case '%':
      return toNumber(a) % toNumber(b);
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (!isPrimitive(a) || !isPrimitive(b))
        throw new BindingError(`"${op}" needs text or numbers.`);
      const both = typeof a === 'string' && typeof b === 'string';
      const x = both ? a : toNumber(a);
      const y = both ? b : toNumber(b);
      if (op === '<') return x < y;
      if (op === '>') return x > y;
      if (op === '<=') return x <= y;
      return x >= y;
    }
    default:
      throw new BindingError(`The operator "${op}" is not allowed.`);
  }
}

function evaluateNode(node: jsep.Expression, scope: BindingScope, depth: number): Value {
  if (depth > MAX_AST_DEPTH) throw new BindingError('The expression is nested too deeply.');
  const d = depth + 1;
  switch (node.type) {
    case 'Literal': {
      const v = (node as jsep.Literal).value;
      if (v instanceof RegExp) throw new BindingError('Regular expressions are not allowed.');
      return v;
    }
    case 'Identifier': {
      const name = (node as jsep.Identifier).name;
      if (name === 'undefined') return undefined;
      if (FORBIDDEN_KEYS.has(name)) throw new BindingError(`"${name}" cannot be read.`);
      if (!Object.prototype.hasOwnProperty.call(scope, name)) {
        throw new BindingError(`"${name}" is not defined.`);
      }
      return checkData(scope[name]);
    }
    case 'MemberExpression': {
      const m = node as jsep.MemberExpression;
      const object = evaluateNode(m.object, scope, d);
      const key = m.computed
        ? evaluateNode(m.property, scope, d)
        : (m.property as jsep.Identifier).name;
      return readMember(object, key);
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      const v = evaluateNode(u.argument, scope, d);
      if (u.operator === '!') return !v;
      if (u.operator === '-') return -toNumber(v);
      if (u.operator === '+') return toNumber(v);
      throw new BindingError(`The operator "${u.operator}" is not allowed.`);
    }
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression;
      // Logical operators short-circuit, so the right side is evaluated only when needed.
      if (b.operator === '&&') {
        const l = evaluateNode(b.left, scope, d);
        return l ? evaluateNode(b.right, scope, d) : l;
      }
      if (b.operator === '||') {
        const l = evaluateNode(b.left, scope, d);
        return l ? l : evaluateNode(b.right, scope, d);
      }
      if (b.operator === '??') {
        const l = evaluateNode(b.left, scope, d);
        return l ?? evaluateNode(b.right, scope, d);
      }
      return binary(b.operator, evaluateNode(b.left, scope, d), evaluateNode(b.right, scope, d));
    }
    case 'ConditionalExpression': {
      const c = node as jsep.ConditionalExpression;
      return evaluateNode(c.test, scope, d)
        ? evaluateNode(c.consequent, scope, d)
        : evaluateNode(c.alternate, scope, d);
    }
    case 'ArrayExpression':
      return (node as jsep.ArrayExpression).elements.map((e) =>
        e ? evaluateNode(e, scope, d) : undefined,
      );
    case 'CallExpression': {
      const c = node as jsep.CallExpression;
      // Only a helper named directly: never a method, never a value computed by the expression.
      if (c.callee.type !== 'Identifier')
        throw new BindingError('Only helper functions can be called.');
      const name = (c.callee as jsep.Identifier).name;
      if (!Object.prototype.hasOwnProperty.call(HELPERS, name)) {
        throw new BindingError(`"${name}" is not a helper function.`);
      }
      const args = c.arguments.map((a) => evaluateNode(a, scope, d));
      return HELPERS[name](...args);
    }
    case 'ThisExpression':
      throw new BindingError('"this" is not allowed.');
    default:
      throw new BindingError(`This kind of expression (${node.type}) is not allowed.`);
  }
}

/**
 * Evaluates one expression (the text between `{{` and `}}`) against the scope.
 * @throws BindingError on a syntax error, a refused construct or a limit.
 */
export function evaluateExpression(expression: string, scope: BindingScope): Value {
  if (expression.length > MAX_TEMPLATE_LENGTH)
    throw new BindingError('The expression is too long.');
  if (expression.includes('{{') || expression.includes('}}')) {
    throw new BindingError('"{{ }}" cannot be nested.');
  }
  let ast: jsep.Expression;
  try {
    ast = jsep(expression);
  } catch (e) {
    throw new BindingError(
      `Syntax error: ${e instanceof Error ? e.message : 'invalid expression'}`,
    );
  }
  return evaluateNode(ast, scope, 0);
}

/** One piece of a template: literal text or an expression. */
export type TemplatePart = { kind: 'text'; text: string } | { kind: 'expr'; source: string };

/**
 * Splits a template into text and `{{ expression }}` parts.
 * @throws BindingError on an unclosed `{{`, a stray `}}` after text, nesting, or length.
 */
export function parseTemplate(template: string): TemplatePart[] {
  if (template.length > MAX_TEMPLATE_LENGTH) throw new BindingError('The binding is too long.');
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    if (open < 0) {
      parts.push({ kind: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) parts.push({ kind: 'text', text: template.slice(i, open) });
    const close = template.indexOf('}}', open + 2);
    if (close < 0) throw new BindingError('"{{" is not closed with "}}".');
    const source = template.slice(open + 2, close);
    if (source.includes('{{')) throw new BindingError('"{{ }}" cannot be nested.');
    parts.push({ kind: 'expr', source });
    i = close + 2;
  }
  return parts;
}

/** True when the text holds at least one `{{ }}`. */
export function hasBinding(template: string): boolean {
  return template.includes('{{');
}

/** The result of a template: its value, or the error to show beside the property. */
export type TemplateResult = { ok: true; value: Value } | { ok: false; error: string };

/**
 * Evaluates a property template. Text without `{{` is returned as-is; a template that is exactly
 * one `{{ expr }}` returns the expression's value unchanged (a list stays a list); text mixed
 * with several bindings returns a string with each value as display text.
 * Never throws: errors come back as `{ok:false, error}`.
 */
export function evaluateTemplate(template: string, scope: BindingScope): TemplateResult {
  try {
    if (!hasBinding(template)) {
      if (template.length > MAX_TEMPLATE_LENGTH) throw new BindingError('The text is too long.');
      return { ok: true, value: template };
    }
    const parts = parseTemplate(template);
    if (parts.length === 1 && parts[0].kind === 'expr') {
      return { ok: true, value: evaluateExpression(parts[0].source, scope) };
    }
    let out = '';
    for (const p of parts) {
      out += p.kind === 'text' ? p.text : toDisplayText(evaluateExpression(p.source, scope));
      capString(out);
    }
    return { ok: true, value: out };
  } catch (e) {
    return { ok: false, error: e instanceof BindingError ? e.message : 'The binding failed.' };
  }
}

/** Names of the scope entries a template reads at top level (`query1` in `{{ query1.data }}`). */
export function referencedNames(template: string): string[] {
  const names = new Set<string>();
  const visit = (n: jsep.Expression | null | undefined): void => {
    if (!n) return;
    if (n.type === 'Identifier') names.add((n as jsep.Identifier).name);
    else if (n.type === 'MemberExpression') {
      const m = n as jsep.MemberExpression;
      visit(m.object);
      if (m.computed) visit(m.property);
    } else {
      for (const v of Object.values(n) as unknown[]) {
        const children = Array.isArray(v) ? (v as unknown[]) : [v];
        for (const x of children) {
          if (x && typeof x === 'object' && 'type' in x) visit(x as jsep.Expression);
        }
      }
    }
  };
  try {
    for (const p of parseTemplate(template)) if (p.kind === 'expr') visit(jsep(p.source));
  } catch {
    // an invalid template references nothing
  }
  return [...names];
}
