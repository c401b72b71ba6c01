/** Messages between the NSFW classifier's worker thread and the main thread (`nsfw-model.ts`). */

/** Side of the square the model sees. */
export const MODEL_INPUT_SIZE = 224;

/** Main → worker: `count` images of MODEL_INPUT_SIZE² RGB bytes, back to back. */
export interface ClassifyRequest {
  id: number;
  count: number;
  pixels: Uint8Array<ArrayBuffer>;
}

/** Worker → main: once, when the model is loaded (or could not be). */
export type WorkerStatus = { ready: true; backend: string; loadMs: number } | { ready: false; error: string };

/** Worker → main: the model's probabilities, `count` rows of the 5 classes, or why there are none. */
export type ClassifyResponse = { id: number; probabilities: Float32Array<ArrayBuffer> } | { id: number; error: string };
