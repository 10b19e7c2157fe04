import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ACME_SCENARIO, startTestSandbox } from '../helpers/sandbox.js';

/** Whether this machine has an IPv6 loopback to listen on. */
function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
}

describe('the exports host (second listener)', () => {
  it('is localhost on its own port while the API is 127.0.0.1; it answers on 127.0.0.1 and, where there is one, on ::1 (localhost may resolve there first)', async () => {
    const sb = await startTestSandbox(ACME_SCENARIO);
    try {
      const exportsUrl = new URL(sb.running.exportsUrl);
      expect(exportsUrl.hostname).toBe('localhost');
      expect(Number(exportsUrl.port)).toBe(sb.running.exportsPort);
      expect(sb.running.exportsPort).not.toBe(sb.running.port);
      expect(sb.running.domain).toBe(`127.0.0.1:${sb.running.port}`);

      const v4 = await fetch(`https://127.0.0.1:${sb.running.exportsPort}/job_AAAAAAAAAAAAAAAA/acme-dev.json.gz`);
      expect(v4.status).toBe(403);
      expect(await v4.text()).toContain('<Code>MissingKey</Code>');
      if (await ipv6Loopback()) {
        const v6 = await fetch(`https://[::1]:${sb.running.exportsPort}/job_AAAAAAAAAAAAAAAA/acme-dev.json.gz`);
        expect(v6.status).toBe(403);
      }
      const byName = await fetch(`${sb.running.exportsUrl}/`);
      expect(byName.headers.get('content-type')).toBe('application/xml');
    } finally {
      await sb.close();
    }
    // Closed: both listeners are gone.
    await expect(fetch(`https://127.0.0.1:${new URL(sb.running.exportsUrl).port}/`)).rejects.toThrow();
  });
});
