#ifndef MOVIEREC_KERNELS_H
#define MOVIEREC_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The numeric inner loops of movierec, in C so that one source can be compiled for several
 * instruction sets (AVX-512, AVX2, the baseline, NEON) and picked at run time.
 *
 * Every output element is computed by one fixed sequence of IEEE single-precision multiplies and adds
 * (never fused), whatever the instruction set: vector lanes only ever hold independent output elements.
 * So every path gives bit-identical results, on every machine.
 *
 * Dense arrays are row-major; `stride` (floats between rows) must be a multiple of 16 wherever it is named so.
 */

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels of the kernels: the portable baseline, AVX2, AVX-512F.
typedef enum {
    MRKernelLevelBaseline = 0,
    MRKernelLevelAVX2 = 1,
    MRKernelLevelAVX512 = 2
} MRKernelLevel;

/// The level the kernels use: the best the processor and the operating system support, unless
/// `mr_kernel_level_set` chose a lower one.
MRKernelLevel mr_kernel_level(void);

/// Forces `level` (clamped to what the machine supports) and returns the level now in use; a negative
/// value restores the automatic choice. For tests that compare the paths.
MRKernelLevel mr_kernel_level_set(int level);

/// Sparse × dense, one output row per sparse row in `firstRow ..< endRow`:
/// `output[r·stride + c] = Σ_{p ∈ rowPointers[r] ..< rowPointers[r+1]} values[p] · dense[indices[p]·stride + c]`
/// for every `c < stride`, terms added in `p` order starting from 0. `stride` is a multiple of 16.
void mr_sparse_dense_rows(const intptr_t *rowPointers, const int32_t *indices, const float *values,
                          intptr_t firstRow, intptr_t endRow, const float *dense, intptr_t stride,
                          float *output);

/// The transposed product by scattering: for every row `r < rows` and `p ∈ starts[r] ..< ends[r]`,
/// `output[indices[p]·stride + c] += values[p] · dense[r·stride + c]` for every `c < stride`, rows in order.
/// With `output` zeroed first this is `Aᵀ·D` restricted to the columns whose entries lie in `starts..<ends`,
/// each output element summed in row order (the same order as multiplying by a CSR transpose).
void mr_sparse_transpose_scatter(const intptr_t *starts, const intptr_t *ends, const int32_t *indices,
                                 const float *values, intptr_t rows, const float *dense, intptr_t stride,
                                 float *output);

/// Writes `output[c] = Σ_t coefficients[t] · source[indices[t]·stride + c]` for `firstColumn ≤ c < stride`,
/// terms added in `t` order from 0 (`stride`, `firstColumn` multiples of 16); `indices` NULL means 0, 1, 2, ….
/// With `upperTriangular`
/// (source row t is zero before column t, indices are 0, 1, 2, …) the terms that can only add zeros are skipped.
void mr_accumulate_row(const float *coefficients, const int32_t *indices, intptr_t count, const float *source,
                       intptr_t stride, float *output, intptr_t firstColumn, int upperTriangular);

/// One block of a tall product `aᵀ·b`: `out[i·stride + c] = Σ_{r<rows} a[r·aStride + i] · b[r·stride + c]` for
/// `i < aColumns` and `c < stride` (a multiple of 16), summed over `r` in order from 0 — the same bits as
/// ``mr_accumulate_row`` with column `i` of `a` as coefficients. With `upperOnly` row `i` starts at column
/// `i` rounded down to a multiple of 16 (the rest of it is left untouched), for Gram matrices `aᵀ·a`.
void mr_gram_block(const float *a, intptr_t aStride, intptr_t aColumns, const float *b, intptr_t stride,
                   intptr_t rows, float *out, int upperOnly);

/// `out = a·c` (or `out += a·c` when `adding`) for `rows` rows of `a` (`aStride` floats apart, `inner` used)
/// and the `inner × stride` matrix `c` (`stride` a multiple of 16; `out` rows are `stride` floats apart): each
/// element starts from 0 (or its value) and adds the terms in `t` order — with `adding == 0` the same bits as
/// ``mr_accumulate_row`` with row `r` of `a` as coefficients. Four rows share each load of a row of `c`.
void mr_dense_rows_product(const float *a, intptr_t aStride, intptr_t inner, const float *c, intptr_t stride,
                           intptr_t rows, float *out, int adding);

/// `Σ a[i]·b[i]` over `n` elements: 32 running lane sums (element i goes to lane i mod 32) over the
/// multiple-of-16 prefix, folded pairwise (lanes i and i+16, then i+8, i+4, i+2, i+1), then the tail in order.
float mr_dot(const float *a, const float *b, intptr_t n);

