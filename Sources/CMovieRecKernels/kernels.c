#include "MovieRecKernels.h"

#include <string.h>

/* Products and sums stay separate IEEE operations on every path (see the header). */
#pragma clang fp contract(off)
/* The vector helpers are always inlined into the per-instruction-set functions, so no vector crosses a call. */
#pragma clang diagnostic ignored "-Wpsabi"

typedef float mr_f16 __attribute__((ext_vector_type(16)));
typedef float mr_f8 __attribute__((ext_vector_type(8)));
typedef float mr_f4 __attribute__((ext_vector_type(4)));
typedef float mr_f2 __attribute__((ext_vector_type(2)));

#define MR_INLINE static inline __attribute__((always_inline))

/* How many entries ahead the sparse kernels fetch the dense rows they will need. */
enum { mr_prefetch_distance = 12, mr_max_vectors = 8 };

/* The widest rows (in halves) whose 16-row blocks the many-query half dots convert once into a buffer on the stack
   (16 KiB); wider rows are converted again for each query. */
enum { mr_many_half_stride = 256 };

MR_INLINE mr_f16 mr_load(const float *p) {
    mr_f16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

MR_INLINE void mr_store(float *p, mr_f16 v) { memcpy(p, &v, sizeof v); }

MR_INLINE void mr_prefetch_span(const float *p, intptr_t floats) {
    for (intptr_t o = 0; o < floats; o += 16) __builtin_prefetch(p + o, 0, 3);
}

/* Calls `block(..., vectors)` with `vectors` = min(count, 8) as a constant, so each width gets its own
   unrolled loop with its accumulators in registers. */
#define MR_BY_VECTORS(count, block, ...)                                                                          \
    switch (count) {                                                                                              \
    case 1: block(__VA_ARGS__, 1); break;                                                                         \
    case 2: block(__VA_ARGS__, 2); break;                                                                         \
    case 3: block(__VA_ARGS__, 3); break;                                                                         \
    case 4: block(__VA_ARGS__, 4); break;                                                                         \
    case 5: block(__VA_ARGS__, 5); break;                                                                         \
    case 6: block(__VA_ARGS__, 6); break;                                                                         \
    case 7: block(__VA_ARGS__, 7); break;                                                                         \
    default: block(__VA_ARGS__, 8); break;                                                                        \
    }

/* ---- sparse × dense, gathering dense rows -------------------------------------------------------- */

/* Columns `column ..< column + 16·vectors` of the output rows; `vectors` is a constant after inlining. */
MR_INLINE void mr_gather_block(const intptr_t *pointers, const int32_t *indices, const float *values,
                               intptr_t firstRow, intptr_t endRow, const float *dense, intptr_t stride,
                               float *output, intptr_t column, const int vectors) {
    const intptr_t last = pointers[endRow] - 1;
    for (intptr_t r = firstRow; r < endRow; r++) {
        mr_f16 acc[mr_max_vectors];
        for (int k = 0; k < vectors; k++) acc[k] = 0;
        const intptr_t end = pointers[r + 1];
        for (intptr_t p = pointers[r]; p < end; p++) {
            intptr_t ahead = p + mr_prefetch_distance;
            ahead = ahead < last ? ahead : last;
            mr_prefetch_span(dense + (intptr_t)indices[ahead] * stride + column, 16 * vectors);
            const mr_f16 w = values[p];
            const float *source = dense + (intptr_t)indices[p] * stride + column;
            for (int k = 0; k < vectors; k++) acc[k] = acc[k] + w * mr_load(source + 16 * k);
        }
        for (int k = 0; k < vectors; k++) mr_store(output + r * stride + column + 16 * k, acc[k]);
    }
}

MR_INLINE void mr_gather(const intptr_t *pointers, const int32_t *indices, const float *values,
                         intptr_t firstRow, intptr_t endRow, const float *dense, intptr_t stride, float *output) {
    if (firstRow >= endRow) return;
    for (intptr_t column = 0; column < stride; column += 16 * mr_max_vectors) {
        MR_BY_VECTORS((stride - column) / 16, mr_gather_block, pointers, indices, values, firstRow, endRow, dense,
                      stride, output, column)
    }
}

/* ---- transposed product, scattering into output rows ------------------------------------------------ */

MR_INLINE void mr_scatter_block(const intptr_t *starts, const intptr_t *ends, const int32_t *indices,
                                const float *values, intptr_t rows, const float *dense, intptr_t stride,
                                float *output, intptr_t column, const int vectors) {
    for (intptr_t r = 0; r < rows; r++) {
        const intptr_t begin = starts[r], end = ends[r];
        if (begin >= end) continue;
        mr_f16 row[mr_max_vectors];
        for (int k = 0; k < vectors; k++) row[k] = mr_load(dense + r * stride + column + 16 * k);
        for (intptr_t p = begin; p < end; p++) {
            intptr_t ahead = p + mr_prefetch_distance;
            ahead = ahead < end ? ahead : end - 1;
            mr_prefetch_span(output + (intptr_t)indices[ahead] * stride + column, 16 * vectors);
            const mr_f16 w = values[p];
            float *target = output + (intptr_t)indices[p] * stride + column;
            for (int k = 0; k < vectors; k++) mr_store(target + 16 * k, mr_load(target + 16 * k) + w * row[k]);
        }
    }
}

MR_INLINE void mr_scatter(const intptr_t *starts, const intptr_t *ends, const int32_t *indices,
                          const float *values, intptr_t rows, const float *dense, intptr_t stride, float *output) {
    for (intptr_t column = 0; column < stride; column += 16 * mr_max_vectors) {
        MR_BY_VECTORS((stride - column) / 16, mr_scatter_block, starts, ends, indices, values, rows, dense, stride,
                      output, column)
    }
}

/* ---- dense row accumulation ---------------------------------------------------------------------------- */

/* Columns `column ..< column + 16·vectors`; `vectors` is a constant after inlining. Every accumulator is an
   independent dependency chain, so wider blocks keep more additions in flight. */
MR_INLINE void mr_accumulate_block(const float *coefficients, const int32_t *indices, intptr_t count,
                                   const float *source, intptr_t stride, float *output, intptr_t column,
                                   int upperTriangular, const int vectors) {
    const intptr_t reach = column + 16 * vectors;
    const intptr_t terms = upperTriangular ? (count < reach ? count : reach) : count;
    mr_f16 acc[mr_max_vectors];
    for (int k = 0; k < vectors; k++) acc[k] = 0;
    for (intptr_t t = 0; t < terms; t++) {
        const mr_f16 w = coefficients[t];
        const float *p = source + (indices ? (intptr_t)indices[t] : t) * stride + column;
        for (int k = 0; k < vectors; k++) acc[k] = acc[k] + w * mr_load(p + 16 * k);
    }
    for (int k = 0; k < vectors; k++) mr_store(output + column + 16 * k, acc[k]);
}

MR_INLINE void mr_accumulate(const float *coefficients, const int32_t *indices, intptr_t count, const float *source,
                             intptr_t stride, float *output, intptr_t firstColumn, int upperTriangular) {
    for (intptr_t column = firstColumn; column < stride; column += 16 * mr_max_vectors) {
        MR_BY_VECTORS((stride - column) / 16, mr_accumulate_block, coefficients, indices, count, source, stride,
                      output, column, upperTriangular)
    }
}

/* ---- register tiles: Gram blocks and tall × small products ---------------------------------------------- */

/* out_i (+)= Σ_t w(i, t) · source_t for up to four output rows i (`lanes`, a constant) and columns
   `column ..< column + 16·vectors` (vectors ≤ 4, a constant), with w(i, t) = coefficients[t·termStride +
   i·laneStride], source row t at `source + t·stride` and output row i at `out + i·stride`. Each element starts
   from 0 (or its current value when `adding`) and adds the terms t = 0, 1, … in order; each source row is
   loaded once per tile. */
MR_INLINE void mr_tile(const float *coefficients, intptr_t termStride, intptr_t laneStride, const float *source,
                       intptr_t stride, intptr_t terms, float *out, int adding, intptr_t column, const int lanes,
                       const int vectors) {
    mr_f16 acc[4][4];
    for (int i = 0; i < lanes; i++)
        for (int k = 0; k < vectors; k++) acc[i][k] = adding ? mr_load(out + i * stride + column + 16 * k) : 0;
    for (intptr_t t = 0; t < terms; t++) {
        mr_f16 row[4];
        for (int k = 0; k < vectors; k++) row[k] = mr_load(source + t * stride + column + 16 * k);
        for (int i = 0; i < lanes; i++) {
            const mr_f16 w = coefficients[t * termStride + i * laneStride];
            for (int k = 0; k < vectors; k++) acc[i][k] = acc[i][k] + w * row[k];
        }
    }
    for (int i = 0; i < lanes; i++)
        for (int k = 0; k < vectors; k++) mr_store(out + i * stride + column + 16 * k, acc[i][k]);
}

#define MR_TILE_VECTORS(lanes, vectors, ...)                                                                      \
    switch (vectors) {                                                                                            \
    case 1: mr_tile(__VA_ARGS__, lanes, 1); break;                                                                \
    case 2: mr_tile(__VA_ARGS__, lanes, 2); break;                                                                \
    case 3: mr_tile(__VA_ARGS__, lanes, 3); break;                                                                \
    default: mr_tile(__VA_ARGS__, lanes, 4); break;                                                               \
    }

/* ``mr_tile`` for `lanes` in 1…4 and the columns `firstColumn ..< stride`, 64 at a time. */
MR_INLINE void mr_tiles(const float *coefficients, intptr_t termStride, intptr_t laneStride, const float *source,
                        intptr_t stride, intptr_t terms, float *out, int adding, intptr_t lanes,
                        intptr_t firstColumn) {
    for (intptr_t column = firstColumn; column < stride; column += 64) {
        const intptr_t vectors = (stride - column) / 16;
        switch (lanes) {
        case 1: MR_TILE_VECTORS(1, vectors, coefficients, termStride, laneStride, source, stride, terms, out, adding, column) break;
        case 2: MR_TILE_VECTORS(2, vectors, coefficients, termStride, laneStride, source, stride, terms, out, adding, column) break;
        case 3: MR_TILE_VECTORS(3, vectors, coefficients, termStride, laneStride, source, stride, terms, out, adding, column) break;
        default: MR_TILE_VECTORS(4, vectors, coefficients, termStride, laneStride, source, stride, terms, out, adding, column) break;
        }
    }
}

/* aᵀ·b over `rows` rows: output rows are columns of `a` (four at a time), terms are the rows. */
MR_INLINE void mr_gram(const float *a, intptr_t aStride, intptr_t aColumns, const float *b, intptr_t stride,
                       intptr_t rows, float *out, int upperOnly) {
    for (intptr_t i0 = 0; i0 < aColumns; i0 += 4) {
        mr_tiles(a + i0, aStride, 1, b, stride, rows, out + i0 * stride, 0, aColumns - i0 < 4 ? aColumns - i0 : 4,
                 upperOnly ? (i0 & ~(intptr_t)15) : 0);
    }
}

/* (out +)= a·c: output rows are rows of `a` (four at a time), terms are the `inner` columns of `a`. */
MR_INLINE void mr_rows_product(const float *a, intptr_t aStride, intptr_t inner, const float *c, intptr_t stride,
                               intptr_t rows, float *out, int adding) {
    for (intptr_t r0 = 0; r0 < rows; r0 += 4) {
        mr_tiles(a + r0 * aStride, 1, aStride, c, stride, inner, out + r0 * stride, adding,
                 rows - r0 < 4 ? rows - r0 : 4, 0);
    }
}

/* ---- dot products ---------------------------------------------------------------------------------------- */

/* The 16 lane sums of a·b: two accumulators over 32-float steps, one more 16-float step, then added. The
   elements from n & ~15 on are left to the caller. */
MR_INLINE mr_f16 mr_dot_lanes(const float *a, const float *b, intptr_t n) {
    mr_f16 acc0 = 0, acc1 = 0;
    intptr_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = acc0 + mr_load(a + i) * mr_load(b + i);
        acc1 = acc1 + mr_load(a + i + 16) * mr_load(b + i + 16);
    }
    if (i + 16 <= n) acc0 = acc0 + mr_load(a + i) * mr_load(b + i);
    return acc0 + acc1;
}

