;; Returns 4 GiB: the per-byte charge refuses it before any copy.
(module
  (import "vnt_v1" "return_data" (func $return_data (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "call") (call $return_data (i32.const 0) (i32.const -1))))
