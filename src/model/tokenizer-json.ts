/**
 * Builds the `tokenizer.json` that HF transformers' `AlbertConverter`
 * (convert_slow_tokenizer.py) makes from a `spiece.model`, so a folder that only
 * ships the SentencePiece model can be loaded by the `tokenizers` package.
 */
import { ModelError } from '../errors.js';
import type { SentencePieceModel } from './sentencepiece-proto.js';

export interface AlbertTokenizerJsonOptions {
  /** `do_lower_case` of tokenizer_config.json; ALBERT's default is true. */
  doLowerCase?: boolean;
  /** `keep_accents` of tokenizer_config.json; ALBERT's default is false (NFKD + strip accents). */
  keepAccents?: boolean;
  /** Special token strings, as tokenizer_config.json names them. */
  padToken?: string;
  unkToken?: string;
  clsToken?: string;
  sepToken?: string;
  maskToken?: string;
}

export interface ResolvedAlbertTokenizerJsonOptions {
  readonly doLowerCase: boolean;
  readonly keepAccents: boolean;
  readonly padToken: string;
  readonly unkToken: string;
  readonly clsToken: string;
  readonly sepToken: string;
  readonly maskToken: string;
}

/**
 * Fills ALBERT's defaults (those of `AlbertTokenizer.__init__`).
 *
 * @example
 * ```ts
 * resolveAlbertTokenizerJsonOptions({ keepAccents: true }).doLowerCase; // true
 * ```
 */
export function resolveAlbertTokenizerJsonOptions(opts: AlbertTokenizerJsonOptions = {}): ResolvedAlbertTokenizerJsonOptions {
  return Object.freeze({
    doLowerCase: opts.doLowerCase ?? true,
    keepAccents: opts.keepAccents ?? false,
    padToken: opts.padToken ?? '<pad>',
    unkToken: opts.unkToken ?? '<unk>',
    clsToken: opts.clsToken ?? '[CLS]',
    sepToken: opts.sepToken ?? '[SEP]',
    maskToken: opts.maskToken ?? '[MASK]',
  });
}

/**
 * Reads the tokenizer options out of a parsed `tokenizer_config.json`, ignoring
 * keys it does not know and values of the wrong type (HF's own loader does the same).
 *
 * @example
 * ```ts
 * albertTokenizerOptionsFromConfig({ do_lower_case: false, mask_token: '[MASK]' }); // { doLowerCase: false, maskToken: '[MASK]', ... }
 * ```
 */
export function albertTokenizerOptionsFromConfig(config: Record<string, unknown>): AlbertTokenizerJsonOptions {
  const bool = (k: string): boolean | undefined => (typeof config[k] === 'boolean' ? (config[k] as boolean) : undefined);
  const token = (k: string): string | undefined => {
    const v = config[k];
    if (typeof v === 'string') return v;
    // Older configs store AddedToken dicts: { content: '[MASK]', lstrip: true, ... }.
    if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') {
      return (v as { content: string }).content;
    }
    return undefined;
  };
  return {
    doLowerCase: bool('do_lower_case'),
    keepAccents: bool('keep_accents'),
    padToken: token('pad_token'),
    unkToken: token('unk_token'),
    clsToken: token('cls_token'),
    sepToken: token('sep_token'),
    maskToken: token('mask_token'),
  };
}

/**
 * HF's `check_number_comma`: a piece like "1," is pushed down by 100 so the unigram
 * model prefers splitting the comma off a number, as the slow AlbertTokenizer did.
 */
function checkNumberComma(piece: string): boolean {
  const chars = Array.from(piece);
  if (chars.length < 2 || chars[chars.length - 1] !== ',') return true;
  return !isPythonDigit(chars[chars.length - 2]);
}

// Python's str.isdigit() is true for decimal digits and other digit characters (superscripts, circled digits).
function isPythonDigit(ch: string): boolean {
  return /^[\p{Nd}\u00B2\u00B3\u00B9\u2070-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247C\u2488-\u2490\u24EA\u24F5-\u24FD\u24FF\u2776-\u277E\u2780-\u2788\u278A-\u2792\u{1F100}-\u{1F10A}]$/u.test(ch);
}

interface AddedTokenJson {
  id: number; content: string; single_word: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean; special: boolean;
}

