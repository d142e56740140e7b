import { z } from 'zod';

/**
 * Every action the audit log records: a closed set, so a typo cannot create a new kind of
 * entry and the admin page can offer the list as a filter.
 */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.2fa_enabled',
  'auth.2fa_disabled',
  'auth.password_changed',
  'auth.session_revoked',
  'auth.account_created',
  'member.added',
  'member.role_changed',
  'member.removed',
  'workspace.created',
  'workspace.settings_changed',
  'invitation.created',
  'invitation.resent',
  'invitation.revoked',
  'invitation.accepted',
  'instance.settings_changed',
  'datasource.created',
  'datasource.updated',
  'datasource.secret_replaced',
  'datasource.deleted',
  'vault.rotated',
  'app.created',
  'app.updated',
  'app.published',
  'app.deleted',
  'app.revision_restored',
  'query.created',
  'query.updated',
  'query.deleted',
  'query.run',
  'query.run_refused',
  'audit.pruned',
  'audit.exported',
] as const;
export const ZAuditAction = z.enum(AUDIT_ACTIONS);
export type TAuditAction = z.infer<typeof ZAuditAction>;

/** Detail values are flat: names, counts, flags, ids; never a secret, a parameter or a result. */
export const ZAuditDetailValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.string()),
]);
export type TAuditDetailValue = z.infer<typeof ZAuditDetailValue>;

/** One audit entry as the API returns it. `sequence` is a decimal string (64-bit). */
export const ZAuditEvent = z.object({
  sequence: z.string(),
  occurredAt: z.string(),
  actor: z.object({ userId: z.string(), email: z.string() }).nullable(),
  workspaceId: z.string().nullable(),
  action: ZAuditAction,
  target: z.object({ type: z.string(), id: z.string() }).nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  correlationId: z.string().nullable(),
  details: z.record(z.string(), ZAuditDetailValue),
  prevHash: z.string(),
  hash: z.string(),
});
export type TAuditEvent = z.infer<typeof ZAuditEvent>;

/**
 * `GET /api/workspaces/:wid/audit-events` query. `actor` matches a user id exactly or part of
 * an email (case-insensitive); `from`/`to` are ISO times (from inclusive, to exclusive);
 * `cursor` is the `nextCursor` of the previous page (entries older than it); `format` other than
 * `json` downloads every matching entry as a file.
 */
export const ZListAuditEventsQuery = z.object({
  actor: z.string().trim().min(1).max(320).optional(),
  action: ZAuditAction.optional(),
  targetType: z.string().trim().min(1).max(64).optional(),
  targetId: z.string().trim().min(1).max(128).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, 'must be a sequence number')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  format: z.enum(['json', 'csv', 'jsonl']).default('json'),
});
export type TListAuditEventsQuery = z.infer<typeof ZListAuditEventsQuery>;

export const ZAuditEventPage = z.object({
  items: z.array(ZAuditEvent),
  /** Pass as `cursor` to get the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type TAuditEventPage = z.infer<typeof ZAuditEventPage>;

/** Where verification of the chain stopped, and why. */
export const ZAuditBrokenLink = z.object({
  sequence: z.string(),
  reason: z.enum([
    'hash_mismatch',
    'prev_hash_mismatch',
    'missing_entry',
    'head_mismatch',
    'checkpoint_unrecorded',
  ]),
  message: z.string(),
});
export type TAuditBrokenLink = z.infer<typeof ZAuditBrokenLink>;

/** `pnpm cli audit verify` (the whole chain, for the operator; workspace admins get {@link ZWorkspaceAuditVerifyResult}). */
export const ZAuditVerifyResult = z.object({
  ok: z.boolean(),
  checkedEntries: z.number().int(),
  /** Sequence and hash of the newest entry (record them elsewhere to detect a full rewrite). */
  head: z.object({ sequence: z.string(), hash: z.string() }),
  /** The retention checkpoint the remaining chain starts from, if entries were pruned. */
  checkpoint: z
    .object({
      sequence: z.string(),
      hash: z.string(),
      occurredAt: z.string(),
      prunedAt: z.string(),
    })
    .nullable(),
  firstBroken: ZAuditBrokenLink.nullable(),
});
export type TAuditVerifyResult = z.infer<typeof ZAuditVerifyResult>;

/**
 * `GET /api/workspaces/:wid/audit-events/verify` (admin): the chain verified, reported on this
 * workspace's entries only. No instance totals and no instance head: `checkedEntries` counts
 * the workspace's own entries, `newest` is its newest verified entry (record the hash elsewhere
 * to detect a later rewrite). `firstBroken` is the first break concerning the workspace: one of
 * its entries (or a link next to one) changed, or entries missing anywhere in the chain (they
 * may have been the workspace's).
 */
export const ZWorkspaceAuditVerifyResult = z.object({
  ok: z.boolean(),
  checkedEntries: z.number().int(),
  newest: z.object({ sequence: z.string(), hash: z.string() }).nullable(),
  /** When entries were last pruned by retention, and the time of the newest pruned one. */
  pruned: z.object({ occurredAt: z.string(), prunedAt: z.string() }).nullable(),
  firstBroken: ZAuditBrokenLink.nullable(),
});
export type TWorkspaceAuditVerifyResult = z.infer<typeof ZWorkspaceAuditVerifyResult>;

/**
 * `GET /api/me/audit-events` query: the caller's own instance-level entries (sign-ins, failed
 * sign-ins, sign-outs, two-factor and password changes), newest first. `cursor` is the
 * previous page's `nextCursor`.
 */
export const ZListMyAuditEventsQuery = z.object({
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, 'must be a sequence number')
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type TListMyAuditEventsQuery = z.infer<typeof ZListMyAuditEventsQuery>;