/* The lanes of one vector folded pairwise: halves added (lo + hi) down to two lanes, then x + y. */
MR_INLINE float mr_fold(mr_f16 s16) {
    const mr_f8 s8 = s16.lo + s16.hi;
    const mr_f4 s4 = s8.lo + s8.hi;
    const mr_f2 s2 = s4.lo + s4.hi;
    return s2.x + s2.y;
}

/* ``mr_fold`` of 16 vectors at once: lane j of the result is mr_fold(s[j]), bit for bit (every lane goes through
   the same additions of the same operands), with 15 vector additions instead of 16 separate folds. */
MR_INLINE mr_f16 mr_fold16(const mr_f16 *s) {
    mr_f16 eights[8], fours[4], twos[2];
    for (int m = 0; m < 8; m++) {
        /* lanes 0–7: row 2m's lo + hi; lanes 8–15: row 2m + 1's. */
        eights[m] = __builtin_shufflevector(s[2 * m], s[2 * m + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23)
                  + __builtin_shufflevector(s[2 * m], s[2 * m + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29,
                                            30, 31);
    }
    for (int m = 0; m < 4; m++) {
        /* four lanes per row, rows 4m … 4m + 3 */
        fours[m] = __builtin_shufflevector(eights[2 * m], eights[2 * m + 1], 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24,
                                           25, 26, 27)
                 + __builtin_shufflevector(eights[2 * m], eights[2 * m + 1], 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28,
                                           29, 30, 31);
    }
    for (int m = 0; m < 2; m++) {
        /* two lanes per row, rows 8m … 8m + 7 */
        twos[m] = __builtin_shufflevector(fours[2 * m], fours[2 * m + 1], 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25,
                                          28, 29)
                + __builtin_shufflevector(fours[2 * m], fours[2 * m + 1], 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27,
                                          30, 31);
    }
    return __builtin_shufflevector(twos[0], twos[1], 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
         + __builtin_shufflevector(twos[0], twos[1], 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}

MR_INLINE float mr_dot_impl(const float *a, const float *b, intptr_t n) {
    float sum = mr_fold(mr_dot_lanes(a, b, n));
    for (intptr_t i = n & ~(intptr_t)15; i < n; i++) sum = sum + a[i] * b[i];
    return sum;
}

/* The elements past the 16-multiple body of 16 gathered rows (``rowIndices[0..<16]``), transposed: `tails[e]` lane j
   holds element `body + e` of row j. Returns the number of tail elements (at most 15). */
MR_INLINE intptr_t mr_gather_tails16(const float *rows, intptr_t dimension, const int32_t *rowIndices,
                                     mr_f16 *tails) {
    const intptr_t body = dimension & ~(intptr_t)15, extra = dimension - body;
    if (extra == 0) return 0;
    float columns[15][16];
    for (int j = 0; j < 16; j++) {
        const float *row = rows + (intptr_t)rowIndices[j] * dimension + body;
        for (intptr_t e = 0; e < extra; e++) columns[e][j] = row[e];
    }
    for (intptr_t e = 0; e < extra; e++) tails[e] = mr_load(columns[e]);
    return extra;
}

#if defined(__x86_64__)
#include <immintrin.h>

/* ``mr_gather_tails16`` with one gather instruction per tail element (the same values). */
__attribute__((target("avx512f"))) static intptr_t mr_gather_tails16_avx512(const float *rows, intptr_t dimension,
                                                                         const int32_t *rowIndices, mr_f16 *tails) {
    const intptr_t body = dimension & ~(intptr_t)15, extra = dimension - body;
    if (extra == 0) return 0;
    const __m512i starts = _mm512_mullo_epi32(_mm512_loadu_si512(rowIndices), _mm512_set1_epi32((int32_t)dimension));
    const float *base = rows + body;
    for (intptr_t e = 0; e < extra; e++) {
        const __m512 v = _mm512_i32gather_ps(starts, base + e, 4);
        memcpy(&tails[e], &v, sizeof v);
    }
    return extra;
}
#endif

/* 16 dot products whose lanes covered the body (``mr_fold16`` of them in `sums`) with the tail elements added in
   ``mr_dot_impl``'s order: lane j gets `sum + q[body]·row_j[body] + q[body + 1]·row_j[body + 1] + …`, each product
   and sum one IEEE operation, the same as the scalar loop. */
MR_INLINE mr_f16 mr_add_tails16(const float *query, intptr_t dimension, const mr_f16 *tails, intptr_t extra,
                                mr_f16 sums) {
    const intptr_t body = dimension - extra;
    for (intptr_t e = 0; e < extra; e++) sums = sums + (mr_f16)query[body + e] * tails[e];
    return sums;
}

/* `rowIndices[t ..< count]` (fewer than 16) padded to 16 with the last of them, so a partial block goes through
   the same lanes as a full one (each lane is computed on its own, so the padding changes no bit). */
MR_INLINE const int32_t *mr_padded_block(const int32_t *rowIndices, intptr_t t, intptr_t count, int32_t *padded) {
    if (t + 16 <= count) return rowIndices + t;
    for (intptr_t j = 0; j < 16; j++) padded[j] = rowIndices[t + j < count ? t + j : count - 1];
    return padded;
}

/* Stores the first `n` (≤ 16) lanes of `v` at `out`. */
MR_INLINE void mr_store_first(float *out, mr_f16 v, intptr_t n) {
    if (n >= 16) { mr_store(out, v); return; }
    float lanes[16];
    mr_store(lanes, v);
    for (intptr_t j = 0; j < n; j++) out[j] = lanes[j];
}

/* The elements past the 16-multiple body added to 16 dot products whose lanes covered the body (the 16 gathered
   rows ``rowIndices[0..<16]``), in ``mr_dot_impl``'s order. */
MR_INLINE void mr_add_scalar_tails16(const float *query, const float *rows, intptr_t dimension,
                                     const int32_t *rowIndices, float *out) {
    const intptr_t body = dimension & ~(intptr_t)15;
    if (body == dimension) return;
    for (int j = 0; j < 16; j++) {
        const float *row = rows + (intptr_t)rowIndices[j] * dimension;
        float sum = out[j];
        for (intptr_t i = body; i < dimension; i++) sum = sum + query[i] * row[i];
        out[j] = sum;
    }
}

/* mr_dot_impl(query, row) for each gathered row, the same bits: 16 rows at a time share one ``mr_fold16``. */
MR_INLINE void mr_gathered_dots_impl(const float *query, const float *rows, intptr_t dimension,
                                     const int32_t *rowIndices, intptr_t count, float *output, const int wide) {
    intptr_t t = 0;
    for (; t + 16 <= count; t += 16) {
        mr_f16 lanes[16];
        for (int j = 0; j < 16; j++) {
            const intptr_t ahead = t + j + 8 < count ? t + j + 8 : count - 1;
            const float *next = rows + (intptr_t)rowIndices[ahead] * dimension;
            for (intptr_t o = 0; o < dimension; o += 16) __builtin_prefetch(next + o, 0, 3);
            lanes[j] = mr_dot_lanes(query, rows + (intptr_t)rowIndices[t + j] * dimension, dimension);
        }
#if defined(__x86_64__)
        if (wide) {
            /* The tails by gathers (a transposed copy made with scalar stores costs more than the scalar sums). */
            mr_f16 tails[15];
            const intptr_t extra = mr_gather_tails16_avx512(rows, dimension, rowIndices + t, tails);
            mr_store(output + t, mr_add_tails16(query, dimension, tails, extra, mr_fold16(lanes)));
            continue;
        }
#endif
        (void)wide;
        mr_store(output + t, mr_fold16(lanes));
        mr_add_scalar_tails16(query, rows, dimension, rowIndices + t, output + t);
    }
    for (; t < count; t++) {
        const intptr_t ahead = t + 8 < count ? t + 8 : count - 1;
        const float *next = rows + (intptr_t)rowIndices[ahead] * dimension;
        for (intptr_t o = 0; o < dimension; o += 16) __builtin_prefetch(next + o, 0, 3);
        output[t] = mr_dot_impl(query, rows + (intptr_t)rowIndices[t] * dimension, dimension);
    }
}

/* ``mr_gathered_dots_impl`` for several queries: a block of 16 rows is scored against every query while it is in
   the first-level cache (the rows of the next block are fetched meanwhile), so a large set of rows is read from
   memory once instead of once per query. Up to 128 wide, two queries held in registers share each loaded piece of
   a row (``mr_held_lanes``); otherwise four queries at a time share each load (a micro-benchmark of 30 queries ×
   140 rows of 64: 9.1 → 4.8 ns a dot against one query at a time). Each query's lanes go through
   ``mr_dot_lanes``'s operations in its order, so the bits are the same. The block's tail elements are transposed
   once for all queries, so each query adds them with a few vector operations; a last partial block is padded. */
enum { mr_query_group = 4 };

/* Two queries: a micro-benchmark of 46 queries × 154 rows of 100 floats gave 4.4–4.9 ns a dot with two, 4.8–5.0
   with three, 4.7–5.1 with four, against 6.2–6.5 for the four-query loop below. */
enum { mr_held_group = 2 };

/* ``mr_dot_lanes`` of `mr_held_group` queries against each of 16 rows, with the queries' `chunks` 16-float pieces
   (a constant, at most 8) held in registers: each loaded piece of a row serves every query of the group, and no
   query piece is loaded again per row. Piece c goes to accumulator c mod 2 in increasing c, as in mr_dot_lanes,
   so the lanes are the same bits. */
MR_INLINE void mr_held_lanes(const float *group, intptr_t dimension, const float *const *block,
                             mr_f16 lanes[][16], const int chunks) {
    mr_f16 q[mr_held_group][8];
    for (int k = 0; k < mr_held_group; k++)
        for (int c = 0; c < chunks; c++) q[k][c] = mr_load(group + k * dimension + 16 * c);
    for (int j = 0; j < 16; j++) {
        mr_f16 acc[mr_held_group][2];
        for (int k = 0; k < mr_held_group; k++) acc[k][0] = acc[k][1] = 0;
        for (int c = 0; c < chunks; c++) {
            const mr_f16 piece = mr_load(block[j] + 16 * c);
            for (int k = 0; k < mr_held_group; k++) acc[k][c & 1] = acc[k][c & 1] + q[k][c] * piece;
        }
        for (int k = 0; k < mr_held_group; k++) lanes[k][j] = acc[k][0] + acc[k][1];
    }
}

MR_INLINE void mr_gathered_dots_many_impl(const float *queries, intptr_t queryCount, const float *rows,
                                          intptr_t dimension, const int32_t *rowIndices, intptr_t count,
                                          float *output, const int wide) {
    int32_t padded[16];
    for (intptr_t t = 0; t < count; t += 16) {
        for (intptr_t j = t + 16; j < t + 32 && j < count; j++) {
            const float *next = rows + (intptr_t)rowIndices[j] * dimension;
            for (intptr_t o = 0; o < dimension; o += 16) __builtin_prefetch(next + o, 0, 3);
        }
        const int32_t *indices = mr_padded_block(rowIndices, t, count, padded);
        const intptr_t width = count - t < 16 ? count - t : 16;
        const float *block[16];
        for (int j = 0; j < 16; j++) block[j] = rows + (intptr_t)indices[j] * dimension;
        mr_f16 tails[15];
        intptr_t extra;
#if defined(__x86_64__)
        if (wide) extra = mr_gather_tails16_avx512(rows, dimension, indices, tails); else
#endif
        extra = mr_gather_tails16(rows, dimension, indices, tails);
        (void)wide;
        intptr_t q = 0;
        const intptr_t chunks = dimension / 16;
        if (chunks >= 1 && chunks <= 8) {
            for (; q + mr_held_group <= queryCount; q += mr_held_group) {
                const float *group = queries + q * dimension;
                mr_f16 lanes[mr_held_group][16];
                MR_BY_VECTORS(chunks, mr_held_lanes, group, dimension, block, lanes)
                for (int k = 0; k < mr_held_group; k++) {
                    mr_store_first(output + (q + k) * count + t,
                                   mr_add_tails16(group + k * dimension, dimension, tails, extra, mr_fold16(lanes[k])),
                                   width);
                }
            }
        }
        for (; q + mr_query_group <= queryCount; q += mr_query_group) {
            const float *group = queries + q * dimension;
            mr_f16 lanes[mr_query_group][16];
            for (int j = 0; j < 16; j++) {
                /* mr_dot_lanes(query, row) for the four queries at once. */
                mr_f16 acc0[mr_query_group], acc1[mr_query_group];
                for (int k = 0; k < mr_query_group; k++) acc0[k] = acc1[k] = 0;
                intptr_t i = 0;
                for (; i + 32 <= dimension; i += 32) {
                    const mr_f16 low = mr_load(block[j] + i), high = mr_load(block[j] + i + 16);
                    for (int k = 0; k < mr_query_group; k++) {
                        acc0[k] = acc0[k] + mr_load(group + k * dimension + i) * low;
                        acc1[k] = acc1[k] + mr_load(group + k * dimension + i + 16) * high;
                    }
                }
                if (i + 16 <= dimension) {
                    const mr_f16 low = mr_load(block[j] + i);
                    for (int k = 0; k < mr_query_group; k++) acc0[k] = acc0[k] + mr_load(group + k * dimension + i) * low;
                }
                for (int k = 0; k < mr_query_group; k++) lanes[k][j] = acc0[k] + acc1[k];
            }
            for (int k = 0; k < mr_query_group; k++) {
                mr_store_first(output + (q + k) * count + t,
                               mr_add_tails16(group + k * dimension, dimension, tails, extra, mr_fold16(lanes[k])), width);
            }
        }
        for (; q < queryCount; q++) {
            const float *query = queries + q * dimension;
            mr_f16 lanes[16];
            for (int j = 0; j < 16; j++) lanes[j] = mr_dot_lanes(query, block[j], dimension);
            mr_store_first(output + q * count + t, mr_add_tails16(query, dimension, tails, extra, mr_fold16(lanes)), width);
        }
    }
}

/* ---- softmax with a null key ---------------------------------------------------------------------------- */

typedef int32_t mr_i16 __attribute__((ext_vector_type(16)));

/* e^x, lane by lane, for x ≤ 0 (a softmax's exponents after the largest is subtracted), from IEEE +, −, ×
   only, so every processor and instruction set gives the same bits (the C library's expf may differ in the
   last bit between Linux and macOS): x = k·ln 2 + r with k the nearest integer to x·log₂e (the 1.5·2²³
   rounding trick) and ln 2 split in two (Cody–Waite: k·0.693359375 is exact), e^r by the Cephes expf
   polynomial (|r| ≤ ln 2 / 2, error below 2 ulp), times 2^k put in the exponent field. Below −87 (2^k would
   not be a normal float) the result is 0. */
MR_INLINE mr_f16 mr_exp_nonpositive(mr_f16 x) {
    const mr_i16 under = x < -87.0f;
    const mr_f16 clamped = __builtin_elementwise_max(x, (mr_f16)(-87.0f));
    const mr_f16 shifted = clamped * 1.44269504088896341f + 12582912.0f;
    const mr_f16 k = shifted - 12582912.0f;
    mr_f16 r = clamped - k * 0.693359375f;
    r = r + k * 2.12194440e-4f;
    mr_f16 p = (mr_f16)1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const mr_f16 y = (p * (r * r) + r) + 1.0f;
    const mr_i16 twoK = (__builtin_convertvector(k, mr_i16) + 127) << 23;
    mr_f16 scaleBits;
    memcpy(&scaleBits, &twoK, sizeof scaleBits);
    mr_i16 bits;
    const mr_f16 e = y * scaleBits;
    memcpy(&bits, &e, sizeof bits);
    bits = bits & ~under;
    mr_f16 result;
    memcpy(&result, &bits, sizeof result);
    return result;
}

/* 16 logits `scale·cosines[t]` from `t`, with `own` and the positions from `n` on given logit `fill`. */
MR_INLINE mr_f16 mr_logits16(const float *cosines, intptr_t t, intptr_t n, intptr_t own, float scale, float fill) {
    mr_f16 c;
    if (t + 16 <= n) {
        c = mr_load(cosines + t) * scale;
    } else {
        float tail[16];
        for (int l = 0; l < 16; l++) tail[l] = t + l < n ? cosines[t + l] * scale : fill;
        memcpy(&c, tail, sizeof c);
    }
    if (own >= t && own < t + 16) c[own - t] = fill;
    return c;
}

MR_INLINE float mr_null_key_softmax_impl(const float *cosines, const float *values, intptr_t n, intptr_t own,
                                         float scale, float *weights, float *nullWeight) {
    /* The largest logit, the null key's 0 included (a maximum does not depend on the order). */
    mr_f16 top = 0;
    for (intptr_t t = 0; t < n; t += 16) top = __builtin_elementwise_max(top, mr_logits16(cosines, t, n, own, scale, 0));
    const float m = __builtin_reduce_max(top);
    /* Exponentials (own and the padding get −∞ − m → 0), summed in 16 lanes. */
    mr_f16 lanes = 0;
    for (intptr_t t = 0; t < n; t += 16) {
        const mr_f16 e = mr_exp_nonpositive(mr_logits16(cosines, t, n, own, scale, -__builtin_inff()) - m);
        lanes = lanes + e;
        if (t + 16 <= n) {
            mr_store(weights + t, e);
        } else {
            for (intptr_t l = 0; t + l < n; l++) weights[t + l] = e[l];
        }
    }
    const float null = mr_exp_nonpositive((mr_f16)(-m))[0];
    const float total = mr_fold(lanes) + null;
    if (nullWeight) *nullWeight = null / total;
    /* Weights, and Σ w·value in 16 lanes. */
    mr_f16 sums = 0;
    intptr_t t = 0;
    for (; t + 16 <= n; t += 16) {
        const mr_f16 w = mr_load(weights + t) / total;
        mr_store(weights + t, w);
        if (values) sums = sums + w * mr_load(values + t);
    }
    if (t < n) {
        float w[16] = {0}, v[16] = {0};
        for (intptr_t l = 0; t + l < n; l++) {
            w[l] = weights[t + l] / total;
            weights[t + l] = w[l];
            if (values) v[l] = values[t + l];
        }
        if (values) sums = sums + mr_load(w) * mr_load(v);
    }
    return values ? mr_fold(sums) : 0;
}

/* ---- top k by selection ---------------------------------------------------------------------------------- */

typedef uint64_t mr_u64x8 __attribute__((ext_vector_type(8)));
typedef int64_t mr_i64x8 __attribute__((ext_vector_type(8)));

/* The most entries ``mr_top_k`` selects with `mr_select_top_k` (its buffers are on the stack); beyond, a heap. */
enum { mr_select_limit = 1024, mr_select_sample = 32 };

/* A key per entry, larger for a better entry: the score's bits made to order as unsigned integers (−0.0 taken as
   +0.0, which compares equal to it), then the complemented index, so equal scores put the lower index first.
   Distinct indices give distinct keys, and a valid key is never 0. */
MR_INLINE uint64_t mr_rank_key(float score, intptr_t index) {
    const float canonical = score + 0.0f;
    uint32_t bits;
    memcpy(&bits, &canonical, sizeof bits);
    bits = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
    return ((uint64_t)bits << 32) | (uint64_t)(0xFFFFFFFFu - (uint32_t)index);
}

MR_INLINE int32_t mr_rank_key_index(uint64_t key) { return (int32_t)(0xFFFFFFFFu - (uint32_t)key); }

/* For each of the distinct `keys[0..<n]` (room for n + 8, the rest 0): its rank, the number of larger keys,
   counted for 8 keys at once against every key; those ranked below `k` are written at their rank. */
MR_INLINE void mr_write_ranked(uint64_t *keys, intptr_t n, intptr_t k, const float *scores, int32_t *indices,
                               float *kept) {
    for (intptr_t a = n; a < n + 8; a++) keys[a] = 0;
    int32_t dumpIndex;
    float dumpKept;
    for (intptr_t c = 0; c < n; c += 8) {
        mr_u64x8 v;
        memcpy(&v, keys + c, sizeof v);
        mr_i64x8 larger = 0;
        for (intptr_t b = 0; b < n; b++) larger += (mr_i64x8)((mr_u64x8)keys[b] > v);
        for (int l = 0; l < 8 && c + l < n; l++) {
            const intptr_t rank = -larger[l];
            const int32_t index = mr_rank_key_index(v[l]);
            const bool keep = rank < k;
            *(keep ? indices + rank : &dumpIndex) = index;
            *(keep ? kept + rank : &dumpKept) = scores[index];
        }
    }
}

/* The keys of the valid entries of `scores[from..<count]` (not NaN, not `skip`), in order, into `keys` after the
   `n` there (room for count + 8); returns how many are there then. */
MR_INLINE intptr_t mr_valid_keys(const float *scores, intptr_t from, intptr_t count, intptr_t skip, uint64_t *keys,
                                 intptr_t n) {
    for (intptr_t t = from; t < count; t++) {
        const float s = scores[t];
        keys[n] = mr_rank_key(s, t);
        n += !(t == skip || s != s);
    }
    return n;
}

/* The keys of `keys[from..<n]` above `pivot`, in order, into `group` after the `g` there (room for n + 8); returns
   how many are there then. */
MR_INLINE intptr_t mr_keys_above(const uint64_t *keys, intptr_t from, intptr_t n, uint64_t pivot, uint64_t *group,
                                 intptr_t g) {
    for (intptr_t a = from; a < n; a++) {
        group[g] = keys[a];
        g += keys[a] > pivot;
    }
    return g;
}

#if defined(__x86_64__)
#include <immintrin.h>

/* ``mr_valid_keys``, 16 scores a step: each lane's key as there, the valid ones compressed in registers and stored
   eight at a time (a compressing store to memory is microcoded on Zen 4), so the same keys in the same order. Each
   scalar step waited for the last one's count: 1000 entries took about 1 µs. */
__attribute__((target("avx512f"))) static intptr_t mr_valid_keys_avx512(const float *scores, intptr_t count,
                                                                      intptr_t skip, uint64_t *keys) {
    intptr_t n = 0, t = 0;
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i skipped = _mm512_set1_epi32((int32_t)skip);   /* count ≤ mr_select_limit: every index fits */
    for (; t + 16 <= count; t += 16) {
        const __m512 s = _mm512_add_ps(_mm512_loadu_ps(scores + t), _mm512_setzero_ps());   /* −0.0 → +0.0 */
        const __m512i index = _mm512_add_epi32(_mm512_set1_epi32((int32_t)t), lanes);
        const __mmask16 valid = _mm512_cmp_ps_mask(s, s, _CMP_ORD_Q) & ~_mm512_cmpeq_epi32_mask(index, skipped);
        const __m512i bits = _mm512_castps_si512(s);
        /* negative: all bits flipped; otherwise the sign bit set (mr_rank_key) */
        const __m512i high = _mm512_xor_si512(bits, _mm512_or_si512(_mm512_srai_epi32(bits, 31),
                                                                     _mm512_set1_epi32((int32_t)0x80000000u)));
        const __m512i low = _mm512_sub_epi32(_mm512_set1_epi32(-1), index);   /* 0xFFFFFFFF − index */
        const __m512i first = _mm512_or_si512(_mm512_slli_epi64(_mm512_cvtepu32_epi64(_mm512_castsi512_si256(high)), 32),
                                              _mm512_cvtepu32_epi64(_mm512_castsi512_si256(low)));
        const __m512i second = _mm512_or_si512(_mm512_slli_epi64(_mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(high, 1)), 32),
                                               _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(low, 1)));
        const __mmask8 m0 = (__mmask8)valid, m1 = (__mmask8)(valid >> 8);
        _mm512_storeu_si512(keys + n, _mm512_maskz_compress_epi64(m0, first));
        n += __builtin_popcount(m0);
        _mm512_storeu_si512(keys + n, _mm512_maskz_compress_epi64(m1, second));
        n += __builtin_popcount(m1);
    }
    return mr_valid_keys(scores, t, count, skip, keys, n);
}

/* ``mr_keys_above``, eight keys a step (compressed in registers, as above). */
__attribute__((target("avx512f"))) static intptr_t mr_keys_above_avx512(const uint64_t *keys, intptr_t n,
                                                                      uint64_t pivot, uint64_t *group) {
    intptr_t g = 0, a = 0;
    const __m512i bound = _mm512_set1_epi64((long long)pivot);
    for (; a + 8 <= n; a += 8) {
        const __m512i v = _mm512_loadu_si512(keys + a);
        const __mmask8 above = _mm512_cmpgt_epu64_mask(v, bound);
        _mm512_storeu_si512(group + g, _mm512_maskz_compress_epi64(above, v));
        g += __builtin_popcount(above);
    }
    return mr_keys_above(keys, a, n, pivot, group, g);
}
#define MR_WIDE_KEYS_avx512 1
#endif
#define MR_WIDE_KEYS_baseline 0
#define MR_WIDE_KEYS_avx2 0

/* ``mr_top_k`` for `count ≤ mr_select_limit`, without a branch that depends on the scores in its long loops: the
   keys of the valid entries; when more than k, a pivot from an even sample of 32 of them (the sample key with
   about 1.25·k·32/n sample keys above it) keeps the keys above it, about 1.25·k (a pivot leaving fewer than k is
   lowered), and the ranks among those are the ranks among all. `wide`: the AVX-512 loops (a constant after
   inlining; the same keys either way). */
MR_INLINE intptr_t mr_select_top_k(const float *scores, intptr_t count, intptr_t skip, intptr_t k, int32_t *indices,
                                   float *kept, const int wide) {
    uint64_t keys[mr_select_limit + 8], group[mr_select_limit + 8], sample[mr_select_sample + 8];
    intptr_t n;
#if defined(__x86_64__)
    if (wide) n = mr_valid_keys_avx512(scores, count, skip, keys); else
#endif
    n = mr_valid_keys(scores, 0, count, skip, keys, 0);
    (void)wide;
    if (n <= k) {
        mr_write_ranked(keys, n, k, scores, indices, kept);
        return n;
    }
    const intptr_t m = n < mr_select_sample ? n : mr_select_sample;
    for (intptr_t a = 0; a < m; a++) sample[a] = keys[a * n / m];
    for (intptr_t a = m; a < m + 8; a++) sample[a] = 0;
    intptr_t want = (5 * k * m) / (4 * n) + 2;
    for (;;) {
        uint64_t pivot = 0;   /* every valid key is above 0 */
        if (want < m) {
            for (intptr_t c = 0; c < m; c += 8) {
                mr_u64x8 v;
                memcpy(&v, sample + c, sizeof v);
                mr_i64x8 larger = 0;
                for (intptr_t b = 0; b < m; b++) larger += (mr_i64x8)((mr_u64x8)sample[b] > v);
                for (int l = 0; l < 8 && c + l < m; l++) pivot = -larger[l] == want ? v[l] : pivot;
            }
        }
        intptr_t g;
#if defined(__x86_64__)
        if (wide) g = mr_keys_above_avx512(keys, n, pivot, group); else
#endif
        g = mr_keys_above(keys, 0, n, pivot, group, 0);
        if (g >= k) {
            mr_write_ranked(group, g, k, scores, indices, kept);
            return k;
        }
        want = 2 * want + 2;
    }
}

/* ---- binary16 operands ----------------------------------------------------------------------------------- */

typedef uint32_t mr_u32x16 __attribute__((ext_vector_type(16)));

/* Exact binary16 → binary32 from the bits alone (any processor): put exponent and mantissa in place, rescale by
   2¹¹² (exact; it also turns binary16 subnormals into binary32 normals), restore the sign. Finite values only,
   which is all the kernels ever store. */
MR_INLINE mr_f16 mr_load_half_bits(const uint16_t *p) {
    mr_u32x16 bits;
    for (int i = 0; i < 16; i++) bits[i] = p[i];
    const mr_u32x16 sign = (bits & 0x8000u) << 16;
    const mr_u32x16 magnitude = (bits & 0x7fffu) << 13;
    mr_f16 scaled;
    memcpy(&scaled, &magnitude, sizeof scaled);
    scaled = scaled * 0x1p112f;
    mr_u32x16 out;
    memcpy(&out, &scaled, sizeof out);
    out = out | sign;
    mr_f16 value;
    memcpy(&value, &out, sizeof value);
    return value;
}

/* Round to nearest even from the bits alone (F. Giesen's float_to_half_fast3_rtne): overflow and infinity to
   ±infinity, NaN stays NaN, tiny values round into the subnormals through one addition of a magic constant. */
static uint16_t mr_float_to_half_bits(float value) {
    uint32_t x;
    memcpy(&x, &value, sizeof x);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    x &= 0x7fffffffu;
    if (x >= 0x47800000u) return sign | (x > 0x7f800000u ? 0x7e00u : 0x7c00u);
    if (x < 0x38800000u) {
        const uint32_t magicBits = ((127u - 15u) + (23u - 10u) + 1u) << 23;
        float magic, f;
        memcpy(&magic, &magicBits, sizeof magic);
        memcpy(&f, &x, sizeof f);
        f = f + magic;
        uint32_t r;
        memcpy(&r, &f, sizeof r);
        return sign | (uint16_t)(r - magicBits);
    }
    const uint32_t odd = (x >> 13) & 1u;
    x += ((uint32_t)(15 - 127) << 23) + 0xfffu;
    x += odd;
    return sign | (uint16_t)(x >> 13);
}

#if defined(__x86_64__) || defined(__aarch64__)
typedef _Float16 mr_h16 __attribute__((ext_vector_type(16)));

/* The processor's own conversions (F16C on x86-64, NEON on arm64): the same values as the bit versions. */
MR_INLINE mr_f16 mr_load_half_native(const uint16_t *p) {
    mr_h16 h;
    memcpy(&h, p, sizeof h);
    return __builtin_convertvector(h, mr_f16);
}
#endif

/* Sparse × binary16 dense rows: the loop of mr_gather_block with `load` converting each 16-float piece. */
#define MR_DEFINE_HALF_GATHER(suffix, attributes, load)                                                          \
    MR_INLINE void mr_half_block_##suffix(const intptr_t *pointers, const int32_t *indices, const float *values,  \
                                          intptr_t firstRow, intptr_t endRow, const uint16_t *dense,              \
                                          intptr_t stride, float *output, intptr_t column, const int vectors) {   \
        const intptr_t last = pointers[endRow] - 1;                                                               \
        for (intptr_t r = firstRow; r < endRow; r++) {                                                            \
            mr_f16 acc[mr_max_vectors];                                                                           \
            for (int k = 0; k < vectors; k++) acc[k] = 0;                                                         \
            const intptr_t end = pointers[r + 1];                                                                 \
            for (intptr_t p = pointers[r]; p < end; p++) {                                                        \
                intptr_t ahead = p + mr_prefetch_distance;                                                        \
                ahead = ahead < last ? ahead : last;                                                              \
                const uint16_t *next = dense + (intptr_t)indices[ahead] * stride + column;                        \
                for (int k = 0; k < vectors; k += 2) __builtin_prefetch(next + 16 * k, 0, 3);                     \
                const mr_f16 w = values[p];                                                                       \
                const uint16_t *source = dense + (intptr_t)indices[p] * stride + column;                          \
                for (int k = 0; k < vectors; k++) acc[k] = acc[k] + w * load(source + 16 * k);                    \
            }                                                                                                     \
            for (int k = 0; k < vectors; k++) mr_store(output + r * stride + column + 16 * k, acc[k]);           \
        }                                                                                                         \
    }                                                                                                             \
    attributes static void mr_half_rows_##suffix(const intptr_t *pointers, const int32_t *indices,               \
                                                 const float *values, intptr_t firstRow, intptr_t endRow,         \
                                                 const uint16_t *dense, intptr_t stride, float *output) {         \
        if (firstRow >= endRow) return;                                                                           \
        for (intptr_t column = 0; column < stride; column += 16 * mr_max_vectors) {                               \
            MR_BY_VECTORS((stride - column) / 16, mr_half_block_##suffix, pointers, indices, values, firstRow,     \
                          endRow, dense, stride, output, column)                                                  \
        }                                                                                                         \
    }

