import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

/**
 * The sandbox's own certificate authority and a server certificate for 127.0.0.1 / ::1 / localhost
 * signed by it, kept in the state dir so NODE_EXTRA_CA_CERTS stays valid across restarts. With the CA
 * trusted, the official SDK reaches the sandbox exactly as it reaches a tenant.
 *
 * The CA's private key is never written anywhere: it signs the one server certificate and is dropped.
 * So trusting ca.pem (say, left exported in a shell) can never let anyone mint a certificate for a real
 * host such as *.auth0.com.
 */
export interface SandboxCertificates {
  caCertPath: string;
  key: string;
  cert: string;
}

const CA_CERT = 'ca.pem';
const SERVER_CERT = 'server.pem';
const SERVER_KEY = 'server-key.pem';
const DAY = 24 * 3600 * 1000;

export function ensureCertificates(stateDir: string): SandboxCertificates {
  if (!existsSync(stateDir)) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    chmodSync(stateDir, 0o700);
  }
  const caCertPath = path.join(stateDir, CA_CERT);
  const certPath = path.join(stateDir, SERVER_CERT);
  const keyPath = path.join(stateDir, SERVER_KEY);
  if (certificatesValid(stateDir)) {
    return { caCertPath, key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  }
  const ca = createCa();
  const server = createServerCert(ca);
  const key = forge.pki.privateKeyToPem(server.key);
  const cert = forge.pki.certificateToPem(server.cert);
  writeFileSync(keyPath, key, { mode: 0o600 });
  writeFileSync(certPath, cert);
  writeFileSync(caCertPath, forge.pki.certificateToPem(ca.cert));
  rmSync(path.join(stateDir, 'ca-key.pem'), { force: true }); // left by older versions
  return { caCertPath, key, cert };
}

/** Whether the state dir holds the CA, the server certificate and its key, valid for at least another day (so ensureCertificates only reads them). */
export function certificatesValid(stateDir: string): boolean {
  if (![CA_CERT, SERVER_KEY].every((file) => existsSync(path.join(stateDir, file)))) return false;
  try {
    return new Date(new X509Certificate(readFileSync(path.join(stateDir, SERVER_CERT))).validTo).getTime() > Date.now() + DAY;
  } catch {
    return false;
  }
}

/** A fresh key pair and an unsigned certificate for it, valid from a minute ago for 825 days. */
function newCertificate(): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
  // Node's native key generation; forge only builds and signs the certificates.
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f; // a positive serial number
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 825 * DAY);
  return { cert, key: forge.pki.privateKeyFromPem(pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()) };
}

function createCa() {
  const ca = newCertificate();
  const subject = [
    { name: 'commonName', value: 'unstick sandbox CA (local only)' },
    { name: 'organizationName', value: 'unstick' },
  ];
  ca.cert.setSubject(subject);
  ca.cert.setIssuer(subject);
  ca.cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.cert.sign(ca.key, forge.md.sha256.create());
  return ca;
}

function createServerCert(ca: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey }) {
  const server = newCertificate();
  server.cert.setSubject([{ name: 'commonName', value: '127.0.0.1' }]);
  server.cert.setIssuer(ca.cert.subject.attributes);
  server.cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
        { type: 2, value: 'localhost' },
      ],
    },
  ]);
  server.cert.sign(ca.key, forge.md.sha256.create());
  return server;
}
