import { useId } from 'react';
import type { FieldSpec } from './datasource-model';

/**
 * What the form will do with one secret field on save:
 * - `keep`: send nothing (the server keeps the stored value);
 * - `replace`: send `{value}` when a value was typed (nothing when left empty);
 * - `clear`: send `{clear: true}`.
 */
export type SecretMode = 'keep' | 'replace' | 'clear';

/** The text shown in place of a stored secret. It is a placeholder, never a value. */
export const ENCRYPTED_PLACEHOLDER = 'Encrypted on the server side';

/**
 * One secret field. A stored secret is shown as a disabled, empty field whose placeholder says
 * "Encrypted on the server side", with Replace and Clear; the stored value is never in the page.
 */
export function SecretField({
  spec,
  isSet,
  mode,
  value,
  onModeChange,
  onValueChange,
}: {
  spec: FieldSpec;
  isSet: boolean;
  mode: SecretMode;
  value: string;
  onModeChange: (mode: SecretMode) => void;
  onValueChange: (value: string) => void;
}) {
  const id = useId();
  const helpId = `${id}-help`;
  const stored = isSet && mode === 'keep';
  // PEM keys span lines, which a password input would drop.
  const multiline = spec.kind === 'text' || /PEM/.test(spec.label);
  return (
    <div className="field secret-field" data-testid={`secret-${spec.name}`}>
      <label htmlFor={id}>
        {spec.label}
        {spec.required && !isSet && <span aria-hidden="true"> *</span>}
      </label>
      {stored || mode === 'clear' ? (
        <input
          id={id}
          type="text"
          disabled
          value=""
          placeholder={mode === 'clear' ? 'Will be removed when you save' : ENCRYPTED_PLACEHOLDER}
          aria-describedby={helpId}
        />
      ) : multiline ? (
        <textarea
          id={id}
          rows={4}
          value={value}
          placeholder={isSet ? 'Enter the new value' : spec.placeholder}
          required={spec.required && !isSet}
          autoComplete="off"
          spellCheck={false}
          aria-describedby={helpId}
          onChange={(e) => onValueChange(e.target.value)}
        />
      ) : (
        <input
          id={id}
          type="password"
          value={value}
          placeholder={isSet ? 'Enter the new value' : spec.placeholder}
          required={spec.required && !isSet}
          autoComplete="new-password"
          aria-describedby={helpId}
          onChange={(e) => onValueChange(e.target.value)}
        />
      )}
      <div className="secret-actions" id={helpId}>
        {stored && (
          <>
            <span className="badge badge-ok">Set</span>
            <button
              type="button"
              className="secondary small"
              aria-label={`Replace ${spec.label}`}
              onClick={() => onModeChange('replace')}
            >
              Replace
            </button>
            <button
              type="button"
              className="secondary small danger"
              aria-label={`Clear ${spec.label}`}
              onClick={() => onModeChange('clear')}
            >
              Clear
            </button>
          </>
        )}
        {isSet && mode === 'replace' && (
          <button type="button" className="ghost small" onClick={() => onModeChange('keep')}>
            Keep the stored value
          </button>
        )}
        {isSet && mode === 'clear' && (
          <button type="button" className="ghost small" onClick={() => onModeChange('keep')}>
            Undo clear
          </button>
        )}
        {spec.help && <small className="help">{spec.help}</small>}
      </div>
    </div>
  );
}
