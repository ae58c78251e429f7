/**
 * Hand-written structural checks of the two chat payload formats, written from their published rules:
 * Adaptive Cards 1.5 (https://adaptivecards.io/explorer/, the elements and actions we use) and Slack Block Kit
 * (https://api.slack.com/reference/block-kit/blocks, with its length limits). They return a list of problems.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUrl = (v: unknown) => typeof v === 'string' && /^https?:\/\/\S+$/.test(v);

const COMMON_ELEMENT_PROPS = ['type', 'id', 'isVisible', 'separator', 'spacing', 'height', 'requires', 'fallback'];
const SPACING = ['default', 'none', 'small', 'medium', 'large', 'extraLarge', 'padding'];

const ELEMENTS: Record<string, { props: string[]; check: (e: Obj, path: string, out: string[]) => void }> = {
  TextBlock: {
    props: ['text', 'color', 'fontType', 'horizontalAlignment', 'isSubtle', 'maxLines', 'size', 'weight', 'wrap', 'style'],
    check: (e, p, out) => {
      if (typeof e.text !== 'string') out.push(`${p}.text: required string`);
      enumCheck(e.size, ['Default', 'Small', 'Medium', 'Large', 'ExtraLarge'], `${p}.size`, out);
      enumCheck(e.weight, ['Default', 'Lighter', 'Bolder'], `${p}.weight`, out);
      enumCheck(e.color, ['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention'], `${p}.color`, out);
      enumCheck(e.style, ['default', 'heading'], `${p}.style`, out);
      if (e.wrap !== undefined && typeof e.wrap !== 'boolean') out.push(`${p}.wrap: boolean`);
    },
  },
  FactSet: {
    props: ['facts'],
    check: (e, p, out) => {
      if (!Array.isArray(e.facts)) return void out.push(`${p}.facts: required array`);
      e.facts.forEach((f, i) => {
        if (!isObj(f) || typeof f.title !== 'string' || typeof f.value !== 'string') {
          out.push(`${p}.facts[${i}]: needs string title and value`);
        } else {
          for (const k of Object.keys(f)) if (k !== 'title' && k !== 'value') out.push(`${p}.facts[${i}].${k}: unknown`);
        }
      });
    },
  },
  Container: {
    props: ['items', 'style', 'verticalContentAlignment', 'bleed', 'minHeight', 'rtl', 'selectAction', 'backgroundImage'],
    check: (e, p, out) => {
      if (!Array.isArray(e.items)) out.push(`${p}.items: required array`);
      else e.items.forEach((it, i) => checkElement(it, `${p}.items[${i}]`, out));
    },
  },
};

function enumCheck(v: unknown, values: string[], path: string, out: string[]): void {
  if (v !== undefined && (typeof v !== 'string' || !values.some((x) => x.toLowerCase() === v.toLowerCase()))) {
    out.push(`${path}: not one of ${values.join('|')}`);
  }
}

function checkElement(e: unknown, path: string, out: string[]): void {
  if (!isObj(e)) return void out.push(`${path}: must be an object`);
  const def = typeof e.type === 'string' ? ELEMENTS[e.type] : undefined;
  if (!def) return void out.push(`${path}.type: unknown element ${String(e.type)}`);
  for (const k of Object.keys(e)) {
    if (!COMMON_ELEMENT_PROPS.includes(k) && !def.props.includes(k)) out.push(`${path}.${k}: unknown property`);
  }
  enumCheck(e.spacing, SPACING, `${path}.spacing`, out);
  def.check(e, path, out);
}

/** Problems with an Adaptive Card 1.5 (empty when well formed). */
export function checkAdaptiveCard(card: unknown): string[] {
  const out: string[] = [];
  if (!isObj(card)) return ['card: must be an object'];
  if (card.type !== 'AdaptiveCard') out.push('card.type: must be "AdaptiveCard"');
  if (card.version !== '1.5') out.push('card.version: must be "1.5"');
  for (const k of Object.keys(card)) {
    if (!['type', 'version', '$schema', 'body', 'actions', 'msteams', 'fallbackText', 'speak', 'lang', 'minHeight', 'rtl'].includes(k)) {
      out.push(`card.${k}: unknown property`);
    }
  }
  if (card.body !== undefined) {
    if (!Array.isArray(card.body)) out.push('card.body: must be an array');
    else card.body.forEach((e, i) => checkElement(e, `card.body[${i}]`, out));
  }
  if (card.actions !== undefined) {
    if (!Array.isArray(card.actions)) out.push('card.actions: must be an array');
    else
      card.actions.forEach((a, i) => {
        const p = `card.actions[${i}]`;
        if (!isObj(a)) return void out.push(`${p}: must be an object`);
        if (a.type !== 'Action.OpenUrl') return void out.push(`${p}.type: unsupported ${String(a.type)}`);
        if (!isUrl(a.url)) out.push(`${p}.url: required URL`);
        if (a.title !== undefined && typeof a.title !== 'string') out.push(`${p}.title: string`);
        for (const k of Object.keys(a)) {
          if (!['type', 'url', 'title', 'iconUrl', 'id', 'style', 'fallback', 'tooltip', 'isEnabled', 'mode', 'requires'].includes(k)) {
            out.push(`${p}.${k}: unknown property`);
          }
        }
      });
  }
  return out;
}

