import { useId, useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import {
  wildcardPrefix,
  type CreateDatasourceBody,
  type DatasourceTypeSpec,
  type DatasourceView,
  type FieldSpec,
  type SecretUpdate,
  type TestBody,
  type UpdateDatasourceBody,
} from './datasource-model';
import { fromRows, KeyValueEditor, toRows, type KeyValueRow } from './key-value-editor';
import { SecretField, type SecretMode } from './secret-field';

type ConfigInput = string | boolean | KeyValueRow[];

interface FormValues {
  name: string;
  config: Record<string, ConfigInput>;
}

function initialConfigInput(spec: FieldSpec, stored: unknown): ConfigInput {
  const v = stored === undefined || stored === null ? spec.defaultValue : stored;
  switch (spec.kind) {
    case 'boolean':
      return v === true || v === 'true';
    case 'keyValue':
      return toRows(v);
    case 'string':
    case 'number':
    case 'select':
    case 'text':
    case 'password':
      return v === undefined || v === null ? '' : String(v as string | number);
  }
}

function configOutput(spec: FieldSpec, input: ConfigInput | undefined): unknown {
  switch (spec.kind) {
    case 'boolean':
      return input === true;
    case 'keyValue':
      return fromRows(Array.isArray(input) ? input : []);
    case 'number': {
      const s = typeof input === 'string' ? input.trim() : '';
      return s === '' ? undefined : Number(s);
    }
    case 'string':
    case 'select':
    case 'text':
    case 'password': {
      const s = typeof input === 'string' ? input : '';
      return s.trim() === '' ? undefined : s;
    }
  }
}

/** One stored or storable secret: a fixed field (`password`) or a stored dynamic one (`header:X-Key`). */
export interface SecretSlot {
  name: string;
  spec: FieldSpec;
}

/** The secret slots of a form: fixed fields, then each stored name of every wildcard field. */
export function secretSlots(specs: FieldSpec[], stored: DatasourceView | undefined): SecretSlot[] {
  const slots: SecretSlot[] = [];
  for (const spec of specs) {
    const prefix = wildcardPrefix(spec);
    if (!prefix) {
      slots.push({ name: spec.name, spec });
      continue;
    }
    for (const name of Object.keys(stored?.secrets ?? {})) {
      if (name.startsWith(prefix) && stored?.secrets[name]?.isSet) {
        slots.push({
          name,
          spec: {
            name,
            label: `${spec.label}: ${name.slice(prefix.length)}`,
            kind: 'password',
            required: false,
          },
        });
      }
    }
  }
  return slots;
}

/**
 * The secret part of a request: only what the user changed. Untouched secrets are absent (the
 * server keeps them); `clear` sends `{clear: true}`; a typed value sends `{value}`; new rows of
 * a wildcard field send `{value}` under `<prefix><name>`. Nothing the page displays is sent.
 */
export function secretUpdates(
  slots: SecretSlot[],
  modes: Record<string, SecretMode>,
  values: Record<string, string>,
  added: Record<string, KeyValueRow[]>,
): Record<string, SecretUpdate> {
  const out: Record<string, SecretUpdate> = {};
  for (const { name } of slots) {
    const mode = modes[name] ?? 'keep';
    if (mode === 'clear') out[name] = { clear: true };
    else if ((values[name] ?? '') !== '') out[name] = { value: values[name] };
  }
  for (const [prefix, rows] of Object.entries(added)) {
    for (const r of rows)
      if (r.key.trim() !== '') out[`${prefix}${r.key.trim()}`] = { value: r.value };
  }
  return out;
}

export type DatasourceFormProps = {
  spec: DatasourceTypeSpec;
  submitting?: boolean;
  testing?: boolean;
  /** Tests the form's current values without saving. */
  onTest?: (body: TestBody) => void;
  children?: React.ReactNode;
} & (
  | { initial?: undefined; onCreate: (body: CreateDatasourceBody) => void }
  | { initial: DatasourceView; onUpdate: (body: UpdateDatasourceBody) => void }
);

/**
 * The create/edit form of a datasource, generated from the connector's field specs.
 * On edit it shows each stored secret as "Encrypted on the server side" with Replace and Clear,
 * and sends only the secrets the user changed.
 */
export function DatasourceForm(props: DatasourceFormProps) {
  const { spec, initial, submitting, testing, onTest } = props;
  const formId = useId();
  const { register, control, handleSubmit, formState, getValues } = useForm<FormValues>({
    defaultValues: {
      name: initial?.name ?? '',
      config: Object.fromEntries(
        spec.configFields.map((f) => [f.name, initialConfigInput(f, initial?.config[f.name])]),
      ),
    },
  });
  const slots = secretSlots(spec.secretFields, initial);
  const [modes, setModes] = useState<Record<string, SecretMode>>(() =>
    Object.fromEntries(
      slots.map((s) => [s.name, initial?.secrets[s.name]?.isSet ? 'keep' : 'replace']),
    ),
  );
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [added, setAdded] = useState<Record<string, KeyValueRow[]>>({});

  const setMode = (name: string, mode: SecretMode) => {
    setModes((m) => ({ ...m, [name]: mode }));
    // Leaving "replace" forgets what was typed, so it cannot be sent by accident later.
    if (mode !== 'replace') setSecrets((s) => ({ ...s, [name]: '' }));
  };

  const buildConfig = (values: FormValues): Record<string, unknown> => {
    const config: Record<string, unknown> = {};
    for (const f of spec.configFields) {
      const out = configOutput(f, values.config[f.name]);
      if (out !== undefined) config[f.name] = out;
      // The server merges config: an emptied field is removed with null.
      else if (initial && initial.config[f.name] !== undefined) config[f.name] = null;
    }
    return config;
  };

  const onSubmit = handleSubmit((values) => {
    const config = buildConfig(values);
    const secretBody = secretUpdates(slots, modes, secrets, added);
    if (props.initial === undefined) {
      const create: Record<string, { value: string }> = {};
      for (const [k, v] of Object.entries(secretBody)) if ('value' in v) create[k] = v;
      props.onCreate({ name: values.name.trim(), type: spec.type, config, secrets: create });
    } else {
      const body: UpdateDatasourceBody = { name: values.name.trim(), config };
      if (Object.keys(secretBody).length > 0) body.secrets = secretBody;
      props.onUpdate(body);
    }
  });

  const anyStored = slots.some((s) => initial?.secrets[s.name]?.isSet);

  return (
    <form
      onSubmit={(e) => void onSubmit(e)}
      aria-label={initial ? `Edit ${initial.name}` : `New ${spec.label} datasource`}
      noValidate
    >
      <label>
        Name
        <input
          {...register('name', { required: 'Name is required', maxLength: 120 })}
          autoComplete="off"
          aria-invalid={formState.errors.name ? true : undefined}
        />
        {formState.errors.name && <small className="error">{formState.errors.name.message}</small>}
      </label>
      {spec.configFields.map((f) => {
        const fieldId = `${formId}-${f.name}`;
        const err = formState.errors.config?.[f.name];
        const required = { required: f.required ? `${f.label} is required` : false };
        switch (f.kind) {
          case 'boolean':
            return (
              <label key={f.name} className="checkbox">
                <input type="checkbox" {...register(`config.${f.name}`)} />
                {f.label}
                {f.help && <small className="help">{f.help}</small>}
              </label>
            );
          case 'keyValue':
            return (
              <div key={f.name} className="field">
                <Controller
                  control={control}
                  name={`config.${f.name}`}
                  render={({ field }) => (
                    <KeyValueEditor
                      label={f.label}
                      rows={Array.isArray(field.value) ? field.value : []}
                      onChange={field.onChange}
                    />
                  )}
                />
                {f.help && <small className="help">{f.help}</small>}
              </div>
            );
          case 'select':
            return (
              <label key={f.name}>
                {f.label}
                <select id={fieldId} {...register(`config.${f.name}`, required)}>
                  {!f.required && f.defaultValue === undefined && <option value="">—</option>}
                  {(f.options ?? []).map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
                {f.help && <small className="help">{f.help}</small>}
              </label>
            );
          case 'text':
            return (
              <label key={f.name}>
                {f.label}
                <textarea
                  rows={3}
                  spellCheck={false}
                  placeholder={f.placeholder}
                  {...register(`config.${f.name}`, required)}
                />
                {f.help && <small className="help">{f.help}</small>}
                {err && <small className="error">{err.message}</small>}
              </label>
            );
          case 'string':
          case 'number':
          case 'password':
            return (
              <label key={f.name}>
                <span>
                  {f.label}
                  {f.required && <span aria-hidden="true"> *</span>}
                </span>
                <input
                  type={f.kind === 'number' ? 'number' : 'text'}
                  inputMode={f.kind === 'number' ? 'numeric' : undefined}
                  placeholder={f.placeholder}
                  autoComplete="off"
                  aria-invalid={err ? true : undefined}
                  {...register(`config.${f.name}`, required)}
                />
                {f.help && <small className="help">{f.help}</small>}
                {err && <small className="error">{err.message}</small>}
              </label>
            );
        }
      })}
      {spec.secretFields.length > 0 && (
        <fieldset className="secrets">
          <legend>Credentials</legend>
          {anyStored && (
            <p className="help">
              Stored credentials stay encrypted on the server and are never sent back. Changing
              where the datasource points ({spec.targetFields.join(', ')}) requires entering them
              again.
            </p>
          )}
          {slots.map((slot) => (
            <SecretField
              key={slot.name}
              spec={slot.spec}
              isSet={Boolean(initial?.secrets[slot.name]?.isSet)}
              mode={modes[slot.name] ?? 'replace'}
              value={secrets[slot.name] ?? ''}
              onModeChange={(m) => setMode(slot.name, m)}
              onValueChange={(v) => setSecrets((s) => ({ ...s, [slot.name]: v }))}
            />
          ))}
          {spec.secretFields.map((f) => {
            const prefix = wildcardPrefix(f);
            if (!prefix) return null;
            return (
              <div key={f.name} className="field">
                <KeyValueEditor
                  label={initial ? `New ${f.label.toLowerCase()}` : f.label}
                  secret
                  rows={added[prefix] ?? []}
                  onChange={(rows) => setAdded((a) => ({ ...a, [prefix]: rows }))}
                />
                {f.help && <small className="help">{f.help}</small>}
              </div>
            );
          })}
        </fieldset>
      )}
      <div className="form-actions">
        <button type="submit" disabled={submitting}>
          {submitting ? 'Saving…' : initial ? 'Save changes' : 'Create datasource'}
        </button>
        {onTest && (
          <button
            type="button"
            className="secondary"
            disabled={testing}
            onClick={() =>
              onTest({
                config: buildConfig(getValues()),
                secrets: secretUpdates(slots, modes, secrets, added),
              })
            }
          >
            {testing ? 'Testing…' : 'Test connection'}
          </button>
        )}
        {props.children}
      </div>
    </form>
  );
}
