// Realistic MQLs for the demo: names, companies, countries, sizes, scores, channels, BANT answers.

const FIRST = [
  'Jana',
  'Lukas',
  'Sofia',
  'Mateo',
  'Amelie',
  'Noah',
  'Emma',
  'Liam',
  'Chiara',
  'Hugo',
  'Aisha',
  'Kenji',
  'Olivia',
  'Ravi',
  'Ines',
  'Tomás',
  'Freya',
  'Omar',
];
const LAST = [
  'Schneider',
  'Rossi',
  'Dubois',
  'García',
  'Smith',
  'Johnson',
  'Nakamura',
  'Patel',
  'Kowalski',
  'Jansen',
  'Silva',
  'Müller',
  'Brown',
  'Haddad',
  'Larsen',
];
const COMPANIES = [
  'Northwind',
  'Globex',
  'Initech',
  'Umbrella Analytics',
  'Stark Logistics',
  'Wayne Foods',
  'Acme Robotics',
  'Hooli Cloud',
  'Vandelay Imports',
  'Soylent Labs',
  'Tyrell Systems',
  'Cyberdyne Health',
  'Wonka Retail',
  'Pied Piper',
];
const COUNTRIES = ['DE', 'FR', 'IT', 'ES', 'GB', 'NL', 'US', 'US', 'CA', 'BR', 'MX', 'IN', 'JP', 'AU', 'AE'];
const TITLES = [
  'CTO',
  'VP Sales',
  'Head of Marketing',
  'IT Director',
  'Operations Manager',
  'CFO',
  'Founder',
  'Procurement Lead',
];
const INDUSTRIES = ['Software', 'Manufacturing', 'Retail', 'Logistics', 'Healthcare', 'Finance', 'Education'];
const CHANNELS = ['ORGANIC_SEARCH', 'PAID_SEARCH', 'SOCIAL_MEDIA', 'EMAIL_MARKETING', 'REFERRALS', 'DIRECT_TRAFFIC'];
const CAMPAIGNS = ['spring-webinar', 'pricing-page', 'ebook-roi', 'trade-show', 'partner-referral'];
const NEED = ['Replacing a legacy tool', 'Scaling the team', 'Consolidating vendors', 'New market entry', ''];
const BUDGET = ['Approved for Q1', '€50k–100k', 'Unknown', 'Pending CFO sign-off', ''];
const AUTHORITY = ['Decision maker', 'Influencer', 'Evaluator', ''];
const TIMELINE = ['This quarter', 'Next 6 months', 'Next year', ''];

export interface DemoLead {
  properties: Record<string, string | number>;
}

/** A seeded pseudo-random generator, so a demo run can be replayed. */
export function createRandom(seed = Date.now()): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) % 1_000_000) / 1_000_000;
  };
}

export function createLeadGenerator(random: () => number = Math.random): () => DemoLead {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  let n = 0;
  return () => {
    n += 1;
    const first = pick(FIRST);
    const last = pick(LAST);
    const company = pick(COMPANIES);
    const domain = `${company.toLowerCase().replace(/[^a-z]+/g, '')}.example`;
    const hot = random() < 0.15;
    const score = hot ? 90 + Math.floor(random() * 10) : 40 + Math.floor(random() * 50);
    return {
      properties: {
        email: `${first.toLowerCase()}.${last.toLowerCase().replace(/[^a-z]/g, '')}.${n}@${domain}`,
        firstname: first,
        lastname: last,
        company,
        jobtitle: pick(TITLES),
        country: pick(COUNTRIES),
        numberofemployees: pick([12, 45, 120, 350, 800, 1500, 5000]),
        industry: pick(INDUSTRIES),
        hubspotscore: score,
        hs_analytics_source: pick(CHANNELS),
        campaign: pick(CAMPAIGNS),
        handoff_need: pick(NEED),
        handoff_budget: pick(BUDGET),
        handoff_authority: pick(AUTHORITY),
        handoff_timeline: pick(TIMELINE),
        lifecyclestage: 'marketingqualifiedlead',
      },
    };
  };
}
