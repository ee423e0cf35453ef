import { Box, Text } from 'ink';

/** The keys that work on the current screen, one line at the bottom. */
export function KeyHelp({ keys }: { keys: readonly (readonly [string, string])[] }) {
  return (
    <Box marginTop={1} flexWrap="wrap">
      {keys.map(([key, what]) => (
        <Box key={key} marginRight={2}>
          <Text inverse> {key} </Text>
          <Text dimColor> {what}</Text>
        </Box>
      ))}
    </Box>
  );
}

/** `songs` → `song`, `artists` → `artist`, `movies` → `movie`. */
export function singular(noun: string): string {
  return noun.endsWith('s') ? noun.slice(0, -1) : noun;
}
