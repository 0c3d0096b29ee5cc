/** Softmax cross-entropy on a batch of logits (numerically stable: shifts each row by its max). */

export interface LossResult {
  /** Mean cross-entropy over the batch (nats). */
  loss: number;
  /** Number of samples whose arg-max logit equals the label. */
  correct: number;
  /** dLoss/dlogits for the mean loss (batch x classes), i.e. (softmax - onehot) / batch. */
  grad: Float64Array;
}

/**
 * Mean softmax cross-entropy of `logits` (batch x classes, row-major) against integer `labels`
 * (labels[i] in [0, classes)). Writes the gradient into `grad` (allocated if not given).
 */
export function softmaxCrossEntropy(
  logits: Float64Array,
  labels: ArrayLike<number>,
  batch: number,
  classes: number,
  grad: Float64Array = new Float64Array(batch * classes),
): LossResult {
  let loss = 0;
  let correct = 0;
  const inv = 1 / batch;
  for (let i = 0; i < batch; i++) {
    const o = i * classes;
    let max = -Infinity;
    let arg = 0;
    for (let j = 0; j < classes; j++) {
      const v = logits[o + j]!;
      if (v > max) {
        max = v;
        arg = j;
      }
    }
    let sum = 0;
    for (let j = 0; j < classes; j++) {
      const e = Math.exp(logits[o + j]! - max);
      grad[o + j] = e;
      sum += e;
    }
    const label = labels[i]!;
    if (!(label >= 0 && label < classes)) throw new RangeError(`label ${label} of sample ${i} outside [0, ${classes})`);
    // log softmax of the label = (z_label - max) - log(sum)
    loss -= logits[o + label]! - max - Math.log(sum);
    if (arg === label) correct++;
    const s = inv / sum;
    for (let j = 0; j < classes; j++) grad[o + j] = grad[o + j]! * s;
    grad[o + label] = grad[o + label]! - inv;
  }
  return { loss: loss * inv, correct, grad };
}
