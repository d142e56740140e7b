import { Injectable } from '@nestjs/common';
import type {
  TAuditBrokenLink,
  TAuditVerifyResult,
  TWorkspaceAuditVerifyResult,
} from '@bastion/contracts';
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

/** What one workspace's admins are told: their own entries only. */
interface WorkspaceTally {
  checked: number;
  newest: { sequence: string; hash: string } | null;
  firstBroken: TAuditBrokenLink | null;
}

/** One pass over the chain: the instance's result and every workspace's tally. */
interface ChainReport {
  instance: TAuditVerifyResult;
  workspaces: Map<string, WorkspaceTally>;
  /**
   * A break every workspace is told about (missing entries, chain head, planted checkpoint): it
   * may hide any workspace's entries. Its message names no instance total.
   */
  shared: TAuditBrokenLink | null;
}

/**
 * Verifies the instance's audit chain from the newest retention checkpoint (or the genesis
 * hash) to the head: sequences without gaps, each `prev_hash` equal to the hash before it,
 * each `hash` equal to SHA-256 of the canonical encoding (audit-hash.ts), and the last entry
 * equal to the chain-head row, and the checkpoint (if any) matched by an `audit.pruned` entry of
 * the remaining chain, so a checkpoint cannot be planted to hide removed entries without also
 * appending to the chain. The instance result stops at the first broken link; the same pass
 * also tallies each workspace's own entries ({@link verifyWorkspace}).
 */
@Injectable()
export class AuditVerifyService {
  constructor(private readonly repository: AuditRepository) {}

  private inFlight: Promise<ChainReport> | null = null;

  /**
   * The whole chain, for the operator (`pnpm cli audit verify`) and retention: entries
   * checked, head sequence and hash, checkpoint, first broken link.
   */
  async verify(): Promise<TAuditVerifyResult> {
    return (await this.report()).instance;
  }

  /**
   * What a workspace admin may see: the same verification, reported on this workspace's
   * entries only, without instance totals or the instance head.
   * - `checkedEntries`: the workspace's entries verified (up to its first broken link);
   * - `newest`: sequence and hash of its newest verified entry;
   * - `firstBroken`: the first break that concerns it: one of its entries changed (its hash,
   *   or its link to the entry before or after it), or a break that can hide any workspace's
   *   entries (a missing entry, the chain head, a planted checkpoint). A changed entry of
   *   another workspace is not reported here.
   */
  async verifyWorkspace(workspaceId: string): Promise<TWorkspaceAuditVerifyResult> {
    const report = await this.report();
    const tally = report.workspaces.get(workspaceId);
    const firstBroken = tally?.firstBroken ?? report.shared;
    const checkpoint = report.instance.checkpoint;
    return {
      ok: firstBroken === null,
      checkedEntries: tally?.checked ?? 0,
      newest: tally?.newest ?? null,
      pruned: checkpoint
        ? { occurredAt: checkpoint.occurredAt, prunedAt: checkpoint.prunedAt }
        : null,
      firstBroken,
    };
  }

