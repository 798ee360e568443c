import tokenizers from 'tokenizers';
import { ModelError } from '../errors.js';
import { albertRemoveSpace as removeSpace } from './remove-space.js';
import { cutPieces, Int32Growable, PIECES_PER_CALL, PIECE_UNITS } from './text-pieces.js';
import { codePointLength, PreparedText } from './token-offsets.js';

type NativeTokenizer = InstanceType<typeof tokenizers.Tokenizer>;
type NativeEncoding = Awaited<ReturnType<NativeTokenizer['encode']>>;

/** One row after ALBERT tokenization: `[CLS] a [SEP] (b [SEP])`, truncated to the max length. */
export interface Encoded {
  ids: Int32Array;
  /** token_type_ids; `null` for single segments, where they are all 0. */
  typeIds: Int32Array | null;
  truncated: boolean;
  /**
   * With `{ offsets: true }`: `[start, end)` of each token in the original text, in code
   * points, as pairs (2 per token); `[0, 0]` for [CLS] and [SEP]. See token-offsets.ts.
   */
  offsets?: Int32Array;
}

/** A whole document's tokens, without [CLS]/[SEP] and never truncated (see {@link AlbertTokenizer.encodeLong}). */
export interface LongEncoding {
  ids: Int32Array;
  /** As {@link Encoded.offsets}, when asked for. */
  offsets: Int32Array | null;
}

/** What {@link AlbertTokenizer.encodeBatch} computes beyond ids. */
export interface EncodeOptions {
  /** Each token's span in the original text (single segments only). */
  offsets?: boolean;
}

export interface EncodeLongOptions extends EncodeOptions {
  /** Stop once this many tokens are known (the text's first pieces only): all a truncation needs. */
  maxTokens?: number;
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
  /** The id of the bare `▁` piece (a word boundary with nothing of the word), if the vocabulary has one. */
  private readonly metaId: number | null;
  private whole: NativeTokenizer | null = null;
  private pieces: string[] | null = null;

  private constructor(
    private readonly native: NativeTokenizer,
    readonly maxLength: number,
    /** Whitespace around an added token written in the text (see {@link prepare}). */
    private readonly aroundAdded: RegExp | null,
    /** The tokenizer.json text, for the untruncated twin encodeLong uses. */
    private readonly json: string,
  ) {
    const id = (token: string, fallback: number): number => native.tokenToId(token) ?? fallback;
    this.special = Object.freeze({ pad: id('<pad>', 0), unk: id('<unk>', 1), cls: id('[CLS]', 2), sep: id('[SEP]', 3), mask: id('[MASK]', 4) });
    this.metaId = native.tokenToId('\u2581');
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
    return new AlbertTokenizer(native, maxLength ?? Number.POSITIVE_INFINITY, aroundAddedTokens(added), json);
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

  /** The vocabulary's pieces by id (`▁hello`, `[CLS]`), read once: a lookup per token must not cross into native code. */
  vocabulary(): readonly string[] {
    if (!this.pieces) {
      const pieces = new Array<string>(this.vocabSize).fill('<unk>');
      for (const [piece, id] of Object.entries(this.native.getVocab(true))) pieces[id] = piece;
      this.pieces = pieces;
    }
    return this.pieces;
  }

  /**
   * Encodes a batch of texts (and optional second segments). Rejects the whole promise only
   * when the native call fails; callers that must isolate a bad row use {@link encodeOne}.
   */
  async encodeBatch(texts: readonly string[], textsB?: readonly (string | undefined)[], opts: EncodeOptions = {}): Promise<Encoded[]> {
    if (!textsB) {
      const prepared = texts.map((t) => this.prepare(t));
      const encodings = await this.native.encodeBatch(prepared);
      return encodings.map((e, i) => this.toEncoded(e, false, opts.offsets ? new PreparedText(texts[i], prepared[i]) : null));
    }
    // The Node binding's encodeBatch takes single sequences only; pairs go one call each
    // (still on the native thread pool, so concurrently).
    return Promise.all(texts.map((t, i) => this.encodeOne(t, textsB[i], opts)));
  }

  async encodeOne(text: string, textB?: string, opts: EncodeOptions = {}): Promise<Encoded> {
    if (opts.offsets && textB !== undefined) throw new Error('token offsets are for single segments only');
    const prepared = this.prepare(text);
    const e = await this.native.encode(prepared, textB === undefined ? null : this.prepare(textB));
    return this.toEncoded(e, textB !== undefined, opts.offsets ? new PreparedText(text, prepared) : null);
  }

  /**
   * A whole document's tokens, however long: no [CLS]/[SEP], no truncation. The text is
   * tokenized in pieces cut at whitespace (see PIECE_UNITS), so memory stays a few bytes per
   * token however large the document; the ids are those of the whole text, except where
   * more than 64K characters run without whitespace, which are cut there. With `maxTokens`,
   * at least that many tokens (or all), read from the start of the text.
   *
   * @example
   * ```ts
   * const { ids } = await tok.encodeLong(tenMegabytes);
   * ids.length; // every token, for long-document windows
   * ```
   */
  async encodeLong(text: string, opts: EncodeLongOptions = {}): Promise<LongEncoding> {
    const native = this.untruncated();
    const cuts = cutPieces(text, PIECE_UNITS);
    const ids = new Int32Growable();
    const offsets = opts.offsets ? new Int32Growable() : null;
    let cpBase = 0;
    for (let k = 0; k < cuts.length && ids.length < (opts.maxTokens ?? Infinity); k += PIECES_PER_CALL) {
      const originals = cuts.slice(k, k + PIECES_PER_CALL).map(([s, e]) => text.slice(s, e));
      const prepared = originals.map((o) => this.prepare(o));
      const encodings = await native.encodeBatch(prepared, { addSpecialTokens: false });
      encodings.forEach((enc, i) => {
        const pieceIds = enc.getIds();
        ids.push(pieceIds);
        if (!offsets) return;
        const pt = new PreparedText(originals[i], prepared[i]);
        const offs = enc.getOffsets();
        for (let t = 0; t < pieceIds.length; t++) {
          const [a, b] = pt.span(offs[t][0], offs[t][1], pieceIds[t] === this.metaId);
          offsets.push2(cpBase + a, cpBase + b);
        }
        cpBase += codePointLength(originals[i]);
      });
    }
    return { ids: ids.toArray(), offsets: offsets ? offsets.toArray() : null };
  }

  private untruncated(): NativeTokenizer {
    if (!this.whole) {
      this.whole = tokenizers.Tokenizer.fromString(this.json);
      this.whole.disableTruncation();
    }
    return this.whole;
  }

  private toEncoded(e: NativeEncoding, pair: boolean, text: PreparedText | null): Encoded {
    const ids = Int32Array.from(e.getIds());
    const encoded: Encoded = { ids, typeIds: pair ? Int32Array.from(e.getTypeIds()) : null, truncated: e.getOverflowing().length > 0 };
    if (text) {
      const offs = e.getOffsets();
      const out = new Int32Array(ids.length * 2);
      // [CLS] first and [SEP] last keep [0, 0], as HF's tokenizers reports them.
      for (let t = 1; t < ids.length - 1; t++) {
        const [a, b] = text.span(offs[t][0], offs[t][1], ids[t] === this.metaId);
        out[2 * t] = a;
        out[2 * t + 1] = b;
      }
      encoded.offsets = out;
    }
    return encoded;
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
