import type { TLoginResponse } from '@bastion/contracts';
import { useMutation } from '@tanstack/react-query';
import { FormEvent, useState } from 'react';
import { ApiError, apiRequest, setCsrfToken } from '../../lib/api-client';

/** Sign-in form: email and password, posted to `POST /api/auth/login`. */
export function SignInPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation({
    mutationFn: () => apiRequest<TLoginResponse>('POST', '/api/auth/login', { email, password }),
    onSuccess: (data) => setCsrfToken(data.csrfToken),
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate();
  };
  return (
    <section className="card narrow">
      <h1>Sign in</h1>
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
        {login.isError && (
          <p role="alert" className="error">
            {login.error.message}
            {login.error instanceof ApiError && login.error.correlationId && (
              <small> (reference {login.error.correlationId})</small>
            )}
          </p>
        )}
        {login.isSuccess && <p role="status">Signed in as {login.data.user.email}</p>}
      </form>
    </section>
  );
}
