import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DatasourceForm } from './datasource-form';
import type { DatasourceTypeSpec, DatasourceView, UpdateDatasourceBody } from './datasource-model';

const postgres: DatasourceTypeSpec = {
  type: 'postgres',
  label: 'PostgreSQL',
  configFields: [
    { name: 'host', label: 'Host', kind: 'string', required: true },
    { name: 'port', label: 'Port', kind: 'number', required: false, defaultValue: 5432 },
    { name: 'database', label: 'Database', kind: 'string', required: true },
    { name: 'user', label: 'User', kind: 'string', required: true },
    {
      name: 'tls',
      label: 'TLS',
      kind: 'select',
      required: false,
      defaultValue: 'verify-full',
      options: [
        { value: 'verify-full', label: 'Verify certificate and host name' },
        { value: 'disable', label: 'No TLS' },
      ],
    },
  ],
  secretFields: [{ name: 'password', label: 'Password', kind: 'password', required: false }],
  targetFields: ['host', 'port', 'database', 'user', 'tls'],
};

const rest: DatasourceTypeSpec = {
  type: 'rest',
  label: 'REST API',
  configFields: [
    { name: 'baseUrl', label: 'Base URL', kind: 'string', required: true },
    { name: 'headers', label: 'Headers', kind: 'keyValue', required: false },
  ],
  secretFields: [
    { name: 'bearerToken', label: 'Bearer token', kind: 'password', required: false },
    { name: 'header:*', label: 'Secret headers', kind: 'keyValue', required: false },
  ],
  targetFields: ['baseUrl'],
};