/* Scores of whole panels of 16 rows stored as binary16 (`columns` × 16 values a panel): lane l of panel p gets
   Σ_c query[c]·row_c, summed over c in order. */
#define MR_DEFINE_HALF_PANELS(suffix, attributes, load)                                                          \
    MR_INLINE void mr_half_panel_block_##suffix(const uint16_t *panels, intptr_t columns, intptr_t firstPanel,    \
                                                intptr_t endPanel, const float *query, float *output) {           \
        for (intptr_t p = firstPanel; p < endPanel; p++) {                                                        \
            const uint16_t *panel = panels + p * columns * 16;                                                    \
            mr_f16 acc = 0;                                                                                       \
            for (intptr_t c = 0; c < columns; c++) {                                                              \
                const mr_f16 w = query[c];                                                                        \
                acc = acc + w * load(panel + c * 16);                                                             \
            }                                                                                                     \
            mr_store(output + p * 16, acc);                                                                       \
        }                                                                                                         \
    }                                                                                                             \
    attributes static void mr_half_panels_##suffix(const uint16_t *panels, intptr_t columns, intptr_t firstPanel, \
                                                   intptr_t endPanel, const float *query, float *output) {        \
        mr_half_panel_block_##suffix(panels, columns, firstPanel, endPanel, query, output);                       \
    }

