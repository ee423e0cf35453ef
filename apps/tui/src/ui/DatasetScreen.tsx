import type { FormatName } from '@autorec/data';
import { Box, Text, useInput } from 'ink';
import { KeyHelp } from './KeyHelp.tsx';
import type { DatasetOption } from './store.ts';
import { TextInput } from './TextInput.tsx';

export interface DatasetScreenProps {
  options: readonly DatasetOption[];
  index: number;
  path: string;
  format: FormatName;
  editing: boolean;
  message?: string;
  onMove: (delta: number) => void;
  onChoose: () => void;
  onPath: (path: string) => void;
  onFormat: (delta: number) => void;
  onCancel: () => void;
}

/** Step 1: the embedded default, the tiny preset, a prepared cache or a play-count file. */
export function DatasetScreen(props: DatasetScreenProps) {
  const { options, index, editing } = props;
  const option = options[index];
  useInput(
    (_input, key) => {
      if (key.upArrow) props.onMove(-1);
      else if (key.downArrow) props.onMove(1);
      else if (key.return) props.onChoose();
    },
    { isActive: !editing },
  );
  useInput(
    (_input, key) => {
      if (option.kind === 'file' && key.tab) props.onFormat(key.shift ? -1 : 1);
    },
    { isActive: editing },
  );
  return (
    <Box flexDirection="column">
      <Text bold>1 · Choose a dataset</Text>
      <Box flexDirection="column" marginTop={1}>
        {options.map((o, i) => (
          <Text key={o.label} color={i === index ? 'cyan' : undefined}>
            {i === index ? '❯ ' : '  '}
            {o.label}
          </Text>
        ))}
      </Box>
      {editing && (
        <Box flexDirection="column" marginTop={1}>
          <Box>
            <Text>{option.kind === 'cache' ? 'cache folder: ' : 'file: '}</Text>
            <TextInput
              value={props.path}
              onChange={props.onPath}
              onSubmit={props.onChoose}
              onCancel={props.onCancel}
              placeholder={option.kind === 'cache' ? 'prepared/' : 'train_triplets.txt'}
            />
          </Box>
          {option.kind === 'file' && (
            <Text>
              format: <Text color="cyan">{props.format}</Text> <Text dimColor>(Tab to change)</Text>
            </Text>
          )}
        </Box>
      )}
      {props.message && <Text color="yellow">{props.message}</Text>}
      <KeyHelp
        keys={
          editing
            ? [
                ['Enter', 'use this path'],
                ['Esc', 'back to the list'],
                ...(option.kind === 'file' ? ([['Tab', 'format']] as const) : []),
              ]
            : [
                ['↑↓', 'move'],
                ['Enter', 'choose'],
                ['q', 'quit'],
              ]
        }
      />
    </Box>
  );
}
