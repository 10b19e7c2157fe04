#!/usr/bin/env node
// Writes examples/scenarios/large-10k.json: 10,000 tenant users, 300 ghosts (each with a legacy
// entry and an fs "The user already exists." log), 400 legacy users not yet migrated. Deterministic:
// the same output on every run. One array entry per line keeps diffs and error line numbers useful.
//   node scripts/gen-large-scenario.js [output path]
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { prng } from './prng.js';

const USERS = 10_000;
const GHOSTS = 300;
const UNMIGRATED = 400;
const LEGACY_DB_ID = 'con_Lg7cYq2RzX4mB9tK';
const PORTAL = { client_id: 'Xq9Lw2RrB7nTg4KcVz1mHd8sPa3EuY6f', client_name: 'Acme Portal' };
const START = Date.parse('2024-05-02T08:00:00.000Z');

const FIRST = ['ada', 'ben', 'chen', 'dara', 'eli', 'fatima', 'gus', 'hana', 'ivan', 'jo', 'kofi', 'lena', 'mo', 'noor', 'oscar', 'pia', 'quinn', 'rosa', 'sven', 'tariq', 'uma', 'vik', 'wen', 'xavi', 'yara', 'zane'];
const LAST = ['abe', 'brook', 'costa', 'diaz', 'eriksen', 'fox', 'gupta', 'hahn', 'ito', 'jones', 'kato', 'lopez', 'mensah', 'novak', 'ortiz', 'park', 'quist', 'reyes', 'silva', 'tan', 'ueda', 'vance', 'wu', 'young', 'zhou'];
const LANGUAGES = ['en', 'fr', 'de', 'es', 'it', 'ja', 'pl', 'pt'];
const PLANS = ['bronze', 'silver', 'gold'];


const random = prng(20240502);
const pick = (list) => list[Math.floor(random() * list.length)];

function person(n) {
  const first = FIRST[n % FIRST.length];
  const last = LAST[Math.floor(n / FIRST.length) % LAST.length];
  return { email: `${first}.${last}.${n}@acme-large.com`, name: `${first[0].toUpperCase()}${first.slice(1)} ${last[0].toUpperCase()}${last.slice(1)}` };
}

function legacyEntry(n, p) {
  return {
    email: p.email,
    password: `pw-${n}`,
    user_id: `legacy-${100000 + n}`,
    name: p.name,
    user_metadata: { language: pick(LANGUAGES) },
    app_metadata: { plan: pick(PLANS), legacy_customer_id: `C-${100000 + n}` },
  };
}

/** A migrated user's history, from n alone (no draw from random(), so the rest of the file stays as it was). */
function history(n) {
  const day = (k) => String(1 + (k % 28)).padStart(2, '0');
  const time = `${String(8 + (n % 10)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}:00.000Z`;
  return { created_at: `2024-03-${day(n)}T${time}`, logins_count: 1 + (n % 17), last_login: `2024-04-${day(n * 7)}T${time}` };
}

function build() {
  const users = [];
  for (let n = 0; n < USERS; n++) {
    const p = person(n);
    const roll = random();
    if (roll < 0.7) {
      users.push({ email: p.email, connection: 'legacy-db', user_id: `legacy-${100000 + n}`, password: `pw-${n}`, name: p.name, user_metadata: { language: pick(LANGUAGES) }, ...history(n) });
    } else if (roll < 0.9) {
      users.push({ email: p.email, connection: 'Username-Password-Authentication', password: `pw-${n}`, name: p.name, ...history(n) });
    } else {
      users.push({ email: p.email.replace('@acme-large.com', '@gmail.com'), connection: 'google-oauth2', user_id: `google-oauth2|1${String(n * 7919).padStart(20, '0')}`, email_verified: true, name: p.name, ...history(n) });
    }
  }
  const ghosts = [];
  const legacy = [];
  const logs = [];
  for (let g = 0; g < GHOSTS; g++) {
    const n = USERS + g;
    const p = person(n);
    ghosts.push({ email: p.email, connection: 'legacy-db' });
    legacy.push(legacyEntry(n, p));
    logs.push({
      date: new Date(START + g * 37_000).toISOString(),
      type: 'fs',
      description: 'The user already exists.',
      ...PORTAL,
      ip: `203.0.113.${1 + (g % 250)}`,
      connection: 'legacy-db',
      connection_id: LEGACY_DB_ID,
      strategy: 'auth0',
      strategy_type: 'database',
      user_id: '',
      user_name: p.email,
      details: { body: { connection: 'legacy-db', email: p.email, password: '*****', tenant: 'acme-large' } },
    });
  }
  for (let u = 0; u < UNMIGRATED; u++) {
    const n = USERS + GHOSTS + u;
    legacy.push(legacyEntry(n, person(n)));
  }
  return {
    tenant: 'acme-large',
    connections: [
      { name: 'legacy-db', id: LEGACY_DB_ID, options: { enabledDatabaseCustomization: true, import_mode: true, customScripts: { login: 'function login(email, password, callback) { /* legacy API */ }', get_user: 'function getByEmail(email, callback) { /* legacy API */ }' } } },
      { name: 'Username-Password-Authentication', id: 'con_Up7Hw3NbQ8sLx2Ve' },
      { name: 'google-oauth2', id: 'con_Go4Tz9KqW2mRv6Yb', strategy: 'google-oauth2' },
    ],
    users,
    ghosts,
    legacy,
    logs,
    rateLimit: { burst: 50, perSecond: 16 },
  };
}

/** Pretty at the top level, one compact line per array entry. */
function serialize(scenario) {
  const parts = Object.entries(scenario).map(([key, value]) => {
    if (!Array.isArray(value)) return `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
    return `  ${JSON.stringify(key)}: [\n${value.map((v) => `    ${JSON.stringify(v)}`).join(',\n')}\n  ]`;
  });
  return `{\n${parts.join(',\n')}\n}\n`;
}

const out = process.argv[2] ?? fileURLToPath(new URL('../examples/scenarios/large-10k.json', import.meta.url));
writeFileSync(out, serialize(build()));
process.stderr.write(`wrote ${out}\n`);
