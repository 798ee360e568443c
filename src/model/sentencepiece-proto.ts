/**
 * Reads a SentencePiece `spiece.model` (a serialized `sentencepiece.ModelProto`).
 *
 * Only the fields a tokenizer needs are declared; protobufjs skips the rest of the
 * wire data, so models written by newer SentencePiece versions still parse.
 * Field numbers follow google/sentencepiece `src/sentencepiece_model.proto`.
 */
import protobuf from 'protobufjs';
import { ModelError } from '../errors.js';

const SCHEMA = `
syntax = "proto2";
package sentencepiece;

message TrainerSpec {
  enum ModelType { UNIGRAM = 1; BPE = 2; WORD = 3; CHAR = 4; }
  optional ModelType model_type = 3 [default = UNIGRAM];
  optional int32 vocab_size = 4 [default = 8000];
  optional bool split_digits = 25 [default = false];
  optional bool treat_whitespace_as_suffix = 24 [default = false];
  optional bool byte_fallback = 35 [default = false];
  optional int32 unk_id = 40 [default = 0];
  optional int32 bos_id = 41 [default = 1];
  optional int32 eos_id = 42 [default = 2];
  optional int32 pad_id = 43 [default = -1];
  optional string unk_piece = 45 [default = "<unk>"];
  optional string bos_piece = 46 [default = "<s>"];
  optional string eos_piece = 47 [default = "</s>"];
  optional string pad_piece = 48 [default = "<pad>"];
}

message NormalizerSpec {
  optional string name = 1;
  optional bytes precompiled_charsmap = 2;
  optional bool add_dummy_prefix = 3 [default = true];
  optional bool remove_extra_whitespaces = 4 [default = true];
  optional bool escape_whitespaces = 5 [default = true];
}

message ModelProto {
  message SentencePiece {
    enum Type { NORMAL = 1; UNKNOWN = 2; CONTROL = 3; USER_DEFINED = 4; UNUSED = 5; BYTE = 6; }
    optional string piece = 1;
    optional float score = 2;
    optional Type type = 3 [default = NORMAL];
  }
  repeated SentencePiece pieces = 1;
  optional TrainerSpec trainer_spec = 2;
  optional NormalizerSpec normalizer_spec = 3;
}
`;

// Parsed once per process: the schema is a constant.
const modelProtoType = protobuf.parse(SCHEMA, { keepCase: true }).root.lookupType('sentencepiece.ModelProto');

export type SentencePieceType = 'normal' | 'unknown' | 'control' | 'user_defined' | 'unused' | 'byte';
export type SentencePieceModelType = 'unigram' | 'bpe' | 'word' | 'char';

export interface SentencePiece {
  readonly piece: string;
  /** Log probability for unigram models (float32 on disk, exact in a JS number). */
  readonly score: number;
  readonly type: SentencePieceType;
}

export interface SentencePieceTrainerSpec {
  readonly modelType: SentencePieceModelType;
  readonly vocabSize: number;
  readonly byteFallback: boolean;
  readonly splitDigits: boolean;
  readonly treatWhitespaceAsSuffix: boolean;
  /** Ids of the special pieces; -1 means "not defined". */
  readonly unkId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkPiece: string;
  readonly bosPiece: string;
  readonly eosPiece: string;
  readonly padPiece: string;
}

export interface SentencePieceNormalizerSpec {
  readonly name: string;
  /** The compiled normalization rules (empty when the model has none). */
  readonly precompiledCharsmap: Uint8Array;
  readonly addDummyPrefix: boolean;
  readonly removeExtraWhitespaces: boolean;
  readonly escapeWhitespaces: boolean;
}

export interface SentencePieceModel {
  readonly pieces: readonly SentencePiece[];
  readonly trainerSpec: SentencePieceTrainerSpec;
  readonly normalizerSpec: SentencePieceNormalizerSpec;
}

const PIECE_TYPES: Record<number, SentencePieceType> = {
  1: 'normal', 2: 'unknown', 3: 'control', 4: 'user_defined', 5: 'unused', 6: 'byte',
};
const MODEL_TYPES: Record<number, SentencePieceModelType> = { 1: 'unigram', 2: 'bpe', 3: 'word', 4: 'char' };

