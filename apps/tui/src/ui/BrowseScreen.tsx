import { Box, Text, useInput } from 'ink';
import { truncateEnd, truncateMiddle } from '../text.ts';
import { KeyHelp, singular } from './KeyHelp.tsx';
import { SongList } from './SongList.tsx';
import type { BrowseState } from './store.ts';

export interface BrowseScreenProps {
  browse: BrowseState;
  modelLabel: string;
  models: number;
  width: number;
  height: number;
  /** What the items are, plural (`artists` for Last.fm, `movies` for MovieLens). */
  noun?: string;
  /** What a recommendation's score is, e.g. `predicted rating (1–5)`; it decides how scores print. */
  scoreName?: string;
  onUser: (delta: number) => void;
  onModel: () => void;
  onMove: (delta: number) => void;
  onOpen: () => void;
  onBack: () => void;
}

/** Step 5: a user's most-played songs beside the model's top-N for them (played songs left out). */
export function BrowseScreen({
  browse,
  modelLabel,
  models,
  width,
  height,
  scoreName,
  noun = 'songs',
  ...on
}: BrowseScreenProps) {
  useInput((_input, key) => {
    if (key.leftArrow) on.onUser(-1);
    else if (key.rightArrow) on.onUser(1);
    else if (key.upArrow) on.onMove(-1);
    else if (key.downArrow) on.onMove(1);
    else if (key.tab) on.onModel();
    else if (key.return) on.onOpen();
    else if (key.escape) on.onBack();
  });
  // Side by side when two lists of 30 cells fit, else one above the other.
  const sideBySide = width >= 62;
  const column = sideBySide ? Math.floor((width - 2) / 2) : width;
  // Title, user line, blank, list titles, key help (two lines when narrow).
  const fixed = 4 + (width < 90 ? 3 : 2);
  const rows = sideBySide ? height - fixed : Math.floor((height - fixed - 2) / 2);
  const user = browse.users[browse.userIndex];
  const next = models > 1 ? ` (${browse.modelIndex + 1} of ${models}, Tab: next)` : '';
  const about = `user ${truncateMiddle(user, 20)} (${browse.userIndex + 1}/${browse.users.length}, most active first) · model ${modelLabel}${next}`;
  const integer = scoreName === undefined || !scoreName.startsWith('predicted');
  return (
    <Box flexDirection="column">
      <Text bold>5 · Browse</Text>
      <Text>{truncateEnd(about, width)}</Text>
      <Box marginTop={1} flexDirection={sideBySide ? 'row' : 'column'} columnGap={2}>
        <SongList
          title="Most played (training)"
          items={browse.history}
          value={(i) => `${i.score} plays`}
          width={column}
          rows={rows}
        />
        <SongList
          title={`Top ${browse.recommendations.length} · ${scoreName ?? 'score'}`}
          items={browse.recommendations}
          selected={browse.selected}
          value={(i) => (integer && Number.isInteger(i.score) ? String(i.score) : i.score.toFixed(2))}
          width={column}
          rows={rows}
        />
      </Box>
      <KeyHelp
        keys={[
          ['←→', 'user'],
          ['↑↓', singular(noun)],
          ['Enter', `similar ${noun}`],
          ['Tab', 'model'],
          ['Esc', 'results'],
          ['q', 'quit'],
        ]}
      />
    </Box>
  );
}
