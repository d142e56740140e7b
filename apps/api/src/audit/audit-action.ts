import { AUDIT_ACTIONS, type TAuditAction, type TAuditDetailValue } from '@bastion/contracts';

/** The closed set of audited actions (defined in `@bastion/contracts`, shared with the web app). */
export type AuditAction = TAuditAction;
export { AUDIT_ACTIONS };

/** A detail value: flat and small. Never a secret, a query parameter value or a result value. */
export type AuditDetailValue = TAuditDetailValue;
export type AuditDetails = Record<string, AuditDetailValue>;

/** Actions written in small batches (high volume); every other action is written at once. */
export const BATCHED_ACTIONS: ReadonlySet<AuditAction> = new Set<AuditAction>(['query.run']);
