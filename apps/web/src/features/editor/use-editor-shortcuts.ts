import { useEffect, useRef } from 'react';

const TEXT_INPUT_TYPES = new Set([
  '',
  'text',
  'search',
  'url',
  'tel',
  'email',
  'password',
  'number',
]);

/**
 * True when `target` edits text with an undo history of its own: a CodeMirror editor, a
 * textarea, a contenteditable, or a text-like input. Ctrl+Z there belongs to that field.
 * (A select, checkbox or button has no text history: Ctrl+Z there is the editor's.)
 */
export function isTextEditing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.closest('.cm-editor')) return true;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true;
  return (
    target instanceof HTMLInputElement && TEXT_INPUT_TYPES.has(target.getAttribute('type') ?? '')
  );
}

/** Which history command a key press asks for: Ctrl/⌘+Z, Ctrl/⌘+Shift+Z or Ctrl+Y. */
export function historyCommandOf(e: KeyboardEvent): 'undo' | 'redo' | null {
  if (e.altKey || !(e.ctrlKey || e.metaKey)) return null;
  const key = e.key.toLowerCase();
  if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
  if (key === 'y' && e.ctrlKey && !e.shiftKey) return 'redo';
  return null;
}

/**
 * The editor's undo keys, and the guard that keeps a document-wide undo out of editors that
 * are not focused.
 *
 * - Ctrl/⌘+Z, Ctrl/⌘+Shift+Z and Ctrl+Y with focus outside a text field: the browser's own
 *   undo is cancelled (`preventDefault`) and `onUndo`/`onRedo` run. Chromium's undo stack is
 *   per document: without this, Ctrl+Z on the canvas undid the last typing in the SQL editor
 *   (CodeMirror answers the `historyUndo` input event sent to it).
 * - Inside a text field (CodeMirror, textarea, text input) the keys are left to that field.
 * - Any `beforeinput` of type `historyUndo`/`historyRedo` (Edit menu, context menu, a stray
 *   keyboard path) aimed at an element that does not hold the focus is cancelled and stopped
 *   in the capture phase, before CodeMirror's own listener can see it.
 * Inside an open modal dialog the keys do nothing (the dialog owns the keyboard).
 */
export function useUndoShortcuts(onUndo: () => void, onRedo: () => void): void {
  const handlers = useRef({ onUndo, onRedo });
  useEffect(() => {
    handlers.current = { onUndo, onRedo };
  }, [onUndo, onRedo]);

  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      const command = historyCommandOf(e);
      if (!command || isTextEditing(e.target)) return;
      e.preventDefault();
      if (e.target instanceof Element && e.target.closest('dialog[open]')) return;
      if (command === 'undo') handlers.current.onUndo();
      else handlers.current.onRedo();
    };
    const onBeforeInput = (e: InputEvent) => {
      if (e.inputType !== 'historyUndo' && e.inputType !== 'historyRedo') return;
      const active = document.activeElement;
      if (e.target instanceof Node && active && e.target.contains(active)) return;
      e.preventDefault();
      e.stopImmediatePropagation();
    };
    window.addEventListener('keydown', onKeyDown, true);
    window.addEventListener('beforeinput', onBeforeInput, true);
    return () => {
      window.removeEventListener('keydown', onKeyDown, true);
      window.removeEventListener('beforeinput', onBeforeInput, true);
    };
  }, []);
}
