;; A bounded loop with arithmetic and memory traffic; returns the 8-byte sum.
(module
  (import "vnt_v1" "return_data" (func $return_data (param i32 i32)))
  (memory (export "memory") 1)
  (func $step (param $i i64) (result i64)
    (i64.add (i64.mul (local.get $i) (local.get $i)) (i64.div_u (local.get $i) (i64.const 3))))
  (func (export "call") (local $i i64) (local $sum i64)
    (loop $again
      (local.set $sum (i64.add (local.get $sum) (call $step (local.get $i))))
      (i64.store (i32.const 0) (local.get $sum))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $again (i64.lt_u (local.get $i) (i64.const 500))))
    (memory.fill (i32.const 8) (i32.const 7) (i32.const 1000))
    (call $return_data (i32.const 0) (i32.const 8))))
