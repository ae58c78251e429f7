/** HTML text helpers shared by the dashboard and its pictures: escaped, so names and causes from Azure or a plan are never markup. */

/** Escapes the five characters that could open markup or end an attribute value. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
