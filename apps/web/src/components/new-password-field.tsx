/**
 * The "choose a password" field of first-run setup and of an invitation for a new account: the
 * server's policy (12+ characters, not a common password) said up front.
 */
export function NewPasswordField({
  helpId,
  value,
  onChange,
}: {
  /** Id of the help text, unique on the page. */
  helpId: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <>
      <label>
        Password
        <input
          type="password"
          autoComplete="new-password"
          required
          minLength={12}
          aria-describedby={helpId}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      </label>
      <small id={helpId}>At least 12 characters; a phrase works well.</small>
    </>
  );
}
