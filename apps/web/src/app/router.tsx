import { createBrowserRouter } from 'react-router';
import { AccountPage } from '../features/account/account-page';
import { AuditPage } from '../features/audit/audit-page';
import { RequireAuth } from '../features/auth/require-auth';
import { SetupPage } from '../features/auth/setup-page';
import { SignInPage } from '../features/auth/sign-in-page';
import { InvitePage } from '../features/invitations/invite-page';
import { MembersPage } from '../features/members/members-page';
import { FirstWorkspaceRedirect, WorkspaceHomePage } from '../features/workspaces/workspace-pages';
import { builderRoutes, viewerRoute } from '../features/editor/feature-routes';
import { HomePage } from './home-page';
import { Layout } from './layout';
import { NotFoundPage } from './not-found-page';

export const router = createBrowserRouter([
  viewerRoute,
  {
    element: <Layout />,
    children: [
      { path: '/', element: <HomePage /> },
      { path: '/sign-in', element: <SignInPage /> },
      { path: '/setup', element: <SetupPage /> },
      { path: '/invite/:token', element: <InvitePage /> },
      {
        element: <RequireAuth />,
        children: [
          { path: '/account', element: <AccountPage /> },
          { path: '/w', element: <FirstWorkspaceRedirect /> },
          { path: '/w/:workspaceId', element: <WorkspaceHomePage /> },
          { path: '/w/:workspaceId/members', element: <MembersPage /> },
          { path: '/w/:workspaceId/audit', element: <AuditPage /> },
          ...builderRoutes,
        ],
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);
