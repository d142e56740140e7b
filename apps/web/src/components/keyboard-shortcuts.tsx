import { useEffect, useState } from 'react';
import { Dialog } from './dialog';

export interface Shortcut {
  keys: string;
  description: string;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) ||
    target.closest('.cm-editor') !== null
  );
}

/**
 * The keyboard help: `?` (outside text fields) opens a dialog listing the shortcuts of the page.
 */
export function KeyboardHelp({ shortcuts }: { shortcuts: Shortcut[] }) {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === '?' && !isTyping(e.target) && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        setOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <>
      <button
        type="button"
        className="ghost"
        onClick={() => setOpen(true)}
        aria-label="Keyboard shortcuts"
        title="Keyboard shortcuts (?)"
      >
        ?
      </button>
      <Dialog open={open} title="Keyboard shortcuts" onClose={() => setOpen(false)}>
        <table className="shortcuts">
          <tbody>
            {[{ keys: '?', description: 'Show this help' }, ...shortcuts].map((s) => (
              <tr key={s.keys}>
                <td>
                  <kbd>{s.keys}</kbd>
                </td>
                <td>{s.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Dialog>
    </>
  );
}

/** Registers a global shortcut; `mod` means Ctrl on Windows/Linux and Cmd on macOS. */
export function useShortcut(
  match: { key: string; mod?: boolean; shift?: boolean },
  handler: () => void,
  enabled = true,
): void {
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      // A modal dialog owns the keyboard (Escape closes it natively); so do handled events.
      if (e.defaultPrevented) return;
      if (e.target instanceof Element && e.target.closest('dialog[open]')) return;
      const mod = e.ctrlKey || e.metaKey;
      if (e.key.toLowerCase() !== match.key.toLowerCase()) return;
      if (Boolean(match.mod) !== mod || Boolean(match.shift) !== e.shiftKey) return;
      if (!match.mod && isTyping(e.target)) return;
      e.preventDefault();
      handler();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [match.key, match.mod, match.shift, handler, enabled]);
}