interface RawPiece { piece: string; score: number; type: number }
interface RawTrainerSpec {
  model_type: number; vocab_size: number; byte_fallback: boolean; split_digits: boolean;
  treat_whitespace_as_suffix: boolean; unk_id: number; bos_id: number; eos_id: number; pad_id: number;
  unk_piece: string; bos_piece: string; eos_piece: string; pad_piece: string;
}
interface RawNormalizerSpec {
  name: string; precompiled_charsmap: Uint8Array; add_dummy_prefix: boolean;
  remove_extra_whitespaces: boolean; escape_whitespaces: boolean;
}
interface RawModel { pieces: RawPiece[]; trainer_spec?: RawTrainerSpec; normalizer_spec?: RawNormalizerSpec }

/**
 * Decodes the bytes of a SentencePiece model file into plain, frozen data.
 *
 * @param bytes the whole `spiece.model` file
 * @param source a name for error messages (usually the file path)
 * @throws ModelError `ALB_SPM_INVALID` when the bytes are not a SentencePiece model
 *
 * @example
 * ```ts
 * const spm = parseSentencePieceModel(await readFile('spiece.model'), 'spiece.model');
 * spm.pieces[4].piece; // '[MASK]'
 * ```
 */
export function parseSentencePieceModel(bytes: Uint8Array, source = '<bytes>'): SentencePieceModel {
  let raw: RawModel;
  try {
    raw = modelProtoType.decode(bytes) as unknown as RawModel;
  } catch (err) {
    throw new ModelError('ALB_SPM_INVALID', `${source}: not a SentencePiece model (${(err as Error).message})`,
      { source }, { cause: err });
  }
  if (raw.pieces.length === 0) {
    throw new ModelError('ALB_SPM_INVALID', `${source}: SentencePiece model has no pieces (got ${bytes.length} bytes)`, { source });
  }
  // A decoded message without the sub-message still exposes proto2 defaults via a fresh instance.
  const root = modelProtoType.root;
  const ts = raw.trainer_spec ?? (root.lookupType('sentencepiece.TrainerSpec').create() as unknown as RawTrainerSpec);
  const ns = raw.normalizer_spec ?? (root.lookupType('sentencepiece.NormalizerSpec').create() as unknown as RawNormalizerSpec);

  const pieces = raw.pieces.map((p, i): SentencePiece => {
    const type = PIECE_TYPES[p.type];
    if (type === undefined) {
      throw new ModelError('ALB_SPM_INVALID', `${source}: piece ${i} (${JSON.stringify(p.piece)}) has unknown type ${p.type}`, { source });
    }
    return Object.freeze({ piece: p.piece, score: p.score, type });
  });
  const modelType = MODEL_TYPES[ts.model_type];
  if (modelType === undefined) {
    throw new ModelError('ALB_SPM_INVALID', `${source}: unknown trainer_spec.model_type ${ts.model_type}`, { source });
  }
  return Object.freeze({
    pieces: Object.freeze(pieces),
    trainerSpec: Object.freeze({
      modelType,
      vocabSize: ts.vocab_size,
      byteFallback: ts.byte_fallback,
      splitDigits: ts.split_digits,
      treatWhitespaceAsSuffix: ts.treat_whitespace_as_suffix,
      unkId: ts.unk_id,
      bosId: ts.bos_id,
      eosId: ts.eos_id,
      padId: ts.pad_id,
      unkPiece: ts.unk_piece,
      bosPiece: ts.bos_piece,
      eosPiece: ts.eos_piece,
      padPiece: ts.pad_piece,
    }),
    normalizerSpec: Object.freeze({
      name: ns.name ?? '',
      // Copy so the result does not pin (or alias) the caller's file buffer.
      precompiledCharsmap: new Uint8Array(ns.precompiled_charsmap ?? new Uint8Array(0)),
      addDummyPrefix: ns.add_dummy_prefix,
      removeExtraWhitespaces: ns.remove_extra_whitespaces,
      escapeWhitespaces: ns.escape_whitespaces,
    }),
  });
}

/**
 * Finds a piece's id, or -1.
 *
 * @example
 * ```ts
 * pieceId(spm, '[MASK]'); // 4
 * ```
 */
export function pieceId(spm: SentencePieceModel, piece: string): number {
  return spm.pieces.findIndex((p) => p.piece === piece);
}
