import type { TChangeSet, TRevisionSummary } from '@bastion/contracts';

const MAX_NAMES = 4;

function names(list: string[]): string {
  const shown = list.slice(0, MAX_NAMES).join(', ');
  return list.length > MAX_NAMES ? `${shown} and ${list.length - MAX_NAMES} more` : shown;
}

function describeSet(label: string, set: TChangeSet): string[] {
  const out: string[] = [];
  if (set.added.length) out.push(`${label} added: ${names(set.added)}`);
  if (set.removed.length) out.push(`${label} removed: ${names(set.removed)}`);
  if (set.changed.length) out.push(`${label} changed: ${names(set.changed)}`);
  return out;
}

/**
 * One line naming what changed, e.g. "Components added: table1 · Queries changed: users";
 * "No changes" when the summary names none.
 */
export function describeSummary(summary: TRevisionSummary): string {
  const parts = [
    ...describeSet('Components', summary.components),
    ...describeSet('Queries', summary.queries),
    ...(summary.renamed ? ['App renamed'] : []),
  ];
  return parts.length ? parts.join(' · ') : 'No changes';
}
