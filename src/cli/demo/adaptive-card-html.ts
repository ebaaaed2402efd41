// Adaptive Cards as HTML, for the /demo page of `handoff demo --chat teams`: the subset our Teams cards use
// (TextBlock, FactSet, ColumnSet, Container, Image, Input.ChoiceSet, Input.Text, Action.Execute, Action.ShowCard,
// Action.OpenUrl). Pure: card JSON in (as the emulator recorded it, so nothing about it is trusted), HTML out,
// every text and attribute through escapeHtml.
//
// Each Action.Execute is a small <form method="post"> carrying the caller's hidden fields, `verb` and `data`
// (the action's data as JSON). A card level's inputs (its body, not the cards inside its ShowCards) belong to
// the level's first Action.Execute that takes inputs (associatedInputs not "none"), through the HTML `form`
// attribute, so they are posted by their input id as Teams merges them into the invoke's data. Action.ShowCard
// is a <details> holding its card.
import { escapeHtml } from '../../domain/escape-html.js';

export interface CardHtmlOptions {
  /** Where Action.Execute forms post. */
  action: string;
  /** A page-unique id for this card (e.g. its activity id): prefixes form and input ids. */
  id: string;
  /** Hidden fields on every form: which message was clicked and by whom (conversation, activity, user …). */
  hidden?: Record<string, string>;
}

type Json = Record<string, unknown>;

