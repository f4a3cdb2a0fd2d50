;; A callee for the call tests. Stores the first 32 bytes of its input in slot 0, logs the
;; whole input and returns the value it was sent (32 bytes). After storing, an input that
;; starts with 0xff reverts with "refused", 0xfe traps, and 0xfd loops until out of gas.
(module
  (import "vnt_v1" "input_size" (func $input_size (result i32)))
  (import "vnt_v1" "input_copy" (func $input_copy (param i32 i32 i32)))
  (import "vnt_v1" "storage_write" (func $storage_write (param i32 i32)))
  (import "vnt_v1" "log" (func $log (param i32 i32 i32 i32)))
  (import "vnt_v1" "call_value" (func $call_value (param i32)))
  (import "vnt_v1" "revert" (func $revert (param i32 i32)))
  (import "vnt_v1" "return_data" (func $return_data (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 4096) "refused")
  (func (export "call")
    (local $len i32)
    (local.set $len (call $input_size))
    ;; Key: the 32 zero bytes at 0. Value: the input, copied to 32.
    (call $input_copy (i32.const 32) (i32.const 0) (local.get $len))
    (call $storage_write (i32.const 0) (i32.const 32))
    (call $log (i32.const 0) (i32.const 0) (i32.const 32) (local.get $len))
    (if (i32.eq (i32.load8_u (i32.const 32)) (i32.const 0xff))
      (then (call $revert (i32.const 4096) (i32.const 7))))
    (if (i32.eq (i32.load8_u (i32.const 32)) (i32.const 0xfe))
      (then unreachable))
    (if (i32.eq (i32.load8_u (i32.const 32)) (i32.const 0xfd))
      (then (loop $forever (br $forever))))
    (call $call_value (i32.const 8192))
    (call $return_data (i32.const 8192) (i32.const 32))))
