import { describe, expect, it } from 'vitest';
import { hostRefusal } from './allowed-hosts';

describe('hostRefusal (DNS rebinding)', () => {
  const listed = new Set(['bastion.internal']);

  it('answers IP literals, localhost and listed names, with or without a port, in any case', () => {
    for (const host of [
      '127.0.0.1',
      '127.0.0.1:3000',
      '10.1.2.3:80',
      '[::1]:3000',
      '[::1]',
      'localhost',
      'LOCALHOST:3000',
      'app.localhost:5173',
      'bastion.internal',
      'BASTION.INTERNAL:8080',
    ]) {
      expect(hostRefusal(host, listed), host).toBeNull();
    }
  });

  it('refuses any other name, look-alikes of the allowed ones included', () => {
    for (const host of [
      'rebind.attacker.test:3401',
      'rebind.attacker.test',
      '127.0.0.1.nip.io',
      'localhost.attacker.test',
      'bastion.internal.attacker.test',
      'attacker-bastion.internal',
      '',
      undefined,
    ]) {
      expect(hostRefusal(host, listed), String(host)).toMatch(/ALLOWED_HOSTS/);
    }
  });
});
