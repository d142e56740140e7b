import { TWO_FACTOR_REQUIRED_MESSAGE, type TLoginResponse } from '@bastion/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ErrorNotice } from '../../components/error-notice';
import { ApiError, apiRequest, setCsrfToken } from '../../lib/api-client';
import { safeNextPath } from './require-auth';
import { ME_QUERY_KEY, useSetupStatus } from './use-me';

/** True when the API answered "password right, now the second factor". */
export function isTwoFactorRequired(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    error.status === 401 &&
    error.message === TWO_FACTOR_REQUIRED_MESSAGE
  );
}

/**
 * Sign-in: email and password, then (for accounts with two-factor) a second step asking for
 * the 6-digit code or a recovery code. `POST /api/auth/login`; on success the CSRF token is
 * kept and the browser goes to `?next=` (same-site paths only) or the first workspace.
 */
export function SignInPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [step, setStep] = useState<'password' | 'code'>('password');
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const setup = useSetupStatus();
  const login = useMutation({
    mutationFn: () =>
      apiRequest<TLoginResponse>('POST', '/api/auth/login', {
        email,
        password,
        ...(step === 'code' ? { totpCode: code } : {}),
      }),
    onSuccess: async (data) => {
      setCsrfToken(data.csrfToken);
      await queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
      void navigate(safeNextPath(params.get('next')), { replace: true });
    },
    onError: (error) => {
      if (isTwoFactorRequired(error)) setStep('code');
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate();
  };
  const showError = login.isError && !(step === 'code' && isTwoFactorRequired(login.error));
  return (
    <section className="card narrow">
      <h1>Sign in</h1>
      {setup.data?.setupRequired && (
        <p role="status">
          No account exists yet. <Link to="/setup">Set up Bastion</Link> to create the first admin.
        </p>
      )}
      {step === 'password' ? (
        <form onSubmit={onSubmit} aria-label="Sign in">
          <label>
            Email
            <input
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
          <label>
            Password
            <input
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <button type="submit" disabled={login.isPending}>
            {login.isPending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      ) : (
        <form onSubmit={onSubmit} aria-label="Two-factor code">
          <p id="two-factor-help">
            Enter the 6-digit code from your authenticator app. Lost your device? Enter one of your
            recovery codes instead.
          </p>
          <label>
            Authentication code
            <input
              name="totpCode"
              inputMode="numeric"
              autoComplete="one-time-code"
              aria-describedby="two-factor-help"
              required
              autoFocus
              minLength={6}
              maxLength={64}
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
          <button type="submit" disabled={login.isPending}>
            {login.isPending ? 'Verifying…' : 'Verify'}
          </button>
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setStep('password');
              setCode('');
              login.reset();
            }}
          >
            Use another account
          </button>
        </form>
      )}
      {showError && <ErrorNotice error={login.error} />}
    </section>
  );
}
