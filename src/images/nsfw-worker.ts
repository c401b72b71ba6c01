/**
 * The NSFW classifier's thread: nsfwjs's MobileNetV2 (weights shipped in the npm package) on the
 * TensorFlow.js WebAssembly backend. A thread of its own keeps the convolutions off the event loop
 * and keeps this TensorFlow.js apart from the one bundled by the sentence encoder
 * (@energetic-ai/core), since both keep their engine in the global scope.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { load, type NSFWJS } from 'nsfwjs/core';
import { MobileNetV2Model } from 'nsfwjs/models/mobilenet_v2';
import { MODEL_INPUT_SIZE, type ClassifyRequest, type ClassifyResponse, type WorkerStatus } from './nsfw-protocol.ts';

const port = parentPort!;

async function open() {
  const started = Date.now();
  if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js WebAssembly backend did not start');
  await tf.ready();
  const model = await load('MobileNetV2', { size: MODEL_INPUT_SIZE, modelDefinitions: [MobileNetV2Model] });
  port.postMessage({ ready: true, backend: tf.getBackend(), loadMs: Date.now() - started } satisfies WorkerStatus);
  return model;
}

function classify(model: NSFWJS, { count, pixels }: ClassifyRequest): Float32Array<ArrayBuffer> {
  const size = MODEL_INPUT_SIZE;
  // nsfwjs's own preprocessing (`infer`): RGB scaled to [0, 1]; the images arrive already resized.
  const input = tf.tensor4d(Float32Array.from(pixels, (v) => v / 255), [count, size, size, 3]);
  try {
    const output = model.model.predict(input);
    if (!(output instanceof tf.Tensor)) throw new Error('the model answered with more than one tensor');
    try {
      return Float32Array.from(output.dataSync());
    } finally {
      output.dispose();
    }
  } finally {
    input.dispose();
  }
}

try {
  const model = await open();
  port.on('message', (request: ClassifyRequest) => {
    let response: ClassifyResponse;
    try {
      response = { id: request.id, probabilities: classify(model, request) };
    } catch (error) {
      response = { id: request.id, error: (error as Error).message };
    }
    port.postMessage(response, 'probabilities' in response ? [response.probabilities.buffer] : []);
  });
} catch (error) {
  port.postMessage({ ready: false, error: (error as Error).message } satisfies WorkerStatus);
}