const stored: DatasourceView = {
  id: '6f1c2b1e-8d1e-4b47-9d59-5b1f0d0c9a11',
  name: 'People DB',
  type: 'postgres',
  workspaceId: '0b0e8f8e-1a53-4c5d-8f43-3c3f5bd3f0a1',
  config: { host: 'db.internal', port: 5432, database: 'people', user: 'app', tls: 'disable' },
  secrets: { password: { isSet: true } },
  needsReentry: false,
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

function renderEdit(ds: DatasourceView = stored) {
  const onUpdate = vi.fn<(body: UpdateDatasourceBody) => void>();
  render(<DatasourceForm spec={postgres} initial={ds} onUpdate={onUpdate} />);
  return { onUpdate, user: userEvent.setup() };
}

afterEach(cleanup);

const save = () => screen.getByRole('button', { name: 'Save changes' });

describe('DatasourceForm secret fields', () => {
  it('not set: shows an empty, enabled password field and no Replace/Clear', async () => {
    const { onUpdate, user } = renderEdit({ ...stored, secrets: { password: { isSet: false } } });
    const input = screen.getByLabelText('Password');
    expect(input).toBeEnabled();
    expect(input).toHaveValue('');
    expect(input).toHaveAttribute('type', 'password');
    expect(screen.queryByRole('button', { name: /Replace/ })).toBeNull();
    expect(screen.queryByRole('button', { name: /Clear/ })).toBeNull();
    expect(screen.queryByPlaceholderText('Encrypted on the server side')).toBeNull();
    await user.type(input, 'first-pass');
    await user.click(save());
    expect(onUpdate).toHaveBeenCalledTimes(1);
    expect(onUpdate.mock.calls[0][0].secrets).toEqual({ password: { value: 'first-pass' } });
  });

  it('set: shows a disabled, empty field "Encrypted on the server side" with Replace and Clear', () => {
    renderEdit();
    const input = screen.getByLabelText('Password');
    expect(input).toBeDisabled();
    expect(input).toHaveValue('');
    expect(input).toHaveAttribute('placeholder', 'Encrypted on the server side');
    expect(screen.getByRole('button', { name: /Replace/ })).toBeEnabled();
    expect(screen.getByRole('button', { name: /Clear/ })).toBeEnabled();
  });

  it('untouched: the PATCH body has no secrets key at all', async () => {
    const { onUpdate, user } = renderEdit();
    await user.click(save());
    expect(onUpdate).toHaveBeenCalledTimes(1);
    const body = onUpdate.mock.calls[0][0];
    expect(body).not.toHaveProperty('secrets');
    expect(JSON.stringify(body)).not.toContain('Encrypted on the server side');
    expect(body.config).toEqual({
      host: 'db.internal',
      port: 5432,
      database: 'people',
      user: 'app',
      tls: 'disable',
    });
  });

  it('changing only the host still sends no secret', async () => {
    const { onUpdate, user } = renderEdit();
    const host = screen.getByRole('textbox', { name: /Host/ });
    await user.clear(host);
    await user.type(host, 'db2.internal');
    await user.click(save());
    const body = onUpdate.mock.calls[0][0];
    expect(body.config?.host).toBe('db2.internal');
    expect(body).not.toHaveProperty('secrets');
  });

  it('replace: sends {value} with exactly what was typed', async () => {
    const { onUpdate, user } = renderEdit();
    await user.click(screen.getByRole('button', { name: /Replace/ }));
    const input = screen.getByLabelText('Password');
    expect(input).toBeEnabled();
    expect(input).toHaveValue('');
    await user.type(input, 'p@ss:w/rd%23#?&=!');
    await user.click(save());
    expect(onUpdate.mock.calls[0][0].secrets).toEqual({ password: { value: 'p@ss:w/rd%23#?&=!' } });
  });

  it('replace left empty sends nothing (keeps the stored value)', async () => {
    const { onUpdate, user } = renderEdit();
    await user.click(screen.getByRole('button', { name: /Replace/ }));
    await user.click(save());
    expect(onUpdate.mock.calls[0][0]).not.toHaveProperty('secrets');
  });

  it('clear: sends {clear: true}', async () => {
    const { onUpdate, user } = renderEdit();
    await user.click(screen.getByRole('button', { name: /Clear/ }));
    await user.click(save());
    expect(onUpdate.mock.calls[0][0].secrets).toEqual({ password: { clear: true } });
  });

  it('replace then "keep the stored value" forgets what was typed', async () => {
    const { onUpdate, user } = renderEdit();
    await user.click(screen.getByRole('button', { name: /Replace/ }));
    await user.type(screen.getByLabelText('Password'), 'typed-then-abandoned');
    await user.click(screen.getByRole('button', { name: 'Keep the stored value' }));
    expect(screen.getByLabelText('Password')).toBeDisabled();
    await user.click(save());
    expect(JSON.stringify(onUpdate.mock.calls[0][0])).not.toContain('typed-then-abandoned');
  });

  it('clear then undo sends nothing', async () => {
    const { onUpdate, user } = renderEdit();
    await user.click(screen.getByRole('button', { name: /Clear/ }));
    await user.click(screen.getByRole('button', { name: 'Undo clear' }));
    await user.click(save());
    expect(onUpdate.mock.calls[0][0]).not.toHaveProperty('secrets');
  });

  it('a password that is literally the placeholder text or ******** is sent as typed', async () => {
    const { onUpdate, user } = renderEdit();
    await user.click(screen.getByRole('button', { name: /Replace/ }));
    await user.type(screen.getByLabelText('Password'), '********');
    await user.click(save());
    expect(onUpdate.mock.calls[0][0].secrets).toEqual({ password: { value: '********' } });
  });

  it('create: sends typed secrets as {value} and omits empty ones', async () => {
    const onCreate = vi.fn();
    const user = userEvent.setup();
    render(<DatasourceForm spec={postgres} onCreate={onCreate} />);
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'New DB');
    await user.type(screen.getByRole('textbox', { name: /Host/ }), 'localhost');
    await user.type(screen.getByRole('textbox', { name: /Database/ }), 'app');
    await user.type(screen.getByRole('textbox', { name: /User/ }), 'u');
    await user.click(screen.getByRole('button', { name: 'Create datasource' }));
    expect(onCreate).toHaveBeenCalledTimes(1);
    expect(onCreate.mock.calls[0][0]).toEqual({
      name: 'New DB',
      type: 'postgres',
      config: { host: 'localhost', port: 5432, database: 'app', user: 'u', tls: 'verify-full' },
      secrets: {},
    });
  });

  it('create: refuses to submit without the required fields and says which', async () => {
    const onCreate = vi.fn();
    const user = userEvent.setup();
    render(<DatasourceForm spec={postgres} onCreate={onCreate} />);
    await user.click(screen.getByRole('button', { name: 'Create datasource' }));
    expect(onCreate).not.toHaveBeenCalled();
    expect(await screen.findByText('Name is required')).toBeInTheDocument();
    expect(screen.getByText('Host is required')).toBeInTheDocument();
  });

  it('Test connection sends the form values and only changed secrets, saving nothing', async () => {
    const onUpdate = vi.fn();
    const onTest = vi.fn();
    const user = userEvent.setup();
    render(<DatasourceForm spec={postgres} initial={stored} onUpdate={onUpdate} onTest={onTest} />);
    await user.click(screen.getByRole('button', { name: 'Test connection' }));
    expect(onTest.mock.calls[0][0]).toEqual({ config: stored.config, secrets: {} });
    await user.click(screen.getByRole('button', { name: /Replace/ }));
    await user.type(screen.getByLabelText('Password'), 'new-one');
    await user.click(screen.getByRole('button', { name: 'Test connection' }));
    expect(onTest.mock.calls[1][0].secrets).toEqual({ password: { value: 'new-one' } });
    expect(onUpdate).not.toHaveBeenCalled();
  });

  it('stored dynamic secrets (header:X-Api-Key) get the same states; new ones are added by name', async () => {
    const onUpdate = vi.fn<(body: UpdateDatasourceBody) => void>();
    const user = userEvent.setup();
    const ds: DatasourceView = {
      ...stored,
      type: 'rest',
      config: {
        baseUrl: 'https://api.example.test/v1',
        headers: [{ name: 'Accept', value: 'application/json' }],
      },
      secrets: { bearerToken: { isSet: false }, 'header:X-Api-Key': { isSet: true } },
    };
    render(<DatasourceForm spec={rest} initial={ds} onUpdate={onUpdate} />);
    const stored1 = screen.getByLabelText('Secret headers: X-Api-Key');
    expect(stored1).toBeDisabled();
    expect(stored1).toHaveAttribute('placeholder', 'Encrypted on the server side');
    await user.click(save());
    expect(onUpdate.mock.calls[0][0]).not.toHaveProperty('secrets');
    expect(onUpdate.mock.calls[0][0].config?.headers).toEqual([
      { name: 'Accept', value: 'application/json' },
    ]);

    await user.click(screen.getByRole('button', { name: /Clear Secret headers: X-Api-Key/ }));
    await user.click(screen.getByRole('button', { name: 'Add new secret headers' }));
    await user.type(screen.getByLabelText('New secret headers 1 name'), 'X-Other');
    await user.type(screen.getByLabelText('New secret headers 1 value'), 'Canary-HDR-2');
    await user.click(save());
    expect(onUpdate.mock.calls[1][0].secrets).toEqual({
      'header:X-Api-Key': { clear: true },
      'header:X-Other': { value: 'Canary-HDR-2' },
    });
  });

  it('an emptied optional config field is removed with null (the server merges config)', async () => {
    const { onUpdate, user } = renderEdit();
    await user.clear(screen.getByRole('spinbutton', { name: /Port/ }));
    await user.click(save());
    expect(onUpdate.mock.calls[0][0].config?.port).toBeNull();
  });
});
