import { Injectable } from '@nestjs/common';
import type {
  TAuditEventPage,
  TListAuditEventsQuery,
  TListMyAuditEventsQuery,
} from '@bastion/contracts';
import { Readable } from 'node:stream';
import type { RequestMeta } from '../auth/request-context';
import { csvHeader, csvLine, jsonLine, toAuditEventDto } from './audit-export';
import { AuditEventFilter, AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

/** A download: body stream, media type and file name. */
export interface AuditExport {
  stream: Readable;
  contentType: string;
  filename: string;
}

const EXPORT_PAGE = 500;

function toFilter(query: TListAuditEventsQuery): AuditEventFilter {
  return {
    actor: query.actor,
    action: query.action,
    targetType: query.targetType,
    targetId: query.targetId,
    from: query.from ? new Date(query.from) : undefined,
    to: query.to ? new Date(query.to) : undefined,
    beforeSequence: query.cursor ? Number(query.cursor) : undefined,
  };
}

/**
 * The read side: for workspace admins, filtered pages and exports of one workspace's entries;
 * for everyone, their own instance-level entries.
 */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly repository: AuditRepository,
    private readonly audit: AuditService,
  ) {}

  /** One page, newest first; `nextCursor` continues with older entries. */
  async list(workspaceId: string, query: TListAuditEventsQuery): Promise<TAuditEventPage> {
    const rows = await this.repository.listForWorkspace(
      workspaceId,
      toFilter(query),
      query.limit + 1,
    );
    const items = rows.slice(0, query.limit);
    return {
      items: items.map(toAuditEventDto),
      nextCursor: rows.length > query.limit ? String(items[items.length - 1].sequence) : null,
    };
  }

  /** Instance-level entries (instance admins), filtered like {@link list}, newest first. */
  async listInstance(query: TListAuditEventsQuery): Promise<TAuditEventPage> {
    const rows = await this.repository.listInstanceLevel(toFilter(query), query.limit + 1);
    const items = rows.slice(0, query.limit);
    return {
      items: items.map(toAuditEventDto),
      nextCursor: rows.length > query.limit ? String(items[items.length - 1].sequence) : null,
    };
  }

  /** The user's own instance-level entries, newest first; `nextCursor` continues with older. */
  async listForUser(userId: string, query: TListMyAuditEventsQuery): Promise<TAuditEventPage> {
    const rows = await this.repository.listForUser(
      userId,
      query.cursor ? Number(query.cursor) : undefined,
      query.limit + 1,
    );
    const items = rows.slice(0, query.limit);
    return {
      items: items.map(toAuditEventDto),
      nextCursor: rows.length > query.limit ? String(items[items.length - 1].sequence) : null,
    };
  }

  /**
   * Every matching entry (newest first) as CSV or JSON Lines, streamed page by page so memory
   * stays flat. Records an `audit.exported` entry first (who took a copy of the log).
   */
  async export(
    workspaceId: string,
    query: TListAuditEventsQuery & { format: 'csv' | 'jsonl' },
    actor: { userId: string; email: string },
    meta: RequestMeta,
  ): Promise<AuditExport> {
    const filter = toFilter(query);
    await this.audit.record({
      action: 'audit.exported',
      actor,
      workspaceId,
      meta,
      details: {
        format: query.format,
        filters: Object.entries(filter)
          .filter(([, v]) => v !== undefined)
          .map(([k]) => k),
      },
    });
    const repository = this.repository;
    const csv = query.format === 'csv';
    async function* lines(): AsyncGenerator<string> {
      if (csv) yield csvHeader();
      let before = filter.beforeSequence;
      for (;;) {
        const page = await repository.listForWorkspace(
          workspaceId,
          { ...filter, beforeSequence: before },
          EXPORT_PAGE,
        );
        for (const row of page) yield csv ? csvLine(row) : jsonLine(row);
        if (page.length < EXPORT_PAGE) return;
        before = page[page.length - 1].sequence;
      }
    }
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    return {
      stream: Readable.from(lines()),
      contentType: csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      filename: `audit-${workspaceId}-${stamp}.${query.format}`,
    };
  }
}
