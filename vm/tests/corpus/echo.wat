;; Returns its input, or reverts with it when the first byte is 0xff.
(module
  (import "vnt_v1" "input_size" (func $input_size (result i32)))
  (import "vnt_v1" "input_copy" (func $input_copy (param i32 i32 i32)))
  (import "vnt_v1" "return_data" (func $return_data (param i32 i32)))
  (import "vnt_v1" "revert" (func $revert (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "call") (local $n i32)
    (local.set $n (call $input_size))
    (call $input_copy (i32.const 0) (i32.const 0) (local.get $n))
    (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 255))
      (then (call $revert (i32.const 0) (local.get $n))))
    (call $return_data (i32.const 0) (local.get $n))))
