import type { TWorkspaceRole } from '@bastion/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('memberships')
export class MembershipEntity {
  @PrimaryColumn({ name: 'workspace_id', type: 'varchar', length: 36 })
  workspaceId: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ type: 'varchar', length: 16 })
  role: TWorkspaceRole;

  @Column({ name: 'created_at', type: Date })
  createdAt: Date;
}
