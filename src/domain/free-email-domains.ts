// Common free / consumer email domains. A lead on one of these says nothing about its company, so
// account-based routing (owner match by company domain) skips them when `skipFreeEmailDomains` is on.

const DOMAINS = [
  // Google, Microsoft, Yahoo, Apple, AOL
  'gmail.com', 'googlemail.com',
  'outlook.com', 'outlook.de', 'outlook.fr', 'outlook.es', 'outlook.it', 'hotmail.com', 'hotmail.co.uk',
  'hotmail.de', 'hotmail.fr', 'hotmail.es', 'hotmail.it', 'live.com', 'live.co.uk', 'live.de', 'live.fr',
  'live.nl', 'msn.com', 'passport.com',
  'yahoo.com', 'yahoo.co.uk', 'yahoo.de', 'yahoo.fr', 'yahoo.es', 'yahoo.it', 'yahoo.co.jp', 'yahoo.com.br',
  'yahoo.ca', 'yahoo.com.au', 'yahoo.in', 'ymail.com', 'rocketmail.com',
  'icloud.com', 'me.com', 'mac.com',
  'aol.com', 'aim.com', 'aol.de',
  // privacy-focused and other international providers
  'proton.me', 'protonmail.com', 'protonmail.ch', 'pm.me', 'tutanota.com', 'tutanota.de', 'tuta.io',
  'zoho.com', 'zohomail.com', 'mail.com', 'email.com', 'usa.com', 'gmx.com', 'gmx.de', 'gmx.net', 'gmx.at',
  'gmx.ch', 'web.de', 't-online.de', 'freenet.de', 'posteo.de', 'mailbox.org', 'orange.fr', 'wanadoo.fr',
  'free.fr', 'laposte.net', 'sfr.fr', 'libero.it', 'virgilio.it', 'tiscali.it', 'alice.it', 'seznam.cz',
  'wp.pl', 'o2.pl', 'onet.pl', 'interia.pl', 'yandex.ru', 'yandex.com', 'mail.ru', 'bk.ru', 'inbox.ru',
  'list.ru', 'rambler.ru', 'ukr.net', 'qq.com', '163.com', '126.com', 'sina.com', 'sohu.com', 'yeah.net',
  'naver.com', 'daum.net', 'hanmail.net', 'rediffmail.com', 'btinternet.com', 'sky.com', 'virginmedia.com',
  'ntlworld.com', 'talktalk.net', 'blueyonder.co.uk', 'comcast.net', 'verizon.net', 'att.net', 'sbcglobal.net',
  'bellsouth.net', 'charter.net', 'cox.net', 'earthlink.net', 'optonline.net', 'shaw.ca', 'rogers.com',
  'sympatico.ca', 'bigpond.com', 'optusnet.com.au', 'xtra.co.nz', 'telenet.be', 'skynet.be', 'ziggo.nl',
  'kpnmail.nl', 'planet.nl', 'bluewin.ch', 'hushmail.com', 'fastmail.com', 'fastmail.fm', 'inbox.com',
  'hey.com', 'duck.com', 'lycos.com', 'excite.com', 'juno.com', 'netzero.net', 'uol.com.br', 'bol.com.br',
  'terra.com.br', 'ig.com.br', 'prodigy.net.mx', 'mailinator.com', 'guerrillamail.com', 'yopmail.com',
] as const;

const SET: ReadonlySet<string> = new Set(DOMAINS);

/** Every domain on the list (lowercase). */
export const FREE_EMAIL_DOMAINS: readonly string[] = DOMAINS;

/** True when the domain (any case, with or without a leading "@") is a free-mail provider. */
export function isFreeEmailDomain(domain: string | null | undefined): boolean {
  if (!domain) return false;
  return SET.has(domain.trim().toLowerCase().replace(/^@/, ''));
}
