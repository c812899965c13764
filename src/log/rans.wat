;; The hot loops of weft's rANS coder (src/log/rans.ts), in WebAssembly: the same integer
;; arithmetic, so the same bytes, with each division by a symbol's frequency done as a multiply
;; by its reciprocal and a one-step correction (exact for every 32-bit state); and the decoding
;; loop, with the TypeScript decoder's checks. Built by scripts/build-wasm.ts into rans.wasm
;; (committed; a test rebuilds it). Its memory is shared (rans.ts makes it), so that threads can
;; decode the segments of one array at once (decode_task, decode-threads.ts).
(module
  (import "env" "memory" (memory 1 65536 shared))
  (export "memory" (memory 0))

  ;; Encodes src[0…n) backwards, two states alternating by position parity (even: state 0),
  ;; into a buffer whose end is $outEnd, renormalising byte-wise, as rans.ts does. $sym holds
  ;; per symbol 16 bytes: u32 freq, u32 cum, u32 xMax, u32 floor(2^32 / freq). Returns the start
  ;; of the written bytes, or −1 when more than $cap bytes were written (the block is then
  ;; stored, as rans.ts does); the buffer must have 6 spare bytes below $outEnd − $cap (rans.ts
  ;; leaves its block header's room there, written after). The final
  ;; states go to $states (two u32).
  (func (export "encode") (param $src i32) (param $n i32) (param $sym i32) (param $cap i32) (param $outEnd i32) (param $states i32) (result i32)
    (local $i i32) (local $x0 i32) (local $x1 i32) (local $pos i32) (local $low i32)
    (local $e i32) (local $f i32) (local $xMax i32) (local $q i32) (local $k i32)
    (local.set $x0 (i32.const 8388608)) ;; RANS_L = 2^23
    (local.set $x1 (i32.const 8388608))
    (local.set $pos (local.get $outEnd))
    (local.set $i (local.get $n))
    ;; what may be written is checked once a pair: a pair stores at most 6 bytes below the
    ;; output's start, and the buffer has its block header's room below the limit (rans.ts)
    (local.set $low (i32.sub (local.get $outEnd) (local.get $cap)))
    ;; Each symbol s onto its state x: renormalise (emit low bytes while x ≥ xMax — at most two,
    ;; as x < 2^31 and xMax ≥ 2^17 — without branches: a byte is always stored below the
    ;; written ones and kept only when due; a mispredicted branch cost more than the symbol),
    ;; then x = (q << 14) + (x − q·f) + cum with q = floor(x / f) from the reciprocal
    ;; floor(2^32 / f), low by at most one: corrected without a branch.
    ;; An odd count: the last symbol (an even position) first, alone, on state 0.
    (if (i32.and (local.get $n) (i32.const 1)) (then
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      ;; the odd one out, on state 0
      (local.set $e (i32.add (local.get $sym) (i32.shl (i32.load8_u (i32.add (local.get $src) (local.get $i))) (i32.const 4))))
      (local.set $f (i32.load (local.get $e)))
      (local.set $xMax (i32.load offset=8 (local.get $e)))
      (local.set $k (i32.ge_u (local.get $x0) (local.get $xMax)))
      (i32.store8 (i32.sub (local.get $pos) (i32.const 1)) (local.get $x0))
      (local.set $pos (i32.sub (local.get $pos) (local.get $k)))
      (local.set $x0 (select (i32.shr_u (local.get $x0) (i32.const 8)) (local.get $x0) (local.get $k)))
      (local.set $k (i32.ge_u (local.get $x0) (local.get $xMax)))
      (i32.store8 (i32.sub (local.get $pos) (i32.const 1)) (local.get $x0))
      (local.set $pos (i32.sub (local.get $pos) (local.get $k)))
      (local.set $x0 (select (i32.shr_u (local.get $x0) (i32.const 8)) (local.get $x0) (local.get $k)))
      (local.set $q (i32.wrap_i64 (i64.shr_u
        (i64.mul (i64.extend_i32_u (local.get $x0)) (i64.extend_i32_u (i32.load offset=12 (local.get $e))))
        (i64.const 32))))
      (local.set $q (i32.add (local.get $q) (i32.le_u (i32.mul (i32.add (local.get $q) (i32.const 1)) (local.get $f)) (local.get $x0))))
      (local.set $x0 (i32.add
        (i32.add (i32.shl (local.get $q) (i32.const 14)) (i32.sub (local.get $x0) (i32.mul (local.get $q) (local.get $f))))
        (i32.load offset=4 (local.get $e))))
    ))
    ;; then pairs backwards: the odd position on state 1, the even one before it on state 0 —
    ;; the order of one symbol at a time, so the same bytes, with the two states' arithmetic free
    ;; to overlap
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $i)))
      (if (i32.lt_u (local.get $pos) (local.get $low)) (then (return (i32.const -1))))
      (local.set $i (i32.sub (local.get $i) (i32.const 2)))
      ;; position i + 1, state 1
      (local.set $e (i32.add (local.get $sym) (i32.shl (i32.load8_u offset=1 (i32.add (local.get $src) (local.get $i))) (i32.const 4))))
      (local.set $f (i32.load (local.get $e)))
      (local.set $xMax (i32.load offset=8 (local.get $e)))
      (local.set $k (i32.ge_u (local.get $x1) (local.get $xMax)))
      (i32.store8 (i32.sub (local.get $pos) (i32.const 1)) (local.get $x1))
      (local.set $pos (i32.sub (local.get $pos) (local.get $k)))
      (local.set $x1 (select (i32.shr_u (local.get $x1) (i32.const 8)) (local.get $x1) (local.get $k)))
      (local.set $k (i32.ge_u (local.get $x1) (local.get $xMax)))
      (i32.store8 (i32.sub (local.get $pos) (i32.const 1)) (local.get $x1))
      (local.set $pos (i32.sub (local.get $pos) (local.get $k)))
      (local.set $x1 (select (i32.shr_u (local.get $x1) (i32.const 8)) (local.get $x1) (local.get $k)))
      (local.set $q (i32.wrap_i64 (i64.shr_u
        (i64.mul (i64.extend_i32_u (local.get $x1)) (i64.extend_i32_u (i32.load offset=12 (local.get $e))))
        (i64.const 32))))
      (local.set $q (i32.add (local.get $q) (i32.le_u (i32.mul (i32.add (local.get $q) (i32.const 1)) (local.get $f)) (local.get $x1))))
      (local.set $x1 (i32.add
        (i32.add (i32.shl (local.get $q) (i32.const 14)) (i32.sub (local.get $x1) (i32.mul (local.get $q) (local.get $f))))
        (i32.load offset=4 (local.get $e))))
      ;; position i, state 0
      (local.set $e (i32.add (local.get $sym) (i32.shl (i32.load8_u (i32.add (local.get $src) (local.get $i))) (i32.const 4))))
      (local.set $f (i32.load (local.get $e)))
      (local.set $xMax (i32.load offset=8 (local.get $e)))
      (local.set $k (i32.ge_u (local.get $x0) (local.get $xMax)))
      (i32.store8 (i32.sub (local.get $pos) (i32.const 1)) (local.get $x0))
      (local.set $pos (i32.sub (local.get $pos) (local.get $k)))
      (local.set $x0 (select (i32.shr_u (local.get $x0) (i32.const 8)) (local.get $x0) (local.get $k)))
      (local.set $k (i32.ge_u (local.get $x0) (local.get $xMax)))
      (i32.store8 (i32.sub (local.get $pos) (i32.const 1)) (local.get $x0))
      (local.set $pos (i32.sub (local.get $pos) (local.get $k)))
      (local.set $x0 (select (i32.shr_u (local.get $x0) (i32.const 8)) (local.get $x0) (local.get $k)))
      (local.set $q (i32.wrap_i64 (i64.shr_u
        (i64.mul (i64.extend_i32_u (local.get $x0)) (i64.extend_i32_u (i32.load offset=12 (local.get $e))))
        (i64.const 32))))
      (local.set $q (i32.add (local.get $q) (i32.le_u (i32.mul (i32.add (local.get $q) (i32.const 1)) (local.get $f)) (local.get $x0))))
      (local.set $x0 (i32.add
        (i32.add (i32.shl (local.get $q) (i32.const 14)) (i32.sub (local.get $x0) (i32.mul (local.get $q) (local.get $f))))
        (i32.load offset=4 (local.get $e))))
      (br $l)))
    (if (i32.lt_u (local.get $pos) (local.get $low)) (then (return (i32.const -1))))
    (i32.store (local.get $states) (local.get $x0))
    (i32.store offset=4 (local.get $states) (local.get $x1))
    (local.get $pos))

  ;; slot tables of a block: for each of the 2^14 slots, u8 symbol at $syms and u32
  ;; (freq << 16 | slot − cum) at $steps, from the 256 u16 frequencies at $freq (summing to 2^14)
  (func $slots (export "slots") (param $freq i32) (param $syms i32) (param $steps i32)
    (local $s i32) (local $f i32) (local $cum i32) (local $k i32)
    (local.set $s (i32.const 0))
    (local.set $cum (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $s) (i32.const 256)))
      (local.set $f (i32.load16_u (i32.add (local.get $freq) (i32.shl (local.get $s) (i32.const 1)))))
      (memory.fill (i32.add (local.get $syms) (local.get $cum)) (local.get $s) (local.get $f))
      (local.set $k (i32.const 0))
      (block $done_k (loop $lk
        (br_if $done_k (i32.ge_u (local.get $k) (local.get $f)))
        (i32.store (i32.add (local.get $steps) (i32.shl (i32.add (local.get $cum) (local.get $k)) (i32.const 2)))
          (i32.or (i32.shl (local.get $f) (i32.const 16)) (local.get $k)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $lk)))
      (local.set $cum (i32.add (local.get $cum) (local.get $f)))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $l))))

  ;; Decodes n bytes to $out from the stream $in[0…$len) with initial states x0, x1 (rans.ts's
  ;; ransDecode, the same checks): symbols alternate between the states, each renormalised in
  ;; the encoder's mirror order. Returns 0, 1 when the stream ends before the last symbol, 2
  ;; when bytes remain or a final state is not 2^23. Reads nothing at or past $in + $len.
  (func $decode (export "decode") (param $in i32) (param $len i32) (param $out i32) (param $n i32) (param $x0 i32) (param $x1 i32) (param $syms i32) (param $steps i32) (result i32)
    (local $i i32) (local $end i32) (local $slot i32) (local $st i32) (local $pairs i32)
    (local.set $end (i32.add (local.get $in) (local.get $len)))
    (local.set $pairs (i32.and (local.get $n) (i32.const -2)))
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $pairs)))
      ;; state 0: symbol, step, renormalise (a byte at most twice: x ≥ 2^9 after a step)
      (local.set $slot (i32.and (local.get $x0) (i32.const 16383)))
      (i32.store8 (i32.add (local.get $out) (local.get $i)) (i32.load8_u (i32.add (local.get $syms) (local.get $slot))))
      (local.set $st (i32.load (i32.add (local.get $steps) (i32.shl (local.get $slot) (i32.const 2)))))
      (local.set $x0 (i32.add (i32.mul (i32.shr_u (local.get $st) (i32.const 16)) (i32.shr_u (local.get $x0) (i32.const 14))) (i32.and (local.get $st) (i32.const 65535))))
      (if (i32.lt_u (local.get $x0) (i32.const 8388608)) (then
        (if (i32.ge_u (local.get $in) (local.get $end)) (then (return (i32.const 1))))
        (local.set $x0 (i32.or (i32.shl (local.get $x0) (i32.const 8)) (i32.load8_u (local.get $in))))
        (local.set $in (i32.add (local.get $in) (i32.const 1)))
        (if (i32.lt_u (local.get $x0) (i32.const 8388608)) (then
          (if (i32.ge_u (local.get $in) (local.get $end)) (then (return (i32.const 1))))
          (local.set $x0 (i32.or (i32.shl (local.get $x0) (i32.const 8)) (i32.load8_u (local.get $in))))
          (local.set $in (i32.add (local.get $in) (i32.const 1)))))))
      ;; state 1
      (local.set $slot (i32.and (local.get $x1) (i32.const 16383)))
      (i32.store8 offset=1 (i32.add (local.get $out) (local.get $i)) (i32.load8_u (i32.add (local.get $syms) (local.get $slot))))
      (local.set $st (i32.load (i32.add (local.get $steps) (i32.shl (local.get $slot) (i32.const 2)))))
      (local.set $x1 (i32.add (i32.mul (i32.shr_u (local.get $st) (i32.const 16)) (i32.shr_u (local.get $x1) (i32.const 14))) (i32.and (local.get $st) (i32.const 65535))))
      (if (i32.lt_u (local.get $x1) (i32.const 8388608)) (then
        (if (i32.ge_u (local.get $in) (local.get $end)) (then (return (i32.const 1))))
        (local.set $x1 (i32.or (i32.shl (local.get $x1) (i32.const 8)) (i32.load8_u (local.get $in))))
        (local.set $in (i32.add (local.get $in) (i32.const 1)))
        (if (i32.lt_u (local.get $x1) (i32.const 8388608)) (then
          (if (i32.ge_u (local.get $in) (local.get $end)) (then (return (i32.const 1))))
          (local.set $x1 (i32.or (i32.shl (local.get $x1) (i32.const 8)) (i32.load8_u (local.get $in))))
          (local.set $in (i32.add (local.get $in) (i32.const 1)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $l)))
    (if (i32.and (local.get $n) (i32.const 1)) (then
      (local.set $slot (i32.and (local.get $x0) (i32.const 16383)))
      (i32.store8 (i32.add (local.get $out) (local.get $i)) (i32.load8_u (i32.add (local.get $syms) (local.get $slot))))
      (local.set $st (i32.load (i32.add (local.get $steps) (i32.shl (local.get $slot) (i32.const 2)))))
      (local.set $x0 (i32.add (i32.mul (i32.shr_u (local.get $st) (i32.const 16)) (i32.shr_u (local.get $x0) (i32.const 14))) (i32.and (local.get $st) (i32.const 65535))))
      (block $renormed (loop $r
        (br_if $renormed (i32.ge_u (local.get $x0) (i32.const 8388608)))
        (if (i32.ge_u (local.get $in) (local.get $end)) (then (return (i32.const 1))))
        (local.set $x0 (i32.or (i32.shl (local.get $x0) (i32.const 8)) (i32.load8_u (local.get $in))))
        (local.set $in (i32.add (local.get $in) (i32.const 1)))
        (br $r)))))
    (if (i32.or (i32.ne (local.get $in) (local.get $end))
          (i32.or (i32.ne (local.get $x0) (i32.const 8388608)) (i32.ne (local.get $x1) (i32.const 8388608))))
      (then (return (i32.const 2))))
    (i32.const 0))

  ;; ---- byte planes of float32 arrays (codec.ts): element i's byte b goes to plane b ----

  ;; planes[b·n + i] = byte b of z_i, z_i = zigzag(cur_i − prev_i) when $diff (two's-complement
  ;; difference of the bit patterns, (d << 1) ^ (d >> 31)), else cur_i's bits; four elements
  ;; per step, their 16 bytes regrouped by plane with one shuffle
  (func (export "split4") (param $cur i32) (param $prev i32) (param $n i32) (param $planes i32) (param $diff i32)
    (local $i i32) (local $z v128) (local $d v128) (local $p i32) (local $w i32)
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $z (v128.load (i32.add (local.get $cur) (i32.shl (local.get $i) (i32.const 2)))))
      (if (local.get $diff) (then
        (local.set $d (i32x4.sub (local.get $z) (v128.load (i32.add (local.get $prev) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $z (v128.xor (i32x4.shl (local.get $d) (i32.const 1)) (i32x4.shr_s (local.get $d) (i32.const 31))))))
      (local.set $z (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (local.get $z) (local.get $z)))
      (local.set $p (i32.add (local.get $planes) (local.get $i)))
      (v128.store32_lane 0 (local.get $p) (local.get $z))
      (local.set $p (i32.add (local.get $p) (local.get $n)))
      (v128.store32_lane 1 (local.get $p) (local.get $z))
      (local.set $p (i32.add (local.get $p) (local.get $n)))
      (v128.store32_lane 2 (local.get $p) (local.get $z))
      (local.set $p (i32.add (local.get $p) (local.get $n)))
      (v128.store32_lane 3 (local.get $p) (local.get $z))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l)))
    (block $done1 (loop $l1
      (br_if $done1 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $w (i32.load (i32.add (local.get $cur) (i32.shl (local.get $i) (i32.const 2)))))
      (if (local.get $diff) (then
        (local.set $w (i32.sub (local.get $w) (i32.load (i32.add (local.get $prev) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $w (i32.xor (i32.shl (local.get $w) (i32.const 1)) (i32.shr_s (local.get $w) (i32.const 31))))))
      (local.set $p (i32.add (local.get $planes) (local.get $i)))
      (i32.store8 (local.get $p) (local.get $w))
      (local.set $p (i32.add (local.get $p) (local.get $n)))
      (i32.store8 (local.get $p) (i32.shr_u (local.get $w) (i32.const 8)))
      (local.set $p (i32.add (local.get $p) (local.get $n)))
      (i32.store8 (local.get $p) (i32.shr_u (local.get $w) (i32.const 16)))
      (local.set $p (i32.add (local.get $p) (local.get $n)))
      (i32.store8 (local.get $p) (i32.shr_u (local.get $w) (i32.const 24)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l1))))

  ;; out_i from planes (split4's inverse): z_i's bytes gathered; $transform 0: out = z; 1: out =
  ;; ref + $sign·unzigzag(z) (sign +1 or −1); 2: out = ref ^ z. out may be ref.
  (func $join4 (export "join4") (param $planes i32) (param $ref i32) (param $n i32) (param $out i32) (param $transform i32) (param $sign i32)
    (local $i i32) (local $z v128) (local $d v128) (local $p i32) (local $w i32) (local $r v128)
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
      (local.set $p (i32.add (local.get $planes) (local.get $i)))
      (local.set $z (v128.load32_zero (local.get $p)))
      (local.set $p (i32.add (local.get $p) (local.get $n)))
      (local.set $z (v128.load32_lane 1 (local.get $p) (local.get $z)))
      (local.set $p (i32.add (local.get $p) (local.get $n)))
      (local.set $z (v128.load32_lane 2 (local.get $p) (local.get $z)))
      (local.set $p (i32.add (local.get $p) (local.get $n)))
      (local.set $z (v128.load32_lane 3 (local.get $p) (local.get $z)))
      (local.set $z (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (local.get $z) (local.get $z)))
      (if (local.get $transform) (then
        (local.set $r (v128.load (i32.add (local.get $ref) (i32.shl (local.get $i) (i32.const 2)))))
        (if (i32.eq (local.get $transform) (i32.const 2))
          (then (local.set $z (v128.xor (local.get $r) (local.get $z))))
          (else
            ;; d = (z >>> 1) ^ −(z & 1)
            (local.set $d (v128.xor (i32x4.shr_u (local.get $z) (i32.const 1))
              (i32x4.neg (v128.and (local.get $z) (v128.const i32x4 1 1 1 1)))))
            (local.set $z (select (i32x4.add (local.get $r) (local.get $d)) (i32x4.sub (local.get $r) (local.get $d))
              (i32.gt_s (local.get $sign) (i32.const 0))))))))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $z))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l)))
    (block $done1 (loop $l1
      (br_if $done1 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.add (local.get $planes) (local.get $i)))
      (local.set $w (i32.load8_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (local.get $n)))
      (local.set $w (i32.or (local.get $w) (i32.shl (i32.load8_u (local.get $p)) (i32.const 8))))
      (local.set $p (i32.add (local.get $p) (local.get $n)))
      (local.set $w (i32.or (local.get $w) (i32.shl (i32.load8_u (local.get $p)) (i32.const 16))))
      (local.set $p (i32.add (local.get $p) (local.get $n)))
      (local.set $w (i32.or (local.get $w) (i32.shl (i32.load8_u (local.get $p)) (i32.const 24))))
      (if (local.get $transform) (then
        (if (i32.eq (local.get $transform) (i32.const 2))
          (then (local.set $w (i32.xor (i32.load (i32.add (local.get $ref) (i32.shl (local.get $i) (i32.const 2)))) (local.get $w))))
          (else (local.set $w (i32.add (i32.load (i32.add (local.get $ref) (i32.shl (local.get $i) (i32.const 2))))
            (i32.mul (local.get $sign)
              (i32.xor (i32.shr_u (local.get $w) (i32.const 1)) (i32.sub (i32.const 0) (i32.and (local.get $w) (i32.const 1)))))))))))
      (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $w))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l1))))

  ;; One task of an array's decoding split across threads (decode-threads.ts): a run of whole
  ;; segments, its blocks decoded into its planes, then joined into its elements. $t: u32 words —
  ;; 0 status (written: 0, or 1 + the first block that did not decode), 1 block count k,
  ;; 2 planes, 3 ref, 4 n, 5 out, 6 transform, 7 sign, 8 syms, 9 steps (this task's slot
  ;; tables), then k blocks of 8 words: mode (0 stored, 1 rANS, 2 repeated), in, len, count,
  ;; dst, x0, x1, freq. decode-threads.ts has checked every header; the join runs when all decoded.
  (func (export "decode_task") (param $t i32)
    (local $k i32) (local $b i32) (local $d i32) (local $mode i32)
    (local.set $k (i32.load offset=4 (local.get $t)))
    (local.set $b (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $b) (local.get $k)))
      (local.set $d (i32.add (i32.add (local.get $t) (i32.const 40)) (i32.shl (local.get $b) (i32.const 5))))
      (local.set $mode (i32.load (local.get $d)))
      (if (i32.eqz (local.get $mode))
        (then (memory.copy (i32.load offset=16 (local.get $d)) (i32.load offset=4 (local.get $d)) (i32.load offset=12 (local.get $d))))
        (else (if (i32.eq (local.get $mode) (i32.const 2))
          (then (memory.fill (i32.load offset=16 (local.get $d)) (i32.load8_u (i32.load offset=4 (local.get $d))) (i32.load offset=12 (local.get $d))))
          (else
            (call $slots (i32.load offset=28 (local.get $d)) (i32.load offset=32 (local.get $t)) (i32.load offset=36 (local.get $t)))
            (if (call $decode (i32.load offset=4 (local.get $d)) (i32.load offset=8 (local.get $d)) (i32.load offset=16 (local.get $d)) (i32.load offset=12 (local.get $d))
                  (i32.load offset=20 (local.get $d)) (i32.load offset=24 (local.get $d)) (i32.load offset=32 (local.get $t)) (i32.load offset=36 (local.get $t)))
              (then
                (i32.store (local.get $t) (i32.add (local.get $b) (i32.const 1)))
                (return)))))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $l)))
    (i32.store (local.get $t) (i32.const 0))
    (call $join4 (i32.load offset=8 (local.get $t)) (i32.load offset=12 (local.get $t)) (i32.load offset=16 (local.get $t))
      (i32.load offset=20 (local.get $t)) (i32.load offset=24 (local.get $t)) (i32.load offset=28 (local.get $t))))

  ;; counts[s] = occurrences of byte s in src[0…n) (256 u32 at $counts). Four tables, one per
  ;; position mod 4, summed at the end: a run of one byte (a plane of exponents) would otherwise
  ;; make every increment wait for the one before it. 3 KiB after $counts are scratch.
  (func (export "count") (param $src i32) (param $n i32) (param $counts i32)
    (local $i i32) (local $p i32) (local $w i32) (local $end4 i32)
    (memory.fill (local.get $counts) (i32.const 0) (i32.const 4096))
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $i (i32.const 0))
    (block $done4 (loop $l4
      (br_if $done4 (i32.ge_u (local.get $i) (local.get $end4)))
      (local.set $w (i32.load (i32.add (local.get $src) (local.get $i))))
      (local.set $p (i32.add (local.get $counts) (i32.shl (i32.and (local.get $w) (i32.const 255)) (i32.const 2))))
      (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
      (local.set $p (i32.add (local.get $counts) (i32.add (i32.const 1024) (i32.shl (i32.and (i32.shr_u (local.get $w) (i32.const 8)) (i32.const 255)) (i32.const 2)))))
      (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
      (local.set $p (i32.add (local.get $counts) (i32.add (i32.const 2048) (i32.shl (i32.and (i32.shr_u (local.get $w) (i32.const 16)) (i32.const 255)) (i32.const 2)))))
      (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
      (local.set $p (i32.add (local.get $counts) (i32.add (i32.const 3072) (i32.shl (i32.shr_u (local.get $w) (i32.const 24)) (i32.const 2)))))
      (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l4)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.add (local.get $counts) (i32.shl (i32.load8_u (i32.add (local.get $src) (local.get $i))) (i32.const 2))))
      (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    ;; the four tables into the first
    (local.set $i (i32.const 0))
    (block $sum_done (loop $sum
      (br_if $sum_done (i32.ge_u (local.get $i) (i32.const 1024)))
      (local.set $p (i32.add (local.get $counts) (local.get $i)))
      (v128.store (local.get $p) (i32x4.add
        (i32x4.add (v128.load (local.get $p)) (v128.load offset=1024 (local.get $p)))
        (i32x4.add (v128.load offset=2048 (local.get $p)) (v128.load offset=3072 (local.get $p)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $sum))))
)
