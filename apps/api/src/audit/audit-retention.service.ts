import { Injectable } from '@nestjs/common';
import { AuditCheckpointEntity } from './audit-checkpoint.entity';
import { AuditVerifyService } from './audit-verify.service';
import { AuditRepository } from './audit.repository';
import { AuditService, SYSTEM_META } from './audit.service';

export interface AuditPruneResult {
  removed: number;
  /** The checkpoint written (last removed entry), or null when nothing was old enough. */
  checkpoint: { sequence: number; hash: string; occurredAt: Date } | null;
}

/** Thrown when the chain is already broken inside the part that would be removed. */
export class AuditPruneRefusedError extends Error {}

const DAY_MS = 86_400_000;

/**
 * Retention: removes the oldest entries and records a checkpoint (sequence, hash and time of
 * the last removed entry) so the remaining chain still verifies. Refuses while the chain is
 * broken inside the part it would remove, so pruning never erases evidence of tampering.
 */
@Injectable()
export class AuditRetentionService {
  constructor(
    private readonly repository: AuditRepository,
    private readonly audit: AuditService,
    private readonly verifier: AuditVerifyService,
  ) {}

  /**
   * Removes every entry of the oldest-first prefix older than `olderThanDays` days (whole days
   * of 24 h before now), writes the checkpoint and appends an `audit.pruned` entry, in one
   * transaction with the chain locked.
   * @throws AuditPruneRefusedError when verification fails at or before the prune boundary
   */
  async prune(olderThanDays: number, now = new Date()): Promise<AuditPruneResult> {
    const cutoff = new Date(now.getTime() - olderThanDays * DAY_MS);
    const verification = await this.verifier.verify();
    return this.audit.withChainLock(async (manager) => {
      const head = await this.repository.lockHead(manager);
      const previous = await this.repository.latestCheckpoint(manager);
      const through = await this.repository.prunableThrough(manager, cutoff, head.lastSequence);
      if (through <= (previous?.sequence ?? 0)) return { removed: 0, checkpoint: null };
      if (verification.firstBroken && Number(verification.firstBroken.sequence) <= through + 1) {
        throw new AuditPruneRefusedError(
          `audit chain broken at entry ${verification.firstBroken.sequence} (${verification.firstBroken.message}); not pruning`,
        );
      }
      const last = await this.repository.findBySequence(manager, through);
      if (!last) throw new AuditPruneRefusedError(`entry ${through} is missing; not pruning`);
      const checkpoint = Object.assign(new AuditCheckpointEntity(), {
        sequence: last.sequence,
        hash: last.hash,
        occurredAt: last.occurredAt,
        prunedAt: now,
        removedCount: through - (previous?.sequence ?? 0),
      });
      const removed = await this.repository.deleteThrough(manager, checkpoint);
      await this.audit.appendRows(manager, [
        this.audit.toRow({
          action: 'audit.pruned',
          actor: null,
          workspaceId: null,
          meta: SYSTEM_META,
          details: {
            olderThanDays,
            removedCount: removed,
            checkpointSequence: last.sequence,
            checkpointHash: last.hash,
            checkpointOccurredAt: last.occurredAt.toISOString(),
          },
        }),
      ]);
      return {
        removed,
        checkpoint: { sequence: last.sequence, hash: last.hash, occurredAt: last.occurredAt },
      };
    });
  }
}