/* Dot products of a query with gathered binary16 rows (`stride` halves apart, a multiple of 16; the query holds
   `stride` floats): 16 lane sums over the pieces in order, then the lanes folded pairwise. */
#define MR_DEFINE_HALF_DOTS(suffix, attributes, load)                                                            \
    MR_INLINE mr_f16 mr_half_row_##suffix(const float *query, const uint16_t *row, intptr_t stride) {           \
        mr_f16 acc = 0;                                                                                           \
        for (intptr_t c = 0; c < stride; c += 16) acc = acc + mr_load(query + c) * load(row + c);                \
        return acc;                                                                                               \
    }                                                                                                             \
    /* Row t's lanes, with row t + 16 (or the last) fetched ahead. */                                             \
    MR_INLINE mr_f16 mr_half_lanes_##suffix(const float *query, const uint16_t *rows, intptr_t stride,           \
                                            const int32_t *rowIndices, intptr_t count, intptr_t t) {             \
        const intptr_t ahead = t + 16 < count ? t + 16 : count - 1;                                                 \
        const uint16_t *next = rows + (intptr_t)rowIndices[ahead] * stride;                                       \
        for (intptr_t o = 0; o < stride; o += 32) __builtin_prefetch(next + o, 0, 3);                             \
        return mr_half_row_##suffix(query, rows + (intptr_t)rowIndices[t] * stride, stride);                      \
    }                                                                                                             \
    MR_INLINE void mr_half_dots_block_##suffix(const float *query, const uint16_t *rows, intptr_t stride,         \
                                               const int32_t *rowIndices, intptr_t count, float *output) {        \
        intptr_t t = 0;                                                                                           \
        for (; t + 16 <= count; t += 16) {                                                                        \
            mr_f16 lanes[16];                                                                                     \
            for (int j = 0; j < 16; j++) lanes[j] = mr_half_lanes_##suffix(query, rows, stride, rowIndices, count, \
                                                                           t + j);                                \
            mr_store(output + t, mr_fold16(lanes));                                                               \
        }                                                                                                         \
        for (; t < count; t++)                                                                                    \
            output[t] = mr_fold(mr_half_lanes_##suffix(query, rows, stride, rowIndices, count, t));               \
    }                                                                                                             \
    attributes static void mr_half_dots_##suffix(const float *query, const uint16_t *rows, intptr_t stride,      \
                                                 const int32_t *rowIndices, intptr_t count, float *output) {      \
        mr_half_dots_block_##suffix(query, rows, stride, rowIndices, count, output);                              \
    }                                                                                                             \
    /* mr_half_dots of each query, row block by row block: the first query fetches the rows (and the next block's \
       ahead), the others find them in cache; every value goes through the same operations as mr_half_dots. */    \
    MR_INLINE void mr_half_dots_many_block_##suffix(const float *queries, intptr_t queryCount,                  \
                                                    const uint16_t *rows, intptr_t stride,                        \
                                                    const int32_t *rowIndices, intptr_t count, float *output) {   \
        intptr_t t = 0;                                                                                           \
        if (stride <= mr_many_half_stride) {                                                                      \
            /* Each block of 16 rows converted once, piece-major (piece p of row j at vector 16p + j); then each  \
               query's 16 sums run side by side: the same products and additions, in the same order. */          \
            mr_f16 block[mr_many_half_stride];                                                                    \
            const intptr_t pieces = stride / 16;                                                                  \
            for (; t + 16 <= count; t += 16) {                                                                    \
                for (int j = 0; j < 16; j++) {                                                                    \
                    const intptr_t ahead = t + 16 + j < count ? t + 16 + j : count - 1;                           \
                    const uint16_t *next = rows + (intptr_t)rowIndices[ahead] * stride;                           \
                    for (intptr_t o = 0; o < stride; o += 32) __builtin_prefetch(next + o, 0, 3);                 \
                    const uint16_t *row = rows + (intptr_t)rowIndices[t + j] * stride;                            \
                    for (intptr_t p = 0; p < pieces; p++) block[16 * p + j] = load(row + 16 * p);                 \
                }                                                                                                 \
                for (intptr_t q = 0; q < queryCount; q++) {                                                       \
                    const float *query = queries + q * stride;                                                    \
                    mr_f16 lanes[16];                                                                             \
                    _Pragma("clang loop unroll(full)")                                                            \
                    for (int j = 0; j < 16; j++) lanes[j] = 0;                                                    \
                    for (intptr_t p = 0; p < pieces; p++) {                                                       \
                        const mr_f16 w = mr_load(query + 16 * p);                                                 \
                        _Pragma("clang loop unroll(full)")                                                        \
                        for (int j = 0; j < 16; j++) lanes[j] = lanes[j] + w * block[16 * p + j];                 \
                    }                                                                                             \
                    mr_store(output + q * count + t, mr_fold16(lanes));                                           \
                }                                                                                                 \
            }                                                                                                     \
        } else {                                                                                                  \
            for (; t + 16 <= count; t += 16) {                                                                    \
                mr_f16 lanes[16];                                                                                 \
                for (int j = 0; j < 16; j++) lanes[j] = mr_half_lanes_##suffix(queries, rows, stride, rowIndices, \
                                                                               count, t + j);                     \
                mr_store(output + t, mr_fold16(lanes));                                                           \
                for (intptr_t q = 1; q < queryCount; q++) {                                                       \
                    for (int j = 0; j < 16; j++)                                                                  \
                        lanes[j] = mr_half_row_##suffix(queries + q * stride,                                     \
                                                        rows + (intptr_t)rowIndices[t + j] * stride, stride);     \
                    mr_store(output + q * count + t, mr_fold16(lanes));                                           \
                }                                                                                                 \
            }                                                                                                     \
        }                                                                                                         \
        for (; t < count; t++) {                                                                                  \
            output[t] = mr_fold(mr_half_lanes_##suffix(queries, rows, stride, rowIndices, count, t));             \
            const uint16_t *row = rows + (intptr_t)rowIndices[t] * stride;                                        \
            for (intptr_t q = 1; q < queryCount; q++)                                                             \
                output[q * count + t] = mr_fold(mr_half_row_##suffix(queries + q * stride, row, stride));         \
        }                                                                                                         \
    }                                                                                                             \
    attributes static void mr_half_dots_many_##suffix(const float *queries, intptr_t queryCount,                 \
                                                      const uint16_t *rows, intptr_t stride,                      \
                                                      const int32_t *rowIndices, intptr_t count, float *output) { \
        if (queryCount > 0) mr_half_dots_many_block_##suffix(queries, queryCount, rows, stride, rowIndices, count, \
                                                             output);                                             \
    }