/** Problems with a Teams Workflows message envelope. */
export function checkWorkflowsMessage(msg: unknown): string[] {
  if (!isObj(msg)) return ['message: must be an object'];
  const out: string[] = [];
  if (msg.type !== 'message') out.push('message.type: must be "message"');
  if (!Array.isArray(msg.attachments) || msg.attachments.length !== 1) {
    out.push('message.attachments: must hold one attachment');
    return out;
  }
  const att: unknown = msg.attachments[0];
  if (!isObj(att)) return [...out, 'message.attachments[0]: must be an object'];
  if (att.contentType !== 'application/vnd.microsoft.card.adaptive') out.push('message.attachments[0].contentType: wrong');
  return [...out, ...checkAdaptiveCard(att.content)];
}

function textObject(t: unknown, path: string, out: string[], opts: { plainOnly?: boolean; max: number }): void {
  if (!isObj(t)) return void out.push(`${path}: text object required`);
  if (t.type !== 'plain_text' && (opts.plainOnly || t.type !== 'mrkdwn')) out.push(`${path}.type: bad ${String(t.type)}`);
  if (typeof t.text !== 'string' || t.text.length === 0) out.push(`${path}.text: required`);
  else if (t.text.length > opts.max) out.push(`${path}.text: longer than ${opts.max}`);
}

/** Problems with a Slack message of Block Kit blocks. */
export function checkSlackMessage(msg: unknown): string[] {
  if (!isObj(msg)) return ['message: must be an object'];
  const out: string[] = [];
  if (typeof msg.text !== 'string' || msg.text === '') out.push('message.text: fallback text required');
  if (!Array.isArray(msg.blocks)) return [...out, 'message.blocks: required'];
  if (msg.blocks.length > 50) out.push('message.blocks: more than 50');
  const actionIds = new Set<string>();
  msg.blocks.forEach((b, i) => {
    const p = `blocks[${i}]`;
    if (!isObj(b)) return void out.push(`${p}: must be an object`);
    switch (b.type) {
      case 'header':
        textObject(b.text, `${p}.text`, out, { plainOnly: true, max: 150 });
        break;
      case 'section':
        if (b.text === undefined && b.fields === undefined) out.push(`${p}: needs text or fields`);
        if (b.text !== undefined) textObject(b.text, `${p}.text`, out, { max: 3000 });
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length > 10) out.push(`${p}.fields: at most 10`);
          else b.fields.forEach((f, j) => textObject(f, `${p}.fields[${j}]`, out, { max: 2000 }));
        }
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) out.push(`${p}.elements: 1–10`);
        else b.elements.forEach((e, j) => textObject(e, `${p}.elements[${j}]`, out, { max: 3000 }));
        break;
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) out.push(`${p}.elements: 1–25`);
        else
          b.elements.forEach((e, j) => {
            const q = `${p}.elements[${j}]`;
            if (!isObj(e) || e.type !== 'button') return void out.push(`${q}: only buttons expected`);
            textObject(e.text, `${q}.text`, out, { plainOnly: true, max: 75 });
            if (e.url !== undefined && (!isUrl(e.url) || String(e.url).length > 3000)) out.push(`${q}.url: bad`);
            if (typeof e.action_id !== 'string' || e.action_id.length > 255) out.push(`${q}.action_id: required ≤ 255`);
            else if (actionIds.has(e.action_id)) out.push(`${q}.action_id: duplicate`);
            else actionIds.add(e.action_id);
          });
        break;
      default:
        out.push(`${p}.type: unexpected ${String(b.type)}`);
    }
  });
  return out;
}
