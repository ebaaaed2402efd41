// A short fingerprint of a text, to tell "the same as last time" without keeping the text: two 32-bit FNV-1a
// style hashes with different starting values, plus the length. Equal texts give equal prints; a change
// gives a different print except by a chance of about one in 2^64. Not for anything security-related.

export function fingerprintText(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x2f3c8b6d;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
  }
  const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
  return `${hex(a)}${hex(b)}-${text.length.toString(36)}`;
}
