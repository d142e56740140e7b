import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull, Repository } from 'typeorm';
import { nativeStatement, returnedRows } from './native-sql';
import { RecoveryCodeEntity } from './recovery-code.entity';

/**
 * Recovery codes and the TOTP replay guard. Users are instance-wide, so methods take the user
 * id first (there is no workspace to scope by).
 */
@Injectable()
export class TwoFactorRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(RecoveryCodeEntity) private readonly codes: Repository<RecoveryCodeEntity>,
  ) {}

  /** Replaces every recovery code of the user by `hashes`, in the caller's transaction. */
  async replaceRecoveryCodes(
    userId: string,
    hashes: string[],
    manager: EntityManager,
  ): Promise<void> {
    await manager.delete(RecoveryCodeEntity, { userId });
    const now = new Date();
    await manager.insert(
      RecoveryCodeEntity,
      hashes.map((codeHash) => ({ userId, codeHash, createdAt: now, usedAt: null })),
    );
  }

  async deleteRecoveryCodes(userId: string, manager?: EntityManager): Promise<void> {
    await (manager ?? this.codes.manager).delete(RecoveryCodeEntity, { userId });
  }

  /**
   * Marks an unused code of the user as used. One conditional UPDATE, so two concurrent
   * sign-ins with the same code cannot both succeed.
   * @returns true when the code existed, was unused, and is now used.
   */
  async consumeRecoveryCode(userId: string, codeHash: string): Promise<boolean> {
    const result = await this.codes.update(
      { userId, codeHash, usedAt: IsNull() },
      { usedAt: new Date() },
    );
    return (result.affected ?? 0) === 1;
  }

  countUnusedRecoveryCodes(userId: string): Promise<number> {
    return this.codes.countBy({ userId, usedAt: IsNull() });
  }

  /**
   * Records `step` as the last accepted TOTP step of the user, only if it is later than the one
   * stored (atomic upsert on PostgreSQL and SQLite).
   * @returns false when a code of this step or a later one was already accepted (a replay).
   */
  async advanceTotpStep(userId: string, step: number): Promise<boolean> {
    const { p, params } = nativeStatement(this.dataSource);
    const sql = `INSERT INTO totp_last_steps (user_id, step) VALUES (${p(userId)}, ${p(step)})
      ON CONFLICT (user_id) DO UPDATE SET step = excluded.step
        WHERE totp_last_steps.step < excluded.step
      RETURNING step`;
    return returnedRows(await this.dataSource.query(sql, params)).length === 1;
  }

  async clearTotpStep(userId: string, manager?: EntityManager): Promise<void> {
    const { p, params } = nativeStatement(this.dataSource);
    await (manager ?? this.dataSource.manager).query(
      `DELETE FROM totp_last_steps WHERE user_id = ${p(userId)}`,
      params,
    );
  }
}
