import { z } from 'zod';
import { ZQueryBody, ZQueryParamSpec } from './app.contract';

/** Parameter values of a run: name -> JSON value, checked against the query's declared params. */
export const ZQueryParamValues = z.record(z.string().max(64), z.unknown());

/**
 * `POST .../apps/:appId/queries/:queryId/run`: only `{params}`; any other field (such as `sql`)
 * is refused with 400.
 */
export const ZRunQueryRequest = z.strictObject({
  params: ZQueryParamValues.default({}),
});
export type TRunQueryRequest = z.infer<typeof ZRunQueryRequest>;

/** `POST /api/workspaces/:wid/datasources/:id/preview` (editors): an ad-hoc query. */
export const ZPreviewQueryRequest = z.strictObject({
  query: ZQueryBody,
  paramSpecs: z.array(ZQueryParamSpec).max(50).optional(),
  params: ZQueryParamValues.default({}),
  timeoutMs: z.number().int().min(100).max(120_000).optional(),
  maxRows: z.number().int().min(1).max(1_000_000).optional(),
});
export type TPreviewQueryRequest = z.infer<typeof ZPreviewQueryRequest>;

/**
 * A run's result. Values are lossless: 64-bit integers and decimals as strings, dates as ISO
 * text, bytes as base64, JSON columns as JSON. `type` is the database's type name.
 */
export const ZRunQueryResponse = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number().int(),
  truncated: z.boolean(),
  durationMs: z.number(),
});
export type TRunQueryResponse = z.infer<typeof ZRunQueryResponse>;
