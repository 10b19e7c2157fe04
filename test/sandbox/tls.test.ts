import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ensureCertificates } from '../../src/sandbox/tls.js';

describe('sandbox TLS', () => {
  it('reuses the CA in the state dir and issues a server cert for 127.0.0.1 and localhost', () => {
    const dir = process.env.UNSTICK_TEST_STATE_DIR!;
    const first = ensureCertificates(dir);
    const second = ensureCertificates(dir);
    expect(second.caCertPath).toBe(first.caCertPath);
    const ca = new X509Certificate(readFileSync(first.caCertPath));
    expect(ca.ca).toBe(true);
    const server = new X509Certificate(second.cert);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(server.subjectAltName).toContain('DNS:localhost');
  });

  it('is trusted by fetch through NODE_EXTRA_CA_CERTS set in the global setup (no test-only TLS switches)', async () => {
    const certs = ensureCertificates(process.env.UNSTICK_TEST_STATE_DIR!);
    const server = createServer({ key: certs.key, cert: certs.cert }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`https://127.0.0.1:${port}/`);
      expect(await res.text()).toBe('ok');
    } finally {
      server.close();
    }
  });
});
