import type { TWorkspaceRole } from '@bastion/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * An invitation to join a workspace with a role. Only the SHA-256 of its token is stored; the
 * token itself is shown once (create, resend). Pending while `acceptedAt` and `revokedAt` are
 * null and `expiresAt` is in the future.
 */
@Entity('invitations')
export class InvitationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'workspace_id', type: 'varchar', length: 36 })
  workspaceId: string;

  /** Lower-cased, trimmed (as `ZEmail` gives it). */
  @Column({ type: 'varchar', length: 320 })
  email: string;

  @Column({ type: 'varchar', length: 16 })
  role: TWorkspaceRole;

  /** Hex SHA-256 of the token; never leaves the invitation service. */
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ name: 'invited_by', type: 'varchar', length: 36, nullable: true })
  invitedBy: string | null;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;

  @Column({ name: 'expires_at', type: Date })
  expiresAt: Date;

  @Column({ name: 'accepted_at', type: Date, nullable: true })
  acceptedAt: Date | null;

  @Column({ name: 'accepted_by', type: 'varchar', length: 36, nullable: true })
  acceptedBy: string | null;

  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt: Date | null;

  /** Never serialize the token hash, whatever a caller does with the entity. */
  toJSON(): Record<string, unknown> {
    return { id: this.id, workspaceId: this.workspaceId, email: this.email, role: this.role };
  }
}
