import { Box, Text, useInput } from 'ink';
import { KeyHelp } from './KeyHelp.tsx';
import { SongList } from './SongList.tsx';
import type { BrowseState } from './store.ts';

export interface BrowseScreenProps {
  browse: BrowseState;
  modelLabel: string;
  models: number;
  width: number;
  onUser: (delta: number) => void;
  onModel: () => void;
  onMove: (delta: number) => void;
  onOpen: () => void;
  onBack: () => void;
}

/** Step 5: a user's most-played songs beside the model's top-N for them (played songs left out). */
export function BrowseScreen({ browse, modelLabel, models, width, ...on }: BrowseScreenProps) {
  useInput((_input, key) => {
    if (key.leftArrow) on.onUser(-1);
    else if (key.rightArrow) on.onUser(1);
    else if (key.upArrow) on.onMove(-1);
    else if (key.downArrow) on.onMove(1);
    else if (key.tab) on.onModel();
    else if (key.return) on.onOpen();
    else if (key.escape) on.onBack();
  });
  const column = Math.max(30, Math.floor((width - 4) / 2));
  const user = browse.users[browse.userIndex];
  return (
    <Box flexDirection="column">
      <Text bold>5 · Browse</Text>
      <Text>
        user <Text color="cyan">{user}</Text> ({browse.userIndex + 1}/{browse.users.length}, most active
        first) · model <Text color="cyan">{modelLabel}</Text>
        {models > 1 ? <Text dimColor> (Tab: next of {models})</Text> : null}
      </Text>
      <Box marginTop={1}>
        <SongList
          title="Most played (training)"
          items={browse.history}
          value={(i) => `${i.score} plays`}
          width={column}
        />
        <SongList
          title={`Top ${browse.recommendations.length} recommendations`}
          items={browse.recommendations}
          selected={browse.selected}
          value={(i) => i.score.toFixed(2)}
          width={column}
        />
      </Box>
      <KeyHelp
        keys={[
          ['←→', 'user'],
          ['↑↓', 'song'],
          ['Enter', 'similar songs'],
          ['Tab', 'model'],
          ['Esc', 'results'],
          ['q', 'quit'],
        ]}
      />
    </Box>
  );
}
