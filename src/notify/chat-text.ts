/**
 * Free text in a chat message is data, not markup. An operator's name and reason reach a notice through the
 * API (`POST /api/releases/{id}/pause` with `{ actor, reason }`), and ring, region, image and scale set names come
 * from plans and ARM: none of it may turn into a link that hides its target, a channel-wide ping, or formatting
 * the sender did not write. Each channel renders its own markup, so each has its own escaper; the card or message
 * builder applies it to every free-text piece and writes its own markup (`**Next step:**`) around the result.
 *
 * Both escapers first make the text one line (a line break starts a list, a heading or a quote) and break every
 * `scheme://` with a zero-width space, so that a URL in free text reads as it is but is not turned into a link
 * (Teams and Slack both link bare URLs). A bare domain (`evil.example`) may still be linked by a client; it then
 * shows its own target, never a disguised one: the disguising forms (`[text](url)`, `<url|text>`) are escaped.
 */

const ZWSP = '\u200b';

/** One line: runs of line breaks and tabs become one space; other control characters are dropped. */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\r\n\t\v\f\u2028\u2029]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '');
}

/** `https://x` → `https:\u200b//x` (any scheme), and `www.x` → `www\u200b.x`. */
function unlinkUrls(s: string): string {
  return s.replace(/([a-z][a-z0-9+.-]*):(?=\/\/)/gi, `$1:${ZWSP}`).replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`);
}

/**
 * Adaptive Card TextBlock and FactSet text (the CommonMark subset Teams renders: bold, italic, lists, links).
 * Every markup character gets a backslash, as CommonMark's backslash escapes allow for any ASCII punctuation:
 * `\ [ ] ( ) * _ ` ~ # > < ! { } |`, and a leading list marker or rule (`-`, `+`, `1.`, `---`). Braces too, so that
 * `{{DATE(…)}}` in free text is not turned into a date by the card's date functions.
 *
 * @example escapeTeamsMarkdown('[Approve here](https://evil.example)') === '\\[Approve here\\]\\(https:\u200b//evil.example\\)'
 */
export function escapeTeamsMarkdown(s: string): string {
  return unlinkUrls(oneLine(s))
    .replace(/[\\[\]()*_`~#><!{}|]/g, '\\$&')
    .replace(/^(\s*)([-+])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])(?=\s|$)/, '$1\\$2');
}

/** Look-alikes for Slack's formatting markers, which mrkdwn has no escape for. */
const SLACK_MARKER: Record<string, string> = { '*': '\u2217', _: '\u02cd', '~': '\u223c', '`': '\u02cb' };

/**
 * Slack mrkdwn (section and context text, fields, and the message's top-level `text`, which Slack parses too).
 * `&`, `<` and `>` become `&amp;`, `&lt;`, `&gt;` as Slack asks (https://api.slack.com/reference/surfaces/formatting#escaping):
 * that alone neutralises `<!channel>`, `<!here>`, `<@U…>`, `<#C…>` and `<url|text>`, which all need a real `<`.
 * `@channel`, `@here` and `@everyone` as plain words get a zero-width space after the `@` (they ping when a
 * message is sent with `link_names`). Slack has no escape for `*`, `_`, `~` and the backtick, so where one could
 * open or close formatting (not inside a word: `vmss_prod_1` stays as it is) it becomes a look-alike
 * (`∗`, `ˍ`, `∼`, `ˋ`); a leading `>` (a quote, once the text starts a line) gets a zero-width space before it.
 *
 * @example escapeMrkdwn('<!channel> *now*') === '&lt;!channel&gt; \u2217now\u2217'
 */
export function escapeMrkdwn(s: string): string {
  const t = unlinkUrls(oneLine(s))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, `@${ZWSP}$1`);
  let out = '';
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    const look = SLACK_MARKER[c];
    out += look !== undefined && !(isWordChar(t[i - 1]) && isWordChar(t[i + 1])) ? look : c;
  }
  return out.replace(/^(\s*)&gt;/, `$1${ZWSP}&gt;`);
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}
