import type { TApp } from '@bastion/contracts';
import { useCallback, useRef, useState } from 'react';
import { isVersionConflict } from '../../lib/api-client';
import type { VersionConflict } from './conflict-dialog';

/**
 * The versions the editor last read or saved (the app's and each query's), sent as `If-Match`
 * by every save. A save answered 409 (someone else saved first) opens the conflict dialog;
 * {@link keepMine} adopts the server's version so the next save overwrites theirs.
 */
export function useAppVersions(app: TApp) {
  const appVersion = useRef(app.version);
  const queryVersions = useRef(new Map(app.queries.map((q) => [q.id, q.version])));
  const [conflict, setConflict] = useState<VersionConflict | null>(null);

  /** Runs `save`; a stale-version 409 records the conflict (and still rejects). */
  const guard = useCallback(
    async <T>(what: VersionConflict['what'], id: string | undefined, save: () => Promise<T>) => {
      try {
        return await save();
      } catch (e) {
        if (isVersionConflict(e)) setConflict({ what, id, currentVersion: e.currentVersion });
        throw e;
      }
    },
    [],
  );

  /** "Keep mine": the next save of the conflicting resource names the server's version. */
  const keepMine = useCallback(() => {
    if (!conflict) return;
    if (conflict.what === 'app') appVersion.current = conflict.currentVersion;
    else if (conflict.id) queryVersions.current.set(conflict.id, conflict.currentVersion);
    setConflict(null);
  }, [conflict]);

  return { appVersion, queryVersions, conflict, setConflict, guard, keepMine };
}
