/** The operator's outbound addresses, for the database firewall (`PUBLIC_EGRESS_IPS`). */
export function EgressNotice({ addresses }: { addresses: string[] }) {
  if (addresses.length === 0) return null;
  return (
    <aside className="notice notice-info" aria-label="Egress addresses">
      Connections come from{' '}
      {addresses.map((a, i) => (
        <span key={a}>
          {i > 0 && ', '}
          <code>{a}</code>
        </span>
      ))}
      . Allow these addresses in your database firewall.
    </aside>
  );
}
