import { Box, Text, useInput } from 'ink';
import { songLabel } from '../models.ts';
import { truncateEnd } from '../text.ts';
import { KeyHelp, singular } from './KeyHelp.tsx';
import { SongList } from './SongList.tsx';
import type { SimilarState } from './store.ts';

export interface SimilarScreenProps {
  similar: SimilarState;
  modelLabel: string;
  width: number;
  height: number;
  /** What the items are, plural (`artists` for Last.fm, `movies` for MovieLens). */
  noun?: string;
  onMove: (delta: number) => void;
  onOpen: () => void;
  onBack: () => void;
}

/** Songs similar to the opened one, by the model's own song representation; Enter goes deeper. */
export function SimilarScreen({
  similar,
  modelLabel,
  width,
  height,
  noun = 'songs',
  onMove,
  onOpen,
  onBack,
}: SimilarScreenProps) {
  useInput((_input, key) => {
    if (key.upArrow) onMove(-1);
    else if (key.downArrow) onMove(1);
    else if (key.return) onOpen();
    else if (key.escape || key.backspace) onBack();
  });
  return (
    <Box flexDirection="column">
      <Text bold>Similar {noun}</Text>
      <Text>
        {truncateEnd(`to ${songLabel(similar.song)} (${similar.song.id}, by ${modelLabel})`, width)}
      </Text>
      <Box marginTop={1}>
        <SongList
          title="Most similar · cosine similarity"
          items={similar.items}
          selected={similar.selected}
          value={(i) => i.score.toFixed(3)}
          width={Math.min(width, 90)}
          rows={height - 7}
        />
      </Box>
      <KeyHelp
        keys={[
          ['↑↓', singular(noun)],
          ['Enter', 'open'],
          ['Esc', 'back'],
          ['q', 'quit'],
        ]}
      />
    </Box>
  );
}
