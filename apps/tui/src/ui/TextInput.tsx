import { Text, useInput } from 'ink';

export interface TextInputProps {
  value: string;
  onChange: (value: string) => void;
  onSubmit: () => void;
  onCancel: () => void;
  placeholder?: string;
}

/** A one-line text field: typing appends, Backspace deletes, Enter submits, Esc cancels. */
export function TextInput({ value, onChange, onSubmit, onCancel, placeholder }: TextInputProps) {
  useInput((input, key) => {
    if (key.return) onSubmit();
    else if (key.escape) onCancel();
    else if (key.backspace || key.delete) onChange(value.slice(0, -1));
    else if (!key.ctrl && !key.meta && input && !key.upArrow && !key.downArrow && !key.tab)
      onChange(value + input);
  });
  return (
    <Text>
      {value === '' && placeholder ? <Text dimColor>{placeholder}</Text> : value}
      <Text inverse> </Text>
    </Text>
  );
}
