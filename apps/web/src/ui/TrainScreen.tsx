import type { EpochRecord, HyperParameterInfo, ModelName, ParamValue, TrainingProgress } from '@autorec/core';
import { type SplitOptions, TRANSFORM_NAMES, type TransformName } from '@autorec/data';
import { proxy } from 'comlink';
import { useState } from 'react';
import type { ComparisonView, TrainEvent } from '../worker/protocol.ts';
import type { AppState } from './App.tsx';
import { Chart } from './Chart.tsx';
import { errorText, seconds } from './format.ts';
import { Results } from './Results.tsx';

/** Models ticked on first visit: the paper's comparison. */
const DEFAULT_MODELS: ModelName[] = ['i-autorec', 'svd'];

interface Live {
  stage: 'waiting' | 'fit' | 'evaluate' | 'done';
  training?: TrainingProgress;
  curve: EpochRecord[];
}

type SplitMethod = 'random' | 'per-user' | 'held-out-users';

export function TrainScreen({ state }: { state: AppState }) {
  const { api, dataset, models, comparison, setComparison } = state;
  const [chosen, setChosen] = useState<ModelName[]>(DEFAULT_MODELS);
  const [params, setParams] = useState<Record<string, Record<string, ParamValue>>>({});
  const [method, setMethod] = useState<SplitMethod>('random');
  const [test, setTest] = useState(0.1);
  const [validation, setValidation] = useState(0.1);
  const [heldOut, setHeldOut] = useState(200);
  const [transform, setTransform] = useState<TransformName | ''>('');
  const [seed, setSeed] = useState(42);
  const [rankEachEpoch, setRankEachEpoch] = useState(false);
  const [k, setK] = useState(10);
  const [running, setRunning] = useState(false);
  const [live, setLive] = useState<Record<string, Live>>({});
  const [error, setError] = useState<string>();

  if (!dataset) return <p>Load data first (the Data screen).</p>;

  const toggle = (name: ModelName) =>
    setChosen((c) => (c.includes(name) ? c.filter((n) => n !== name) : [...c, name]));
  const setParam = (model: string, name: string, value: ParamValue) =>
    setParams((p) => ({ ...p, [model]: { ...p[model], [name]: value } }));

  const split = (): SplitOptions => {
    if (method === 'per-user') return { method, test, validation };
    if (method === 'held-out-users')
      return { method, testUsers: heldOut, validationUsers: validation > 0 ? heldOut : 0 };
    return { method, test, validation };
  };

  const train = async () => {
    const order = models.map((m) => m.name).filter((n) => chosen.includes(n));
    setRunning(true);
    setError(undefined);
    setComparison(undefined);
    setLive(Object.fromEntries(order.map((n) => [n, { stage: 'waiting', curve: [] } as Live])));
    const onEvent = (e: TrainEvent) =>
      setLive((all) => {
        const prev = all[e.model] ?? { stage: 'waiting', curve: [] };
        const next: Live = { ...prev, stage: e.stage };
        if (e.training) {
          next.training = e.training;
          const t = e.training;
          // A refit (training + validation, up to the kept epoch) is not the curve: it has no validation.
          if (t.phase === 'epoch' && t.loss !== undefined && !t.refit)
            next.curve = [
              ...prev.curve.filter((r) => r.epoch !== t.epoch),
              {
                epoch: t.epoch,
                loss: t.loss,
                validationRmse: t.validationRmse,
                validationNdcg: t.validationNdcg,
                seconds: t.elapsedSeconds,
              },
            ];
        }
        return { ...all, [e.model]: next };
      });
    try {
      const result: ComparisonView = await api.train(
        {
          models: order.map((name) => ({ name, params: params[name] ?? {} })),
          split: split(),
          transform: transform || undefined,
          seed,
          k,
          validationRanking: rankEachEpoch,
        },
        proxy(onEvent),
      );
      setComparison(result);
      state.setActive(result.saved[0] ?? state.active);
      await state.refreshSaved();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setRunning(false);
    }
  };

  const labels = Object.keys(live);
  const maxEpoch = Math.max(0, ...labels.flatMap((l) => live[l].curve.map((r) => r.epoch)));
  const epochs = Array.from({ length: maxEpoch }, (_, i) => i + 1);
  const curveValues = (l: string, pick: (r: EpochRecord) => number | undefined) =>
    epochs.map((e) => pick(live[l].curve.find((r) => r.epoch === e) ?? ({} as EpochRecord)) ?? null);
  const withCurves = labels.filter((l) => live[l].curve.length > 0);

  return (
    <section className="screen">
      <h2>Train and compare</h2>
      <p className="muted">
        On {dataset.name}: every model sees the same split; the table reports test RMSE, MAE and ranking
        metrics, with a paired test against SVD.
      </p>
      <fieldset disabled={running}>
        <legend>Models</legend>
        {models.map((m) => (
          <div key={m.name} className="model">
            <label className="check">
              <input
                type="checkbox"
                checked={chosen.includes(m.name)}
                onChange={() => toggle(m.name)}
                data-testid={`model-${m.name}`}
              />{' '}
              <strong>{m.name}</strong>
            </label>
            {chosen.includes(m.name) && (
              <details>
                <summary>hyper-parameters</summary>
                <div className="params">
                  {m.params.map((p) => (
                    <ParamField
                      key={p.name}
                      model={m.name}
                      info={p}
                      value={params[m.name]?.[p.name] ?? p.value}
                      onChange={(v) => setParam(m.name, p.name, v)}
                    />
                  ))}
                </div>
              </details>
            )}
          </div>
        ))}
      </fieldset>
      <fieldset disabled={running}>
        <legend>Split and ratings</legend>
        <div className="row">
          <label>
            Split{' '}
            <select value={method} onChange={(e) => setMethod(e.target.value as SplitMethod)}>
              <option value="random">random holdout of plays</option>
              <option value="per-user">per-user holdout</option>
              <option value="held-out-users">held-out users (new listeners)</option>
            </select>
          </label>
          {method === 'held-out-users' ? (
            <NumberInput label="Test users" value={heldOut} min={1} step={1} onChange={setHeldOut} />
          ) : (
            <NumberInput
              label="Test share"
              value={test}
              min={0.01}
              max={0.9}
              step={0.05}
              onChange={setTest}
            />
          )}
          <NumberInput
            label="Validation share"
            value={validation}
            min={0}
            max={0.5}
            step={0.05}
            onChange={setValidation}
          />
        </div>
        <div className="row">
          <label>
            Play count → rating{' '}
            <select value={transform} onChange={(e) => setTransform(e.target.value as TransformName | '')}>
              <option value="">default ({dataset.defaultTransform})</option>
              {TRANSFORM_NAMES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <NumberInput label="Seed" value={seed} min={0} step={1} onChange={setSeed} />
          <NumberInput label="K (ranking cut-off)" value={k} min={1} step={1} onChange={setK} />
        </div>
        <label className="check">
          <input
            type="checkbox"
            checked={rankEachEpoch}
            onChange={(e) => setRankEachEpoch(e.target.checked)}
            data-testid="validation-ranking"
          />{' '}
          Validation NDCG@10 after every epoch of the early-stopping models (a curve of ranking quality; each
          epoch then also ranks up to 1,000 validation listeners, which can take longer than the epoch
          itself). Implicit-objective models always measure it.
        </label>
      </fieldset>
      <div className="row">
        <button type="button" onClick={train} disabled={running || chosen.length === 0} data-testid="train">
          Train {chosen.length} model{chosen.length === 1 ? '' : 's'}
        </button>
        <button type="button" onClick={() => api.cancel()} disabled={!running} data-testid="cancel">
          Cancel
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {labels.length > 0 && (
        <div className="live" data-testid="progress">
          {labels.map((l) => (
            <ModelLine key={l} label={l} live={live[l]} />
          ))}
        </div>
      )}
      {withCurves.length > 0 && (
        <div className="curves">
          {VALIDATION_CURVES.map(({ title, yLabel, pick }) => {
            const shown = withCurves.filter((l) => live[l].curve.some((r) => pick(r) !== undefined));
            return (
              shown.length > 0 && (
                <Chart
                  key={title}
                  title={title}
                  x={epochs}
                  xLabel="epoch"
                  integerX
                  yLabel={yLabel}
                  series={shown.map((l) => ({ label: l, values: curveValues(l, pick) }))}
                />
              )
            );
          })}
          {/* Each model minimises its own objective, so raw losses share no axis: each relative to its epoch 1, as the report's figure draws them. */}
          <Chart
            title="Training loss ÷ epoch 1 (each model's own objective)"
            x={epochs}
            xLabel="epoch"
            integerX
            yLabel="loss ÷ epoch 1"
            series={withCurves.map((l) => {
              const first = live[l].curve.find((r) => r.epoch === 1)?.loss;
              return {
                label: l,
                values: curveValues(l, (r) => (first && r.loss !== undefined ? r.loss / first : undefined)),
              };
            })}
          />
        </div>
      )}
      {comparison && <Results state={state} comparison={comparison} />}
    </section>
  );
}

/** The validation panels: each drawn when some model has values for it (see `validationRanking`). */
const VALIDATION_CURVES: { title: string; yLabel: string; pick: (r: EpochRecord) => number | undefined }[] = [
  { title: 'Validation RMSE per epoch', yLabel: 'RMSE', pick: (r) => r.validationRmse },
  {
    title: 'Validation NDCG@10 per epoch (higher is better)',
    yLabel: 'NDCG@10',
    pick: (r) => r.validationNdcg,
  },
];

function ModelLine({ label, live }: { label: string; live: Live }) {
  const t = live.training;
  let text = 'waiting';
  if (live.stage === 'evaluate') text = 'evaluating on the test split…';
  else if (live.stage === 'done') text = 'done';
  else if (live.stage === 'fit' && t?.refit)
    text = `training again on training + validation up to the kept epoch: epoch ${t.epoch}/${t.epochs}`;
  else if (live.stage === 'fit' && t) {
    const parts = [`epoch ${Math.max(t.epoch, t.phase === 'batch' ? t.epoch + 1 : t.epoch)}/${t.epochs}`];
    if (t.phase === 'batch') parts.push(`batch ${t.batch}/${t.batches}`);
    if (t.loss !== undefined) parts.push(`loss ${t.loss.toPrecision(4)}`);
    if (t.validationRmse !== undefined) parts.push(`val RMSE ${t.validationRmse.toFixed(4)}`);
    if (t.validationNdcg !== undefined) parts.push(`val NDCG@10 ${t.validationNdcg.toFixed(4)}`);
    if (t.etaSeconds !== undefined) parts.push(`ETA ${seconds(t.etaSeconds)}`);
    text = parts.join(' · ');
  } else if (live.stage === 'fit') text = 'training…';
  const share =
    t && t.epochs > 0
      ? (t.epoch + (t.phase === 'batch' ? t.batch / Math.max(1, t.batches) : 0)) / t.epochs
      : 0;
  return (
    <div className="model-line" data-testid={`live-${label}`}>
      <strong>{label}</strong>
      <progress max={1} value={live.stage === 'done' ? 1 : share} aria-label={`${label} progress`} />
      <span>{text}</span>
    </div>
  );
}

function NumberInput(props: {
  label: string;
  value: number;
  min?: number;
  max?: number;
  step?: number;
  onChange(v: number): void;
}) {
  return (
    <label>
      {props.label}{' '}
      <input
        type="number"
        value={props.value}
        min={props.min}
        max={props.max}
        step={props.step}
        onChange={(e) => {
          const v = e.target.valueAsNumber;
          if (Number.isFinite(v)) props.onChange(v);
        }}
      />
    </label>
  );
}

function ParamField(props: {
  model: string;
  info: HyperParameterInfo;
  value: ParamValue;
  onChange(v: ParamValue): void;
}) {
  const { info, value } = props;
  const id = `${props.model}-${info.name}`;
  let input: React.ReactNode;
  if (typeof info.value === 'boolean')
    input = (
      <input
        id={id}
        type="checkbox"
        checked={value === true}
        onChange={(e) => props.onChange(e.target.checked)}
      />
    );
  else if (typeof info.value === 'number')
    input = (
      <input
        id={id}
        type="number"
        value={String(value)}
        step="any"
        data-testid={`param-${id}`}
        onChange={(e) => {
          const v = e.target.valueAsNumber;
          if (Number.isFinite(v)) props.onChange(v);
        }}
      />
    );
  else input = <input id={id} value={String(value)} onChange={(e) => props.onChange(e.target.value)} />;
  return (
    <div className="param">
      <label htmlFor={id}>{info.name}</label>
      {input}
      <small>{info.description}</small>
    </div>
  );
}
