import type { TSetupResponse } from '@bastion/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { FormEvent, useState } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { ErrorNotice } from '../../components/error-notice';
import { Loading } from '../../components/loading';
import { apiRequest, setCsrfToken } from '../../lib/api-client';
import { ME_QUERY_KEY, useSetupStatus } from './use-me';
import { NewPasswordField } from '../../components/new-password-field';

/**
 * First-run setup (`POST /api/setup`): the first admin and their workspace. Only while no user
 * exists; afterwards the page sends the browser to sign-in.
 */
export function SetupPage() {
  const status = useSetupStatus();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [workspaceName, setWorkspaceName] = useState('');
  const setup = useMutation({
    mutationFn: () =>
      apiRequest<TSetupResponse>('POST', '/api/setup', { email, password, workspaceName }),
    onSuccess: async (data) => {
      setCsrfToken(data.csrfToken);
      queryClient.setQueryData(['setup-status'], { setupRequired: false });
      await queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
      void navigate(`/w/${data.workspaceId}`, { replace: true });
    },
  });
  if (status.isPending) return <Loading />;
  if (status.isError) return <ErrorNotice error={status.error} />;
  if (!status.data.setupRequired && !setup.isSuccess) return <Navigate to="/sign-in" replace />;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setup.mutate();
  };
  return (
    <section className="card narrow">
      <h1>Set up Bastion</h1>
      <p>Create the first administrator and their workspace.</p>
      <form onSubmit={onSubmit} aria-label="Set up Bastion">
        <label>
          Your email
          <input
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <NewPasswordField helpId="setup-password-help" value={password} onChange={setPassword} />
        <label>
          Workspace name
          <input
            required
            maxLength={120}
            value={workspaceName}
            onChange={(e) => setWorkspaceName(e.target.value)}
          />
        </label>
        <button type="submit" disabled={setup.isPending}>
          {setup.isPending ? 'Creating…' : 'Create admin and workspace'}
        </button>
      </form>
      {setup.isError && <ErrorNotice error={setup.error} />}
    </section>
  );
}