/// `output[t] = mr_dot(query, rows + rowIndices[t]·dimension, dimension)` for `t < count`, fetching the
/// rows a few steps ahead (the rows of a large factor matrix are usually not in cache).
void mr_gathered_dots(const float *query, const float *rows, intptr_t dimension, const int32_t *rowIndices,
                      intptr_t count, float *output);

/// `output[q·count + t] = mr_dot(queries + q·dimension, rows + rowIndices[t]·dimension, dimension)` for
/// `q < queryCount`, `t < count` (the same bits as ``mr_gathered_dots`` per query): each block of 16 gathered rows
/// is read once from memory and scored against every query while it is in cache.
void mr_gathered_dots_many(const float *queries, intptr_t queryCount, const float *rows, intptr_t dimension,
                           const int32_t *rowIndices, intptr_t count, float *output);

/// Softmax attention with a null key over `n` neighbours with cosines `cosines[t]` to the query: logits
/// `scale·cosines[t]` and 0 (the null key, value 0), the largest subtracted before exponentiating. Writes each
/// neighbour's weight to `weights[t]` (the neighbour at `own`, when `0 ≤ own < n`, is left out: weight 0), the
/// null key's to `*nullWeight` when that is not NULL, and returns `Σ weights[t]·values[t]` (0 when `values` is
/// NULL). The exponential and the sums are built from IEEE +, −, ×, ÷ in a fixed order (sixteen lanes, then folded
/// pairwise), so every processor gives the same bits; each weight is within a few ulp of the exact softmax.
float mr_null_key_softmax(const float *cosines, const float *values, intptr_t n, intptr_t own, float scale,
                          float *weights, float *nullWeight);

/// The `k` best of `scores[0..<count]` (higher score first, ties: lower index first; NaN scores and the index `skip`
/// left out; `skip` < 0 leaves none out), best first: their indices to `indices` and scores to `kept`, both with room
/// for `k`. Returns how many were kept (`k`, or fewer when fewer are offered). The same entries and order as a
/// selection that offers every score in turn.
intptr_t mr_top_k(const float *scores, intptr_t count, intptr_t skip, intptr_t k, int32_t *indices, float *kept);

/// For each p < count with `liked[movies[p]] >= 0` and `values[p] >= neighbourMean`, in order: writes
/// `min(liked[movies[p]], values[p] / neighbourMean)` (the smaller; the first when equal) to `scores` and `movies[p]` to
/// `found`, and returns how many were written. Branch-free: the test of each entry does not stall the loop.
intptr_t mr_shared_scores(const int32_t *movies, const float *values, intptr_t count, const float *liked,
                          float neighbourMean, float *scores, int32_t *found);

/// `sums[indices[p]] += scale·values[p] + 0` for `p < count`, in order (each product rounded, then added). The
/// `+ 0` turns a −0.0 term into +0.0 and changes no other, so a sum that starts at −0.0 (the mark of an untouched
/// entry) holds exactly what a sum from +0.0 would and is never −0.0 again once any term is added: a caller that
/// fills its sums with −0.0 knows the touched entries without a flag per step (which would chain every step to the
/// last).
void mr_scatter_add(const int32_t *indices, const float *values, intptr_t count, float scale, float *sums);

/// ``mr_scatter_add`` of whole CSR rows, in order: for each `r < rowCount`, the entries of row `rows[r]`
/// (`rowPointers[rows[r]] ..< rowPointers[rows[r] + 1]` of `columns` and `values`) with scale `scales[r]` — the same
/// sums as one call per row — with each next row's first entries fetched ahead.
void mr_scatter_add_rows(const intptr_t *rowPointers, const int32_t *columns, const float *values,
                         const int32_t *rows, const float *scales, intptr_t rowCount, float *sums);

/// Asks the processor to fetch `base[indices[t]]` for `t < count` into the cache (no effect on any value): for
/// entries read soon after, at random places of an array larger than the cache.
void mr_prefetch_gathered(const float *base, const int32_t *indices, intptr_t count);

/// The first position `t` in `from ..< count` whose score is not below `bound` (`!(scores[t] < bound)`: NaN counts),
/// or `count` when there is none.
intptr_t mr_first_not_below(const float *scores, intptr_t from, intptr_t count, float bound);

/// ``mr_scatter_add_rows`` for a matrix stored compactly: 16-bit columns and 8-bit codes of the values
/// (`table[codes[p]]`, `tableCount` ≤ 256 entries). For each row the products `scales[r]·table[c] + 0.0` are taken
/// once per code, so every sum gets the same terms, added in the same order, as from the plain matrix: the same
/// bits, from 3 bytes an entry instead of 8.
void mr_scatter_add_coded_rows(const intptr_t *rowPointers, const uint16_t *columns, const uint8_t *codes,
                               const float *table, intptr_t tableCount, const int32_t *rows, const float *scales,
                               intptr_t rowCount, float *sums);

