import type { ModelName } from '@autorec/core';
import { Box, Text, useInput } from 'ink';
import { truncateEnd } from '../text.ts';
import { KeyHelp } from './KeyHelp.tsx';
import type { KeyParams } from './store.ts';

export interface ModelsScreenProps {
  dataset: string;
  models: readonly ModelName[];
  selected: Readonly<Record<string, boolean>>;
  params: KeyParams;
  paramLabels: Readonly<Record<keyof KeyParams, string>>;
  cursor: number;
  message?: string;
  width?: number;
  onMove: (delta: number) => void;
  onToggle: () => void;
  onStep: (delta: number) => void;
  onStart: () => void;
  onBack: () => void;
}

const MODEL_NOTES: Partial<Record<ModelName, string>> = {
  'u-autorec': 'user-based AutoRec (the paper’s model)',
  'i-autorec': 'item-based AutoRec',
  svd: 'biased matrix factorisation (the paper’s baseline)',
  baseline: 'μ + b_u + b_i',
  popularity: 'most listened songs',
  'global-mean': 'one number for everyone',
  ials: 'implicit ALS: confidence-weighted factors for play counts',
  ease: 'EASE: closed-form item × item weights (small catalogues)',
};

/** Step 2: which models to compare and their key hyper-parameters. */
export function ModelsScreen(props: ModelsScreenProps) {
  useInput((input, key) => {
    if (key.upArrow) props.onMove(-1);
    else if (key.downArrow) props.onMove(1);
    else if (input === ' ') props.onToggle();
    else if (key.leftArrow) props.onStep(-1);
    else if (key.rightArrow) props.onStep(1);
    else if (key.return) props.onStart();
    else if (key.escape) props.onBack();
  });
  const paramKeys = Object.keys(props.paramLabels) as (keyof KeyParams)[];
  return (
    <Box flexDirection="column">
      <Text bold>2 · Models and hyper-parameters</Text>
      <Text dimColor>dataset: {truncateEnd(props.dataset, (props.width ?? 100) - 9)}</Text>
      <Box flexDirection="column" marginTop={1}>
        {props.models.map((m, i) => (
          <Text key={m} color={i === props.cursor ? 'cyan' : undefined}>
            {i === props.cursor ? '❯ ' : '  '}[{props.selected[m] ? 'x' : ' '}] {m.padEnd(12)}
            <Text dimColor>{MODEL_NOTES[m] ?? ''}</Text>
          </Text>
        ))}
      </Box>
      <Box flexDirection="column" marginTop={1}>
        {paramKeys.map((k, j) => {
          const i = props.models.length + j;
          const v = props.params[k];
          return (
            <Text key={k} color={i === props.cursor ? 'cyan' : undefined}>
              {i === props.cursor ? '❯ ' : '  '}
              {props.paramLabels[k].padEnd(34)} ◀ {v === undefined ? 'model default' : String(v)} ▶
            </Text>
          );
        })}
      </Box>
      {props.message && <Text color="yellow">{props.message}</Text>}
      <KeyHelp
        keys={[
          ['↑↓', 'move'],
          ['Space', 'toggle model'],
          ['←→', 'change value'],
          ['Enter', 'train and compare'],
          ['Esc', 'back'],
          ['q', 'quit'],
        ]}
      />
    </Box>
  );
}
