/* SHA-256 (FIPS 180-4) and SM3 (GB/T 32905-2016) of a file, in one pass, in a Web Worker.
 *
 * Why written here: the upload API wants both digests before the bytes are sent, so that the
 * server can refuse bytes that differ from what the browser read (the workstation does the
 * same). WebCrypto has no SM3, its SHA-256 takes the whole file at once (a 4 GB recording
 * does not fit in memory), and it exists only on https pages, while the office's intranet
 * server may be plain http. Both hashes share the Merkle–Damgård framing (64-byte blocks,
 * big-endian words, the same padding), so one framing feeds two compression functions.
 *
 * Message in: {file: File, block?: bytes, only?: "sha256" | "sm3"} (``only``: one of the two,
 * so that two workers hash one file on two cores). Messages out: {type: "progress", done},
 * {type: "done", sha256, sm3, size} (a digest not asked for is absent),
 * {type: "error", message}. */
"use strict";

function rotl(x, n) {
  return (x << n) | (x >>> (32 - n));
}

/* The 16 big-endian words of the block at ``at`` into w[0..15]. */
function words(w, bytes, at) {
  for (let i = 0; i < 16; i++, at += 4) {
    w[i] = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
  }
}

const K256 = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

function sha256Block(h, w, bytes, at) {
  words(w, bytes, at);
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15], b = w[i - 2];
    const s0 = rotl(a, 25) ^ rotl(a, 14) ^ (a >>> 3);
    const s1 = rotl(b, 15) ^ rotl(b, 13) ^ (b >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (let i = 0; i < 64; i++) {
    const t1 = (k + (rotl(e, 26) ^ rotl(e, 21) ^ rotl(e, 7)) + ((e & f) ^ (~e & g)) + K256[i] + w[i]) | 0;
    const t2 = ((rotl(a, 30) ^ rotl(a, 19) ^ rotl(a, 10)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

// SM3's round constants, each already rotated by its round number (GB/T 32905 §4.2, §5.3.3).
const TSM3 = new Int32Array(64);
for (let j = 0; j < 64; j++) TSM3[j] = rotl(j < 16 ? 0x79cc4519 : 0x7a879d8a, j % 32);

function sm3Block(h, w, bytes, at) {
  words(w, bytes, at);
  for (let i = 16; i < 68; i++) {
    const x = w[i - 16] ^ w[i - 9] ^ rotl(w[i - 3], 15);
    w[i] = x ^ rotl(x, 15) ^ rotl(x, 23) ^ rotl(w[i - 13], 7) ^ w[i - 6];
  }
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (let j = 0; j < 64; j++) {
    const a12 = rotl(a, 12);
    const ss1 = rotl((a12 + e + TSM3[j]) | 0, 7);
    const ss2 = ss1 ^ a12;
    const ff = j < 16 ? a ^ b ^ c : (a & b) | (a & c) | (b & c);
    const gg = j < 16 ? e ^ f ^ g : (e & f) | (~e & g);
    const tt1 = (ff + d + ss2 + (w[j] ^ w[j + 4])) | 0;
    const tt2 = (gg + k + ss1 + w[j]) | 0;
    d = c; c = rotl(b, 9); b = a; a = tt1;
    k = g; g = rotl(f, 19); f = e; e = tt2 ^ rotl(tt2, 9) ^ rotl(tt2, 17);
  }
  h[0] ^= a; h[1] ^= b; h[2] ^= c; h[3] ^= d; h[4] ^= e; h[5] ^= f; h[6] ^= g; h[7] ^= k;
}

const SHA256_IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const SM3_IV = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];

/* Both digests (or the one asked for) of a stream of byte arrays fed in order. */
class TwoDigests {
  constructor(only) {
    this.doSha = only !== "sm3";
    this.doSm3 = only !== "sha256";
    this.sha = new Int32Array(SHA256_IV);
    this.sm3 = new Int32Array(SM3_IV);
    this.wSha = new Int32Array(64);
    this.wSm3 = new Int32Array(68);
    this.tail = new Uint8Array(64); // bytes waiting for a whole block
    this.tailLength = 0;
    this.length = 0;
  }

  blocks(bytes, start, end) {
    for (let at = start; at + 64 <= end; at += 64) {
      if (this.doSha) sha256Block(this.sha, this.wSha, bytes, at);
      if (this.doSm3) sm3Block(this.sm3, this.wSm3, bytes, at);
    }
  }

  update(bytes) {
    this.length += bytes.length;
    let at = 0;
    if (this.tailLength) {
      at = Math.min(64 - this.tailLength, bytes.length);
      this.tail.set(bytes.subarray(0, at), this.tailLength);
      this.tailLength += at;
      if (this.tailLength < 64) return;
      this.blocks(this.tail, 0, 64);
      this.tailLength = 0;
    }
    const whole = at + Math.floor((bytes.length - at) / 64) * 64;
    this.blocks(bytes, at, whole);
    this.tail.set(bytes.subarray(whole), 0);
    this.tailLength = bytes.length - whole;
  }

  finish() {
    const padded = new Uint8Array(this.tailLength < 56 ? 64 : 128);
    padded.set(this.tail.subarray(0, this.tailLength));
    padded[this.tailLength] = 0x80;
    const view = new DataView(padded.buffer);
    const bits = this.length * 8;
    view.setUint32(padded.length - 8, Math.floor(bits / 0x100000000));
    view.setUint32(padded.length - 4, bits >>> 0);
    this.blocks(padded, 0, padded.length);
    const hex = (words) => Array.from(words, (x) => (x >>> 0).toString(16).padStart(8, "0")).join("");
    const found = {};
    if (this.doSha) found.sha256 = hex(this.sha);
    if (this.doSm3) found.sm3 = hex(this.sm3);
    return found;
  }
}

const BLOCK = 4 * 1024 * 1024;

async function digestFile(file, block, only) {
  const digests = new TwoDigests(only);
  for (let at = 0; at < file.size; at += block) {
    const bytes = new Uint8Array(await file.slice(at, at + block).arrayBuffer());
    digests.update(bytes);
    self.postMessage({ type: "progress", done: Math.min(at + block, file.size) });
  }
  return { ...digests.finish(), size: file.size };
}

self.onmessage = async (event) => {
  try {
    const result = await digestFile(event.data.file, event.data.block || BLOCK, event.data.only);
    self.postMessage({ type: "done", ...result });
  } catch (error) {
    self.postMessage({ type: "error", message: `无法读取文件：${error && error.message ? error.message : error}` });
  }
};
