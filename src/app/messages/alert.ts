// The alert and resolved notices, as documents (the Slack notifier and the mailer lay them out).
import type { AlertData } from '../alerts.js';
import type { MessageDoc } from '../../ports/message-doc.js';

export function alertDoc(data: AlertData, notice: 'fire' | 'resolve', dashboardUrl: string | null): MessageDoc {
  const resolved = notice === 'resolve';
  const icon = resolved ? '✅' : data.critical ? '🚨' : '⚠️';
  const title = resolved ? `Resolved: ${data.title}` : data.title;
  return {
    title: `${icon} ${title}`,
    subject: `[handoff] ${resolved ? 'Resolved' : data.critical ? 'Alert' : 'Warning'}: ${data.title}`,
    intro: resolved ? ['The condition has cleared.'] : data.lines,
    facts: resolved ? [] : data.facts,
    tables: [],
    notes: null,
    link: dashboardUrl ? { url: dashboardUrl, label: 'Open the dashboard' } : null,
    footer: 'handoff alerts',
  };
}
