import { Injectable } from '@nestjs/common';
import type { TAuditBrokenLink, TAuditVerifyResult } from '@bastion/contracts';
import { computeAuditHash, GENESIS_HASH } from './audit-hash';
import { AuditRepository } from './audit.repository';

/** True when an `audit.pruned` entry's details name this checkpoint (sequence and hash). */
function recordsCheckpoint(details: string, checkpoint: { sequence: number; hash: string }) {
  try {
    const d = JSON.parse(details) as Record<string, unknown>;
    return d.checkpointSequence === checkpoint.sequence && d.checkpointHash === checkpoint.hash;
  } catch {
    return false;
  }
}

/** Entries read per query while verifying. */
const PAGE = 1000;

/**
 * Verifies the instance's audit chain from the newest retention checkpoint (or the genesis
 * hash) to the head: sequences without gaps, each `prev_hash` equal to the hash before it,
 * each `hash` equal to SHA-256 of the canonical encoding (audit-hash.ts), and the last entry
 * equal to the chain-head row, and the checkpoint (if any) matched by an `audit.pruned` entry of
 * the remaining chain, so a checkpoint cannot be planted to hide removed entries without also
 * appending to the chain. Stops at the first broken link.
 */
@Injectable()
export class AuditVerifyService {
  constructor(private readonly repository: AuditRepository) {}

  private inFlight: Promise<TAuditVerifyResult> | null = null;

  /**
   * Verifies the chain; concurrent callers share one run (the admin endpoint is reachable by
   * every workspace admin, so repeated requests must not multiply full scans).
   */
  verify(): Promise<TAuditVerifyResult> {
    this.inFlight ??= this.verifyOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Reads the whole chain once (pages of 1000); memory stays flat. */
  private async verifyOnce(): Promise<TAuditVerifyResult> {
    // Entries appended after this read are left for the next run.
    const head = await this.repository.readHead();
    const checkpoint = await this.repository.latestCheckpoint();
    let expectedSequence = (checkpoint?.sequence ?? 0) + 1;
    let prevHash = checkpoint?.hash ?? GENESIS_HASH;
    let checked = 0;
    let checkpointRecorded = false;
    const result = (firstBroken: TAuditBrokenLink | null): TAuditVerifyResult => ({
      ok: firstBroken === null,
      checkedEntries: checked,
      head: { sequence: String(head.lastSequence), hash: head.lastHash },
      checkpoint: checkpoint
        ? {
            sequence: String(checkpoint.sequence),
            hash: checkpoint.hash,
            occurredAt: checkpoint.occurredAt.toISOString(),
            prunedAt: checkpoint.prunedAt.toISOString(),
          }
        : null,
      firstBroken,
    });
    let after = expectedSequence - 1;
    for (;;) {
      const page = await this.repository.chainPage(after, PAGE);
      for (const event of page) {
        if (event.sequence > head.lastSequence) break;
        if (event.sequence !== expectedSequence) {
          return result({
            sequence: String(expectedSequence),
            reason: 'missing_entry',
            message: `entry ${expectedSequence} is missing (the next stored entry is ${event.sequence})`,
          });
        }
        if (event.prevHash !== prevHash) {
          return result({
            sequence: String(event.sequence),
            reason: 'prev_hash_mismatch',
            message:
              expectedSequence === (checkpoint?.sequence ?? 0) + 1
                ? `entry ${event.sequence} does not link to the ${checkpoint ? 'retention checkpoint' : 'start of the chain'}`
                : `entry ${event.sequence} does not link to entry ${event.sequence - 1} (prev_hash differs: one of them was changed)`,
          });
        }
        if (computeAuditHash(event) !== event.hash) {
          return result({
            sequence: String(event.sequence),
            reason: 'hash_mismatch',
            message: `entry ${event.sequence} does not match its hash: it was changed after it was written`,
          });
        }
        if (checkpoint && event.action === 'audit.pruned' && !checkpointRecorded) {
          checkpointRecorded = recordsCheckpoint(event.details, checkpoint);
        }
        prevHash = event.hash;
        expectedSequence += 1;
        checked += 1;
      }
      if (page.length < PAGE || page[page.length - 1].sequence >= head.lastSequence) break;
      after = page[page.length - 1].sequence;
    }
    if (expectedSequence - 1 !== head.lastSequence || prevHash !== head.lastHash) {
      return result({
        sequence: String(expectedSequence),
        reason: expectedSequence - 1 < head.lastSequence ? 'missing_entry' : 'head_mismatch',
        message:
          expectedSequence - 1 < head.lastSequence
            ? `entries ${expectedSequence} to ${head.lastSequence} are missing (the chain head records ${head.lastSequence})`
            : `the chain head does not match entry ${expectedSequence - 1}`,
      });
    }
    if (checkpoint && !checkpointRecorded) {
      // A checkpoint without its in-chain `audit.pruned` entry was not made by `audit prune`.
      return result({
        sequence: String(checkpoint.sequence + 1),
        reason: 'checkpoint_unrecorded',
        message: `the retention checkpoint at entry ${checkpoint.sequence} has no matching audit.pruned entry`,
      });
    }
    return result(null);
  }
}
