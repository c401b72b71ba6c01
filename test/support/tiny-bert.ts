import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';

/**
 * Writes a tiny BERT-shaped sentence-embedding model in the transformers.js layout
 * (`config.json`, `tokenizer.json`, `tokenizer_config.json`, `onnx/model.onnx`), so the
 * transformers.js path runs on onnxruntime-node without any download. The ONNX graph is one
 * Gather: each token's hidden state is its row of `WORDS`, so mean pooling is easy to predict.
 */

/** Each word's 4-dimensional hidden state: pets along axis 0, finance along axis 1, weather along axis 2. */
export const WORDS: Record<string, number[]> = {
  '[PAD]': [0, 0, 0, 0],
  '[UNK]': [0, 0, 0, 1],
  cat: [1, 0, 0, 0],
  kitten: [0.9, 0.1, 0, 0],
  dog: [0.8, 0, 0.2, 0],
  stock: [0, 1, 0, 0],
  market: [0.1, 0.9, 0, 0],
  rain: [0, 0, 1, 0],
  the: [0.1, 0.1, 0.1, 0.1],
};

// The subset of onnx.proto (field numbers as in github.com/onnx/onnx) this model needs.
const ONNX_PROTO = `
syntax = "proto3";
package onnx;
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message AttributeProto { string name = 1; int64 i = 3; int32 type = 20; }
message NodeProto { repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4; repeated AttributeProto attribute = 5; }
message TensorProto { repeated int64 dims = 1; int32 data_type = 2; repeated float float_data = 4; string name = 8; }
message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
message TensorShapeProto { repeated Dimension dim = 1; }
message TensorTypeProto { int32 elem_type = 1; TensorShapeProto shape = 2; }
message TypeProto { TensorTypeProto tensor_type = 1; }
message ValueInfoProto { string name = 1; TypeProto type = 2; }
message GraphProto { repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; }
message ModelProto { int64 ir_version = 1; string producer_name = 2; GraphProto graph = 7; repeated OperatorSetIdProto opset_import = 8; }
`;

const FLOAT = 1;
const INT64 = 7;
const tensor = (name: string, elemType: number, dims: string[]) => ({ name, type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => ({ dim_param: d })) } } } });

function onnxModel(): Uint8Array {
  const ModelProto = protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');
  const rows = Object.values(WORDS);
  const message = ModelProto.fromObject({
    ir_version: 8,
    producer_name: 'skysift-test',
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: 'tiny-bert',
      node: [{ op_type: 'Gather', name: 'embeddings', input: ['word_embeddings', 'input_ids'], output: ['last_hidden_state'], attribute: [{ name: 'axis', i: 0, type: 2 }] }],
      initializer: [{ name: 'word_embeddings', data_type: FLOAT, dims: [rows.length, 4], float_data: rows.flat() }],
      input: [tensor('input_ids', INT64, ['batch', 'sequence']), tensor('attention_mask', INT64, ['batch', 'sequence'])],
      output: [tensor('last_hidden_state', FLOAT, ['batch', 'sequence', 'hidden'])],
    },
  });
  return ModelProto.encode(message).finish();
}

/** Writes the model under `<modelsDir>/<name>/` and returns that folder. */
export function writeTinyBert(modelsDir: string, name: string): string {
  const dir = path.join(modelsDir, name);
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  const vocab = Object.fromEntries(Object.keys(WORDS).map((word, id) => [word, id]));
  const special = (content: string) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], hidden_size: 4, vocab_size: Object.keys(vocab).length }));
  fs.writeFileSync(
    path.join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [special('[PAD]'), special('[UNK]')],
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
    }),
  );
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'PreTrainedTokenizer', pad_token: '[PAD]', unk_token: '[UNK]', model_max_length: 64 }));
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), onnxModel());
  return dir;
}
