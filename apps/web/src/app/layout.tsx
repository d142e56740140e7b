import { Link, Outlet } from 'react-router';
import { Toaster } from 'sonner';
import { AuditNavLink } from '../features/audit/audit-nav-link';
import { HealthStatus } from '../features/health/health-status';
import { SessionMenu } from '../features/workspaces/session-menu';

/** Editor chrome: top bar with navigation and the server status. */
export function Layout() {
  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand">
          Bastion
        </Link>
        <nav aria-label="Main">
          <SessionMenu />
          <AuditNavLink />
        </nav>
        <HealthStatus />
      </header>
      <main className="content">
        <Outlet />
      </main>
      <Toaster position="bottom-right" richColors closeButton />
    </div>
  );
}
