;; Hands the host a key pointer past the end of memory.
(module
  (import "vnt_v1" "storage_read" (func $storage_read (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "call") (call $storage_read (i32.const 65520) (i32.const 0))))
