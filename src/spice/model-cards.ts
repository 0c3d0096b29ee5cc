/**
 * SPICE MOSFET model cards: the `.model` statements of a card file (parseModelCards), the card of one
 * polarity (pickCard) and a transistor library for the cell netlists from an nmos / pmos pair
 * (cardLibrary). Text only: nothing here runs an engine.
 */
import { DataError } from '../core/errors.ts';

export type Polarity = 'nmos' | 'pmos';

export interface ModelCard {
  name: string;
  type: Polarity;
  level?: number;
  /** the whole .model statement (continuation lines joined) */
  text: string;
}

/**
 * The `.model` statements of a card file (a .lib, .cir or a handlebars .lib.hbs whose model lines
 * are plain text). Comment lines, inline comments and handlebars lines are skipped.
 */
export function parseModelCards(text: string, file?: string): ModelCard[] {
  const stmts: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s[;$].*$/, '').trimEnd();
    const t = line.trim();
    if (t === '' || t.startsWith('*') || t.includes('{{')) continue;
    if (t.startsWith('+') && stmts.length > 0) stmts[stmts.length - 1] += ` ${t.slice(1).trim()}`;
    else stmts.push(t);
  }
  const cards: ModelCard[] = [];
  for (const s of stmts) {
    const m = /^\.model\s+(\S+)\s+(nmos|pmos)\b(.*)$/i.exec(s);
    if (!m) continue;
    const lv = /\blevel\s*=\s*([\d.]+)/i.exec(m[3]!);
    cards.push({ name: m[1]!, type: m[2]!.toLowerCase() as Polarity, ...(lv ? { level: Number(lv[1]) } : {}), text: s });
  }
  if (cards.length === 0) throw new DataError('no .model card of type nmos or pmos found', file);
  return cards;
}

/** The card of the given polarity (and name, when several match). */
export function pickCard(cards: ModelCard[], type: Polarity, name?: string, file?: string): ModelCard {
  const hits = cards.filter((c) => c.type === type && (name === undefined || c.name.toLowerCase() === name.toLowerCase()));
  if (hits.length === 0) throw new DataError(`no ${type} .model card${name ? ` named ${name}` : ''} (cards: ${cards.map((c) => `${c.name} ${c.type}`).join(', ')})`, file);
  if (hits.length > 1) throw new DataError(`several ${type} cards (${hits.map((c) => c.name).join(', ')}); name one with --model-name`, file);
  return hits[0]!;
}

/**
 * A transistor library for the cell netlists from a card file's nmos and pmos cards: the cards
 * renamed to fm_nch / fm_pch, then the fm_nfet / fm_pfet wrappers (the same as every library's).
 */
export function cardLibrary(nmos: ModelCard, pmos: ModelCard, wrappers: string): string {
  const rename = (c: ModelCard, to: string) => c.text.replace(/^\.model\s+\S+/i, `.model ${to}`);
  return [`* transistor library from the cards ${nmos.name} (nmos) and ${pmos.name} (pmos)`, rename(nmos, 'fm_nch'), rename(pmos, 'fm_pch'), wrappers].join('\n');
}
