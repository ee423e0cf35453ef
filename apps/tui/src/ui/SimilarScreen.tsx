import { Box, Text, useInput } from 'ink';
import { songLabel } from '../models.ts';
import { KeyHelp } from './KeyHelp.tsx';
import { SongList } from './SongList.tsx';
import type { SimilarState } from './store.ts';

export interface SimilarScreenProps {
  similar: SimilarState;
  modelLabel: string;
  width: number;
  onMove: (delta: number) => void;
  onOpen: () => void;
  onBack: () => void;
}

/** Songs similar to the opened one, by the model's own song representation; Enter goes deeper. */
export function SimilarScreen({ similar, modelLabel, width, onMove, onOpen, onBack }: SimilarScreenProps) {
  useInput((_input, key) => {
    if (key.upArrow) onMove(-1);
    else if (key.downArrow) onMove(1);
    else if (key.return) onOpen();
    else if (key.escape || key.backspace) onBack();
  });
  return (
    <Box flexDirection="column">
      <Text bold>Similar songs</Text>
      <Text>
        to <Text color="cyan">{songLabel(similar.song)}</Text>{' '}
        <Text dimColor>
          ({similar.song.id}, by {modelLabel})
        </Text>
      </Text>
      <Box marginTop={1}>
        <SongList
          title="Most similar"
          items={similar.items}
          selected={similar.selected}
          value={(i) => i.score.toFixed(3)}
          width={Math.min(width, 90)}
        />
      </Box>
      <KeyHelp
        keys={[
          ['↑↓', 'song'],
          ['Enter', 'open'],
          ['Esc', 'back'],
          ['q', 'quit'],
        ]}
      />
    </Box>
  );
}
