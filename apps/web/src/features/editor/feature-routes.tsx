import type { RouteObject } from 'react-router';

/**
 * Routes of the builder (datasources, apps, editor) and of the viewer. Every page module is
 * loaded lazily, so the viewer chunk never carries the editor, CodeMirror or the grid library.
 */
export const builderRoutes: RouteObject[] = [
  {
    path: '/w/:workspaceId/datasources',
    lazy: async () => ({ Component: (await import('../datasources/routes')).ListComponent }),
  },
  {
    path: '/w/:workspaceId/datasources/new',
    lazy: async () => ({ Component: (await import('../datasources/routes')).CreateComponent }),
  },
  {
    path: '/w/:workspaceId/datasources/:datasourceId',
    lazy: async () => ({ Component: (await import('../datasources/routes')).EditComponent }),
  },
  {
    path: '/w/:workspaceId/apps',
    lazy: async () => ({ Component: (await import('../apps/app-list-page')).AppListPage }),
  },
  {
    path: '/w/:workspaceId/apps/:appId/edit',
    lazy: () => import('./app-editor-page'),
  },
];

/** `/view/:workspaceId/:appId`: outside the editor chrome. */
export const viewerRoute: RouteObject = {
  path: '/view/:workspaceId/:appId',
  lazy: () => import('../viewer/app-viewer-page'),
};
