import { Injectable, Logger } from '@nestjs/common';
import type {
  TConnectionTestResult,
  TCreateDatasourceRequest,
  TDatasource,
  TSecretUpdate,
  TTestDatasourceRequest,
  TTestNewDatasourceRequest,
  TUpdateDatasourceRequest,
} from '@bastion/contracts';
import { isDeepStrictEqual } from 'node:util';
import { randomUUID } from 'node:crypto';
import { AuditService, type AuditContext } from '../audit/audit.service';
import { requireIfMatch, VersionConflictException } from '../common/http/optimistic-concurrency';
import {
  CredentialVaultService,
  VaultDecryptionException,
} from '../credential-vault/credential-vault.service';
import type { ResolvedDatasource } from './connectors/connector';
import type { ManagedConnector } from './connectors/connector-extras';
import { ConnectorRegistry } from './connectors/connector-registry';
import type { DatasourceSecretEntity } from './datasource-secret.entity';
import { DatasourceEntity } from './datasource.entity';
import {
  DatasourceErrorCode,
  DatasourceException,
  datasourceNotFound,
  invalidField,
} from './datasource.exception';
import { DatasourceRepository } from './datasource.repository';

type SecretUpdates = Map<string, TSecretUpdate>;

const needsReentryError = () =>
  new DatasourceException(
    DatasourceErrorCode.NeedsReentry,
    'The stored credentials of this datasource can no longer be decrypted; an admin must enter them again',
  );

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const raw = e?.driverError?.code ?? e?.code;
  const code = typeof raw === 'string' ? raw : '';
  return code === '23505' || code.startsWith('SQLITE_CONSTRAINT');
}

/**
 * Datasource rules: CRUD with secret update semantics, connection tests, and decryption for
 * runs. Invariant (README.md): decrypted secrets exist only inside `resolveForRun` / `test`
 * results handed to a connector; they are never returned, logged, audited or stored in clear.
 */
@Injectable()
export class DatasourceService {
  private readonly logger = new Logger('Datasources');

  constructor(
    private readonly repo: DatasourceRepository,
    private readonly registry: ConnectorRegistry,
    private readonly vault: CredentialVaultService,
    private readonly audit: AuditService,
  ) {}

  /** Every datasource of the workspace, by name; secrets as `{isSet}` only. */
  async list(workspaceId: string): Promise<TDatasource[]> {
    const rows = await this.repo.list(workspaceId);
    const secrets = await this.repo.secretsOf(
      workspaceId,
      rows.map((r) => r.id),
    );
    return Promise.all(
      rows.map((row) =>
        this.toResponse(
          row,
          secrets.filter((s) => s.datasourceId === row.id),
        ),
      ),
    );
  }

  /** @throws DatasourceException 404 when not in this workspace. */
  async get(workspaceId: string, id: string): Promise<TDatasource> {
    const row = await this.find(workspaceId, id);
    return this.toResponse(row, await this.repo.secrets(workspaceId, id));
  }