/// For each row `rows[r]` (`r < rowCount`; entries `rowPointers[rows[r]] ..< rowPointers[rows[r] + 1]` of `columns`,
/// strictly increasing) and each of the ascending `targets[t]` (`t < targetCount`): the position of `targets[t]` in
/// that row, or -1 when the row does not hold it, written to `positions[t·rowCount + r]` (one line per target).
/// Each row is read forward once for all targets (16 entries at a time, each target starting where the last
/// stopped): a stream the hardware prefetches, where binary searches of rows out of cache wait at every level.
void mr_sorted_row_lookups(const intptr_t *rowPointers, const int32_t *columns, const int32_t *rows, intptr_t rowCount,
                           const int32_t *targets, intptr_t targetCount, intptr_t *positions);

/// The candidates of the ranking, in ascending order: every film `i < count` touched by a scatter (`attention[i]` is
/// not the untouched mark −0.0, see ``mr_scatter_add``), not `rated[i]` (when
/// `rated` is not NULL) and `allowed[i]` (when `allowed` is not NULL) gets `i` written to `indices` and
/// `scale·attention[i] + reach·norms[i]` (each product rounded, then added) to `bounds`. Returns how many were
/// written; both outputs need room for `count` entries. A sequential pass over the dense arrays: cheaper than
/// reading them at the touched films in first-touch order when many are touched.
intptr_t mr_bounded_candidates(const float *attention, const bool *rated, const bool *allowed, const float *norms,
                               float scale, float reach, intptr_t count, int32_t *indices, float *bounds);

/// An even sample of the run `columns[first ..< first + count]`: for `t < scanned` (at most `count`), position
/// `p_t = first + ⌊t·count/scanned⌋`; each `columns[p_t]` other than `excluded` is written, in order, to `values`
/// and its position to `positions`; with `ratings` (not NULL), `ratings[p_t]` to `sampledRatings` too. Returns how
/// many were written. Entries are fetched a few steps ahead (the index array of a large matrix is not in cache and a
/// strided sample touches a new cache line each step).
intptr_t mr_strided_sample(const int32_t *columns, intptr_t first, intptr_t count, intptr_t scanned, int32_t excluded,
                           intptr_t *positions, int32_t *values, const float *ratings, float *sampledRatings);

/// IEEE binary16 bit patterns of `input[i]` for `i < count`, rounded to nearest even (beyond ±65504: ±infinity).
void mr_float_to_half(const float *input, uint16_t *output, intptr_t count);

/// Scores of panels `firstPanel ..< endPanel` of rows stored 16 at a time as binary16 (`columns × 16` values a
/// panel, value `c` of lane `l` at `(p·columns + c)·16 + l`): `output[16p + l] = Σ_c query[c] · row`, summed over
/// `c` in order — a cheap first pass whose error a caller bounds (see `RowPanels`).
void mr_half_panel_scores(const uint16_t *panels, intptr_t columns, intptr_t firstPanel, intptr_t endPanel,
                          const float *query, float *output);

/// `output[t] = Σ_c query[c] · row_c` for the binary16 row `rowIndices[t]` of `rows` (rows `stride` halves apart,
/// `stride` a multiple of 16, `query` holding `stride` floats), rows fetched a few steps ahead: a cheap first
/// pass over gathered rows whose error a caller bounds.
void mr_gathered_half_dots(const float *query, const uint16_t *rows, intptr_t stride, const int32_t *rowIndices,
                           intptr_t count, float *output);

/// ``mr_gathered_half_dots`` of each of `queryCount` queries (`stride` floats each, one after another) with the
/// same rows: `output[q·count + t]` is query q's value for row `rowIndices[t]`, the same bits as the one-query
/// kernel gives; the rows are read from memory once for all the queries.
void mr_gathered_half_dots_many(const float *queries, intptr_t queryCount, const uint16_t *rows, intptr_t stride,
                                const int32_t *rowIndices, intptr_t count, float *output);

/// In place, `values[i]` for `i < count` replaced by its binary16 rounding (as ``mr_float_to_half``) converted
/// back exactly: the values a ``mr_sparse_half_rows`` product actually multiplies by.
void mr_round_to_half(float *values, intptr_t count);

/// ``mr_sparse_dense_rows`` with the dense rows stored as binary16 bit patterns (converted exactly to float as
/// they are read): half the bytes gathered per stored entry, for products whose operand only needs about three
/// significant digits (the power iterations of the randomized SVD).
void mr_sparse_half_rows(const intptr_t *rowPointers, const int32_t *indices, const float *values,
                         intptr_t firstRow, intptr_t endRow, const uint16_t *dense, intptr_t stride, float *output);

#ifdef __cplusplus
}
#endif

#endif