interface Ctx {
  options: CardHtmlOptions;
  prefix: string;
  seq: { n: number };
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function list(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

function isWebUrl(url: string): boolean {
  return /^https?:\/\/[^\s"'<>]+$/i.test(url);
}

/** Card text: escaped, then the one piece of markdown our cards use (**bold**), and line breaks. */
export function cardText(text: string): string {
  return escapeHtml(text)
    .replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\n/g, '<br>');
}

const WORD = /^[a-z]+$/i;

/** A class for an enum-like property (only plain words pass: the value comes from the card). */
function cls(name: string, value: unknown): string {
  const v = str(value);
  return v !== '' && WORD.test(v) ? ` ac-${name}-${v.toLowerCase()}` : '';
}

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}

function nextId(ctx: Ctx, kind: string): string {
  ctx.seq.n += 1;
  return `${ctx.prefix}-${kind}${ctx.seq.n}`;
}

function formAttr(form: string | null): string {
  return form !== null ? ` form="${escapeHtml(form)}"` : '';
}

function renderElement(el: Json, ctx: Ctx, form: string | null): string {
  switch (el.type) {
    case 'TextBlock': {
      const classes =
        'ac-text' +
        (el.weight === 'bolder' ? ' ac-bolder' : '') +
        (el.isSubtle === true ? ' ac-subtle' : '') +
        cls('size', el.size) +
        cls('color', el.color) +
        cls('align', el.horizontalAlignment);
      return `<div class="${classes}">${cardText(str(el.text))}</div>`;
    }
    case 'FactSet': {
      const facts = list(el.facts)
        .map((f) => `<dt>${cardText(str(f.title))}</dt><dd>${cardText(str(f.value))}</dd>`)
        .join('');
      return `<dl class="ac-facts">${facts}</dl>`;
    }
    case 'ColumnSet': {
      const columns = list(el.columns)
        .map((c) => `<div class="ac-column${cls('width', c.width)}">${renderElements(c.items, ctx, form)}</div>`)
        .join('');
      return `<div class="ac-columns">${columns}</div>`;
    }
    case 'Container':
      return `<div class="ac-container${cls('style', el.style)}">${renderElements(el.items, ctx, form)}</div>`;
    case 'Image': {
      const url = str(el.url);
      if (!isWebUrl(url)) return '';
      return `<img class="ac-image" src="${escapeHtml(url)}" alt="${escapeHtml(str(el.altText))}">`;
    }
    case 'Input.ChoiceSet': {
      const id = nextId(ctx, 'i');
      const placeholder = str(el.placeholder);
      const chosen = str(el.value);
      const options = list(el.choices)
        .map((c) => {
          const value = str(c.value);
          const selected = value === chosen && chosen !== '' ? ' selected' : '';
          return `<option value="${escapeHtml(value)}"${selected}>${escapeHtml(str(c.title))}</option>`;
        })
        .join('');
      const empty = `<option value="">${escapeHtml(placeholder !== '' ? placeholder : 'Choose…')}</option>`;
      return `<div class="ac-input"><label for="${id}">${escapeHtml(str(el.label))}</label><select id="${id}" name="${escapeHtml(str(el.id))}"${formAttr(form)}${el.isRequired === true ? ' required' : ''}>${empty}${options}</select></div>`;
    }
    case 'Input.Text': {
      const id = nextId(ctx, 'i');
      const max =
        typeof el.maxLength === 'number' && el.maxLength > 0 ? ` maxlength="${Math.floor(el.maxLength)}"` : '';
      const attrs = `id="${id}" name="${escapeHtml(str(el.id))}" placeholder="${escapeHtml(str(el.placeholder))}"${max}${formAttr(form)}${el.isRequired === true ? ' required' : ''}`;
      const field =
        el.isMultiline === true ? `<textarea ${attrs} rows="3"></textarea>` : `<input type="text" ${attrs}>`;
      return `<div class="ac-input"><label for="${id}">${escapeHtml(str(el.label))}</label>${field}</div>`;
    }
    default:
      // Anything else is not part of the subset our cards use: left out.
      return '';
  }
}

function renderElements(items: unknown, ctx: Ctx, form: string | null): string {
  return list(items)
    .map((el) => renderElement(el, ctx, form))
    .join('');
}

function renderAction(a: Json, ctx: Ctx, formId: string | null): string {
  const title = escapeHtml(str(a.title));
  switch (a.type) {
    case 'Action.Execute': {
      const id = formId ?? nextId(ctx, 'f');
      const fields = Object.entries(ctx.options.hidden ?? {})
        .map(([k, v]) => hidden(k, v))
        .join('');
      const data = isObj(a.data) ? JSON.stringify(a.data) : '{}';
      return `<form id="${escapeHtml(id)}" method="post" action="${escapeHtml(ctx.options.action)}" class="ac-execute">${fields}${hidden('verb', str(a.verb))}${hidden('data', data)}<button type="submit" class="ac-button${cls('style', a.style)}">${title}</button></form>`;
    }
    case 'Action.ShowCard':
      return `<details class="ac-showcard"><summary class="ac-button">${title}</summary>${isObj(a.card) ? renderCard(a.card, ctx) : ''}</details>`;
    case 'Action.OpenUrl': {
      const url = str(a.url);
      if (!isWebUrl(url)) return '';
      return `<a class="ac-button" href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${title}</a>`;
    }
    default:
      return '';
  }
}

function renderCard(card: Json, ctx: Ctx): string {
  const actions = list(card.actions);
  // The form this level's inputs are posted with: its first Action.Execute that takes inputs.
  const taker = actions.find((a) => a.type === 'Action.Execute' && a.associatedInputs !== 'none');
  const formId = taker !== undefined ? nextId(ctx, 'f') : null;
  const body = renderElements(card.body, ctx, formId);
  const buttons = actions.map((a) => renderAction(a, ctx, a === taker ? formId : null)).join('');
  return `<div class="ac-card">${body}${buttons !== '' ? `<div class="ac-actions">${buttons}</div>` : ''}</div>`;
}

/** One Adaptive Card as HTML (an empty string for anything that is not a card). */
export function adaptiveCardHtml(card: unknown, options: CardHtmlOptions): string {
  if (!isObj(card) || card.type !== 'AdaptiveCard') return '';
  const prefix = `ac-${options.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return renderCard(card, { options, prefix, seq: { n: 0 } });
}

/** Styles for the classes above, for the page that shows the cards. */
export const ADAPTIVE_CARD_CSS = `
.ac-card{display:grid;gap:4px}.ac-text{margin:0}.ac-bolder{font-weight:600}.ac-subtle{color:#616161}
.ac-size-small{font-size:12px}.ac-size-medium{font-size:16px}.ac-size-large{font-size:19px}
.ac-color-attention{color:#c4314b}.ac-color-good{color:#237b4b}.ac-color-warning{color:#835c00}
.ac-align-right{text-align:right}.ac-align-center{text-align:center}
.ac-facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}.ac-facts dt{font-weight:600}.ac-facts dd{margin:0}
.ac-columns{display:flex;gap:12px}.ac-column{flex:0 0 auto}.ac-column.ac-width-stretch{flex:1 1 auto}
.ac-container{padding:6px 8px;border-radius:4px}.ac-style-emphasis{background:#f5f5f5}.ac-style-good{background:#e7f2da}
.ac-style-attention{background:#fcf4f6}.ac-style-warning{background:#fbf6d9}.ac-style-accent{background:#e8ebfa}
.ac-input{display:grid;gap:2px}.ac-actions{display:flex;flex-wrap:wrap;gap:6px;align-items:flex-start;margin-top:6px}
.ac-execute{display:inline}.ac-button{border:1px solid #bbb;background:#fff;border-radius:4px;padding:4px 10px;cursor:pointer;color:inherit;text-decoration:none;display:inline-block}
.ac-style-positive{background:#5b5fc7;color:#fff;border-color:#5b5fc7}.ac-style-destructive{background:#c4314b;color:#fff;border-color:#c4314b}
.ac-showcard{flex-basis:100%}.ac-showcard>summary{list-style:none}.ac-showcard[open]>summary{background:#eee}
.ac-image{max-width:100%}
`;
