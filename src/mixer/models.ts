/**
 * The networks SuperMixer runs: every weighted layer (Dense, or Conv2d as im2col products) on the
 * photonic core, an activation site (MixedActivation) after every hidden layer.
 *
 *  mlp        features -> hidden... -> classes (Dense layers)
 *  cnn        three 3x3 convolutions of 64 channels ('same' padding) on the image, each followed by its
 *             activation site; 2x2 max pooling after the first two; one Dense layer to the classes:
 *             [1,28,28] conv 64 -> act -> pool [64,14,14] conv 64 -> act -> pool [64,7,7] conv 64 ->
 *             act -> flatten 3136 -> fc 10
 *  cnn-small  the same with 16 channels (quick runs and tests)
 *
 * Options of both CNNs: `batchNorm` puts a BatchNorm2d between every convolution and its site (at
 * inference the folded per-channel affine of the core's output scaling, see nn/batchnorm.ts);
 * `pooling` 'avg' replaces the max pooling by average pooling.
 *
 * The CNN is a reconstruction: the paper's abstract names no network; the authors' group evaluates
 * photonic CNNs of three 3x3 convolutions with 64 channels on 8x8 MZI blocks (L2ight, NeurIPS 2021;
 * ELight, ASP-DAC 2022), whose pooling and classifier are not given there, so the pooling
 * placement above is an assumption (it keeps a 28x28 epoch practical on two cores). Batch norm is
 * off by default (the figures in README were measured without it).
 *
 * A convolution's weight W is (C k k) x OC, like a Dense layer's fan-in x fan-out, so the same
 * photonic model maps W^T onto k x k blocks; on hardware it runs one matrix-vector product per
 * output position (`products`), which is what its energy per inference counts.
 */
import { ConfigError } from '../core/errors.ts';
import { BatchNorm2d } from '../nn/batchnorm.ts';
import { Conv2d, Dense, Flatten } from '../nn/layers.ts';
import { AvgPool2d, MaxPool2d } from '../nn/pool.ts';
import type { Layer } from '../nn/layer.ts';
import { Sequential } from '../nn/sequential.ts';
import type { PhotonicCore } from '../photonic/index.ts';
import type { ActivationHardware } from './hardware.ts';
import { PhotonicLayer } from './photonic.ts';
import { MixedActivation } from './site.ts';

export const MODEL_NAMES = ['mlp', 'cnn', 'cnn-small'] as const;

const CNN_CHANNELS: Record<string, readonly number[]> = { cnn: [64, 64, 64], 'cnn-small': [16, 16, 16] };
/** max pooling after conv layer i */
const CNN_POOL = [true, true, false];

/** Channels of every activation site of a model (the MLP's hidden widths, or the CNN's conv channels). */
export function siteChannels(model: string, hidden: readonly number[]): readonly number[] {
  return model === 'mlp' ? hidden : (CNN_CHANNELS[model] ?? []);
}

export interface Net {
  model: Sequential;
  sites: MixedActivation[];
  /** the weighted layers, each with its photonic model (same index) */
  weighted: Array<Dense | Conv2d>;
  photonic: PhotonicLayer[];
  /** matrix-vector products per inference of each weighted layer (1 for Dense, output positions for Conv2d) */
  products: number[];
}

/** Image shape [channels, height, width] of flat samples: square single-channel images unless given. */
export function imageShape(features: number, shape?: readonly number[]): [number, number, number] {
  if (shape && shape.length === 3) return [shape[0]!, shape[1]!, shape[2]!];
  const side = Math.round(Math.sqrt(features));
  if (side * side !== features) {
    throw new ConfigError(undefined, 'model', `image data for a CNN (square single-channel images, or [C,H,W] samples); the data have ${features} features per sample`, features);
  }
  return [1, side, side];
}

/** The options a network is built from (MixOptions has them all). */
export interface NetOptions {
  readonly model: string;
  readonly batchNorm?: boolean;
  readonly pooling?: 'max' | 'avg';
  readonly hidden: readonly number[];
  readonly seed: number | string;
  readonly granularity: 'channel' | 'layer';
  readonly phaseBits: number;
  readonly phaseNoise: number;
  readonly gammaError: number;
  readonly photonicSamples: number;
}

/** The network of a run; its weighted layers run on the photonic core of `core` (V_pi, V_max, block size from the preset). */
export function buildNet(o: NetOptions, hw: ActivationHardware, features: number, classes: number, core: PhotonicCore, shape?: readonly number[]): Net {
  const { vPi, vMax, block } = core.core.params;
  const ni = { phaseBits: o.phaseBits, phaseNoise: o.phaseNoise, gammaError: o.gammaError, vPi, vMax };
  const net: Net = { model: undefined as unknown as Sequential, sites: [], weighted: [], photonic: [], products: [] };
  const layers: Layer[] = [];
  const photonicLayer = (name: string, fanIn: number, fanOut: number) => {
    const pl = new PhotonicLayer(name, fanIn, fanOut, { nonIdealities: ni, samples: o.photonicSamples, block });
    net.photonic.push(pl);
    return pl;
  };
  const site = (name: string, channels: number, spatial: number) => {
    const s = new MixedActivation({ name, channels, spatial, hardware: hw, granularity: o.granularity });
    layers.push(s);
    net.sites.push(s);
  };
  const dense = (name: string, fanIn: number, fanOut: number) => {
    const d = new Dense(fanIn, fanOut, { name, seed: o.seed, init: 'he', weightTransform: photonicLayer(name, fanIn, fanOut).transform });
    layers.push(d);
    net.weighted.push(d);
    net.products.push(1);
  };
  if (o.model === 'mlp') {
    const sizes = [features, ...o.hidden, classes];
    for (let i = 0; i + 1 < sizes.length; i++) {
      dense(`fc${i}`, sizes[i]!, sizes[i + 1]!);
      if (i + 2 < sizes.length) site(`act${i}`, sizes[i + 1]!, 1);
    }
  } else {
    let [c, h, w] = imageShape(features, shape);
    (CNN_CHANNELS[o.model] ?? []).forEach((oc, i) => {
      const name = `conv${i}`;
      const conv = new Conv2d({ name, seed: o.seed, inChannels: c, outChannels: oc, height: h, width: w, kernel: 3, init: 'he' });
      conv.weightTransform = photonicLayer(name, c * 9, oc).transform;
      layers.push(conv);
      net.weighted.push(conv);
      net.products.push(conv.geometry.outHeight * conv.geometry.outWidth);
      [c, h, w] = [oc, conv.geometry.outHeight, conv.geometry.outWidth];
      if (o.batchNorm) layers.push(new BatchNorm2d(`bn${i}`, [c, h, w]));
      site(`act${i}`, c, h * w);
      if (CNN_POOL[i]) {
        const pool = o.pooling === 'avg' ? new AvgPool2d(`pool${i}`, [c, h, w]) : new MaxPool2d(`pool${i}`, [c, h, w]);
        layers.push(pool);
        [h, w] = [pool.outShape[1]!, pool.outShape[2]!];
      }
    });
    layers.push(new Flatten('flatten', c * h * w));
    dense('fc', c * h * w, classes);
  }
  net.model = new Sequential(layers);
  return net;
}
