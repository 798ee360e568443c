import tokenizers from 'tokenizers';
import { ModelError } from '../errors.js';
import { albertRemoveSpace as removeSpace } from './remove-space.js';

type NativeTokenizer = InstanceType<typeof tokenizers.Tokenizer>;
type NativeEncoding = Awaited<ReturnType<NativeTokenizer['encode']>>;

/** One row after ALBERT tokenization: `[CLS] a [SEP] (b [SEP])`, truncated to the max length. */
export interface Encoded {
  ids: Int32Array;
  /** token_type_ids; `null` for single segments, where they are all 0. */
  typeIds: Int32Array | null;
  truncated: boolean;
}

/** The ids ALBERT gives its special tokens (the SentencePiece models here all agree). */
export interface SpecialIds {
  pad: number;
  unk: number;
  cls: number;
  sep: number;
  mask: number;
}

/**
 * ALBERT's tokenizer with the semantics of HF's AlbertTokenizer: `remove_space` first, then
 * the tokenizer.json pipeline (quotes, NFKD, strip accents, lowercase, precompiled charsmap,
 * Metaspace, Unigram), special tokens written in the text honoured (`[MASK]` absorbs the
 * space before it), and longest-first truncation of pairs. The heavy lifting runs in
 * HF's Rust `tokenizers`, on its own threads, so the event loop stays free.
 *
 * @example
 * ```ts
 * const tok = AlbertTokenizer.fromJson(readFileSync('tokenizer.json', 'utf8'), 512);
 * const [enc] = await tok.encodeBatch(['Hello world']);
 * enc.ids; // Int32Array [2, ..., 3]
 * ```
 */
export class AlbertTokenizer {
  readonly special: SpecialIds;

  private constructor(
    private readonly native: NativeTokenizer,
    readonly maxLength: number,
    /** Whitespace around an added token written in the text (see {@link prepare}). */
    private readonly aroundAdded: RegExp | null,
  ) {
    const id = (token: string, fallback: number): number => native.tokenToId(token) ?? fallback;
    this.special = Object.freeze({ pad: id('<pad>', 0), unk: id('<unk>', 1), cls: id('[CLS]', 2), sep: id('[SEP]', 3), mask: id('[MASK]', 4) });
  }

  /** Builds the tokenizer from the text of a `tokenizer.json`; `maxLength: null` never truncates. */
  static fromJson(json: string, maxLength: number | null, source = 'tokenizer.json'): AlbertTokenizer {
    let native: NativeTokenizer;
    let added: unknown;
    try {
      native = tokenizers.Tokenizer.fromString(json);
      added = (JSON.parse(json) as { added_tokens?: unknown }).added_tokens;
    } catch (err) {
      throw new ModelError('ALB_MODEL_TOKENIZER_INVALID', `${source}: the tokenizers library cannot load it: ${(err as Error).message}`, { file: source });
    }
    if (maxLength === null) native.disableTruncation();
    else native.setTruncation(maxLength, { strategy: 'LongestFirst' as never });
    return new AlbertTokenizer(native, maxLength ?? Number.POSITIVE_INFINITY, aroundAddedTokens(added));
  }

  /**
   * ALBERT's pre-processing: `remove_space`, then no space next to an added token written
   * in the text. HF's AlbertTokenizer splits the text at added tokens and strips each piece,
   * so `to <pad> in` is `▁to <pad> ▁in`; given the space, the Rust pipeline's Metaspace
   * would make it a lone `▁` piece (`▁to ▁ <pad> ▁in`).
   */
  private prepare(text: string): string {
    const t = removeSpace(text);
    return this.aroundAdded ? t.replace(this.aroundAdded, '$1') : t;
  }

  get vocabSize(): number {
    return this.native.getVocabSize(true);
  }

  idToToken(id: number): string | null {
    return this.native.idToToken(id);
  }

  /** Every vocabulary piece, by id. */
  vocabulary(): string[] {
    return Array.from({ length: this.vocabSize }, (_, id) => this.native.idToToken(id) ?? '');
  }

  /**
   * Encodes a batch of texts (and optional second segments). Rejects the whole promise only
   * when the native call fails; callers that must isolate a bad row use {@link encodeOne}.
   */
  async encodeBatch(texts: readonly string[], textsB?: readonly (string | undefined)[]): Promise<Encoded[]> {
    if (!textsB) {
      const encodings = await this.native.encodeBatch(texts.map((t) => this.prepare(t)));
      return encodings.map((e) => toEncoded(e, false));
    }
    // The Node binding's encodeBatch takes single sequences only; pairs go one call each
    // (still on the native thread pool, so concurrently).
    return Promise.all(texts.map((t, i) => this.encodeOne(t, textsB[i])));
  }

  async encodeOne(text: string, textB?: string): Promise<Encoded> {
    const e = await this.native.encode(this.prepare(text), textB === undefined ? null : this.prepare(textB));
    return toEncoded(e, textB !== undefined);
  }

  /** Ids and their vocabulary pieces (as HF's convert_ids_to_tokens gives them), for `albert tokenize`. */
  async tokenize(text: string, textB?: string): Promise<{ ids: number[]; tokens: string[]; typeIds: number[]; truncated: boolean }> {
    const e = await this.native.encode(this.prepare(text), textB === undefined ? null : this.prepare(textB));
    const ids = e.getIds();
    return { ids, tokens: ids.map((id) => this.native.idToToken(id) ?? '<unk>'), typeIds: e.getTypeIds(), truncated: e.getOverflowing().length > 0 };
  }
}

/** Matches an added token (`[MASK]`, `<pad>`, ...) with the one space on either side that remove_space leaves. */
function aroundAddedTokens(added: unknown): RegExp | null {
  const contents = Array.isArray(added) ? added.map((t) => (t as { content?: unknown }).content).filter((c): c is string => typeof c === 'string' && c.trim() !== '') : [];
  if (contents.length === 0) return null;
  const alternatives = contents.sort((a, b) => b.length - a.length).map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(` ?(${alternatives.join('|')}) ?`, 'g');
}

function toEncoded(e: NativeEncoding, pair: boolean): Encoded {
  return {
    ids: Int32Array.from(e.getIds()),
    typeIds: pair ? Int32Array.from(e.getTypeIds()) : null,
    truncated: e.getOverflowing().length > 0,
  };
}