#if defined(__aarch64__)
MR_DEFINE_HALF_GATHER(baseline, , mr_load_half_native)
MR_DEFINE_HALF_PANELS(baseline, , mr_load_half_native)
MR_DEFINE_HALF_DOTS(baseline, , mr_load_half_native)
#else
MR_DEFINE_HALF_GATHER(baseline, , mr_load_half_bits)
MR_DEFINE_HALF_PANELS(baseline, , mr_load_half_bits)
MR_DEFINE_HALF_DOTS(baseline, , mr_load_half_bits)
#endif

static void mr_float_to_half_baseline(const float *input, uint16_t *output, intptr_t count) {
    intptr_t i = 0;
#if defined(__aarch64__)
    for (; i + 16 <= count; i += 16) {
        mr_f16 v;
        memcpy(&v, input + i, sizeof v);
        const mr_h16 h = __builtin_convertvector(v, mr_h16);
        memcpy(output + i, &h, sizeof h);
    }
#endif
    for (; i < count; i++) output[i] = mr_float_to_half_bits(input[i]);
}

/* In place: each value replaced by its binary16 rounding (round to nearest even), converted back exactly. */
static void mr_round_to_half_baseline(float *values, intptr_t count) {
    for (intptr_t i = 0; i < count; i += 16) {
        const intptr_t n = count - i < 16 ? count - i : 16;
        uint16_t bits[16] = {0};
        mr_float_to_half_baseline(values + i, bits, n);
#if defined(__aarch64__)
        const mr_f16 back = mr_load_half_native(bits);
#else
        const mr_f16 back = mr_load_half_bits(bits);
#endif
        memcpy(values + i, &back, (size_t)n * sizeof(float));
    }
}

