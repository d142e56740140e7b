import type { ResultColumn } from '../datasources/connectors/connector';

/**
 * Lossless result encoding, the same for every engine:
 * - 64-bit integers and decimals: strings (JS numbers lose digits past 2^53, RFC 8259 §6);
 * - dates and timestamps: ISO 8601 text; zoned timestamps in UTC (`...Z`), read with the
 *   session time zone forced to UTC, so the server's zone never shifts a value;
 * - bytes: base64; JSON columns: parsed JSON; `""` and `null` stay distinct.
 */

/** PostgreSQL type OIDs (pg_type.dat) -> type name, for the `columns` of a result. */
export const PG_TYPE_NAMES: Record<number, string> = {
  16: 'bool',
  17: 'bytea',
  18: 'char',
  19: 'name',
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'text',
  26: 'oid',
  114: 'json',
  142: 'xml',
  700: 'float4',
  701: 'float8',
  790: 'money',
  829: 'macaddr',
  869: 'inet',
  650: 'cidr',
  1000: '_bool',
  1005: '_int2',
  1007: '_int4',
  1009: '_text',
  1014: '_bpchar',
  1015: '_varchar',
  1016: '_int8',
  1021: '_float4',
  1022: '_float8',
  1042: 'bpchar',
  1043: 'varchar',
  1082: 'date',
  1083: 'time',
  1114: 'timestamp',
  1184: 'timestamptz',
  1186: 'interval',
  1231: '_numeric',
  1266: 'timetz',
  1700: 'numeric',
  2249: 'record',
  2278: 'void',
  2950: 'uuid',
  3802: 'jsonb',
  3807: '_jsonb',
  705: 'unknown',
};

const PG_ARRAY_ELEMENT: Record<number, number> = {
  1000: 16,
  1005: 21,
  1007: 23,
  1009: 25,
  1014: 1042,
  1015: 1043,
  1016: 20,
  1021: 700,
  1022: 701,
  1231: 1700,
  3807: 3802,
};

/** Turns `2024-03-01 10:00:00.123456+00` (UTC session) into `2024-03-01T10:00:00.123456Z`. */
function pgTimestampTz(text: string): string {
  const m =
    /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d(?::?\d\d)?(?::?\d\d)?)( BC)?$/.exec(
      text,
    );
  if (!m || m[4]) return text; // infinity, BC dates: keep PostgreSQL's own text
  const offset = m[3] === '+00' ? 'Z' : m[3].length === 3 ? `${m[3]}:00` : m[3];
  return `${m[1]}T${m[2]}${offset}`;
}

function pgTimestamp(text: string): string {
  const m = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)$/.exec(text);
  return m ? `${m[1]}T${m[2]}` : text;
}

function pgNumber(text: string): number | string {
  const n = Number(text);
  return Number.isFinite(n) ? n : text; // NaN and Infinity are not JSON numbers
}

/** Splits a one-dimensional PostgreSQL array literal (`{a,"b c",NULL}`) into its elements. */
function pgArrayElements(text: string): (string | null)[] | undefined {
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
  const body = text.slice(1, -1);
  if (body === '') return [];
  const out: (string | null)[] = [];
  let i = 0;
  while (i <= body.length) {
    if (body[i] === '{') return undefined; // multi-dimensional: keep the text
    if (body[i] === '"') {
      let s = '';
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        s += body[i];
        i++;
      }
      out.push(s);
      i += 2; // closing quote and comma
    } else {
      const comma = body.indexOf(',', i);
      const end = comma < 0 ? body.length : comma;
      const raw = body.slice(i, end);
      out.push(raw === 'NULL' ? null : raw);
      i = end + 1;
    }
  }
  return out;
}

/**
 * Decodes one PostgreSQL text-format value by type OID. Every value is read as text (the run
 * installs an identity type parser), so nothing passes through a lossy JS number on the way.
 */
