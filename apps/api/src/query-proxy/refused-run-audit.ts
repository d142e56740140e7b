import type { AuditService } from '../audit/audit.service';

/** One aggregate entry per datasource per this many ms at most. */
export const REFUSED_RUN_AUDIT_WINDOW_MS = 1_000;

interface Window {
  workspaceId: string;
  count: number;
  firstAt: Date;
}

/**
 * Audits refused runs (429 from the run queue) as aggregates: the first refusal for a
 * datasource opens a window of {@link REFUSED_RUN_AUDIT_WINDOW_MS} ms; when it ends, one
 * `query.run_refused` entry records the datasource and how many runs were refused in it. A
 * burst of thousands of 429s thus writes at most one entry per second per datasource
 * (issue 20: one entry per 429 wrote 8,538 entries in 30 s).
 */
export class RefusedRunAudit {
  private readonly windows = new Map<string, Window>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly audit: AuditService | undefined,
    private readonly onWriteFailed: () => void,
    private readonly windowMs = REFUSED_RUN_AUDIT_WINDOW_MS,
  ) {}

  /** Counts one refused run on `datasourceId`. */
  note(workspaceId: string, datasourceId: string): void {
    if (!this.audit) return;
    const open = this.windows.get(datasourceId);
    if (open) {
      open.count += 1;
      return;
    }
    this.windows.set(datasourceId, { workspaceId, count: 1, firstAt: new Date() });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.write(datasourceId);
    }, this.windowMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Writes every open window now (shutdown); resolves when they are stored or failed. */
  async flush(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.windows.keys()].map((id) => this.write(id)));
  }

  private write(datasourceId: string): Promise<void> {
    const window = this.windows.get(datasourceId);
    this.windows.delete(datasourceId);
    if (!window || !this.audit) return Promise.resolve();
    return this.audit
      .record({
        action: 'query.run_refused',
        actor: null,
        workspaceId: window.workspaceId,
        target: { type: 'datasource', id: datasourceId },
        meta: { ip: '', userAgent: undefined, correlationId: '' },
        details: {
          datasourceId,
          count: window.count,
          since: window.firstAt.toISOString(),
          windowMs: this.windowMs,
        },
      })
      .catch(this.onWriteFailed);
  }
}