#if defined(__x86_64__)
MR_DEFINE_HALF_GATHER(avx2, __attribute__((target("avx2,f16c"))), mr_load_half_native)
MR_DEFINE_HALF_GATHER(avx512, __attribute__((target("avx512f,f16c"))), mr_load_half_native)
MR_DEFINE_HALF_PANELS(avx2, __attribute__((target("avx2,f16c"))), mr_load_half_native)
MR_DEFINE_HALF_PANELS(avx512, __attribute__((target("avx512f,f16c"))), mr_load_half_native)
MR_DEFINE_HALF_DOTS(avx2, __attribute__((target("avx2,f16c"))), mr_load_half_native)
MR_DEFINE_HALF_DOTS(avx512, __attribute__((target("avx512f,f16c"))), mr_load_half_native)

#define MR_DEFINE_TO_HALF(suffix, attributes)                                                                     \
    attributes static void mr_float_to_half_##suffix(const float *input, uint16_t *output, intptr_t count) {     \
        intptr_t i = 0;                                                                                           \
        for (; i + 16 <= count; i += 16) {                                                                       \
            mr_f16 v;                                                                                             \
            memcpy(&v, input + i, sizeof v);                                                                      \
            const mr_h16 h = __builtin_convertvector(v, mr_h16);                                                  \
            memcpy(output + i, &h, sizeof h);                                                                     \
        }                                                                                                         \
        for (; i < count; i++) output[i] = mr_float_to_half_bits(input[i]);                                      \
    }
MR_DEFINE_TO_HALF(avx2, __attribute__((target("avx2,f16c"))))
MR_DEFINE_TO_HALF(avx512, __attribute__((target("avx512f,f16c"))))

#define MR_DEFINE_ROUND_TO_HALF(suffix, attributes)                                                               \
    attributes static void mr_round_to_half_##suffix(float *values, intptr_t count) {                             \
        for (intptr_t i = 0; i < count; i += 16) {                                                                \
            const intptr_t n = count - i < 16 ? count - i : 16;                                                   \
            uint16_t bits[16] = {0};                                                                              \
            mr_float_to_half_##suffix(values + i, bits, n);                                                       \
            mr_h16 h;                                                                                             \
            memcpy(&h, bits, sizeof h);                                                                           \
            const mr_f16 back = __builtin_convertvector(h, mr_f16);                                               \
            memcpy(values + i, &back, (size_t)n * sizeof(float));                                                 \
        }                                                                                                         \
    }
MR_DEFINE_ROUND_TO_HALF(avx2, __attribute__((target("avx2,f16c"))))
MR_DEFINE_ROUND_TO_HALF(avx512, __attribute__((target("avx512f,f16c"))))
#endif

/* ---- one instantiation per instruction set ------------------------------------------------------------- */

#define MR_INSTANTIATE(suffix, attributes)                                                                        \
    attributes static void mr_gather_##suffix(const intptr_t *pointers, const int32_t *indices,                   \
                                              const float *values, intptr_t firstRow, intptr_t endRow,            \
                                              const float *dense, intptr_t stride, float *output) {               \
        mr_gather(pointers, indices, values, firstRow, endRow, dense, stride, output);                            \
    }                                                                                                             \
    attributes static void mr_scatter_##suffix(const intptr_t *starts, const intptr_t *ends,                      \
                                               const int32_t *indices, const float *values, intptr_t rows,        \
                                               const float *dense, intptr_t stride, float *output) {              \
        mr_scatter(starts, ends, indices, values, rows, dense, stride, output);                                   \
    }                                                                                                             \
    attributes static void mr_accumulate_##suffix(const float *coefficients, const int32_t *indices,              \
                                                  intptr_t count, const float *source, intptr_t stride,           \
                                                  float *output, intptr_t firstColumn, int upperTriangular) {     \
        mr_accumulate(coefficients, indices, count, source, stride, output, firstColumn, upperTriangular);        \
    }                                                                                                             \
    attributes static void mr_gram_##suffix(const float *a, intptr_t aStride, intptr_t aColumns, const float *b,  \
                                            intptr_t stride, intptr_t rows, float *out, int upperOnly) {          \
        mr_gram(a, aStride, aColumns, b, stride, rows, out, upperOnly);                                           \
    }                                                                                                             \
    attributes static void mr_rows_product_##suffix(const float *a, intptr_t aStride, intptr_t inner,              \
                                                    const float *c, intptr_t stride, intptr_t rows, float *out,   \
                                                    int adding) {                                                 \
        mr_rows_product(a, aStride, inner, c, stride, rows, out, adding);                                         \
    }                                                                                                             \
    attributes static float mr_dot_##suffix(const float *a, const float *b, intptr_t n) {                         \
        return mr_dot_impl(a, b, n);                                                                              \
    }                                                                                                             \
    attributes static void mr_gathered_dots_##suffix(const float *query, const float *rows, intptr_t dimension,  \
                                                     const int32_t *rowIndices, intptr_t count, float *output) {  \
        mr_gathered_dots_impl(query, rows, dimension, rowIndices, count, output, MR_WIDE_KEYS_##suffix);          \
    }                                                                                                             \
    attributes static float mr_null_key_softmax_##suffix(const float *cosines, const float *values, intptr_t n,    \
                                                         intptr_t own, float scale, float *weights,               \
                                                         float *nullWeight) {                                     \
        return mr_null_key_softmax_impl(cosines, values, n, own, scale, weights, nullWeight);                     \
    }                                                                                                             \
    attributes static intptr_t mr_select_top_k_##suffix(const float *scores, intptr_t count, intptr_t skip,         \
                                                         intptr_t k, int32_t *indices, float *kept) {             \
        return mr_select_top_k(scores, count, skip, k, indices, kept, MR_WIDE_KEYS_##suffix);                    \
    }                                                                                                             \
    attributes static void mr_gathered_dots_many_##suffix(const float *queries, intptr_t queryCount,              \
                                                          const float *rows, intptr_t dimension,                  \
                                                          const int32_t *rowIndices, intptr_t count,              \
                                                          float *output) {                                        \
        mr_gathered_dots_many_impl(queries, queryCount, rows, dimension, rowIndices, count, output,               \
                                   MR_WIDE_KEYS_##suffix);                                                        \
    }

MR_INSTANTIATE(baseline, )

#if defined(__x86_64__)
MR_INSTANTIATE(avx2, __attribute__((target("avx2"))))
MR_INSTANTIATE(avx512, __attribute__((target("avx512f"))))

/* CPUID and XGETBV: AVX2 needs the OS to save ymm state (XCR0 bits 1, 2), AVX-512 also opmask and zmm (5, 6, 7);
   both levels also use F16C (binary16 conversions), which every AVX2 processor has. */
static void mr_cpuid(unsigned leaf, unsigned subleaf, unsigned out[4]) {
    __asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3]) : "a"(leaf), "c"(subleaf));
}

