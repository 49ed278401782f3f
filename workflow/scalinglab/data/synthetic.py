"""The synthetic Zipf-facts corpus: seeded, identical on every machine, entropy rate in closed form.

A *fact* k (k = 1..n_facts, rank order) is a fixed, distinct string of ``fact_length`` = ℓ token ids
drawn once from the seed over ids ``0..vocab_size-2`` (``vocab_size-1`` is the end-of-text token).
A *document* is ``facts_per_document`` = m facts drawn iid with Zipf frequencies

    p_k = k^-(α+1) / Σ_j j^-(α+1),

followed by one end-of-text token. This mirrors the quantization model of Michaud et al. (2023):
each fact is one quantum with power-law use frequency, so a model that has learned the n most
frequent facts has excess loss ∝ Σ_{k>n} p_k ∝ n^-α, which predicts L − E ∝ N^-α and ∝ D^-α/(α+1).

Entropy rate (the exact irreducible loss, nats per token). Facts are iid and have equal length, so
given the position inside the document the fact boundaries are known and, by the chain rule, the ℓ
tokens of a fact carry exactly H(p) = −Σ p_k log p_k; the end-of-text token is certain. Hence

    entropy_per_token_nats = m · H(p) / (m · ℓ + 1).

Boundary caveat: the formula assumes the predictor knows the phase (its position in the
document). A context window that starts mid-document does not, until it has seen an end-of-text
token or enough of a fact to place it; the excess is confined to those first tokens (at most about
log(m·ℓ+1) nats over them), so averaged over a window it shrinks like (m·ℓ+1)/block_size. Keep
documents short against block_size (the demo: documents of exactly block_size = 64 tokens, so
every window starts at a document boundary and the formula is the floor of the windows).

Determinism: everything comes from ``numpy.random.default_rng(seed)`` (PCG64), whose stream is
fixed for the pinned numpy; documents are generated in batches of a fixed size, so the output does
not depend on memory or core count.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from scalinglab.data.tokens import DataError

BATCH_DOCUMENTS = 4096  # fixed: the random stream is consumed in the same order whatever the machine


@dataclass(frozen=True)
class SyntheticCorpus:
    documents: int = 60_000
    vocab_size: int = 512
    n_facts: int = 2_000
    fact_length: int = 4
    facts_per_document: int = 16
    alpha: float = 0.5
    seed: int = 1337

    def __post_init__(self):
        check = [
            ("documents", self.documents, 1),
            ("vocab_size", self.vocab_size, 3),
            ("n_facts", self.n_facts, 1),
            ("fact_length", self.fact_length, 1),
            ("facts_per_document", self.facts_per_document, 1),
        ]
        for name, value, low in check:
            if int(value) != value or value < low:
                raise DataError(f"data.synthetic.{name}={value!r} must be an integer >= {low}")
        if self.vocab_size > 65536:
            raise DataError(f"data.synthetic.vocab_size={self.vocab_size} must be <= 65536 (uint16 token files)")
        if not (math.isfinite(self.alpha) and self.alpha > 0):
            raise DataError(f"data.synthetic.alpha={self.alpha!r} must be > 0 (Zipf exponent α+1 > 1)")
        strings = (self.vocab_size - 1) ** self.fact_length
        if self.n_facts * 2 > strings:
            raise DataError(
                f"data.synthetic.n_facts={self.n_facts} needs at least twice as many distinct strings as facts, "
                f"but (vocab_size-1)^fact_length = {strings}: raise vocab_size or fact_length"
            )

    @property
    def eot_token(self) -> int:
        return self.vocab_size - 1

    @property
    def document_tokens(self) -> int:
        return self.facts_per_document * self.fact_length + 1

    @property
    def tokens(self) -> int:
        return self.documents * self.document_tokens

    def frequencies(self) -> np.ndarray:
        """p_k ∝ k^-(α+1), k = 1..n_facts."""
        weights = np.arange(1, self.n_facts + 1, dtype=np.float64) ** -(self.alpha + 1.0)
        return weights / weights.sum()

    def fact_entropy_nats(self) -> float:
        p = self.frequencies()
        return float(-(p * np.log(p)).sum())

    def entropy_per_token_nats(self) -> float:
        """m·H(p) / (m·ℓ + 1): the exact entropy rate, end-of-text tokens included (module docstring)."""
        m, ell = self.facts_per_document, self.fact_length
        return m * self.fact_entropy_nats() / (m * ell + 1)

    def facts(self, rng: np.random.Generator) -> np.ndarray:
        """(n_facts, ℓ) distinct token strings over 0..vocab_size-2, row k-1 = fact of rank k."""
        need, found = self.n_facts, np.empty((0, self.fact_length), dtype=np.int64)
        while found.shape[0] < need:
            draw = rng.integers(0, self.vocab_size - 1, size=(2 * need, self.fact_length))
            both = np.concatenate([found, draw])
            _, first = np.unique(both, axis=0, return_index=True)
            found = both[np.sort(first)]  # keep draw order: deterministic, independent of sorting
        return found[:need].astype(np.uint16)

    def iter_documents(self) -> Iterator[np.ndarray]:
        """Yields (batch, document_tokens) uint16 arrays; each row is one document ending in EOT."""
        rng = np.random.default_rng(self.seed)
        table = self.facts(rng)
        cdf = np.cumsum(self.frequencies())
        cdf[-1] = 1.0
        m = self.facts_per_document
        for start in range(0, self.documents, BATCH_DOCUMENTS):
            n = min(BATCH_DOCUMENTS, self.documents - start)
            # Inverse-CDF sampling from uniform doubles: the stream is consumed identically per batch.
            ranks = np.searchsorted(cdf, rng.random(n * m), side="right")
            body = table[ranks].reshape(n, m * self.fact_length)
            eot = np.full((n, 1), self.eot_token, dtype=np.uint16)
            yield np.concatenate([body, eot], axis=1)

    def sidecar(self) -> dict:
        """Generator parameters and the exact entropy rate, recorded in every token sidecar."""
        params = asdict(self)
        params.pop("seed")
        return dict(
            generator="zipf_facts",
            synthetic=params,
            alpha=self.alpha,
            n_facts=self.n_facts,
            fact_length=self.fact_length,
            facts_per_document=self.facts_per_document,
            fact_entropy_nats=self.fact_entropy_nats(),
            entropy_per_token_nats=self.entropy_per_token_nats(),
        )


# ---------------------------------------------------------------- the floor the trainer can reach

@dataclass(frozen=True)
class WindowFloor:
    """The lowest mean loss per predicted token any model can reach on the trainer's windows.

    ``lo == hi`` when exact (at most one phase lets a window of block_size + 1 tokens miss the
    end-of-text token, i.e. block_size + 2 >= document length); otherwise [lo, hi] is a stated bound (see
    ``window_entropy_floor``). ``phase_known`` is the entropy rate m·H(p)/(m·ℓ+1), reached only
    by a predictor told its position in the document.
    """

    lo: float
    hi: float
    exact: bool
    block_size: int
    document_tokens: int
    phase_known: float
    windows: int

    @property
    def value(self) -> float:
        return 0.5 * (self.lo + self.hi)


def _entropy(weights: np.ndarray) -> float:
    w = weights[weights > 0]
    w = w / w.sum()
    return float(-(w * np.log(w)).sum())


def _substring_entropy(table: np.ndarray, p: np.ndarray, a: int, b: int, cache: dict) -> float:
    """Entropy of tokens a..b-1 of a random fact (p-weighted; distinct facts may share them)."""
    if (a, b) not in cache:
        if a == 0 and b == table.shape[1]:
            cache[a, b] = _entropy(p)  # facts are distinct
        else:
            _, inverse = np.unique(table[:, a:b], axis=0, return_inverse=True)
            cache[a, b] = _entropy(np.bincount(inverse.ravel(), weights=p))
    return cache[a, b]


def window_entropy_floor(meta: dict, block_size: int, tokens: int | None = None) -> WindowFloor:
    """Irreducible loss of the trainer's windows on the Zipf-facts corpus described by `meta`.

    `meta` is a token sidecar of the synthetic source (it names the generator parameters and the
    seed, so the fact table is rebuilt exactly); `tokens` defaults to ``meta["tokens"]``. The
    trainer (``scalinglab.train.data.TokenWindows``) cuts the file into windows starting at
    s = w·block_size, w < W = (tokens - 1) // block_size, of block_size + 1 tokens X_0..X_T
    (T = block_size), and scores T predictions, the t-th given X_0..X_{t-1}. Documents are all
    L = m·ℓ + 1 tokens long, so a window's phase φ = s mod L (its start inside a document) is
    fixed by w; the model is not told it. By the chain rule the best mean loss over a window is

        [H(X_0..X_T) − H(X_0)] / T,   H(X_0..X_T) = H(φ) + H(X_0..X_T | φ) − H(φ | X_0..X_T),

    with φ distributed as over the file's W windows. Given φ the window is a run of independent
    fact pieces (entropy of each piece's token substring under p, from the fact table) and
    certain end-of-text tokens. The end-of-text token appears only at document ends, so a window
    holding one reveals φ, and so does its absence when only one phase misses it: H(φ | X) = 0
    when T + 2 >= L, and the floor is exact. Shorter windows may miss it from several phases; then 0 <= H(φ | X) <= P(no end-of-text) · log(#phases without one), which gives
    the stated bound [lo, hi].
    """
    if meta.get("generator") != "zipf_facts" or "synthetic" not in meta:
        raise DataError(f"window_entropy_floor needs a synthetic-corpus sidecar (generator "
                        f"zipf_facts), got source {meta.get('source')!r}")
    if int(block_size) != block_size or block_size < 1:
        raise DataError(f"block_size={block_size!r} must be an integer >= 1")
    corpus = SyntheticCorpus(**meta["synthetic"], seed=int(meta["seed"]))
    table = corpus.facts(np.random.default_rng(corpus.seed))
    p = corpus.frequencies()
    ell, L, T = corpus.fact_length, corpus.document_tokens, int(block_size)
    n_tokens = int(meta["tokens"] if tokens is None else tokens)
    W = (n_tokens - 1) // T
    if W < 1:
        raise DataError(f"block_size={T} needs at least {T + 1} tokens but the file holds {n_tokens}")
    # Phase distribution over the file's windows: w·T mod L, w < W (counted in closed form per residue).
    phase_counts = np.zeros(L)
    period = L // math.gcd(T, L)
    full, rest = divmod(W, period)
    cycle = (np.arange(period) * T) % L
    np.add.at(phase_counts, cycle, full)
    np.add.at(phase_counts, cycle[:rest], 1)
    pi = phase_counts / phase_counts.sum()

    cache: dict = {}
    first_token = np.zeros(corpus.vocab_size)  # P(X_0)
    column = [np.bincount(table[:, i], weights=p, minlength=corpus.vocab_size) for i in range(ell)]
    h_given_phase = 0.0
    no_eot_mass, no_eot_phases = 0.0, 0
    for phi in np.flatnonzero(pi):
        # Split document positions phi..phi+T into pieces of facts; EOT (position L-1) is certain.
        h, pos, end, saw_eot = 0.0, int(phi), int(phi) + T + 1, False
        while pos < end:
            within = pos % L
            if within == L - 1:
                saw_eot = True
                pos += 1
                continue
            a = within % ell
            b = min(ell, a + (end - pos))
            h += _substring_entropy(table, p, a, b, cache)
            pos += b - a
        h_given_phase += pi[phi] * h
        if phi % L == L - 1:
            first_token[corpus.eot_token] += pi[phi]
        else:
            first_token += pi[phi] * column[(phi % L) % ell]
        if not saw_eot:
            no_eot_mass += pi[phi]
            no_eot_phases += 1
    hi_total = _entropy(pi) + h_given_phase - _entropy(first_token)
    slack = no_eot_mass * math.log(no_eot_phases) if no_eot_phases > 1 else 0.0
    return WindowFloor(lo=float((hi_total - slack) / T), hi=float(hi_total / T), exact=bool(slack == 0.0),
                       block_size=T, document_tokens=L,
                       phase_known=float(corpus.entropy_per_token_nats()), windows=int(W))
