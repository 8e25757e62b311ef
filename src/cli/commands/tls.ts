// `sisock tls init`: makes the TLS material of the secure listener, in place
// of the original's openssl script: a small certificate authority and a
// server certificate it issues for the given host names and addresses.
// Clients trust the CA certificate (ca_cert.pem); the router serves
// server_key.pem and server_cert.pem. Keys are written with mode 600.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import { formatHelp, parseCommandLine, UsageError, type OptionSpecs } from '../options.js';

export const tlsOptions = {
  dir: { flag: 'dir', type: 'string', env: 'SISOCK_TLS_DIR', key: 'tls.dir', default: '.sisock/tls', description: 'directory to write the files to' },
  host: { flag: 'host', type: 'list', env: 'SISOCK_TLS_HOSTS', key: 'tls.hosts', default: ['localhost', '127.0.0.1', '::1'], description: 'host names and IP addresses the server certificate is valid for (repeat or comma-separate)' },
  days: { flag: 'days', type: 'number', key: 'tls.days', default: 825, description: 'validity of the server certificate in days (the CA gets ten years)' },
  force: { flag: 'force', type: 'boolean', default: false, description: 'overwrite existing files' },
} satisfies OptionSpecs;

export const TLS_FILES = {
  caKey: 'ca_key.pem',
  caCert: 'ca_cert.pem',
  serverKey: 'server_key.pem',
  serverCert: 'server_cert.pem',
} as const;

export interface TlsMaterial {
  caKey: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
}

/** An RSA key pair from Node's crypto (fast, native), as PEM and as forge objects. */
function rsaKeys(): { pem: string; privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    pem,
    privateKey: forge.pki.privateKeyFromPem(pem),
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  };
}

function serial(): string {
  const b = randomBytes(16);
  b[0]! &= 0x7f; // a positive integer
  return b.toString('hex');
}

/** Makes a CA and a server certificate for `hosts` (names and IP addresses), as PEM text. */
export function makeTlsMaterial(hosts: readonly string[], days = 825): TlsMaterial {
  if (hosts.length === 0) throw new UsageError('give at least one host name or address');
  const notBefore = new Date(Date.now() - 60_000);

  const ca = rsaKeys();
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = ca.publicKey;
  caCert.serialNumber = serial();
  caCert.validity.notBefore = notBefore;
  caCert.validity.notAfter = new Date(notBefore.getTime() + 10 * 365 * 86_400_000);
  const caName = [{ name: 'commonName', value: 'sisock local CA' }];
  caCert.setSubject(caName);
  caCert.setIssuer(caName);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());

  const server = rsaKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = server.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + days * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: hosts.find((h) => !isIP(h)) ?? hosts[0]! }]);
  cert.setIssuer(caName);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    // forge's altNames: type 2 is a DNS name, type 7 an IP address
    { name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.privateKey, forge.md.sha256.create());

  return {
    caKey: ca.pem,
    caCert: forge.pki.certificateToPem(caCert),
    serverKey: server.pem,
    serverCert: forge.pki.certificateToPem(cert),
  };
}

/** Writes the material into `dir`; refuses to overwrite unless `force`. Returns the paths written. */
export function writeTlsMaterial(dir: string, hosts: readonly string[], days: number, force: boolean): Record<keyof typeof TLS_FILES, string> {
  const paths = Object.fromEntries(Object.entries(TLS_FILES).map(([k, f]) => [k, join(dir, f)])) as Record<keyof typeof TLS_FILES, string>;
  if (!force) {
    const present = Object.values(paths).filter((p) => existsSync(p));
    if (present.length > 0) throw new UsageError(`${present.join(', ')} already exist; use --force to replace them`);
  }
  const m = makeTlsMaterial(hosts, days);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(paths.caKey, m.caKey, { mode: 0o600 });
  writeFileSync(paths.caCert, m.caCert, { mode: 0o644 });
  writeFileSync(paths.serverKey, m.serverKey, { mode: 0o600 });
  writeFileSync(paths.serverCert, m.serverCert, { mode: 0o644 });
  return paths;
}

export async function run(argv: string[]): Promise<number> {
  const usage = 'sisock tls init [options]';
  let parsed;
  try {
    parsed = parseCommandLine(tlsOptions, argv);
    if (parsed.help) {
      console.log(formatHelp(usage, tlsOptions));
      return 0;
    }
    if (parsed.positionals[0] !== 'init' || parsed.positionals.length !== 1) throw new UsageError(`usage: ${usage}`);
    const o = parsed.options;
    const paths = writeTlsMaterial(o.dir, o.host, o.days, o.force);
    console.log(`sisock tls: made a CA and a server certificate for ${o.host.join(', ')}`);
    console.log(`  CA certificate (clients trust it): ${paths.caCert}`);
    console.log(`  CA key (keep it private):           ${paths.caKey}`);
    console.log(`  server key and certificate:         ${paths.serverKey}, ${paths.serverCert}`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sisock tls: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
