import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource } from 'typeorm';
import { KnownDeviceEntity } from './known-device.entity';
import { UserEntity } from './user.entity';

/** Browsers kept per account; the ones that signed in least recently are forgotten first. */
const MAX_DEVICES_PER_USER = 20;

/**
 * Known devices in the metadata database (every replica sees the same). Methods take the user
 * id first. Tokens are passed as hashes only.
 */
@Injectable()
export class KnownDeviceRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The account's id when `tokenHash` is a live known device of the account with this email
   * (lower-cased, trimmed), else null. A device of another account never matches.
   */
  async userIdForDevice(email: string, tokenHash: string, now: Date): Promise<string | null> {
    const row = await this.dataSource.manager
      .createQueryBuilder(KnownDeviceEntity, 'd')
      .innerJoin(UserEntity, 'u', 'u.id = d.user_id')
      .select('d.user_id', 'userId')
      .where('d.token_hash = :tokenHash', { tokenHash })
      .andWhere('u.email = :email', { email })
      .andWhere('d.expires_at > :now', { now })
      .getRawOne<{ userId: string }>();
    return row?.userId ?? null;
  }

  /**
   * After a successful sign-in: `newHash` becomes a known device of the user; the accounts the
   * browser's previous token (`oldHash`) was known for move to the new token, and the old one
   * stops working (rotation: a copied or planted old cookie is worth nothing afterwards).
   * Expired rows of the user and rows beyond the newest {@link MAX_DEVICES_PER_USER} go.
   */
  async remember(
    userId: string,
    newHash: string,
    oldHash: string | undefined,
    now: Date,
    expiresAt: Date,
  ): Promise<void> {
    const manager = this.dataSource.manager;
    await manager.insert(KnownDeviceEntity, {
      tokenHash: newHash,
      userId,
      signedInAt: now,
      expiresAt,
    });
    if (oldHash && oldHash !== newHash) {
      await manager
        .createQueryBuilder()
        .update(KnownDeviceEntity)
        .set({ tokenHash: newHash })
        .where('token_hash = :oldHash AND user_id <> :userId AND expires_at > :now', {
          oldHash,
          userId,
          now,
        })
        .execute();
      await manager.delete(KnownDeviceEntity, { tokenHash: oldHash });
    }
    await manager
      .createQueryBuilder()
      .delete()
      .from(KnownDeviceEntity)
      .where('user_id = :userId', { userId })
      .andWhere(
        new Brackets((w) => {
          w.where('expires_at <= :now', { now }).orWhere(
            `token_hash NOT IN (SELECT k.token_hash FROM known_devices k WHERE k.user_id = :userId
              ORDER BY k.signed_in_at DESC LIMIT ${MAX_DEVICES_PER_USER})`,
            { userId },
          );
        }),
      )
      .execute();
  }
}
