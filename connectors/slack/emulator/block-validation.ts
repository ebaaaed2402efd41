// Block Kit as Slack checks it: the documented limits on blocks, elements, text objects and views. A message or
// view that breaks one is refused the way Slack refuses it (invalid_blocks, invalid_arguments, view_too_large).
import { isObject } from './json.js';

function checkText(v: unknown, max: number, where: string, plainOnly = false): string | null {
  if (!isObject(v) || typeof v.text !== 'string') return `${where}: missing text object`;
  if (v.type !== 'plain_text' && (plainOnly || v.type !== 'mrkdwn'))
    return `${where}: must be ${plainOnly ? 'plain_text' : 'a text object'}`;
  if (v.text.length === 0) return `${where}: must not be empty`;
  if (v.text.length > max) return `${where}: must be less than ${max + 1} characters`;
  return null;
}

function checkElement(el: unknown, where: string): string | null {
  if (!isObject(el) || typeof el.type !== 'string') return `${where}: element without type`;
  if (typeof el.action_id === 'string' && el.action_id.length > 255) return `${where}: action_id too long`;
  switch (el.type) {
    case 'button': {
      const t = checkText(el.text, 75, `${where}.text`, true);
      if (t !== null) return t;
      if (typeof el.value === 'string' && el.value.length > 2000)
        return `${where}.value: must be less than 2001 characters`;
      if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') return `${where}.style: invalid`;
      return null;
    }
    case 'static_select': {
      if (!Array.isArray(el.options) || el.options.length === 0) return `${where}.options: required`;
      if (el.options.length > 100) return `${where}.options: must provide at most 100 items`;
      for (const [i, o] of el.options.entries()) {
        const t = checkText(isObject(o) ? o.text : null, 75, `${where}.options[${i}].text`, true);
        if (t !== null) return t;
        if (!isObject(o) || typeof o.value !== 'string' || o.value.length > 150)
          return `${where}.options[${i}].value: invalid`;
      }
      return null;
    }
    case 'plain_text_input':
      if (typeof el.max_length === 'number' && el.max_length > 3000) return `${where}.max_length: at most 3000`;
      return null;
    default:
      return null;
  }
}

/** Returns the first problem with the blocks, or null when Slack would accept them. */
export function validateBlocks(blocks: unknown, maxBlocks: number): string | null {
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > maxBlocks) return `no more than ${maxBlocks} items allowed`;
  const ids = new Set<string>();
  for (const [i, b] of blocks.entries()) {
    const where = `[${i}]`;
    if (!isObject(b) || typeof b.type !== 'string') return `${where}: block without type`;
    if (b.block_id !== undefined) {
      if (typeof b.block_id !== 'string' || b.block_id.length > 255) return `${where}.block_id: invalid`;
      if (ids.has(b.block_id)) return `${where}.block_id: duplicate "${b.block_id}"`;
      ids.add(b.block_id);
    }
    switch (b.type) {
      case 'header': {
        const t = checkText(b.text, 150, `${where}.text`, true);
        if (t !== null) return t;
        break;
      }
      case 'section': {
        if (b.text === undefined && b.fields === undefined) return `${where}: section needs text or fields`;
        if (b.text !== undefined) {
          const t = checkText(b.text, 3000, `${where}.text`);
          if (t !== null) return t;
        }
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length > 10) return `${where}.fields: at most 10 items`;
          for (const [j, f] of b.fields.entries()) {
            const t = checkText(f, 2000, `${where}.fields[${j}]`);
            if (t !== null) return t;
          }
        }
        if (b.accessory !== undefined) {
          const t = checkElement(b.accessory, `${where}.accessory`);
          if (t !== null) return t;
        }
        break;
      }
      case 'actions': {
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) {
          return `${where}.elements: between 1 and 25 items`;
        }
        for (const [j, el] of b.elements.entries()) {
          const t = checkElement(el, `${where}.elements[${j}]`);
          if (t !== null) return t;
        }
        break;
      }
      case 'context': {
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) {
          return `${where}.elements: between 1 and 10 items`;
        }
        break;
      }
      case 'input': {
        const t = checkText(b.label, 2000, `${where}.label`, true);
        if (t !== null) return t;
        const e = checkElement(b.element, `${where}.element`);
        if (e !== null) return e;
        break;
      }
      case 'divider':
      case 'image':
      case 'rich_text':
        break;
      default:
        return `${where}: unsupported block type "${b.type}"`;
    }
  }
  return null;
}

export function validateView(view: unknown, expected: 'modal' | 'home'): string | null {
  if (!isObject(view)) return 'view must be an object';
  if (view.type !== expected) return `view.type must be ${expected}`;
  if (expected === 'modal') {
    for (const key of ['title', 'submit', 'close'] as const) {
      if (view[key] === undefined && key !== 'title') continue;
      const t = checkText(view[key], 24, `view.${key}`, true);
      if (t !== null) return t;
    }
  }
  if (typeof view.callback_id === 'string' && view.callback_id.length > 255) return 'view.callback_id: too long';
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000)
    return 'view.private_metadata: too long';
  if (JSON.stringify(view).length > 250_000) return 'view_too_large';
  return validateBlocks(view.blocks, 100);
}
