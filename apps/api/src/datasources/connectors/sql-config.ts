import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { z } from 'zod';
import { describeZodError } from '../../common/errors/http-exception.filter';
import { DatasourceErrorCode, DatasourceException, invalidField } from '../datasource.exception';
import type { FieldSpec } from './connector';

/** TLS modes, named after libpq's `sslmode` (PostgreSQL docs, 34.19 "SSL Support"). */
export const TLS_MODES = ['disable', 'require', 'verify-full'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * One or more PEM certificates and nothing else (a chain or a CA bundle). Each block must parse
 * as X.509, and any other text is refused, so a private key pasted along cannot end up in a
 * config field that editors can read.
 */
export const pem = (kind: 'certificate') =>
  z
    .string()
    .max(65_536)
    .refine((v) => {
      const blocks = v.match(PEM_CERTIFICATE) ?? [];
      if (blocks.length === 0 || v.replace(PEM_CERTIFICATE, '').trim() !== '') return false;
      try {
        for (const block of blocks) new X509Certificate(block);
        return true;
      } catch {
        return false;
      }
    }, `must be one or more PEM ${kind}s (-----BEGIN CERTIFICATE-----) and nothing else`);

/** A host name or address: no scheme, path, userinfo, whitespace or port. */
export const ZHost = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(253)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s/@?#[\]:]+|[0-9a-fA-F:.]+)$/, 'must be a host name or address');

/** Config of the postgres and mysql connectors; `.strict()`: unknown keys (e.g. `password`) are 400. */
export function sqlConfigSchema(defaultPort: number) {
  return z
    .object({
      host: ZHost,
      port: z.coerce.number().int().min(1).max(65535).default(defaultPort),
      database: z.string().trim().min(1, 'is required').max(128),
      user: z.string().min(1, 'is required').max(128),
      // Secure by default: verification is only off when `require` is chosen explicitly.
      tls: z.enum(TLS_MODES).default('verify-full'),
      caCert: pem('certificate').optional(),
      clientCert: pem('certificate').optional(),
    })
    .strict();
}
export type SqlConfig = z.infer<ReturnType<typeof sqlConfigSchema>>;

/** Form fields of the postgres and mysql connectors, in display order. */
export function sqlConfigFields(defaultPort: number): FieldSpec[] {
  return [
    { name: 'host', label: 'Host', kind: 'string', required: true, placeholder: 'db.example.com' },
    { name: 'port', label: 'Port', kind: 'number', required: false, defaultValue: defaultPort },
    { name: 'database', label: 'Database', kind: 'string', required: true },
    { name: 'user', label: 'User name', kind: 'string', required: true },
    {
      name: 'tls',
      label: 'TLS',
      kind: 'select',
      required: false,
      defaultValue: 'verify-full',
      options: [
        { value: 'verify-full', label: 'Verify certificate and host name' },
        { value: 'require', label: 'Encrypt, skip verification (not recommended)' },
        { value: 'disable', label: 'No TLS' },
      ],
      help: 'With a CA certificate, "require" still verifies the chain (not the host name).',
    },
    {
      name: 'caCert',
      label: 'CA certificate (PEM)',
      kind: 'text',
      required: false,
      help: 'Trust this CA instead of the public ones.',
    },
    { name: 'clientCert', label: 'Client certificate (PEM)', kind: 'text', required: false },
  ];
}

export const SQL_SECRET_FIELDS: FieldSpec[] = [
  { name: 'password', label: 'Password', kind: 'password', required: false },
  {
    name: 'clientKey',
    label: 'Client private key (PEM)',
    kind: 'password',
    required: false,
    help: 'Needed with a client certificate.',
  },
];

/** Fields whose change re-points a SQL datasource; secrets must then be given again. */
export const SQL_TARGET_FIELDS = [
  'host',
  'port',
  'database',
  'user',
  'tls',
  'caCert',
  'clientCert',
];

/**
 * Validates raw config with `schema`.
 * @throws DatasourceException 400 naming each bad field as `config.<field>: <problem>`.
 */
export function parseWith<T extends z.ZodType>(schema: T, config: unknown): z.infer<T> {
  const parsed = schema.safeParse(config ?? {});
  if (!parsed.success) {
    throw new DatasourceException(
      DatasourceErrorCode.InvalidConfig,
      describeZodError(parsed.error, 'config'),
    );
  }
  return parsed.data;
}

/**
 * Node TLS options for a SQL connection.
 * - `disable`: no TLS.
 * - `require`: encrypted; the chain is verified only when a CA is given (as libpq does with a
 *   root certificate), the host name never.
 * - `verify-full`: chain (given CA, else the system's public CAs) and host name verified against
 *   the configured host, also when the connection goes to a resolved address.
 * @throws DatasourceException 400 when a client certificate lacks its key or the key is not PEM.
 */
export function sqlTlsOptions(
  config: SqlConfig,
  secrets: Record<string, string>,
): ConnectionOptions | false {
  if (config.tls === 'disable') return false;
  const clientKey = secrets.clientKey;
  if (config.clientCert && !clientKey) {
    throw invalidField('secrets.clientKey', 'is required with a client certificate');
  }
  if (clientKey) {
    try {
      createPrivateKey(clientKey);
    } catch {
      throw invalidField('secrets.clientKey', 'must be a PEM private key');
    }
  }
  const base: ConnectionOptions = {
    ...(config.caCert ? { ca: config.caCert } : {}),
    ...(config.clientCert && clientKey ? { cert: config.clientCert, key: clientKey } : {}),
  };
  if (config.tls === 'require') {
    return config.caCert
      ? { ...base, rejectUnauthorized: true, checkServerIdentity: () => undefined }
      : { ...base, rejectUnauthorized: false };
  }
  const host = config.host.replace(/^\[|\]$/g, '');
  return {
    ...base,
    rejectUnauthorized: true,
    // SNI takes names only (RFC 6066 section 3).
    ...(isIP(host) === 0 ? { servername: host } : {}),
    // Verify against the configured host, not the resolved address we connect to.
    checkServerIdentity: (_name: string, cert: PeerCertificate) => checkServerIdentity(host, cert),
  };
}
