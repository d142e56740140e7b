import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { UserEntity } from './user.entity';

/**
 * Users are instance-wide (a user may belong to several workspaces); workspace-scoped access
 * to users goes through memberships.
 */
@Injectable()
export class UserRepository {
  constructor(@InjectRepository(UserEntity) private readonly repo: Repository<UserEntity>) {}

  findById(id: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ email: email.trim().toLowerCase() });
  }

  count(): Promise<number> {
    return this.repo.count();
  }

  async insert(user: UserEntity, manager?: EntityManager): Promise<void> {
    await (manager ?? this.repo.manager).insert(UserEntity, user);
  }

  async update(
    id: string,
    patch: Partial<
      Pick<UserEntity, 'passwordHash' | 'passwordChangedAt' | 'totpSecretSealed' | 'totpEnabled'>
    >,
  ): Promise<void> {
    await this.repo.update({ id }, patch);
  }
}
