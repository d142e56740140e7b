import { Link } from 'react-router';

export function HomePage() {
  return (
    <section className="card">
      <h1>Bastion</h1>
      <p>
        Connect your databases and HTTP APIs, write queries, build apps on them and publish them.
        Credentials stay encrypted on the server; results are never stored.
      </p>
      <Link to="/sign-in">Sign in to start</Link>
    </section>
  );
}
