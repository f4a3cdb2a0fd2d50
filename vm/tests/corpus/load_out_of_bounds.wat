;; Loads past the end of memory.
(module
  (memory (export "memory") 1)
  (func (export "call") (drop (i64.load (i32.const 65535)))))
