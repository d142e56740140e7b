import { sql, PostgreSQL, MySQL, SQLite } from '@codemirror/lang-sql';
import CodeMirror, { EditorView } from '@uiw/react-codemirror';
import { useMemo } from 'react';

const DIALECTS = { postgres: PostgreSQL, mysql: MySQL, sqlite: SQLite } as const;

/**
 * The SQL editor: CodeMirror 6 with SQL highlighting for the datasource's dialect.
 * Ctrl+Enter (Cmd+Enter on macOS) runs the query.
 */
export function SqlEditor({
  value,
  onChange,
  onRun,
  dialect,
  label,
}: {
  value: string;
  onChange: (v: string) => void;
  onRun: () => void;
  dialect?: string;
  label: string;
}) {
  const extensions = useMemo(
    () => [
      sql({ dialect: DIALECTS[dialect as keyof typeof DIALECTS] ?? PostgreSQL }),
      // The editable element (role textbox) needs the name too, not only its wrapper (axe).
      EditorView.contentAttributes.of({ 'aria-label': label }),
    ],
    [dialect, label],
  );
  return (
    <div
      className="sql-editor"
      // Capture phase: runs before CodeMirror would insert a line break, and stops it.
      onKeyDownCapture={(e) => {
        if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
          e.preventDefault();
          e.stopPropagation();
          onRun();
        }
      }}
    >
      <CodeMirror
        value={value}
        onChange={onChange}
        extensions={extensions}
        minHeight="120px"
        maxHeight="320px"
        basicSetup={{ foldGutter: false, highlightActiveLine: false }}
        aria-label={label}
        data-testid="sql-editor"
      />
    </div>
  );
}