export function decodePgText(oid: number, text: string): unknown {
  switch (oid) {
    case 16:
      return text === 't';
    case 21:
    case 23:
    case 26:
      return Number(text);
    case 700:
    case 701:
      return pgNumber(text);
    case 20:
    case 1700:
    case 790:
      return text;
    case 17:
      return Buffer.from(text.slice(2), 'hex').toString('base64'); // bytea_output = hex
    case 114:
    case 3802:
      return JSON.parse(text) as unknown;
    case 1184:
      return pgTimestampTz(text);
    case 1114:
      return pgTimestamp(text);
    default: {
      const element = PG_ARRAY_ELEMENT[oid];
      if (element !== undefined) {
        const items = pgArrayElements(text);
        return items ? items.map((v) => (v === null ? null : decodePgText(element, v))) : text;
      }
      return text;
    }
  }
}

/** Parser table for pg that leaves every value as its text form (decoded later by OID). */
export const PG_TEXT_TYPES = {
  getTypeParser: () => (value: string) => value,
};

/** mysql2 column type codes (mysql2/lib/constants/types) -> names for `columns`. */
const MYSQL_TYPE_NAMES: Record<number, string> = {
  0: 'decimal',
  1: 'tinyint',
  2: 'smallint',
  3: 'int',
  4: 'float',
  5: 'double',
  6: 'null',
  7: 'timestamp',
  8: 'bigint',
  9: 'mediumint',
  10: 'date',
  11: 'time',
  12: 'datetime',
  13: 'year',
  15: 'varchar',
  16: 'bit',
  245: 'json',
  246: 'decimal',
  247: 'enum',
  248: 'set',
  249: 'tinyblob',
  250: 'mediumblob',
  251: 'longblob',
  252: 'blob',
  253: 'varchar',
  254: 'char',
  255: 'geometry',
};

const BINARY_CHARSET = 63;

/** Database type name of a mysql2 field (`text` for a blob with a text charset). */
export function mysqlTypeName(field: {
  columnType?: number;
  type?: number;
  characterSet?: number;
}): string {
  const code = field.columnType ?? field.type ?? -1;
  const name = MYSQL_TYPE_NAMES[code] ?? `type${code}`;
  if (code >= 249 && code <= 252 && field.characterSet !== BINARY_CHARSET) return 'text';
  if ((code === 253 || code === 254) && field.characterSet === BINARY_CHARSET) {
    return code === 253 ? 'varbinary' : 'binary';
  }
  return name;
}

/** Text of a driver scalar (string, number, bigint); anything else as JSON. */
function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint'
    ? String(value)
    : JSON.stringify(value);
}

/** A value mysql2 returned with `dateStrings`, `bigNumberStrings` and `decimalNumbers:false`. */
export function encodeMysqlValue(typeName: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) {
    return typeName === 'json'
      ? (JSON.parse(value.toString('utf8')) as unknown)
      : value.toString('base64');
  }
  switch (typeName) {
    case 'bigint':
    case 'decimal':
      return scalarText(value);
    case 'json':
      return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
    case 'datetime':
    case 'timestamp': {
      // With time_zone = '+00:00' a TIMESTAMP reads back in UTC; DATETIME has no zone.
      const text = scalarText(value).replace(' ', 'T');
      return typeName === 'timestamp' ? `${text}Z` : text;
    }
    case 'float':
    case 'double':
      return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
    default:
      return typeof value === 'bigint' ? value.toString() : value;
  }
}

/** Makes column names unique (`id`, `id_2`) so no value is lost in `{col:value}` rows. */
export function uniqueColumnNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}_${count}`;
  });
}

/**
 * Collects encoded rows up to a row cap and a byte cap (bytes of the rows' JSON text), so a big
 * result is cut while it streams rather than after it has been buffered.
 */
export class RowCollector {
  readonly rows: Record<string, unknown>[] = [];
  truncated = false;
  private bytes = 2;

  constructor(
    private readonly maxRows: number,
    private readonly maxBytes: number,
  ) {}

  /** Adds a row; returns false when the caps are reached and reading must stop. */
  add(row: Record<string, unknown>): boolean {
    if (this.rows.length >= this.maxRows) {
      this.truncated = true;
      return false;
    }
    const size = Buffer.byteLength(JSON.stringify(row), 'utf8') + 1;
    if (this.bytes + size > this.maxBytes) {
      this.truncated = true;
      return false;
    }
    this.bytes += size;
    this.rows.push(row);
    return true;
  }
}

export type { ResultColumn };
