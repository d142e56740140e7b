import { rawText } from './format-cell';

/** Cells a spreadsheet would read as a formula (OWASP "CSV Injection"): = + - @ tab CR. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain number (`-5`, `1.25`, `-1e-7`) is data, not a formula: it keeps its sign. */
const NUMBER_LITERAL = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * One CSV field: the value as given (`rawText`: strings unchanged, JSON as JSON, null empty),
 * prefixed with `'` when it would start a spreadsheet formula (OWASP CSV Injection, unless it
 * is a plain number literal), then quoted per RFC 4180 §2 when it holds `"`, `,`, CR or LF
 * (inner quotes doubled). Also quoted when it holds `;` or a tab: spreadsheets in locales whose
 * list separator is `;` (de-DE, fr-FR) split there, and `x;=cmd...` would start a formula cell.
 */
export function csvField(value: unknown): string {
  let text = rawText(value);
  if (FORMULA_START.test(text) && !NUMBER_LITERAL.test(text)) text = `'${text}`;
  return /[",;\t\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A CSV document (RFC 4180): a header line of column names, then one line per row, CRLF line
 * breaks and a final CRLF. Column names get the same quoting and formula guard as values.
 */
export function toCsv(columns: string[], rows: Record<string, unknown>[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** A file name from a table label: letters, digits, `-` and `_` kept, the rest `_`. */
export function csvFileName(label: string): string {
  const base = label.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '') || 'table';
  return `${base}.csv`;
}

/** Starts a browser download of `csv` as a UTF-8 `text/csv` file named `fileName`. */
export function downloadCsv(csv: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked after the click has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