static MRKernelLevel mr_supported_level(void) {
    unsigned r[4];
    mr_cpuid(0, 0, r);
    const unsigned maxLeaf = r[0];
    if (maxLeaf < 7) return MRKernelLevelBaseline;
    mr_cpuid(1, 0, r);
    const int osxsave = (r[2] >> 27) & 1, avx = (r[2] >> 28) & 1, f16c = (r[2] >> 29) & 1;
    if (!osxsave || !avx || !f16c) return MRKernelLevelBaseline;
    unsigned xcr0Low, xcr0High;
    __asm__ volatile("xgetbv" : "=a"(xcr0Low), "=d"(xcr0High) : "c"(0));
    mr_cpuid(7, 0, r);
    const int avx2 = (r[1] >> 5) & 1, avx512f = (r[1] >> 16) & 1;
    if (avx512f && (xcr0Low & 0xE6) == 0xE6) return MRKernelLevelAVX512;
    if (avx2 && (xcr0Low & 0x6) == 0x6) return MRKernelLevelAVX2;
    return MRKernelLevelBaseline;
}
#else
static MRKernelLevel mr_supported_level(void) { return MRKernelLevelBaseline; }
#endif

/* -1: not chosen yet. Written at most once per choice; every thread computes the same value. */
static int mr_level_in_use = -1;

MRKernelLevel mr_kernel_level(void) {
    int level = __atomic_load_n(&mr_level_in_use, __ATOMIC_RELAXED);
    if (level < 0) {
        level = (int)mr_supported_level();
        __atomic_store_n(&mr_level_in_use, level, __ATOMIC_RELAXED);
    }
    return (MRKernelLevel)level;
}

MRKernelLevel mr_kernel_level_set(int level) {
    const int supported = (int)mr_supported_level();
    const int chosen = level < 0 || level > supported ? supported : level;
    __atomic_store_n(&mr_level_in_use, chosen, __ATOMIC_RELAXED);
    return (MRKernelLevel)chosen;
}

#if defined(__x86_64__)
#define MR_DISPATCH(name, ...)                                                                                    \
    switch (mr_kernel_level()) {                                                                                  \
    case MRKernelLevelAVX512: return name##_avx512(__VA_ARGS__);                                                  \
    case MRKernelLevelAVX2: return name##_avx2(__VA_ARGS__);                                                      \
    default: return name##_baseline(__VA_ARGS__);                                                                 \
    }
#else
#define MR_DISPATCH(name, ...) return name##_baseline(__VA_ARGS__);
#endif

void mr_sparse_dense_rows(const intptr_t *rowPointers, const int32_t *indices, const float *values,
                          intptr_t firstRow, intptr_t endRow, const float *dense, intptr_t stride,
                          float *output) {
    MR_DISPATCH(mr_gather, rowPointers, indices, values, firstRow, endRow, dense, stride, output)
}

void mr_sparse_transpose_scatter(const intptr_t *starts, const intptr_t *ends, const int32_t *indices,
                                 const float *values, intptr_t rows, const float *dense, intptr_t stride,
                                 float *output) {
    MR_DISPATCH(mr_scatter, starts, ends, indices, values, rows, dense, stride, output)
}

void mr_accumulate_row(const float *coefficients, const int32_t *indices, intptr_t count, const float *source,
                       intptr_t stride, float *output, intptr_t firstColumn, int upperTriangular) {
    MR_DISPATCH(mr_accumulate, coefficients, indices, count, source, stride, output, firstColumn, upperTriangular)
}

void mr_gram_block(const float *a, intptr_t aStride, intptr_t aColumns, const float *b, intptr_t stride,
                   intptr_t rows, float *out, int upperOnly) {
    MR_DISPATCH(mr_gram, a, aStride, aColumns, b, stride, rows, out, upperOnly)
}

void mr_dense_rows_product(const float *a, intptr_t aStride, intptr_t inner, const float *c, intptr_t stride,
                           intptr_t rows, float *out, int adding) {
    MR_DISPATCH(mr_rows_product, a, aStride, inner, c, stride, rows, out, adding)
}

float mr_dot(const float *a, const float *b, intptr_t n) {
    MR_DISPATCH(mr_dot, a, b, n)
}

void mr_gathered_dots(const float *query, const float *rows, intptr_t dimension, const int32_t *rowIndices,
                      intptr_t count, float *output) {
    MR_DISPATCH(mr_gathered_dots, query, rows, dimension, rowIndices, count, output)
}

void mr_gathered_dots_many(const float *queries, intptr_t queryCount, const float *rows, intptr_t dimension,
                           const int32_t *rowIndices, intptr_t count, float *output) {
    MR_DISPATCH(mr_gathered_dots_many, queries, queryCount, rows, dimension, rowIndices, count, output)
}

float mr_null_key_softmax(const float *cosines, const float *values, intptr_t n, intptr_t own, float scale,
                          float *weights, float *nullWeight) {
    MR_DISPATCH(mr_null_key_softmax, cosines, values, n, own, scale, weights, nullWeight)
}

intptr_t mr_shared_scores(const int32_t *movies, const float *values, intptr_t count, const float *liked,
                          float neighbourMean, float *scores, int32_t *found) {
    intptr_t written = 0;
    for (intptr_t p = 0; p < count; p++) {
        const float mine = liked[movies[p]];
        const float theirs = values[p];
        const float ratio = theirs / neighbourMean;
        scores[written] = ratio < mine ? ratio : mine;
        found[written] = movies[p];
        written += (mine >= 0) & (theirs >= neighbourMean);
    }
    return written;
}

/* `(a, ai)` ranks before `(b, bi)`: a higher score, or the same score and a lower index. */
MR_INLINE bool mr_better(float a, int32_t ai, float b, int32_t bi) { return a > b || (a == b && ai < bi); }

void mr_prefetch_gathered(const float *base, const int32_t *indices, intptr_t count) {
    for (intptr_t t = 0; t < count; t++) __builtin_prefetch(base + indices[t], 0, 3);
}

static intptr_t mr_first_not_below_baseline(const float *scores, intptr_t from, intptr_t count, float bound) {
    for (intptr_t t = from; t < count; t++) if (!(scores[t] < bound)) return t;
    return count;
}

#if defined(__x86_64__)
/* ``mr_first_not_below``, 16 scores a step (NaN is not below: an unordered compare). */
__attribute__((target("avx512f"))) static intptr_t mr_first_not_below_avx512(const float *scores, intptr_t from,
                                                                           intptr_t count, float bound) {
    const __m512 b = _mm512_set1_ps(bound);
    intptr_t t = from;
    for (; t + 16 <= count; t += 16) {
        const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_loadu_ps(scores + t), b, _CMP_NLT_UQ);
        if (hit) return t + __builtin_ctz(hit);
    }
    return mr_first_not_below_baseline(scores, t, count, bound);
}
#endif

intptr_t mr_first_not_below(const float *scores, intptr_t from, intptr_t count, float bound) {
#if defined(__x86_64__)
    if (mr_kernel_level() == MRKernelLevelAVX512) return mr_first_not_below_avx512(scores, from, count, bound);
#endif
    return mr_first_not_below_baseline(scores, from, count, bound);
}

/* The heap ``mr_top_k`` uses beyond ``mr_select_limit`` entries, where most entries lose to the root at once. */
static intptr_t mr_heap_top_k(const float *scores, intptr_t count, intptr_t skip, intptr_t k, int32_t *indices,
                              float *kept) {
    /* A binary heap whose root is the worst entry kept. */
    intptr_t size = 0;
    for (intptr_t t = 0; t < count; t++) {
        /* Once k are kept, only a score above the root's can enter (a later equal one has a higher index): the
           scores below it are passed over 16 at a time. */
        if (size == k && (t = mr_first_not_below(scores, t, count, kept[0])) == count) break;
        const float s = scores[t];
        if (t == skip || s != s) continue;
        const int32_t index = (int32_t)t;
        if (size < k) {
            intptr_t child = size++;
            while (child > 0) {
                const intptr_t parent = (child - 1) / 2;
                if (!mr_better(kept[parent], indices[parent], s, index)) break;
                kept[child] = kept[parent];
                indices[child] = indices[parent];
                child = parent;
            }
            kept[child] = s;
            indices[child] = index;
        } else if (mr_better(s, index, kept[0], indices[0])) {
            intptr_t parent = 0;
            for (;;) {
                intptr_t worst = 2 * parent + 1;
                if (worst >= size) break;
                if (worst + 1 < size && mr_better(kept[worst], indices[worst], kept[worst + 1], indices[worst + 1])) worst++;
                if (!mr_better(s, index, kept[worst], indices[worst])) break;
                kept[parent] = kept[worst];
                indices[parent] = indices[worst];
                parent = worst;
            }
            kept[parent] = s;
            indices[parent] = index;
        }
    }
    /* Best first: insertion sort (a heap of at most a few hundred entries). */
    for (intptr_t a = 1; a < size; a++) {
        const float s = kept[a];
        const int32_t index = indices[a];
        intptr_t b = a;
        while (b > 0 && mr_better(s, index, kept[b - 1], indices[b - 1])) {
            kept[b] = kept[b - 1];
            indices[b] = indices[b - 1];
            b--;
        }
        kept[b] = s;
        indices[b] = index;
    }
    return size;
}

intptr_t mr_top_k(const float *scores, intptr_t count, intptr_t skip, intptr_t k, int32_t *indices, float *kept) {
    if (k <= 0) return 0;
    if (count > mr_select_limit) return mr_heap_top_k(scores, count, skip, k, indices, kept);
    MR_DISPATCH(mr_select_top_k, scores, count, skip, k, indices, kept)
}

