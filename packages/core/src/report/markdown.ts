import { itemNoun } from '@autorec/data';
import { bestRows, cellText, pValueText, resultColumns } from './columns.ts';
import type { ExperimentResult, ResultRow } from './result.ts';
import { title, verdict } from './verdict.ts';

/** Facts about the run that are not in the result: when, how and where. */
export interface RunInfo {
  /** How to run it again: the command line, or what the user did in an app. */
  command: string;
  startedAt: Date;
  /** Where it ran, e.g. `Node v20.19.0` or the browser's user agent. */
  runtime: string;
  /** Names of the files written next to report.md (`models`: the trained models' folder, if saved there). */
  files: { results: string; plot: string; models?: string };
}

/**
 * `report.md`: the verdict, the comparison table (best values bold), the dataset, split,
 * transform and hyper-parameters, and how the run was made.
 *
 * @example
 * await writeFile('report.md', reportMarkdown(result, info));
 */
export function reportMarkdown(result: ExperimentResult, info: RunInfo): string {
  const { dataset: d, split: s, k } = result;
  const columns = resultColumns(k);
  const best = bestRows(result.results, columns);
  const noun = itemNoun(d.format);
  const lines: string[] = [];
  lines.push(`# AutoRec vs SVD on ${d.name}`, '');
  for (const v of verdict(result)) lines.push(v, '');
  if (d.source.startsWith('synthetic'))
    lines.push(
      '> These numbers come from synthetic play counts (built in memory), not from the Million Song Dataset: ' +
        'they show the pipeline end to end, not how the models rank on real listening data.',
      '',
    );
  if (result.warnings?.length) {
    lines.push('## Warnings', '');
    for (const w of result.warnings) lines.push(`- ${w}`);
    lines.push('');
  }
  lines.push('## Results', '');
  lines.push(`| model | ${columns.map((c) => c.title).join(' | ')} |`);
  lines.push(`|---|${columns.map(() => '---:').join('|')}|`);
  result.results.forEach((row, i) => {
    const cells = columns.map((c) => {
      const text = cellText(row, c);
      return best.get(c.key) === i ? `**${text}**` : text;
    });
    lines.push(`| ${title(row.model)} | ${cells.join(' | ')} |`);
  });
  lines.push(
    '',
    `Best value per column in bold. RMSE/MAE on the test ratings (warm: user and song seen in training; cold: the rest). ` +
      `P/R/NDCG@${k}: top-${k} over all ${noun} with the user's training ${noun} excluded, ${result.protocol === 'held-out-users' ? 'held-out users folded in' : 'test plays relevant'}; ` +
      `\`results.json\` also has every metric at K = 10, 20, 50, 100 (truncated recall, MAP, hit rate, coverage, popularity bias).` +
      (s.folds ? ` Means ± standard deviation over ${s.folds} folds.` : ''),
    '',
  );
  const tests = result.results.filter((r) => r.vsReference);
  if (tests.length > 0) {
    lines.push(`Paired tests against ${title(result.reference)} over per-user mean squared error:`, '');
    lines.push(
      `| model | mean MSE difference (model − ${title(result.reference)}) | t-test p | Wilcoxon p |`,
      '|---|---:|---:|---:|',
    );
    for (const r of tests) {
      const v = r.vsReference!;
      lines.push(
        `| ${title(r.model)} | ${v.meanMseDelta.toFixed(4)} | ${pValueText(v.pValueT)} | ${pValueText(v.pValueWilcoxon)} |`,
      );
    }
    lines.push('');
  }
  const ranked = result.results.filter((r) => r.rankingVsReference);
  if (ranked.length > 0) {
    const against = title(result.rankingReference);
    lines.push(
      `Paired tests against ${against} over per-user NDCG@${k}${s.folds ? ' (each user averaged over folds)' : ''}:`,
      '',
    );
    lines.push(
      `| model | mean NDCG@${k} difference (model − ${against}) | t-test p | Wilcoxon p |`,
      '|---|---:|---:|---:|',
    );
    for (const r of ranked) {
      const v = r.rankingVsReference!;
      lines.push(
        `| ${title(r.model)} | ${v.meanNdcgDelta.toFixed(4)} | ${pValueText(v.pValueT)} | ${pValueText(v.pValueWilcoxon)} |`,
      );
    }
    lines.push('');
  }
  const folded = result.results.filter((r) => r.acrossFolds);
  if (s.folds && folded.length > 0) {
    const metrics = ['rmse', `ndcg@${k}`];
    lines.push(
      `Paired t-tests across the ${s.folds} folds against ${title(result.reference)} (each fold's value is one pair; Wilcoxon cannot go below p = ${(2 / 2 ** s.folds).toFixed(3)} with ${s.folds} folds):`,
      '',
      `| model | ${metrics.map((m) => `${m} difference | p`).join(' | ')} |`,
      `|---|${metrics.map(() => '---:|---:').join('|')}|`,
    );
    for (const r of folded)
      lines.push(
        `| ${title(r.model)} | ${metrics
          .map((m) => {
            const t = r.acrossFolds![m];
            return t ? `${t.meanDifference.toFixed(4)} | ${pValueText(t.pValueT)}` : '– | –';
          })
          .join(' | ')} |`,
      );
    lines.push('');
  }
  lines.push('## Dataset', '');
  lines.push(
    `- Source: ${d.source}`,
    `- ${d.users.toLocaleString('en')} users × ${d.items.toLocaleString('en')} ${noun}, ` +
      `${d.interactions.toLocaleString('en')} (user, ${noun.slice(0, -1)}) pairs, ${d.plays.toLocaleString('en')} plays, density ${(d.density * 100).toFixed(3)}%`,
    `- Play count → rating transform: \`${d.transform}\` (ratings ${d.scale.min}–${d.scale.max}), fitted on the training part`,
  );
  if (d.filter)
    lines.push(
      `- Filter: users with ≥ ${d.filter.minItemsPerUser} ${noun}, ${noun} with ≥ ${d.filter.minUsersPerItem} listeners`,
    );
  lines.push('', '## Split', '');
  lines.push(
    `- ${s.description}, seed ${s.seed}; every model saw the same split`,
    `- Interactions${s.folds ? ' (first fold)' : ''}: ${s.train.toLocaleString('en')} train, ${s.validation.toLocaleString('en')} validation, ${s.test.toLocaleString('en')} test (${s.coldTest.toLocaleString('en')} test ratings cold)`,
    s.validation > 0
      ? '- Validation ratings drive the learning curves and early stopping; they are never in the test numbers'
      : '- No validation part: iterative models ran every epoch (no early stopping)',
    '',
    '## Hyper-parameters',
    '',
  );
  for (const r of result.results) lines.push(`- ${title(r.model)}: ${hyperParameterLine(r)}`);
  lines.push('', '## Run', '');
  lines.push(
    `- Command: \`${info.command}\``,
    `- Started ${info.startedAt.toISOString()}, took ${result.seconds.toFixed(1)} s, ${info.runtime}`,
    `- Compute backend: ${result.backend}`,
    `- Files: \`${info.files.results}\` (all numbers), \`${info.files.plot}\` (training and validation RMSE and relative loss per epoch)` +
      (info.files.models
        ? `, \`${info.files.models}/<model>/\` (trained models${s.folds ? ' of the first fold' : ''}; use with \`autorec recommend --model …\`)`
        : ''),
    '',
  );
  return lines.join('\n');
}

/**
 * `key=value, …` as the model ran: an `epochs=0` that means "the model's default" shows the
 * epochs actually run, and the kept epoch is named only when early stopping chose one before
 * the last.
 */
export function hyperParameterLine(r: ResultRow): string {
  const ran = Number.isFinite(r.epochs) ? Math.round(r.epochs) : 0;
  const params = Object.entries(r.hyperParameters)
    .map(([key, v]) =>
      key === 'epochs' && v === 0 && ran > 0 ? `epochs=${ran} (its default)` : `${key}=${v}`,
    )
    .join(', ');
  if (!r.bestEpoch || !ran) return params;
  return r.bestEpoch < ran
    ? `${params}; ran ${ran} epochs, kept the weights of epoch ${r.bestEpoch} (best validation RMSE)`
    : `${params}; ran ${ran} epochs, kept the last`;
}