  /**
   * One pass over the chain; concurrent callers share it (the admin endpoint is reachable by
   * every workspace admin, so repeated requests must not multiply full scans).
   */
  private report(): Promise<ChainReport> {
    this.inFlight ??= this.verifyOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Reads the whole chain once (pages of 1000); memory stays flat but for one tally per workspace. */
  private async verifyOnce(): Promise<ChainReport> {
    // Entries appended after this read are left for the next run.
    const head = await this.repository.readHead();
    const checkpoint = await this.repository.latestCheckpoint();
    let expectedSequence = (checkpoint?.sequence ?? 0) + 1;
    let prevHash = checkpoint?.hash ?? GENESIS_HASH;
    let prevWorkspace: string | null = null;
    let checked = 0;
    let checkpointRecorded = false;
    /** The first break of the whole chain (stops the instance count). */
    let firstBroken: TAuditBrokenLink | null = null;
    let shared: TAuditBrokenLink | null = null;
    const workspaces = new Map<string, WorkspaceTally>();
    const tally = (workspaceId: string) => {
      let t = workspaces.get(workspaceId);
      if (!t) {
        t = { checked: 0, newest: null, firstBroken: null };
        workspaces.set(workspaceId, t);
      }
      return t;
    };
    /** Records a changed entry: for the instance and for the workspaces it concerns. */
    const broken = (link: TAuditBrokenLink, concerns: (string | null)[]) => {
      firstBroken ??= link;
      for (const wid of concerns) {
        if (wid !== null) tally(wid).firstBroken ??= link;
      }
    };
    let after = expectedSequence - 1;
    walk: for (;;) {
      const page = await this.repository.chainPage(after, PAGE);
      for (const event of page) {
        if (event.sequence > head.lastSequence) break;
        if (event.sequence !== expectedSequence) {
          shared = {
            sequence: String(expectedSequence),
            reason: 'missing_entry',
            message: `entry ${expectedSequence} is missing (the next stored entry is ${event.sequence})`,
          };
          firstBroken ??= shared;
          break walk;
        }
        const wid = event.workspaceId;
        let intact = true;
        if (event.prevHash !== prevHash) {
          intact = false;
          // Either this entry's link or the entry before it was changed (and re-hashed).
          broken(
            {
              sequence: String(event.sequence),
              reason: 'prev_hash_mismatch',
              message:
                expectedSequence === (checkpoint?.sequence ?? 0) + 1
                  ? `entry ${event.sequence} does not link to the ${checkpoint ? 'retention checkpoint' : 'start of the chain'}`
                  : `entry ${event.sequence} does not link to entry ${event.sequence - 1} (prev_hash differs: one of them was changed)`,
            },
            [wid, prevWorkspace],
          );
        }
        if (computeAuditHash(event) !== event.hash) {
          intact = false;
          broken(
            {
              sequence: String(event.sequence),
              reason: 'hash_mismatch',
              message: `entry ${event.sequence} does not match its hash: it was changed after it was written`,
            },
            [wid],
          );
        }
        if (checkpoint && event.action === 'audit.pruned' && !checkpointRecorded) {
          checkpointRecorded = recordsCheckpoint(event.details, checkpoint);
        }
        if (intact && firstBroken === null) checked += 1;
        if (intact && wid !== null) {
          const t = tally(wid);
          if (t.firstBroken === null) {
            t.checked += 1;
            t.newest = { sequence: String(event.sequence), hash: event.hash };
          }
        }
        // Later links are checked against what is stored, so one changed entry breaks one link.
        prevHash = event.hash;
        prevWorkspace = wid;
        expectedSequence += 1;
      }
      if (page.length < PAGE || page[page.length - 1].sequence >= head.lastSequence) break;
      after = page[page.length - 1].sequence;
    }
    if (shared === null) shared = this.tailBreak(expectedSequence, prevHash, head);
    if (shared === null && checkpoint && !checkpointRecorded) {
      // A checkpoint without its in-chain `audit.pruned` entry was not made by `audit prune`.
      shared = {
        sequence: String(checkpoint.sequence + 1),
        reason: 'checkpoint_unrecorded',
        message: `the retention checkpoint at entry ${checkpoint.sequence} has no matching audit.pruned entry`,
      };
    }
    const instanceBroken: TAuditBrokenLink | null =
      firstBroken ??
      (shared?.reason === 'missing_entry'
        ? {
            ...shared,
            message: `entries ${shared.sequence} to ${head.lastSequence} are missing (the chain head records ${head.lastSequence})`,
          }
        : shared);
    return {
      instance: {
        ok: instanceBroken === null,
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
        firstBroken: instanceBroken,
      },
      workspaces,
      shared,
    };
  }

  /**
   * After the last stored entry: newer entries the chain head records are missing, or the head
   * does not match the last entry. The message names no head sequence (an instance total).
   */
  private tailBreak(
    expectedSequence: number,
    prevHash: string,
    head: { lastSequence: number; lastHash: string },
  ): TAuditBrokenLink | null {
    if (expectedSequence - 1 < head.lastSequence) {
      return {
        sequence: String(expectedSequence),
        reason: 'missing_entry',
        message: `entries from ${expectedSequence} on are missing (the chain head records more)`,
      };
    }
    if (expectedSequence - 1 !== head.lastSequence || prevHash !== head.lastHash) {
      return {
        sequence: String(expectedSequence),
        reason: 'head_mismatch',
        message: `the chain head does not match entry ${expectedSequence - 1}`,
      };
    }
    return null;
  }
}
