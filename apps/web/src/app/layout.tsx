import { Link, Outlet } from 'react-router';
import { HealthStatus } from '../features/health/health-status';

/** Editor chrome: top bar with navigation and the server status. */
export function Layout() {
  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand">
          Bastion
        </Link>
        <nav aria-label="Main">
          <Link to="/sign-in">Sign in</Link>
        </nav>
        <HealthStatus />
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}
