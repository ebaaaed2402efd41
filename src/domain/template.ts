// "{{reason.id}}"-style templating for CRM write-back values. Unknown names render as empty strings.

export type TemplateValues = Record<string, string | number | null | undefined>;

const TOKEN = /\{\{\s*([a-zA-Z0-9_.]+)\s*\}\}/g;

export function renderTemplate(text: string, values: TemplateValues): string {
  return text.replace(TOKEN, (_whole, name: string) => {
    const v = values[name];
    return v === null || v === undefined ? '' : String(v);
  });
}

/** The names a template refers to (for config checks). */
export function templateNames(text: string): string[] {
  return [...text.matchAll(TOKEN)].map((m) => m[1] as string);
}

export function renderProperties(set: Record<string, string>, values: TemplateValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(set)) out[key] = renderTemplate(value, values);
  return out;
}
