// AWS Signature Version 4 in the browser, for a server with keys configured: the console's
// calls are signed as the SDKs sign theirs (IAM User Guide, "Create a signed AWS API request").
// SHA-256 and HMAC are written out here rather than taken from crypto.subtle, which browsers
// offer only on secure origins (https, or loopback), and a team's server may be neither.

const KEY_STORE = 'baton.key';

// The key pair signed with, kept for the browser tab's session only.
export function savedKey() {
  try {
    const key = JSON.parse(sessionStorage.getItem(KEY_STORE) || 'null');
    return key && key.id && key.secret ? key : null;
  } catch {
    return null;
  }
}

export function saveKey(key) {
  if (key) sessionStorage.setItem(KEY_STORE, JSON.stringify(key));
  else sessionStorage.removeItem(KEY_STORE);
}

// --- SHA-256 (FIPS 180-4) over bytes ---------------------------------------------------------

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export function sha256(bytes) {
  const length = bytes.length;
  const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length << 3) >>> 0);
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i] + w[i]) >>> 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0;
      d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(i * 4, h[i]);
  return out;
}

export function hmac(key, message) {
  let k = key.length > 64 ? sha256(key) : key;
  const block = new Uint8Array(64);
  block.set(k);
  const inner = new Uint8Array(64 + message.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  inner.set(message, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

const utf8 = (text) => new TextEncoder().encode(text);
export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

// --- The signature ---------------------------------------------------------------------------

// RFC 3986 encoding as SigV4 has it: only letters, digits and -._~ stay as they are.
function uriEncode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

// Headers (`Authorization`, `X-Amz-Date`) that sign a request to this page's server: `method`,
// `url` (a path on this origin, with its query), `headers` to sign besides `host` and
// `x-amz-date`, the `body` text, for `service` with `key` ({id, secret, region}).
export function signatureHeaders(method, url, headers, body, key, service = 'states', now = new Date()) {
  const parsed = new URL(url, location.href);
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const date = amzDate.slice(0, 8);
  const region = key.region || 'us-east-1';
  const all = { ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v).trim()])),
    host: parsed.host, 'x-amz-date': amzDate };
  const names = Object.keys(all).sort();
  // The path as sent, each segment encoded once more (every service but S3).
  const path = parsed.pathname.split('/').map(uriEncode).join('/') || '/';
  const query = [...parsed.searchParams.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const canonical = [method, path, query,
    names.map((n) => `${n}:${all[n]}\n`).join(''), names.join(';'),
    hex(sha256(utf8(body || '')))].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(sha256(utf8(canonical)))].join('\n');
  let signingKey = utf8(`AWS4${key.secret}`);
  for (const part of [date, region, service, 'aws4_request']) signingKey = hmac(signingKey, utf8(part));
  const signature = hex(hmac(signingKey, utf8(toSign)));
  return {
    'X-Amz-Date': amzDate,
    Authorization: `AWS4-HMAC-SHA256 Credential=${key.id}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

// `fetch` on this origin, signed when a key has been given. `Content-Type` is sent but not
// signed: a browser may add to it.
export function signedFetch(url, { method = 'GET', headers = {}, body } = {}) {
  const key = savedKey();
  const toSign = Object.fromEntries(Object.entries(headers)
    .filter(([name]) => name.toLowerCase() !== 'content-type'));
  const signed = key ? signatureHeaders(method, url, toSign, body, key) : {};
  return fetch(url, { method, headers: { ...headers, ...signed }, body });
}

// The errors that mean the server wants a (different) key.
export const AUTH_ERRORS = new Set([
  'MissingAuthenticationTokenException', 'UnrecognizedClientException',
  'InvalidSignatureException', 'IncompleteSignatureException',
]);
