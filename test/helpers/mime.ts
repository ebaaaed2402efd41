// Just enough MIME for the tests: encoded-word subjects and the decoded text/plain and text/html parts.

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** Decodes RFC 2047 encoded words of a header value. */
export function decodeHeader(value: string): string {
  return value.replace(/=\?utf-8\?([qb])\?([^?]*)\?=\s*/gi, (_m, enc: string, data: string) =>
    enc.toLowerCase() === 'b' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' ')),
  );
}

function decodeQp(text: string): string {
  const bytes: number[] = [];
  const s = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-F]{2}$/i.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(s[i] as string, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Pulls the subject and the decoded text/plain and text/html parts out of a raw message. */
export function parseMail(raw: string, to: string[]): Mail {
  const [head = '', ...rest] = raw.split(/\r\n\r\n/);
  const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
  const subject = decodeHeader(/^Subject: (.*)$/m.exec(unfolded)?.[1] ?? '');
  const boundary = /boundary="?([^";\r\n]+)"?/.exec(unfolded)?.[1];
  const body = rest.join('\r\n\r\n');
  const parts = boundary ? body.split(`--${boundary}`) : [body];
  const out: Mail = { to, subject, text: '', html: '' };
  for (const part of parts) {
    const [ph = '', ...pb] = part.split(/\r\n\r\n/);
    const content = pb.join('\r\n\r\n');
    const encoding = /Content-Transfer-Encoding: (\S+)/i.exec(ph)?.[1]?.toLowerCase();
    const decoded =
      encoding === 'base64'
        ? Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8')
        : encoding === 'quoted-printable'
          ? decodeQp(content)
          : content;
    if (/Content-Type: text\/plain/i.test(ph)) out.text = decoded;
    if (/Content-Type: text\/html/i.test(ph)) out.html = decoded;
  }
  return out;
}
