/**
 * Errors a user can fix, as opposed to bugs: callers (the CLI, a web UI) tell them apart with
 * `instanceof` and show the message as it is, without a stack. `UnknownIdError` (an id the
 * model never saw) lives next to the `Recommender` in recommender.ts.
 */

/**
 * A model name or hyper-parameter that is unknown or out of range — from a CLI flag, a form
 * field or code. The message names the model, the option and the valid choices.
 *
 * @example
 * try { createModel('svd', { factor: 5 }); }
 * catch (e) { if (e instanceof OptionError) show(e.message); } // "svd: unknown option 'factor'; valid options: …"
 */
export class OptionError extends Error {
  /** The model the option was given to (or the unknown model name). */
  readonly model?: string;
  /** The option at fault; absent when the model name itself is unknown. */
  readonly option?: string;

  constructor(message: string, where: { model?: string; option?: string } = {}) {
    super(message);
    this.name = 'OptionError';
    this.model = where.model;
    this.option = where.option;
  }
}

/**
 * A saved model that cannot be read: a missing, truncated or damaged file, a manifest of an
 * unsupported format version or of an unknown model, state that does not fit the manifest. The
 * message names the file; the fix is to point at the right folder or save the model again.
 *
 * @example
 * try { await loadModel(store); }
 * catch (e) { if (e instanceof ModelFormatError) show(`${e.message} — save the model again`); }
 */
export class ModelFormatError extends Error {
  /** The file at fault within the model (e.g. `manifest.json`), when known. */
  readonly file?: string;

  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ModelFormatError';
    this.file = options.file;
  }
}

/**
 * Training that ran off to infinity or NaN (a learning rate or regularisation far too large, or
 * values too big for float32 arithmetic): the loss of an epoch is not finite. Thrown by `fit`
 * instead of returning a model whose every score is NaN; a model that can fall back to an
 * earlier finite epoch (early stopping) does so and reports `FitResult.diverged` instead.
 *
 * @example
 * try { await createModel('svd', { learningRate: 1e308 }).fit(train); }
 * catch (e) { if (e instanceof TrainingDivergedError) show(e.message); } // "svd: training diverged at epoch 1: the loss is NaN"
 */
export class TrainingDivergedError extends Error {
  readonly model: string;
  /** The 1-based epoch whose loss was not finite. */
  readonly epoch: number;

  constructor(model: string, epoch: number, what: string) {
    super(`${model}: training diverged at epoch ${epoch}: ${what}`);
    this.name = 'TrainingDivergedError';
    this.model = model;
    this.epoch = epoch;
  }
}
