import { toDataURL } from 'qrcode';
import { FormEvent, useEffect, useState } from 'react';
import { ErrorNotice } from '../../components/error-notice';
import { Loading } from '../../components/loading';
import {
  useConfirmTwoFactor,
  useDisableTwoFactor,
  useEnrolTwoFactor,
  useRegenerateRecoveryCodes,
  useTwoFactorStatus,
} from './account-api';

/** Renders an otpauth URI as a QR code image (drawn in the browser; the URI is not sent anywhere). */
function QrCode({ uri }: { uri: string }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let live = true;
    void toDataURL(uri, { margin: 1, width: 200 }).then((url) => {
      if (live) setSrc(url);
    });
    return () => {
      live = false;
    };
  }, [uri]);
  return src ? (
    <img src={src} width={200} height={200} alt="QR code to scan with your authenticator app" />
  ) : (
    <Loading label="Drawing the QR code…" />
  );
}

/** The ten recovery codes, shown once after enrolment or regeneration. */
function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div className="recovery-codes" role="region" aria-label="Recovery codes">
      <p>
        <strong>Save these recovery codes now.</strong> Each works once, if you lose your
        authenticator. They will not be shown again.
      </p>
      <ol data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <button type="button" onClick={onDone}>
        I have saved them
      </button>
    </div>
  );
}

/**
 * Two-factor on the account page: enrol (QR code + manual key), confirm with a code, see the
 * recovery codes once; when on: new recovery codes, or turn it off with the password.
 */
export function TwoFactorSection() {
  const status = useTwoFactorStatus();
  const enrol = useEnrolTwoFactor();
  const confirm = useConfirmTwoFactor();
  const disable = useDisableTwoFactor();
  const regenerate = useRegenerateRecoveryCodes();
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [enrolPassword, setEnrolPassword] = useState('');
  const [codes, setCodes] = useState<string[]>();

  if (codes) {
    return (
      <section aria-labelledby="two-factor-title" className="card">
        <h2 id="two-factor-title">Two-factor authentication</h2>
        <RecoveryCodes
          codes={codes}
          onDone={() => {
            setCodes(undefined);
            enrol.reset();
          }}
        />
      </section>
    );
  }
  // Confirming enrolment and regenerating both trade the code for new recovery codes.
  const submitCodeTo = (mutation: typeof confirm) => (e: FormEvent) => {
    e.preventDefault();
    mutation.mutate(code, {
      onSuccess: (r) => {
        setCode('');
        setCodes(r.recoveryCodes);
      },
    });
  };
  const onConfirm = submitCodeTo(confirm);
  const onRegenerate = submitCodeTo(regenerate);
  const onEnrol = (e: FormEvent) => {
    e.preventDefault();
    enrol.mutate(enrolPassword, { onSuccess: () => setEnrolPassword('') });
  };
  const onDisable = (e: FormEvent) => {
    e.preventDefault();
    disable.mutate(password, { onSuccess: () => setPassword('') });
  };
  return (
    <section aria-labelledby="two-factor-title" className="card">
      <h2 id="two-factor-title">Two-factor authentication</h2>
      {status.isPending && <Loading />}
      {status.isError && <ErrorNotice error={status.error} />}
      {status.data && !status.data.enabled && !enrol.data && (
        <form onSubmit={onEnrol} aria-label="Set up two-factor">
          <p>Off. Protect your account with a code from an authenticator app at sign-in.</p>
          <label>
            Password
            <input
              type="password"
              autoComplete="current-password"
              required
              value={enrolPassword}
              onChange={(e) => setEnrolPassword(e.target.value)}
            />
          </label>
          <button type="submit" disabled={enrol.isPending}>
            {enrol.isPending ? 'Preparing…' : 'Set up two-factor'}
          </button>
          {enrol.isError && <ErrorNotice error={enrol.error} />}
        </form>
      )}
      {status.data && !status.data.enabled && enrol.data && (
        <form onSubmit={onConfirm} aria-label="Confirm two-factor">
          <p>Scan this code with your authenticator app, then enter the code it shows.</p>
          <QrCode uri={enrol.data.otpauthUri} />
          <details>
            <summary>Can’t scan? Enter this key instead</summary>
            <code data-testid="totp-secret">{enrol.data.secret}</code>
          </details>
          <label>
            Code from the app
            <input
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
          <button type="submit" disabled={confirm.isPending}>
            {confirm.isPending ? 'Checking…' : 'Turn on two-factor'}
          </button>
          {confirm.isError && <ErrorNotice error={confirm.error} />}
        </form>
      )}
      {status.data?.enabled && (
        <>
          <p>On. {status.data.recoveryCodesLeft} of 10 recovery codes left.</p>
          <form onSubmit={onRegenerate} aria-label="New recovery codes">
            <label>
              Current code from the app
              <input
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            </label>
            <button type="submit" disabled={regenerate.isPending}>
              Get new recovery codes
            </button>
            {regenerate.isError && <ErrorNotice error={regenerate.error} />}
          </form>
          <form onSubmit={onDisable} aria-label="Turn off two-factor">
            <label>
              Your password
              <input
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
            <button type="submit" className="danger" disabled={disable.isPending}>
              Turn off two-factor
            </button>
            {disable.isError && <ErrorNotice error={disable.error} />}
          </form>
        </>
      )}
    </section>
  );
}