/**
 * Builds the tokenizer.json object for an ALBERT SentencePiece model, key for key as
 * HF's AlbertConverter writes it. Pass it to the `tokenizers` package with
 * `Tokenizer.fromString(JSON.stringify(json))`.
 *
 * Apply ALBERT's `remove_space` step (see `albertRemoveSpace`) to text before encoding,
 * as the HF tokenizer does.
 *
 * @throws ModelError `ALB_SPM_UNSUPPORTED` for non-unigram models, `ALB_SPM_MISSING_TOKEN`
 *   when the unk or [CLS]/[SEP] tokens are not pieces of the model
 *
 * @example
 * ```ts
 * const spm = parseSentencePieceModel(await readFile('spiece.model'));
 * const tok = Tokenizer.fromString(JSON.stringify(buildAlbertTokenizerJson(spm)));
 * (await tok.encode('hello world')).getIds(); // [2, ..., 3]
 * ```
 */
export function buildAlbertTokenizerJson(spm: SentencePieceModel, opts: AlbertTokenizerJsonOptions = {}): Record<string, unknown> {
  const o = resolveAlbertTokenizerJsonOptions(opts);
  if (spm.trainerSpec.modelType !== 'unigram') {
    throw new ModelError('ALB_SPM_UNSUPPORTED',
      `ALBERT tokenizers are unigram SentencePiece models; this one is ${JSON.stringify(spm.trainerSpec.modelType)}`,
      { modelType: spm.trainerSpec.modelType });
  }
  const idOf = new Map<string, number>();
  spm.pieces.forEach((p, i) => { if (!idOf.has(p.piece)) idOf.set(p.piece, i); });

  const required = (token: string, role: string): number => {
    const id = idOf.get(token);
    if (id === undefined) {
      throw new ModelError('ALB_SPM_MISSING_TOKEN', `${role} ${JSON.stringify(token)} is not a piece of the SentencePiece model`, { token, role });
    }
    return id;
  };
  const clsId = required(o.clsToken, 'cls_token');
  const sepId = required(o.sepToken, 'sep_token');
  required(o.unkToken, 'unk_token');

  // HF adds special tokens missing from the vocabulary after its last id.
  let nextId = spm.pieces.length;
  const specials: Array<[string, boolean]> = [
    [o.padToken, false], [o.unkToken, false], [o.clsToken, false], [o.sepToken, false], [o.maskToken, true],
  ];
  const added: AddedTokenJson[] = [];
  const seen = new Set<string>();
  for (const [content, lstrip] of specials) {
    if (seen.has(content)) continue;
    seen.add(content);
    const id = idOf.get(content) ?? nextId++;
    added.push({ id, content, single_word: false, lstrip, rstrip: false, normalized: false, special: true });
  }
  added.sort((a, b) => a.id - b.id);

  const normalizers: Array<Record<string, unknown>> = [
    { type: 'Replace', pattern: { String: '``' }, content: '"' },
    { type: 'Replace', pattern: { String: "''" }, content: '"' },
  ];
  if (!o.keepAccents) normalizers.push({ type: 'NFKD' }, { type: 'StripAccents' });
  if (o.doLowerCase) normalizers.push({ type: 'Lowercase' });
  const charsmap = spm.normalizerSpec.precompiledCharsmap;
  if (charsmap.length > 0) {
    normalizers.push({ type: 'Precompiled', precompiled_charsmap: Buffer.from(charsmap.buffer, charsmap.byteOffset, charsmap.byteLength).toString('base64') });
  }
  normalizers.push({ type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' });

  const metaspace = {
    type: 'Metaspace',
    replacement: '\u2581',
    prepend_scheme: spm.normalizerSpec.addDummyPrefix ? 'always' : 'never',
    split: true,
  };

  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'Sequence', normalizers },
    pre_tokenizer: { ...metaspace },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: o.clsToken, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: o.sepToken, type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: o.clsToken, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: o.sepToken, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: o.sepToken, type_id: 1 } },
      ],
      special_tokens: {
        [o.clsToken]: { id: o.clsToken, ids: [clsId], tokens: [o.clsToken] },
        [o.sepToken]: { id: o.sepToken, ids: [sepId], tokens: [o.sepToken] },
      },
    },
    decoder: { ...metaspace },
    model: {
      type: 'Unigram',
      unk_id: spm.trainerSpec.unkId,
      vocab: spm.pieces.map((p) => [p.piece, checkNumberComma(p.piece) ? p.score : p.score - 100]),
      byte_fallback: spm.trainerSpec.byteFallback,
    },
  };
}
