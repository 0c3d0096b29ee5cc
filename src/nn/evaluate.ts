/**
 * evaluateParallel: the loss and accuracy of a model over a test set, split into contiguous chunks
 * evaluated on worker threads (parallelMap), then combined exactly as Sequential.evaluate does
 * (sample-weighted mean loss, summed correct counts).
 *
 * A worker needs its own copy of the model. Models made only of built-in layers without hooks
 * (Dense and Conv2d without weightTransform, ReLU, MaxPool2d, AvgPool2d, BatchNorm2d, Flatten) are described and rebuilt
 * automatically; any other model needs `recipe`: a module exporting a function that builds the same
 * architecture (its parameters and buffers are then copied from the model). Without either, or with threads = 1,
 * it evaluates in this thread (same result).
 */
import type { Samples, Evaluation, Sequential } from './sequential.ts';
import { paramData } from './param.ts';
import { siblingModule } from '../core/modules.ts';
import { parallelMap, defaultThreads, type WorkerPool } from '../kernels/parallel.ts';

/** A module function that builds a fresh model of the same architecture: `module[fn](args)`. */
export interface ModelRecipe {
  module: string | URL;
  fn: string;
  args?: unknown;
}

/** Constructor arguments of one built-in layer. */
export type LayerSpec =
  | { kind: 'dense'; name: string; inSize: number; outSize: number; bias: boolean }
  | {
      kind: 'conv2d';
      name: string;
      inChannels: number;
      outChannels: number;
      height: number;
      width: number;
      kernel: number;
      stride: number;
      padding: number;
      bias: boolean;
    }
  | { kind: 'relu'; name: string; shape: number[] }
  | { kind: 'maxpool2d' | 'avgpool2d'; name: string; inShape: [number, number, number]; kernel: number; stride: number }
  | { kind: 'batchnorm2d'; name: string; shape: number[]; momentum: number; eps: number }
  | { kind: 'flatten'; name: string; inSize: number };

/** Describe a model of built-in, hook-free layers; undefined when some layer is not one. */
export function describeModel(model: Sequential): LayerSpec[] | undefined {
  const out: LayerSpec[] = [];
  for (const l of model.layers) {
    const any = l as unknown as Record<string, unknown>;
    const ctor = (l as object).constructor?.name;
    if (l.kind === 'dense' && ctor === 'Dense' && !any.weightTransform) {
      out.push({ kind: 'dense', name: l.name, inSize: l.inSize, outSize: l.outSize, bias: any.b !== undefined });
    } else if (l.kind === 'conv2d' && ctor === 'Conv2d' && !any.weightTransform) {
      const g = any.geometry as { channels: number; height: number; width: number; kernel: number; stride: number; padding: number };
      out.push({
        kind: 'conv2d',
        name: l.name,
        inChannels: g.channels,
        outChannels: any.outChannels as number,
        height: g.height,
        width: g.width,
        kernel: g.kernel,
        stride: g.stride,
        padding: g.padding,
        bias: any.b !== undefined,
      });
    } else if (l.kind === 'relu' && ctor === 'ReLU') {
      out.push({ kind: 'relu', name: l.name, shape: [...l.outShape] });
    } else if ((l.kind === 'maxpool2d' && ctor === 'MaxPool2d') || (l.kind === 'avgpool2d' && ctor === 'AvgPool2d')) {
      out.push({
        kind: l.kind,
        name: l.name,
        inShape: [...(any.inShape as [number, number, number])],
        kernel: any.kernel as number,
        stride: any.stride as number,
      });
    } else if (l.kind === 'batchnorm2d' && ctor === 'BatchNorm2d') {
      out.push({ kind: 'batchnorm2d', name: l.name, shape: [...l.outShape], momentum: any.momentum as number, eps: any.eps as number });
    } else if (l.kind === 'flatten' && ctor === 'Flatten') {
      out.push({ kind: 'flatten', name: l.name, inSize: l.inSize });
    } else return undefined;
  }
  return out;
}

/** Rebuild a model from describeModel's output (weights freshly initialised; load a state next). */
export async function buildModel(specs: readonly LayerSpec[]): Promise<Sequential> {
  const { Conv2d, Dense, Flatten, ReLU } = await import('../nn/layers.ts');
  const { AvgPool2d, MaxPool2d } = await import('../nn/pool.ts');
  const { BatchNorm2d } = await import('../nn/batchnorm.ts');
  const { Sequential } = await import('../nn/sequential.ts');
  const layers = specs.map((s) => {
    switch (s.kind) {
      case 'dense':
        return new Dense(s.inSize, s.outSize, { name: s.name, seed: 0, bias: s.bias });
      case 'conv2d':
        return new Conv2d({ ...s, seed: 0 });
      case 'relu':
        return new ReLU(s.name, s.shape);
      case 'maxpool2d':
        return new MaxPool2d(s.name, s.inShape, s.kernel, s.stride);
      case 'avgpool2d':
        return new AvgPool2d(s.name, s.inShape, s.kernel, s.stride);
      case 'batchnorm2d':
        return new BatchNorm2d(s.name, s.shape, { momentum: s.momentum, eps: s.eps });
      case 'flatten':
        return new Flatten(s.name, s.inSize);
    }
  });
  return new Sequential(layers);
}

export interface EvaluateParallelOptions {
  /** Worker threads (default: available cores). */
  threads?: number;
  /** Samples per forward pass inside each worker (default 500, as Sequential.evaluate). */
  batchSize?: number;
  /** How workers build the model when it is not made of built-in layers only. */
  recipe?: ModelRecipe;
  /** Warm workers to use (threads then defaults to pool.threads); otherwise workers start and stop here. */
  pool?: WorkerPool;
}

