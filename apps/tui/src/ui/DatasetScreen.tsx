import type { FormatName } from '@autorec/data';
import { Box, Text, useInput } from 'ink';
import { truncateEnd } from '../text.ts';
import { KeyHelp } from './KeyHelp.tsx';
import type { DatasetOption, PathCheck } from './store.ts';
import { TextInput } from './TextInput.tsx';

export interface DatasetScreenProps {
  options: readonly DatasetOption[];
  index: number;
  path: string;
  format: FormatName;
  editing: boolean;
  /** Metadata file (play-count files only) and which field has the cursor. */
  metadataPath?: string;
  field?: 'path' | 'metadata';
  pathCheck?: PathCheck;
  metadataCheck?: PathCheck;
  message?: string;
  width?: number;
  onMove: (delta: number) => void;
  onChoose: () => void;
  onPath: (path: string) => void;
  onMetadataPath?: (path: string) => void;
  onField?: () => void;
  onFormat: (delta: number) => void;
  onCancel: () => void;
}

const LABEL = 10;

/** What the look at a typed path found, in green or red, under its field. */
function CheckLine({ check, value, width }: { check?: PathCheck; value: string; width: number }) {
  if (value.trim() === '') return null;
  if (!check || check.path !== value.trim()) return <Text dimColor>{' '.repeat(LABEL)}checking…</Text>;
  return (
    <Text color={check.ok ? 'green' : 'red'}>
      {' '.repeat(LABEL)}
      {truncateEnd(`${check.ok ? '✓' : '✗'} ${check.text}`, width - LABEL)}
    </Text>
  );
}

/**
 * Step 1: the embedded default, the tiny preset, a prepared cache or a play-count file with
 * its format and, optionally, a metadata file for artist names and titles. Typed paths are
 * checked as they are typed, and Enter goes on only with ones that are there.
 */
export function DatasetScreen(props: DatasetScreenProps) {
  const { options, index, editing, width = 100 } = props;
  const option = options[index];
  const file = option.kind === 'file';
  const field = file ? (props.field ?? 'path') : 'path';
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
      if (!file) return;
      if (key.tab) props.onFormat(key.shift ? -1 : 1);
      else if (key.upArrow || key.downArrow) props.onField?.();
    },
    { isActive: editing },
  );
  const fieldWidth = width - LABEL;
  return (
    <Box flexDirection="column">
      <Text bold>1 · Choose a dataset</Text>
      <Box flexDirection="column" marginTop={1}>
        {options.map((o, i) => (
          <Text key={o.label} color={i === index ? 'cyan' : undefined}>
            {i === index ? '❯ ' : '  '}
            {truncateEnd(o.label, width - 2)}
          </Text>
        ))}
      </Box>
      {editing && (
        <Box flexDirection="column" marginTop={1}>
          <Box>
            <Text color={field === 'path' ? 'cyan' : undefined}>
              {(option.kind === 'cache' ? 'folder:' : 'file:').padEnd(LABEL)}
            </Text>
            <TextInput
              value={props.path}
              onChange={props.onPath}
              onSubmit={props.onChoose}
              onCancel={props.onCancel}
              placeholder={option.kind === 'cache' ? 'prepared/' : 'user_artists.dat'}
              focus={field === 'path'}
              width={fieldWidth}
            />
          </Box>
          <CheckLine check={props.pathCheck} value={props.path} width={width} />
          {file && (
            <>
              <Text>
                {'format:'.padEnd(LABEL)}
                <Text color="cyan">{props.format}</Text> <Text dimColor>(Tab to change)</Text>
              </Text>
              <Box>
                <Text color={field === 'metadata' ? 'cyan' : undefined}>{'metadata:'.padEnd(LABEL)}</Text>
                <TextInput
                  value={props.metadataPath ?? ''}
                  onChange={(p) => props.onMetadataPath?.(p)}
                  onSubmit={props.onChoose}
                  onCancel={props.onCancel}
                  placeholder="optional: artists.dat or unique_tracks.txt, for names"
                  focus={field === 'metadata'}
                  width={fieldWidth}
                />
              </Box>
              <CheckLine check={props.metadataCheck} value={props.metadataPath ?? ''} width={width} />
            </>
          )}
        </Box>
      )}
      {props.message && <Text color="yellow">{props.message}</Text>}
      <KeyHelp
        keys={
          editing
            ? [
                ['Enter', 'use these'],
                ['Esc', 'back to the list'],
                ...(file
                  ? ([
                      ['↑↓', 'file / metadata'],
                      ['Tab', 'format'],
                    ] as const)
                  : []),
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
