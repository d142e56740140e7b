import type { TRestQueryBody } from '@bastion/contracts';
import type {
  ResolvedDatasource,
  RestConnector,
  RunLimits,
  RunResult,
} from '../datasources/connectors/connector';
import { parseJsonKeepingDigits } from '../common/json/json-number-scan';
import { QueryErrorCode, QueryException } from './query.exception';
import { buildRestRequest, resolveUnderBase } from './rest-request-template';
import { RowCollector } from './result-encoding';

function typeOfJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Turns a REST response body into rows: a JSON array of objects becomes one row per element, a
 * JSON object one row, anything else one row `{ body: text }`. Columns are the union of keys
 * with the JSON type of their first non-null value. Lossless as SQL results: a number a double
 * cannot hold exactly (`9007199254740993`) comes back as its text, a string.
 */
export function restBodyToResult(
  body: Buffer,
  contentType: string | undefined,
  cut: boolean,
  limits: RunLimits,
): RunResult {
  const text = body.toString('utf8');
  let parsed: unknown = undefined;
  const looksJson = /json/i.test(contentType ?? '') || /^\s*[[{]/.test(text);
  if (looksJson) {
    try {
      parsed = parseJsonKeepingDigits(text);
    } catch {
      if (cut) {
        throw new QueryException(
          QueryErrorCode.UpstreamError,
          `The response is larger than the ${limits.maxBytes}-byte limit`,
        );
      }
    }
  }
  const items: Record<string, unknown>[] =
    parsed === undefined
      ? [{ body: text }]
      : Array.isArray(parsed)
        ? parsed.map((v) =>
            v !== null && typeof v === 'object' && !Array.isArray(v)
              ? (v as Record<string, unknown>)
              : { value: v },
          )
        : parsed !== null && typeof parsed === 'object'
          ? [parsed as Record<string, unknown>]
          : [{ value: parsed }];
  const collector = new RowCollector(limits.maxRows, limits.maxBytes);
  for (const item of items) if (!collector.add(item)) break;
  const types = new Map<string, string>();
  for (const row of collector.rows) {
    for (const [k, v] of Object.entries(row)) {
      if (!types.has(k) || (types.get(k) === 'null' && v !== null)) types.set(k, typeOfJson(v));
    }
  }
  return {
    columns: [...types].map(([name, type]) => ({ name, type })),
    rows: collector.rows,
    rowCount: collector.rows.length,
    truncated: collector.truncated || cut,
  };
}

/**
 * Runs a templated REST request through the datasource's connector (which applies secrets,
 * checks egress on every hop and reads at most `maxBytes`).
 * @throws QueryException(InvalidParams 400) for bad templating, (UpstreamError 422) for an
 *   upstream status >= 400, (Timeout 504) when the connector reports a timeout.
 */
export async function runRest(
  connector: RestConnector,
  ds: ResolvedDatasource,
  body: TRestQueryBody,
  params: Map<string, unknown>,
  limits: RunLimits,
): Promise<RunResult> {
  const request = buildRestRequest(body, params);
  if (typeof ds.config.baseUrl === 'string') resolveUnderBase(ds.config.baseUrl, request);
  const response = await connector.send(ds, request, limits);
  if (response.status >= 400) {
    throw new QueryException(
      QueryErrorCode.UpstreamError,
      `The API answered with status ${response.status}`,
    );
  }
  const contentType = Object.entries(response.headers).find(
    ([k]) => k.toLowerCase() === 'content-type',
  )?.[1];
  return restBodyToResult(response.body, contentType, response.truncated, limits);
}
