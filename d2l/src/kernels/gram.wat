;; Kernels of d2l.lstsq: the normal equations XᵀX and Xᵀy of one chunk of rows, added into float64.
;;
;; Source of d2l/src/kernels/gram-wasm.ts (`npm run wasm` assembles it; a test checks the two agree).
;; Rows are float32, row-major, `d` values each, one after another (no padding), as in a tensor's
;; memory, so that a chunk is read in place or staged by one contiguous copy. Tiles read up to 7
;; values past a row's end, into the next row (the caller never reads the last rows of X in place)
;; or the slack after a staged chunk: those land in entries of G and c past column d or row d,
;; which the caller never reads. Products are summed in float32 over the chunk's rows (a
;; few hundred) and added into float64 at the end of each tile.
;;
;; Memory is imported: TensorFlow.js's wasm memory, to read tensors where they are, or one of the
;; caller's own, into which it copies the rows.
(module
  (import "env" "memory" (memory 1))

  ;; G[i][j] += Σ_t x[t][i] x[t][j] for the upper triangle (j ≥ i) of the d×d matrix G, in tiles
  ;; of 4 rows i × 8 columns j. G is float64, row-major with row length gp (d rounded up to 8).
  ;; Tiles on the diagonal also fill some entries below it, which the caller ignores.
  ;; Each tile keeps its 4×8 sums in 8 SIMD registers: few enough for x64's 16 without spills.
  (func (export "syrk") (param $x i32) (param $rows i32) (param $d i32) (param $g i32) (param $gp i32)
    (local $stride i32) (local $end i32) (local $i0 i32) (local $j0 i32) (local $row i32) (local $at i32)
    (local $b0 v128) (local $b1 v128) (local $a v128)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (local.set $stride (i32.shl (local.get $d) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $stride))))
    (call $touch (local.get $x) (local.get $end))
    (block $rows_done (loop $tile_rows
      (br_if $rows_done (i32.ge_u (local.get $i0) (local.get $d)))
      ;; The first column tile that reaches the diagonal.
      (local.set $j0 (i32.and (local.get $i0) (i32.const -8)))
      (block $cols_done (loop $tile_cols
        (br_if $cols_done (i32.ge_u (local.get $j0) (local.get $d)))
        (local.set $s00 (v128.const i32x4 0 0 0 0)) (local.set $s01 (v128.const i32x4 0 0 0 0))
        (local.set $s10 (v128.const i32x4 0 0 0 0)) (local.set $s11 (v128.const i32x4 0 0 0 0))
        (local.set $s20 (v128.const i32x4 0 0 0 0)) (local.set $s21 (v128.const i32x4 0 0 0 0))
        (local.set $s30 (v128.const i32x4 0 0 0 0)) (local.set $s31 (v128.const i32x4 0 0 0 0))
        (local.set $row (local.get $x))
        (block $chunk_done (loop $each_row
          (br_if $chunk_done (i32.ge_u (local.get $row) (local.get $end)))
          ;; x[t][j0 .. j0+8)
          (local.set $at (i32.add (local.get $row) (i32.shl (local.get $j0) (i32.const 2))))
          (local.set $b0 (v128.load offset=0 align=4 (local.get $at)))
          (local.set $b1 (v128.load offset=16 align=4 (local.get $at)))
          ;; times x[t][i0 + r], r = 0..3
          (local.set $at (i32.add (local.get $row) (i32.shl (local.get $i0) (i32.const 2))))
          (local.set $a (v128.load32_splat offset=0 align=4 (local.get $at)))
          (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $a) (local.get $b0))))
          (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $a) (local.get $b1))))
          (local.set $a (v128.load32_splat offset=4 align=4 (local.get $at)))
          (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $a) (local.get $b0))))
          (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $a) (local.get $b1))))
          (local.set $a (v128.load32_splat offset=8 align=4 (local.get $at)))
          (local.set $s20 (f32x4.add (local.get $s20) (f32x4.mul (local.get $a) (local.get $b0))))
          (local.set $s21 (f32x4.add (local.get $s21) (f32x4.mul (local.get $a) (local.get $b1))))
          (local.set $a (v128.load32_splat offset=12 align=4 (local.get $at)))
          (local.set $s30 (f32x4.add (local.get $s30) (f32x4.mul (local.get $a) (local.get $b0))))
          (local.set $s31 (f32x4.add (local.get $s31) (f32x4.mul (local.get $a) (local.get $b1))))
          (local.set $row (i32.add (local.get $row) (local.get $stride)))
          (br $each_row)))
        ;; G[i0 + r][j0 .. j0+8) += the sums, r = 0..3
        (local.set $at (i32.add (local.get $g)
          (i32.shl (i32.add (i32.mul (local.get $i0) (local.get $gp)) (local.get $j0)) (i32.const 3))))
        (call $add8 (local.get $at) (local.get $s00) (local.get $s01))
        (local.set $at (i32.add (local.get $at) (i32.shl (local.get $gp) (i32.const 3))))
        (call $add8 (local.get $at) (local.get $s10) (local.get $s11))
        (local.set $at (i32.add (local.get $at) (i32.shl (local.get $gp) (i32.const 3))))
        (call $add8 (local.get $at) (local.get $s20) (local.get $s21))
        (local.set $at (i32.add (local.get $at) (i32.shl (local.get $gp) (i32.const 3))))
        (call $add8 (local.get $at) (local.get $s30) (local.get $s31))
        (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))
        (br $tile_cols)))
      (local.set $i0 (i32.add (local.get $i0) (i32.const 4)))
      (br $tile_rows)))
  )

  ;; c[col][j] += Σ_t x[t][j] y[t][col] for the k columns of y (row-major, k values per row), in
  ;; tiles of 8 values j. c is float64, row-major with row length gp.
  (func (export "xty") (param $x i32) (param $y i32) (param $rows i32) (param $d i32) (param $k i32)
    (param $c i32) (param $gp i32)
    (local $stride i32) (local $end i32) (local $col i32) (local $j0 i32) (local $row i32) (local $yat i32)
    (local $a v128) (local $s0 v128) (local $s1 v128)
    (local.set $stride (i32.shl (local.get $d) (i32.const 2)))
    (block $cols_done (loop $each_col
      (br_if $cols_done (i32.ge_u (local.get $col) (local.get $k)))
      (local.set $j0 (i32.const 0))
      (block $tiles_done (loop $each_tile
        (br_if $tiles_done (i32.ge_u (local.get $j0) (local.get $d)))
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $row (i32.add (local.get $x) (i32.shl (local.get $j0) (i32.const 2))))
        (local.set $end (i32.add (local.get $row) (i32.mul (local.get $rows) (local.get $stride))))
        (local.set $yat (i32.add (local.get $y) (i32.shl (local.get $col) (i32.const 2))))
        (block $chunk_done (loop $each_row
          (br_if $chunk_done (i32.ge_u (local.get $row) (local.get $end)))
          (local.set $a (v128.load32_splat align=4 (local.get $yat)))
          (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $a) (v128.load offset=0 align=4 (local.get $row)))))
          (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $a) (v128.load offset=16 align=4 (local.get $row)))))
          (local.set $row (i32.add (local.get $row) (local.get $stride)))
          (local.set $yat (i32.add (local.get $yat) (i32.shl (local.get $k) (i32.const 2))))
          (br $each_row)))
        (call $add8 (i32.add (local.get $c)
            (i32.shl (i32.add (i32.mul (local.get $col) (local.get $gp)) (local.get $j0)) (i32.const 3)))
          (local.get $s0) (local.get $s1))
        (local.set $j0 (i32.add (local.get $j0) (i32.const 8)))
        (br $each_tile)))
      (local.set $col (i32.add (local.get $col) (i32.const 1)))
      (br $each_col)))
  )

  ;; Reads one value per 64-byte cache line of [from, to): the tiles then find the chunk in cache.
  ;; They read it a few lines per row, column tile after column tile, a pattern that leaves memory
  ;; idle between misses; one sequential pass streams it in at full speed (about 12% faster overall).
  ;; The values are summed into a global so that the compiler cannot drop the loads.
  (func $touch (param $from i32) (param $to i32)
    (local $sum i32)
    (block $done (loop $each_line
      (br_if $done (i32.ge_u (local.get $from) (local.get $to)))
      (local.set $sum (i32.or (local.get $sum) (i32.load (local.get $from))))
      (local.set $from (i32.add (local.get $from) (i32.const 64)))
      (br $each_line)))
    (global.set $touched (local.get $sum))
  )
  (global $touched (mut i32) (i32.const 0))

  ;; out[0 .. 8) += the 8 float32 values of lo and hi, as float64.
  (func $add8 (param $out i32) (param $lo v128) (param $hi v128)
    (call $add4 (local.get $out) (local.get $lo))
    (call $add4 (i32.add (local.get $out) (i32.const 32)) (local.get $hi))
  )

  ;; out[0 .. 4) += the 4 float32 values of v, as float64.
  (func $add4 (param $out i32) (param $v v128)
    (v128.store offset=0 align=8 (local.get $out)
      (f64x2.add (v128.load offset=0 align=8 (local.get $out)) (f64x2.promote_low_f32x4 (local.get $v))))
    (v128.store offset=16 align=8 (local.get $out)
      (f64x2.add (v128.load offset=16 align=8 (local.get $out))
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
  )
)
