import { Text, useInput } from 'ink';
import { useRef } from 'react';
import { displayWidth } from '../text.ts';

export interface TextInputProps {
  value: string;
  onChange: (value: string) => void;
  onSubmit: () => void;
  onCancel: () => void;
  placeholder?: string;
  /** Only the focused field takes keys and shows the cursor. */
  focus?: boolean;
  /** Cells the field may take; a longer value shows its end (where the typing is) after `…`. */
  width?: number;
}

/**
 * `text` after a chunk of typed input. A burst of keys can arrive as one chunk (a held-down
 * Backspace, a paste): erase characters act one by one, other control characters are dropped.
 */
export function edit(text: string, input: string): string {
  let out = Array.from(text);
  for (const ch of input) {
    if (ch === '\x7f' || ch === '\b') out = out.slice(0, -1);
    else if (ch >= ' ') out.push(ch);
  }
  return out.join('');
}

/** A one-line text field: typing appends, Backspace deletes, Enter submits, Esc cancels. */
export function TextInput({
  value,
  onChange,
  onSubmit,
  onCancel,
  placeholder,
  focus = true,
  width = Number.POSITIVE_INFINITY,
}: TextInputProps) {
  // Keys can arrive faster than renders (fast typing, a paste split in chunks): edit the latest
  // text, not the one of the last render, or all but the last key would be lost.
  const latest = useRef(value);
  latest.current = value;
  const change = (next: string) => {
    latest.current = next;
    onChange(next);
  };
  useInput(
    (input, key) => {
      if (key.return) onSubmit();
      else if (key.escape) onCancel();
      else if (key.backspace || key.delete) change(Array.from(latest.current).slice(0, -1).join(''));
      else if (!key.ctrl && !key.meta && input && !key.upArrow && !key.downArrow && !key.tab)
        change(edit(latest.current, input));
    },
    { isActive: focus },
  );
  let shown = value;
  const room = width - 1; // the cursor's cell
  if (displayWidth(shown) > room) {
    const chars = Array.from(shown);
    while (chars.length > 0 && displayWidth(`…${chars.join('')}`) > room) chars.shift();
    shown = `…${chars.join('')}`;
  }
  return (
    <Text>
      {value === '' && placeholder ? <Text dimColor>{placeholder}</Text> : shown}
      {focus ? <Text inverse> </Text> : null}
    </Text>
  );
}