  /**
   * Creates a datasource; its data key and secrets are written in the same transaction.
   * Credentials found in config (URL userinfo, secret-looking headers) move to secrets.
   * @throws DatasourceException 400 (invalid config or secret field, naming it), 409 (name).
   */
  async create(
    workspaceId: string,
    input: TCreateDatasourceRequest,
    ctx: AuditContext,
  ): Promise<TDatasource> {
    const { connector, config, secrets } = this.parseNew(input);
    const nameKey = input.name.toLowerCase();
    if (await this.repo.nameTaken(workspaceId, nameKey)) throw this.nameTaken();

    const now = new Date();
    const row: DatasourceEntity = Object.assign(new DatasourceEntity(), {
      id: randomUUID(),
      workspaceId,
      name: input.name,
      nameKey,
      type: connector.type,
      config: JSON.stringify(config),
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await this.repo.transaction(async (m) => {
        await this.repo.insert(workspaceId, row, m);
        await this.vault.createDataKey(workspaceId, row.id, m);
        for (const [field, value] of Object.entries(secrets)) {
          const stored = await this.vault.encryptSecret(workspaceId, row.id, field, value, m);
          await this.repo.upsertSecret(workspaceId, row.id, field, stored, m);
        }
      });
    } catch (error) {
      this.vault.clearCache();
      if (isUniqueViolation(error)) throw this.nameTaken();
      throw error;
    }
    await this.audit.record({
      action: 'datasource.created',
      ...ctx,
      workspaceId,
      target: { type: 'datasource', id: row.id },
      details: { name: row.name, type: row.type, secretFields: Object.keys(secrets).sort() },
    });
    return this.get(workspaceId, row.id);
  }

  /**
   * Updates name, config (merged over the stored config; `null` removes a key) and secrets
   * (absent = keep, `{value}` = replace, `{clear:true}` = remove). Changing a target field
   * requires every set secret again. When the data key is undecryptable, new secrets are
   * saved under a fresh key (every set secret must be given). Applies only while the
   * datasource is at `expectedVersion` (the request's `If-Match`); bumps the version and closes
   * the old pools.
   * @throws DatasourceException 400 (invalid, secrets required), 404, 409 (name);
   *   VersionConflictException 409 with the current version when stale or raced
   */
  async update(
    workspaceId: string,
    id: string,
    input: TUpdateDatasourceRequest,
    ifMatch: number | undefined,
    ctx: AuditContext,
  ): Promise<TDatasource> {
    const row = await this.find(workspaceId, id);
    const expectedVersion = requireIfMatch(ifMatch);
    if (row.version !== expectedVersion) {
      throw new VersionConflictException(row.version, 'datasource');
    }
    const connector = this.registry.get(row.type);
    const stored = this.storedConfig(row);
    const { config, updates } = this.applyChanges(connector, stored, input.config, input.secrets);
    const secretRows = await this.repo.secrets(workspaceId, id);
    const setFields = secretRows.map((s) => s.field);
    this.requireSecretsOnRetarget(connector, stored, config, setFields, updates);

    const writes = [...updates].filter(([, u]) => 'value' in u);
    const resetKey = writes.length > 0 && !(await this.vault.isDataKeyReadable(workspaceId, id));
    if (resetKey) {
      const missing = setFields.filter((f) => !updates.has(f));
      if (missing.length > 0) {
        throw new DatasourceException(
          DatasourceErrorCode.SecretsRequired,
          `The stored credentials can no longer be decrypted: give every secret again (${missing.join(', ')}) or clear it`,
        );
      }
    }

    const name = input.name ?? row.name;
    const nameKey = name.toLowerCase();
    if (nameKey !== row.nameKey && (await this.repo.nameTaken(workspaceId, nameKey, id))) {
      throw this.nameTaken();
    }
    const changedConfig = [...new Set([...Object.keys(stored), ...Object.keys(config)])]
      .filter((k) => !isDeepStrictEqual(stored[k], config[k]))
      .sort();
    try {
      await this.repo.transaction(async (m) => {
        const updated = await this.repo.updateIfVersion(
          workspaceId,
          id,
          row.version,
          {
            name,
            nameKey,
            config: JSON.stringify(config),
            version: row.version + 1,
            updatedAt: new Date(),
          },
          m,
        );
        if (!updated) {
          const now = await this.repo.findById(workspaceId, id, m);
          if (!now) throw datasourceNotFound();
          throw new VersionConflictException(now.version, 'datasource');
        }
        if (resetKey) await this.vault.resetDataKey(workspaceId, id, m);
        for (const [field, update] of updates) {
          if ('value' in update) {
            const cipher = await this.vault.encryptSecret(workspaceId, id, field, update.value, m);
            await this.repo.upsertSecret(workspaceId, id, field, cipher, m);
          } else {
            await this.repo.deleteSecret(workspaceId, id, field, m);
          }
        }
      });
    } catch (error) {
      this.vault.clearCache();
      if (isUniqueViolation(error)) throw this.nameTaken();
      throw error;
    } finally {
      // Close pools of the old version whatever happened: they may hold replaced credentials.
      await this.registry.closePools(id);
    }

    await this.audit.record({
      action: 'datasource.updated',
      ...ctx,
      workspaceId,
      target: { type: 'datasource', id },
      details: {
        name,
        changedFields: [...(name !== row.name ? ['name'] : []), ...changedConfig],
        version: row.version + 1,
      },
    });
    if (updates.size > 0) {
      await this.audit.record({
        action: 'datasource.secret_replaced',
        ...ctx,
        workspaceId,
        target: { type: 'datasource', id },
        details: {
          replacedFields: writes.map(([f]) => f).sort(),
          clearedFields: [...updates]
            .filter(([, u]) => !('value' in u))
            .map(([f]) => f)
            .sort(),
          dataKeyReset: resetKey,
        },
      });
    }
    return this.get(workspaceId, id);
  }

  /**
   * Deletes the datasource, its secrets and its data key; closes its pools. 404 if absent;
   * with `expectedVersion` (an optional `If-Match`), 409 when stale.
   */
  async delete(
    workspaceId: string,
    id: string,
    expectedVersion: number | undefined,
    ctx: AuditContext,
  ): Promise<void> {
    const row = await this.find(workspaceId, id);
    if (expectedVersion !== undefined && row.version !== expectedVersion) {
      throw new VersionConflictException(row.version, 'datasource');
    }
    const outcome = await this.repo.transaction(async (m) => {
      const deleted = await this.repo.delete(workspaceId, id, m, expectedVersion);
      if (deleted === 'missing') throw datasourceNotFound();
      if (deleted === 'deleted') await this.vault.deleteDataKey(workspaceId, id, m);
      return deleted;
    });
    if (outcome === 'stale') {
      throw new VersionConflictException((await this.find(workspaceId, id)).version, 'datasource');
    }
    await this.registry.closePools(id);
    await this.audit.record({
      action: 'datasource.deleted',
      ...ctx,
      workspaceId,
      target: { type: 'datasource', id },
      details: { name: row.name, type: row.type },
    });
  }

  /**
   * Tests a saved datasource, optionally with config / secrets from the body merged over the
   * stored ones (nothing is saved). A target change without every set secret is a 400, so a
   * stored secret is never sent to a new host.
   * @returns `{ok, message}`; the message holds no secret or address.
   * @throws DatasourceException 400, 404, 422 (stored credentials undecryptable).
   */
  async test(
    workspaceId: string,
    id: string,
    input: TTestDatasourceRequest,
  ): Promise<TConnectionTestResult> {
    const row = await this.find(workspaceId, id);
    const connector = this.registry.get(row.type);
    const stored = this.storedConfig(row);
    const { config, updates } = this.applyChanges(connector, stored, input.config, input.secrets);
    const secretRows = await this.repo.secrets(workspaceId, id);
    this.requireSecretsOnRetarget(
      connector,
      stored,
      config,
      secretRows.map((s) => s.field),
      updates,
    );
    const secrets: Record<string, string> = {};
    for (const s of secretRows) {
      if (updates.has(s.field)) continue;
      secrets[s.field] = await this.decrypt(s);
    }
    for (const [field, update] of updates) if ('value' in update) secrets[field] = update.value;
    return connector.testConnection({
      id,
      workspaceId,
      version: row.version,
      type: row.type,
      config,
      secrets,
    });
  }

  /** Tests an unsaved datasource (the create form). @throws DatasourceException 400. */
  async testNew(
    workspaceId: string,
    input: TTestNewDatasourceRequest,
  ): Promise<TConnectionTestResult> {
    const { connector, config, secrets } = this.parseNew(input);
    return connector.testConnection({
      id: randomUUID(),
      workspaceId,
      version: 0,
      type: connector.type,
      config,
      secrets,
    });
  }

  /**
   * The datasource with its secrets decrypted, for the query proxy. Never serialize it.
   * @throws DatasourceException 404 (not in this workspace), 422 `needs_reentry`.
   */
  async resolveForRun(workspaceId: string, datasourceId: string): Promise<ResolvedDatasource> {
    const described = await this.describeForRun(workspaceId, datasourceId);
    const secrets: Record<string, string> = {};
    for (const s of await this.repo.secrets(workspaceId, datasourceId)) {
      secrets[s.field] = await this.decrypt(s);
    }
    return { ...described, secrets };
  }

  /**
   * The datasource without its secrets (one row read, nothing decrypted): enough for the query
   * proxy to reuse a live pool of the same id + version.
   * @throws DatasourceException 404 (not in this workspace).
   */
  async describeForRun(
    workspaceId: string,
    datasourceId: string,
  ): Promise<Omit<ResolvedDatasource, 'secrets'>> {
    const row = await this.repo.findForRun(workspaceId, datasourceId);
    if (!row) throw datasourceNotFound();
    return {
      id: row.id,
      workspaceId: row.workspaceId,
      version: row.version,
      type: row.type,
      config: this.storedConfig(row),
    };
  }

  /** The type of a datasource, without touching its secrets. @throws DatasourceException 404. */
  async typeOf(workspaceId: string, id: string): Promise<DatasourceEntity['type']> {
    return (await this.find(workspaceId, id)).type;
  }

  private async find(workspaceId: string, id: string): Promise<DatasourceEntity> {
    const row = await this.repo.findById(workspaceId, id);
    if (!row) throw datasourceNotFound();
    return row;
  }

  private storedConfig(row: Pick<DatasourceEntity, 'config'>): Record<string, unknown> {
    return JSON.parse(row.config) as Record<string, unknown>;
  }

  private async decrypt(s: DatasourceSecretEntity): Promise<string> {
    try {
      return await this.vault.decryptSecret(s.workspaceId, s.datasourceId, s.field, s.ciphertext);
    } catch (error) {
      if (error instanceof VaultDecryptionException) throw needsReentryError();
      throw error;
    }
  }

  /**
   * Merges a config patch over the stored config (a `null` value removes the key), moves
   * credentials out of it, validates it, and collects the secret updates (body wins over
   * extracted ones).
   */
  private applyChanges(
    connector: ManagedConnector,
    stored: Record<string, unknown>,
    patch: Record<string, unknown> | undefined,
    secretPatch: Record<string, TSecretUpdate> | undefined,
  ): { config: Record<string, unknown>; updates: SecretUpdates } {
    const updates: SecretUpdates = new Map();
    let config = stored;
    if (patch) {
      const merged: Record<string, unknown> = { ...stored };
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      const extracted = connector.extractSecrets(merged);
      config = connector.parseConfig(extracted.config);
      for (const [field, value] of Object.entries(extracted.secrets)) {
        updates.set(field, { value });
      }
    }
    for (const [field, update] of Object.entries(secretPatch ?? {})) updates.set(field, update);
    this.checkSecretFields(connector, [...updates.keys()]);
    return { config, updates };
  }

  private requireSecretsOnRetarget(
    connector: ManagedConnector,
    stored: Record<string, unknown>,
    config: Record<string, unknown>,
    setFields: string[],
    updates: SecretUpdates,
  ): void {
    const changed = connector.targetFields.filter((f) => !isDeepStrictEqual(stored[f], config[f]));
    if (changed.length === 0) return;
    const missing = setFields.filter((f) => !updates.has(f));
    if (missing.length > 0) {
      throw new DatasourceException(
        DatasourceErrorCode.SecretsRequired,
        `Changing ${changed.join(', ')} points the datasource at a new target: give every stored secret again (${missing.join(', ')}) or clear it`,
      );
    }
  }

  /**
   * A new datasource's type, config and secrets from a create or test-new request: secrets
   * written inside the config (URL userinfo, secret headers) are moved out, the config is
   * validated by its connector and every secret field must be one it declares.
   * @throws DatasourceException 400 naming the invalid config or secret field.
   */
  private parseNew(input: TCreateDatasourceRequest | TTestNewDatasourceRequest) {
    const connector = this.registry.get(input.type);
    const extracted = connector.extractSecrets(input.config);
    const config = connector.parseConfig(extracted.config);
    const secrets: Record<string, string> = { ...extracted.secrets };
    for (const [field, { value }] of Object.entries(input.secrets)) secrets[field] = value;
    this.checkSecretFields(connector, Object.keys(secrets));
    return { connector, config, secrets };
  }

  private checkSecretFields(connector: ManagedConnector, fields: string[]): void {
    for (const field of fields) {
      if (!connector.acceptsSecretField(field)) {
        throw invalidField(
          `secrets.${field.slice(0, 80)}`,
          `is not a secret field of ${connector.type}`,
        );
      }
    }
  }

  private nameTaken(): DatasourceException {
    return new DatasourceException(
      DatasourceErrorCode.NameTaken,
      'A datasource with this name already exists in this workspace',
    );
  }

  /** The API shape: secrets as `{isSet}`, `needsReentry` when any stored secret is unreadable. */
  private async toResponse(
    row: DatasourceEntity,
    secretRows: DatasourceSecretEntity[],
  ): Promise<TDatasource> {
    const connector = this.registry.get(row.type);
    const secrets: Record<string, { isSet: boolean }> = {};
    for (const f of connector.secretFields) {
      if (!f.name.includes('*')) secrets[f.name] = { isSet: false };
    }
    for (const s of secretRows) secrets[s.field] = { isSet: true };
    return {
      id: row.id,
      workspaceId: row.workspaceId,
      name: row.name,
      type: row.type,
      config: this.storedConfig(row),
      secrets,
      needsReentry: await this.needsReentry(row, secretRows),
      version: row.version,
      createdAt: new Date(row.createdAt).toISOString(),
      updatedAt: new Date(row.updatedAt).toISOString(),
    };
  }

  /** F4: true when the data key or any stored secret cannot be decrypted. */
  private async needsReentry(
    row: DatasourceEntity,
    secretRows: DatasourceSecretEntity[],
  ): Promise<boolean> {
    if (secretRows.length === 0) return false;
    if (!(await this.vault.isDataKeyReadable(row.workspaceId, row.id))) return true;
    for (const s of secretRows) {
      const plain = await this.vault.tryDecrypt(
        s.workspaceId,
        s.datasourceId,
        s.field,
        s.ciphertext,
      );
      if (plain === null) {
        this.logger.warn(`datasource ${row.id}: secret field "${s.field}" cannot be decrypted`);
        return true;
      }
    }
    return false;
  }
}
