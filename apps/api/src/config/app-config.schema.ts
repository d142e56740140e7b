import { z } from 'zod';

/**
 * Environment variables the server reads, parsed once at boot (see app-config.ts).
 * `sensitive` variables are never printed, also not in a validation error.
 */
export const SENSITIVE_ENV_VARS = [
  'DATABASE_URL',
  'VAULT_KEYS',
  'ENCRYPTION_PASSWORD',
  'ENCRYPTION_SALT',
] as const;

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const commaList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

const booleanFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

export const ZEnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    DATA_DIR: z.string().trim().min(1).default('./data'),
    DATABASE_URL: optionalString.refine(
      (v) => v === undefined || /^postgres(ql)?:\/\//.test(v),
      'must be a postgres:// or postgresql:// URL',
    ),
    VAULT_KEYS: optionalString,
    ENCRYPTION_PASSWORD: optionalString,
    ENCRYPTION_SALT: optionalString,
    EGRESS_DENY: commaList,
    EGRESS_ALLOW: commaList,
    PUBLIC_EGRESS_IPS: commaList,
    TLS_CERT_FILE: optionalString,
    TLS_KEY_FILE: optionalString,
    TRUST_PROXY: optionalString,
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    WEB_DIST_DIR: optionalString,
    SERVE_WEB: booleanFlag,
  })
  .superRefine((env, ctx) => {
    if ((env.TLS_CERT_FILE === undefined) !== (env.TLS_KEY_FILE === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.TLS_CERT_FILE === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE'],
        message: 'TLS_CERT_FILE and TLS_KEY_FILE must be set together',
      });
    }
    if ((env.ENCRYPTION_PASSWORD === undefined) !== (env.ENCRYPTION_SALT === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.ENCRYPTION_PASSWORD === undefined ? 'ENCRYPTION_PASSWORD' : 'ENCRYPTION_SALT'],
        message: 'ENCRYPTION_PASSWORD and ENCRYPTION_SALT must be set together',
      });
    }
  });

export type TEnv = z.infer<typeof ZEnvSchema>;
