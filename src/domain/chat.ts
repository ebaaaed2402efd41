// Where people see cards and decide: Slack, Microsoft Teams or email. A message address (a channel, a DM, an
// inbox) is one opaque string to the app; its platform is in the string: Slack ids as they are (C…, D…, U…),
// Teams conversations as "teams:<conversation id>", inboxes as "email:<address>[,<address>…]".
export type ChatPlatform = 'slack' | 'teams' | 'email';

export const CHAT_PLATFORMS: readonly ChatPlatform[] = ['slack', 'teams', 'email'];

const PREFIX = { teams: 'teams:', email: 'email:' } as const;

/** The platform a message address belongs to (anything without a known prefix is a Slack id). */
export function platformOf(address: string): ChatPlatform {
  if (address.startsWith(PREFIX.teams)) return 'teams';
  if (address.startsWith(PREFIX.email)) return 'email';
  return 'slack';
}

/** The address of a Teams conversation (a channel or a 1:1 chat). */
export function teamsAddress(conversationId: string): string {
  return `${PREFIX.teams}${conversationId}`;
}

/** The address of one or more inboxes. */
export function emailAddress(recipients: readonly string[]): string {
  return `${PREFIX.email}${recipients.join(',')}`;
}

/** The platform's own id inside an address: the Teams conversation id, the comma-separated inboxes, the Slack id. */
export function addressId(address: string): string {
  const platform = platformOf(address);
  return platform === 'slack' ? address : address.slice(PREFIX[platform].length);
}
