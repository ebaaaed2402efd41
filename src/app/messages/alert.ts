// The alert and resolved notices, as a message description (rendered for Slack and email by render.ts).
import type { AlertData } from '../alerts.js';
import type { MessageDoc } from './render.js';

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