/** What each worker receives once. */
export interface EvalContext {
  layers?: LayerSpec[];
  recipe?: { module: string; fn: string; args?: unknown };
  /** Parameter values in model.params() order, with their names (checked on arrival). */
  params: Array<{ name: string; value: Float64Array }>;
  /** Buffer values in model.buffers() order (batch norm's running statistics). */
  buffers?: Array<{ name: string; value: Float64Array }>;
  batchSize: number;
}

/** One chunk of the test set. */
export interface EvalChunk {
  x: Float64Array;
  y: Int32Array;
  n: number;
  features: number;
}

const built = new WeakMap<object, Promise<Sequential>>();

/** Worker entry (exported for parallelMap): evaluate one chunk with the model the context describes. */
export async function evaluateChunk(chunk: EvalChunk, ctx: EvalContext): Promise<{ lossSum: number; correct: number; n: number }> {
  let p = built.get(ctx);
  if (!p) {
    p = (async () => {
      let model: Sequential;
      if (ctx.layers) model = await buildModel(ctx.layers);
      else if (ctx.recipe) {
        const mod = (await import(ctx.recipe.module)) as Record<string, unknown>;
        const fn = mod[ctx.recipe.fn];
        if (typeof fn !== 'function') throw new TypeError(`${ctx.recipe.module} has no exported function '${ctx.recipe.fn}'`);
        model = (await (fn as (a: unknown) => Sequential | Promise<Sequential>)(ctx.recipe.args)) as Sequential;
      } else throw new TypeError('evaluateChunk: context has neither layers nor recipe');
      const ps = model.params();
      if (ps.length !== ctx.params.length) throw new RangeError(`rebuilt model has ${ps.length} parameters, expected ${ctx.params.length}`);
      ps.forEach((p, i) => {
        const src = ctx.params[i]!;
        const dst = paramData(p);
        if (p.name !== src.name || dst.length !== src.value.length) {
          throw new RangeError(`rebuilt model parameter ${i} is ${p.name} (${dst.length}), expected ${src.name} (${src.value.length})`);
        }
        dst.set(src.value);
      });
      const bs = model.buffers();
      const srcBufs = ctx.buffers ?? [];
      if (bs.length !== srcBufs.length) throw new RangeError(`rebuilt model has ${bs.length} buffers, expected ${srcBufs.length}`);
      bs.forEach((b, i) => {
        const src = srcBufs[i]!;
        if (b.name !== src.name || b.value.length !== src.value.length) {
          throw new RangeError(`rebuilt model buffer ${i} is ${b.name} (${b.value.length}), expected ${src.name} (${src.value.length})`);
        }
        b.value.set(src.value);
      });
      return model;
    })();
    built.set(ctx, p);
  }
  const model = await p;
  const r = model.evaluate(chunk, { batchSize: ctx.batchSize });
  return { lossSum: r.loss * r.n, correct: r.correct, n: r.n };
}

/** Loss and accuracy of `model` over `data`, chunks evaluated on worker threads. */
export async function evaluateParallel(model: Sequential, data: Samples, opts: EvaluateParallelOptions = {}): Promise<Evaluation> {
  const batchSize = opts.batchSize ?? 500;
  const threads = defaultThreads(Math.max(1, data.n), opts.threads ?? opts.pool?.threads);
  const layers = opts.recipe ? undefined : describeModel(model);
  if (threads === 1 || data.n === 0 || (!layers && !opts.recipe)) return model.evaluate(data, { batchSize });
  const F = data.features;
  const chunks: EvalChunk[] = [];
  for (let t = 0; t < threads; t++) {
    const from = Math.floor((t * data.n) / threads);
    const to = Math.floor(((t + 1) * data.n) / threads);
    if (to <= from) continue;
    const y = new Int32Array(to - from);
    for (let i = from; i < to; i++) y[i - from] = data.y[i]!;
    chunks.push({ x: data.x.slice(from * F, to * F), y, n: to - from, features: F });
  }
  const ctx: EvalContext = {
    params: model.params().map((p) => ({ name: p.name, value: paramData(p) })),
    buffers: model.buffers().map((b) => ({ name: b.name, value: b.value })),
    batchSize,
    ...(layers ? { layers } : {}),
    ...(opts.recipe
      ? { recipe: { module: opts.recipe.module instanceof URL ? opts.recipe.module.href : opts.recipe.module, fn: opts.recipe.fn, args: opts.recipe.args } }
      : {}),
  };
  const url = siblingModule(import.meta.url, './evaluate');
  // the chunks are our own copies: move their buffers instead of cloning them
  const transfer = (c: unknown) => [(c as EvalChunk).x.buffer as ArrayBuffer, (c as EvalChunk).y.buffer as ArrayBuffer];
  type Part = { lossSum: number; correct: number; n: number };
  const parts = opts.pool
    ? await opts.pool.map<EvalChunk, Part>(chunks, url, 'evaluateChunk', { context: ctx, transfer })
    : await parallelMap<EvalChunk, Part>(chunks, url, 'evaluateChunk', { threads, context: ctx, transfer });
  let lossSum = 0;
  let correct = 0;
  for (const p of parts) {
    lossSum += p.lossSum;
    correct += p.correct;
  }
  return { loss: lossSum / data.n, accuracy: correct / data.n, correct, n: data.n };
}