void mr_sorted_row_lookups(const intptr_t *rowPointers, const int32_t *columns, const int32_t *rows, intptr_t rowCount,
                           const int32_t *targets, intptr_t targetCount, intptr_t *positions) {
    for (intptr_t r = 0; r < rowCount; r++) {
        const intptr_t end = rowPointers[rows[r] + 1];
        intptr_t first = rowPointers[rows[r]];
        if (r + 1 < rowCount) {
            /* The next row's first lines, fetched while this one is read. */
            const int32_t *next = columns + rowPointers[rows[r + 1]];
            __builtin_prefetch(next);
            __builtin_prefetch(next + 16);
        }
        for (intptr_t t = 0; t < targetCount; t++) {
            const int32_t target = targets[t];
            /* Forward from where the last (smaller) target stopped: a line of 16 entries at a time, then within it.
               The row is read in order once, which the hardware prefetcher streams; binary searches of rows no
               longer in cache wait on a miss at every level. */
            while (first + 16 <= end && columns[first + 15] < target) first += 16;
            while (first < end && columns[first] < target) first++;
            positions[t * rowCount + r] = (first < end && columns[first] == target) ? first : -1;
        }
    }
}

void mr_scatter_add(const int32_t *indices, const float *values, intptr_t count, float scale, float *sums) {
    /* No test and no flag per entry: a film is touched when its sum is no longer the untouched mark −0.0 (each term
       is never −0.0, see the header), so the only dependency between steps is a repeated index. */
    for (intptr_t p = 0; p < count; p++) {
        const int32_t i = indices[p];
        sums[i] = sums[i] + (scale * values[p] + 0.0f);
    }
}

void mr_scatter_add_rows(const intptr_t *rowPointers, const int32_t *columns, const float *values,
                         const int32_t *rows, const float *scales, intptr_t rowCount, float *sums) {
    for (intptr_t r = 0; r < rowCount; r++) {
        if (r + 1 < rowCount) {
            /* The next row's first entries: a new place in two large arrays, so a cache miss each. */
            const intptr_t next = rowPointers[rows[r + 1]];
            __builtin_prefetch(columns + next, 0, 0);
            __builtin_prefetch(values + next, 0, 0);
            __builtin_prefetch(columns + next + 16, 0, 0);
            __builtin_prefetch(values + next + 16, 0, 0);
        }
        if (r + 2 < rowCount) __builtin_prefetch(rowPointers + rows[r + 2], 0, 0);
        const intptr_t start = rowPointers[rows[r]], end = rowPointers[rows[r] + 1];
        mr_scatter_add(columns + start, values + start, end - start, scales[r], sums);
    }
}

void mr_scatter_add_coded_rows(const intptr_t *rowPointers, const uint16_t *columns, const uint8_t *codes,
                               const float *table, intptr_t tableCount, const int32_t *rows, const float *scales,
                               intptr_t rowCount, float *sums) {
    float scaled[256];
    for (intptr_t r = 0; r < rowCount; r++) {
        if (r + 1 < rowCount) {
            /* The whole next row: a new place in two large arrays, read while this row is added. */
            const intptr_t next = rowPointers[rows[r + 1]], nextEnd = rowPointers[rows[r + 1] + 1];
            for (intptr_t o = next; o < nextEnd; o += 32) __builtin_prefetch(columns + o, 0, 0);
            for (intptr_t o = next; o < nextEnd; o += 64) __builtin_prefetch(codes + o, 0, 0);
        }
        if (r + 2 < rowCount) __builtin_prefetch(rowPointers + rows[r + 2], 0, 0);
        const float scale = scales[r];
        for (intptr_t c = 0; c < tableCount; c++) scaled[c] = scale * table[c] + 0.0f;
        const intptr_t end = rowPointers[rows[r] + 1];
        for (intptr_t p = rowPointers[rows[r]]; p < end; p++) {
            const intptr_t i = columns[p];
            sums[i] = sums[i] + scaled[codes[p]];
        }
    }
}

/* One step of `mr_bounded_candidates`: branch-free compaction. */
MR_INLINE intptr_t mr_bounded_candidate(intptr_t i, const float *attention, const bool *rated,
                                        const bool *allowed, const float *norms, float scale, float reach,
                                        int32_t *indices, float *bounds, intptr_t written) {
    const float part = scale * attention[i];
    const float room = reach * norms[i];
    uint32_t bits;
    memcpy(&bits, attention + i, sizeof bits);
    indices[written] = (int32_t)i;
    bounds[written] = part + room;
    const int keep = (bits != 0x80000000u) & !(rated && rated[i]) & !(allowed && !allowed[i]);
    return written + keep;
}

static intptr_t mr_bounded_candidates_baseline(const float *attention, const bool *rated,
                                               const bool *allowed, const float *norms, float scale, float reach,
                                               intptr_t count, int32_t *indices, float *bounds) {
    intptr_t written = 0;
    for (intptr_t i = 0; i < count; i++)
        written = mr_bounded_candidate(i, attention, rated, allowed, norms, scale, reach, indices, bounds, written);
    return written;
}

#if defined(__x86_64__)
#include <immintrin.h>

/* 16 films a step: the flags widened to lanes, the kept lanes compressed to the outputs (the same values and order
   as the baseline loop). */
__attribute__((target("avx512f")))
static intptr_t mr_bounded_candidates_avx512(const float *attention, const bool *rated,
                                             const bool *allowed, const float *norms, float scale, float reach,
                                             intptr_t count, int32_t *indices, float *bounds) {
    intptr_t written = 0, i = 0;
    const __m512 a = _mm512_set1_ps(scale), r = _mm512_set1_ps(reach);
    const __m512i step = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (; i + 16 <= count; i += 16) {
        const __m512 sums = _mm512_loadu_ps(attention + i);
        __mmask16 keep = _mm512_cmpneq_epi32_mask(_mm512_castps_si512(sums), _mm512_set1_epi32((int)0x80000000u));
        if (!keep) continue;
        if (rated) {
            const __m512i f = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(rated + i)));
            keep &= _mm512_testn_epi32_mask(f, f);
        }
        if (allowed) {
            const __m512i f = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(allowed + i)));
            keep &= _mm512_test_epi32_mask(f, f);
        }
        if (!keep) continue;
        const __m512 part = _mm512_mul_ps(a, sums);
        const __m512 room = _mm512_mul_ps(r, _mm512_loadu_ps(norms + i));
        const __m512 bound = _mm512_add_ps(part, room);
        const __m512i index = _mm512_add_epi32(_mm512_set1_epi32((int)i), step);
        /* Compressed in registers and stored whole (written + 16 ≤ i + 16 ≤ count): a compressing store to memory
           is microcoded and slow on some processors. */
        _mm512_storeu_si512((void *)(indices + written), _mm512_maskz_compress_epi32(keep, index));
        _mm512_storeu_ps(bounds + written, _mm512_maskz_compress_ps(keep, bound));
        written += __builtin_popcount((unsigned)keep);
    }
    for (; i < count; i++)
        written = mr_bounded_candidate(i, attention, rated, allowed, norms, scale, reach, indices, bounds, written);
    return written;
}
#endif

intptr_t mr_bounded_candidates(const float *attention, const bool *rated, const bool *allowed, const float *norms,
                               float scale, float reach, intptr_t count, int32_t *indices, float *bounds) {
#if defined(__x86_64__)
    if (mr_kernel_level() == MRKernelLevelAVX512)
        return mr_bounded_candidates_avx512(attention, rated, allowed, norms, scale, reach, count, indices, bounds);
#endif
    return mr_bounded_candidates_baseline(attention, rated, allowed, norms, scale, reach, count, indices,
                                          bounds);
}

intptr_t mr_strided_sample(const int32_t *columns, intptr_t first, intptr_t count, intptr_t scanned, int32_t excluded,
                           intptr_t *positions, int32_t *values, const float *ratings, float *sampledRatings) {
    if (scanned <= 0 || count <= 0) return 0;
    if (scanned > count) scanned = count;
    /* p_t = first + t·step + ⌊t·extra/scanned⌋, stepped with a carry; a second walker runs `lead` steps ahead. */
    const intptr_t step = count / scanned, extra = count % scanned, lead = 16;
    intptr_t p = first, carry = 0, ahead = first, aheadCarry = 0, written = 0;
    for (intptr_t t = 0; t < lead && t < scanned; t++) {
        ahead += step; aheadCarry += extra;
        if (aheadCarry >= scanned) { aheadCarry -= scanned; ahead++; }
    }
    for (intptr_t t = 0; t < scanned; t++) {
        if (t + lead < scanned) {
            __builtin_prefetch(columns + ahead, 0, 0);
            if (ratings) __builtin_prefetch(ratings + ahead, 0, 0);
            ahead += step; aheadCarry += extra;
            if (aheadCarry >= scanned) { aheadCarry -= scanned; ahead++; }
        }
        const int32_t v = columns[p];
        if (v != excluded) {
            positions[written] = p;
            values[written] = v;
            if (ratings) sampledRatings[written] = ratings[p];
            written++;
        }
        p += step; carry += extra;
        if (carry >= scanned) { carry -= scanned; p++; }
    }
    return written;
}

void mr_float_to_half(const float *input, uint16_t *output, intptr_t count) {
    MR_DISPATCH(mr_float_to_half, input, output, count)
}

void mr_gathered_half_dots(const float *query, const uint16_t *rows, intptr_t stride, const int32_t *rowIndices,
                           intptr_t count, float *output) {
    MR_DISPATCH(mr_half_dots, query, rows, stride, rowIndices, count, output)
}

void mr_gathered_half_dots_many(const float *queries, intptr_t queryCount, const uint16_t *rows, intptr_t stride,
                                const int32_t *rowIndices, intptr_t count, float *output) {
    MR_DISPATCH(mr_half_dots_many, queries, queryCount, rows, stride, rowIndices, count, output)
}

void mr_half_panel_scores(const uint16_t *panels, intptr_t columns, intptr_t firstPanel, intptr_t endPanel,
                          const float *query, float *output) {
    MR_DISPATCH(mr_half_panels, panels, columns, firstPanel, endPanel, query, output)
}

void mr_round_to_half(float *values, intptr_t count) {
    MR_DISPATCH(mr_round_to_half, values, count)
}

void mr_sparse_half_rows(const intptr_t *rowPointers, const int32_t *indices, const float *values,
                         intptr_t firstRow, intptr_t endRow, const uint16_t *dense, intptr_t stride, float *output) {
    MR_DISPATCH(mr_half_rows, rowPointers, indices, values, firstRow, endRow, dense, stride, output)
}
